"""The wheelhouse the image installs from, built on the build host from the service's own list.

Images never reach the network: ``pip wheel`` runs here, into a directory inside the build
context. What it wheels is what the service declares, the configuration's ``requirements``
(empty: the first of requirements.txt, pyproject.toml, poetry.lock in the service's folder):
a requirements file's lines, a pyproject.toml's ``[project]`` dependencies, or a poetry.lock's
packages pinned as locked. Then the configuration's ``constraints``: extra requirement lines
that fix, in configuration, what the service's list leaves open (``SQLAlchemy<1.4.46``). The
whole list is written into the wheelhouse as requirements.txt: the image installs exactly it,
and the next build compares it to know whether the wheelhouse is current.
"""
import tomllib
from pathlib import Path
from typing import Any

from pipeline.core import proc
from pipeline.core.config import Config
from pipeline.core.errors import InputError, StageFailed

REQUIREMENTS = "requirements.txt"
PYPROJECT = "pyproject.toml"
POETRY_LOCK = "poetry.lock"
SOURCES = (REQUIREMENTS, PYPROJECT, POETRY_LOCK)
INCLUDE_OPTIONS = ("-r", "--requirement")


def requirements_source(config: Config) -> Path:
    """The file the service declares its requirements in: configured, or the first found."""
    configured = config.optional_path("requirements")
    if configured is not None:
        if not configured.is_file():
            raise InputError(f"{config.where('requirements')}: {config.display(configured)} "
                             "does not exist")
        return configured
    for name in SOURCES:
        if (config.root / name).is_file():
            return config.root / name
    raise InputError(f"{config.where('requirements')}: empty, and the service's folder has "
                     f"none of {', '.join(SOURCES)}")


def declared_requirements(path: Path) -> list[str]:
    """The requirement lines ``path`` declares, read as its name says it is written."""
    if path.name == PYPROJECT:
        return pyproject_requirements(path)
    if path.name == POETRY_LOCK:
        return poetry_lock_requirements(path)
    return requirements_file_lines(path)


def requirements_file_lines(path: Path) -> list[str]:
    """A pip requirements file's requirements, ``-r`` includes followed. Other pip options
    (indexes, hashes, editables) would not hold inside a build that reaches no index."""
    lines = []
    for line in _logical_lines(path):
        option, _, argument = line.partition(" ")
        if option in INCLUDE_OPTIONS:
            lines.extend(requirements_file_lines(path.parent / argument.strip()))
        elif line.startswith("-"):
            raise InputError(f"{path}: pip option {line!r} is not supported in the requirements "
                             "an image installs from a wheelhouse")
        else:
            lines.append(line)
    return lines


def _logical_lines(path: Path) -> list[str]:
    """``path``'s lines as pip reads them: continuations joined, comments and blanks dropped."""
    text = _read(path).replace("\\\n", "")
    lines = (line.split(" #", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def pyproject_requirements(path: Path) -> list[str]:
    """``[project] dependencies``, which must be written out (not dynamic)."""
    project = _toml(path).get("project", {})
    if "dependencies" in project.get("dynamic", []):
        raise InputError(f"{path}: [project] dependencies are dynamic; declare them in a "
                         "requirements file and point the requirements key at it")
    dependencies = project.get("dependencies")
    if not isinstance(dependencies, list):
        raise InputError(f"{path}: no [project] dependencies")
    return [str(line) for line in dependencies]


def poetry_lock_requirements(path: Path) -> list[str]:
    """Every locked run-time package, pinned: ``name==version ; markers``. A lock that records
    no groups (Poetry 1.5 to 1.8) cannot tell run time from development: all its packages go."""
    return [_pinned(path, package) for package in _toml(path).get("package", [])
            if _is_run_time(package)]


def _is_run_time(package: dict[str, Any]) -> bool:
    """Locked for the main group and not only for an extra."""
    if package.get("optional", False):
        return False
    groups = package.get("groups")
    if groups is not None:
        return "main" in groups
    return package.get("category", "main") == "main"


def _pinned(path: Path, package: dict[str, Any]) -> str:
    name, version = package.get("name"), package.get("version")
    source = package.get("source", {}).get("type", "legacy")
    if source != "legacy":
        raise InputError(f"{path}: {name} is locked from a {source} source; a wheelhouse takes "
                         "packages from an index only")
    markers = package.get("markers", "")
    if isinstance(markers, dict):  # per group, from Poetry 2
        markers = markers.get("main", "")
    return f"{name}=={version}" + (f" ; {markers}" if markers else "")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"{path}: cannot read requirements: {error.strerror}") from error


def _toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(_read(path))
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{path}: {error}") from error


def requirements_text(config: Config) -> str:
    """The requirements file pip reads here and inside the image: declared, then constraints."""
    source = requirements_source(config)
    lines = [*declared_requirements(source), *config.items("constraints")]
    if not lines:
        raise InputError(f"{config.display(source)}: declares no requirement")
    return "".join(f"{line}\n" for line in lines)


def is_current(wheelhouse: Path, text: str) -> bool:
    """Whether the wheelhouse was built from exactly these requirements (then no pip run)."""
    marker = wheelhouse / REQUIREMENTS
    try:
        built_from = marker.read_text(encoding="utf-8")
    except OSError:
        return False
    return built_from == text and any(wheelhouse.glob("*.whl"))


def prepare(config: Config, wheelhouse: Path) -> Path:
    """Make sure ``wheelhouse`` holds wheels for every requirement; returns its path."""
    text = requirements_text(config)
    if is_current(wheelhouse, text):
        print(f"wheelhouse {config.display(wheelhouse)} is up to date")
        return wheelhouse
    wheelhouse.mkdir(parents=True, exist_ok=True)
    marker = wheelhouse / REQUIREMENTS
    marker.unlink(missing_ok=True)
    pending = wheelhouse / f".{REQUIREMENTS}.pending"
    pending.write_text(text, encoding="utf-8")
    command = proc.python_tool("pip", "wheel", "--disable-pip-version-check", "--quiet",
                               "--wheel-dir", str(wheelhouse), "-r", str(pending))
    if proc.run(command, cwd=config.root) != 0:
        raise StageFailed("pip wheel could not build the wheelhouse for the service's "
                          "requirements")
    pending.replace(marker)
    return wheelhouse
