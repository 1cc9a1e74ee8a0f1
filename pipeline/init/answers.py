"""Every value ``init`` writes, settled once: a flag wins, else what the repository says, else
a default; what none of them can give is one line naming the flag that supplies it.

Validating here, before anything is rendered, is what lets ``init`` write all or nothing.
"""
import importlib.metadata
import re
from dataclasses import dataclass, fields
from pathlib import Path

from pipeline.configuration.schema import BY_NAME
from pipeline.core.errors import InputError
from pipeline.core.version import NUMBER, RELEASE_PATTERN, VERSION_PATTERN
from pipeline.init import project
from pipeline.init.app import find_app
from pipeline.init.checks import find_checks
from pipeline.jenkins.settings import is_git_url

METADATA_RELEASE = re.compile(
    rf"v?(?P<major>{NUMBER})\.(?P<minor>{NUMBER})(?:\.(?P<patch>{NUMBER}))?")
FIRST_VERSION = "0.1.0"
DEFAULT_BRANCH = "main"
VERSION_FILE = BY_NAME["version_file"].default
JENKINSFILE = "Jenkinsfile"
# Written even when empty: their schema default is a path the service may lack.
NONE_FOUND_KEYS = ("version_path", "metrics_path")
LIBRARY = "pipeline"
# Make targets CI calls when the repository has them (this repository's Makefile does).
SETUP_TARGET = "setup"
INTEGRATION_TARGET = "test-integration"


@dataclass(frozen=True)
class Flags:
    """What the command line said; None (or False) where it said nothing."""

    name: str | None = None
    wsgi: str | None = None
    port: int | None = None
    health_path: str | None = None
    version_path: str | None = None
    version_field: str | None = None
    metrics_path: str | None = None
    migrate_command: str | None = None
    requirements: str | None = None
    test_requirements: str | None = None
    service_version: str | None = None
    proxy_port: int | None = None
    main_branch: str | None = None
    setup_command: str | None = None
    integration_command: str | None = None


@dataclass(frozen=True)
class Answers:
    """The service as ``init`` writes it."""

    root: Path
    name: str
    wsgi: str
    port: int | None
    health_path: str
    version_path: str
    version_field: str
    metrics_path: str
    migrate_command: str
    requirements: str
    test_requirements: str
    version: str
    write_version: bool
    proxy_port: int | None
    main_branch: str
    setup_command: str
    integration_command: str
    repository_url: str
    config_file: str

    def settings(self) -> dict[str, str]:
        """The configuration keys written active, as setup.cfg text; "" values are left to the
        schema's default, but for the paths whose default a service may not have."""
        active = {"image_name": self.name, "requirements": self.requirements,
                  "wsgi": self.wsgi, "port": "" if self.port is None else str(self.port),
                  "health_path": self.health_path, "version_path": self.version_path,
                  "version_field": self.version_field, "metrics_path": self.metrics_path,
                  "migrate_command": self.migrate_command,
                  "jenkins_job_name": self.name, "jenkins_repository_url": self.repository_url,
                  "jenkins_jenkinsfile": JENKINSFILE}
        return {key: value for key, value in active.items() if value or key in NONE_FOUND_KEYS}


def settle(root: Path, flags: Flags) -> Answers:
    """Every value, or an InputError naming what is missing and the flag that gives it."""
    if not root.is_dir():
        raise InputError(f"{root}: no such directory (--dir)")
    app = find_app(root)
    wsgi = flags.wsgi or (app.wsgi if app else "")
    if not wsgi:
        raise InputError(f"{root}: found no Flask app (app = Flask(...) or create_app in app.py, "
                         "wsgi.py or a package) nor a Django project (manage.py): "
                         "give --wsgi MODULE:CALLABLE")
    requirements = _existing(root, flags.requirements, "--requirements") \
        or project.first_existing(root, project.REQUIREMENTS)
    if not requirements:
        raise InputError(f"{root}: found no requirements ({', '.join(project.REQUIREMENTS)}): "
                         "give --requirements FILE")
    test_requirements = _existing(root, flags.test_requirements, "--test-requirements") \
        or project.first_existing(root, project.TEST_REQUIREMENTS)
    checks = find_checks(app.sources if app else ())
    version, write_version = _version(root, flags.service_version)
    setup, integration = ci_commands(root, requirements, test_requirements)
    origin = project.git(root, "remote", "get-url", "origin")
    return Answers(
        root=root, name=_name(root, flags.name), wsgi=wsgi, port=flags.port,
        health_path=_first(flags.health_path, checks.health_path),
        version_path=_first(flags.version_path, checks.version_path),
        version_field=_first(flags.version_field, checks.version_field),
        metrics_path=_first(flags.metrics_path, checks.metrics_path),
        migrate_command=_first(flags.migrate_command, app.migrate_command if app else ""),
        requirements=requirements, test_requirements=test_requirements,
        version=version, write_version=write_version, proxy_port=flags.proxy_port,
        main_branch=flags.main_branch or project.main_branch(root) or DEFAULT_BRANCH,
        setup_command=_first(flags.setup_command, setup),
        integration_command=_first(flags.integration_command, integration),
        repository_url=origin if is_git_url(origin) else "",
        config_file=project.PYPROJECT if (root / project.PYPROJECT).is_file()
        else project.SETUP_CFG)


def ci_commands(root: Path, requirements: str, test_requirements: str) -> tuple[str, str]:
    """What prepares a CI workspace and what runs the tests needing Docker: the Makefile's
    targets when it has them, else a virtualenv and no such tests."""
    makes = project.make_targets(root)
    setup = f"make {SETUP_TARGET}" if SETUP_TARGET in makes \
        else _venv_setup(requirements, test_requirements)
    return setup, f"make {INTEGRATION_TARGET}" if INTEGRATION_TARGET in makes else ""


def flags_of(values: object) -> Flags:
    """The flags among an object's attributes (an argparse namespace)."""
    return Flags(**{field.name: getattr(values, field.name, None) for field in fields(Flags)})


def _first(flag: str | None, detected: str) -> str:
    """A flag given as "" still wins: it is how a detected value is switched off."""
    return detected if flag is None else flag


def _existing(root: Path, flag: str | None, option: str) -> str:
    if flag is not None and not (root / flag).is_file():
        raise InputError(f"{option} {flag}: no such file in {root}")
    return flag or ""


def _name(root: Path, flag: str | None) -> str:
    """Lower case, other characters as '-': a valid image, stack and Jenkins job name."""
    raw = flag or project.metadata(root, "name") or root.resolve().name
    name = re.sub(r"[^a-z0-9]+", "-", raw.lower()).strip("-")
    if not name:
        raise InputError(f"cannot make a name of {raw!r}: give --name NAME")
    return name


def _version(root: Path, flag: str | None) -> tuple[str, bool]:
    """The release version, and whether version.txt is to be written (it is missing, or
    --service-version asks). An existing version.txt must already be in the pipeline's form;
    the metadata's may be ``vX.Y`` (read as X.Y.0), as packaging allows."""
    path = root / VERSION_FILE
    if flag is None and path.is_file():
        text = path.read_text(encoding="utf-8").strip()
        if RELEASE_PATTERN.fullmatch(text) is None and VERSION_PATTERN.fullmatch(text) is None:
            raise InputError(f"{VERSION_FILE} holds {text!r}, not MAJOR.MINOR.PATCH: "
                             "give --service-version X.Y.Z")
        return text.split("+")[0], False
    if flag is not None:
        if RELEASE_PATTERN.fullmatch(flag) is None:
            raise InputError(f"--service-version {flag!r} is not MAJOR.MINOR.PATCH")
        return flag, True
    declared = project.metadata(root, "version") or FIRST_VERSION
    match = METADATA_RELEASE.fullmatch(declared)
    if match is None:
        raise InputError(f"the metadata's version {declared!r} is not MAJOR.MINOR.PATCH: "
                         "give --service-version X.Y.Z")
    return f"{match['major']}.{match['minor']}.{match['patch'] or 0}", True


def _venv_setup(requirements: str, test_requirements: str) -> str:
    """CI's setup without a Makefile: a virtualenv with the service, its tests' tools and this
    library (pinned to the version that wrote the Jenkinsfile)."""
    service = f"-r {requirements}" if requirements.endswith(".txt") else "."
    tests = f" -r {test_requirements}" if test_requirements else ""
    try:
        library = f"{LIBRARY}=={importlib.metadata.version(LIBRARY)}"
    except importlib.metadata.PackageNotFoundError:
        library = LIBRARY
    return f"python3 -m venv .venv && .venv/bin/pip install {service}{tests} {library}"
