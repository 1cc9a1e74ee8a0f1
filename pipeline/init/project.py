"""What a repository says about itself besides its app: name, version, requirements, the
Makefile targets CI can call, and where its configuration lives.

Each reader returns what it found or nothing; ``answers`` decides what nothing means.
"""
import configparser
import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

REQUIREMENTS = ("requirements.txt", "poetry.lock", "pyproject.toml")
TEST_REQUIREMENTS = ("requirements.test.txt", "requirements-test.txt", "test-requirements.txt",
                     "requirements-dev.txt", "requirements_dev.txt", "dev-requirements.txt",
                     "requirements/test.txt", "requirements/dev.txt")
PYPROJECT = "pyproject.toml"
SETUP_CFG = "setup.cfg"
SETUP_PY_NAME = re.compile(r"""\bname\s*=\s*['"](?P<name>[^'"]+)['"]""")
MAKE_TARGET = re.compile(r"^(?P<target>[\w.-]+)\s*:(?!=)", re.M)


def first_existing(root: Path, names: tuple[str, ...]) -> str:
    """The first of ``names`` that is a file under ``root``; "" when none is."""
    return next((name for name in names if (root / name).is_file()), "")


def pyproject(root: Path) -> dict[str, Any]:
    """pyproject.toml parsed; {} when there is none or it is not TOML."""
    try:
        return tomllib.loads((root / PYPROJECT).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def setup_cfg_metadata(root: Path) -> dict[str, str]:
    """setup.cfg's [metadata]; {} when there is none."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(root / SETUP_CFG, encoding="utf-8")
    except configparser.Error:
        return {}
    return dict(parser["metadata"]) if parser.has_section("metadata") else {}


def metadata(root: Path, field: str) -> str:
    """``name`` or ``version`` as the distribution metadata declares it: pyproject's [project]
    or [tool.poetry], else setup.cfg's [metadata], else (the name only) setup.py's literal."""
    toml = pyproject(root)
    candidates = [toml.get("project", {}).get(field),
                  toml.get("tool", {}).get("poetry", {}).get(field),
                  setup_cfg_metadata(root).get(field)]
    if field == "name" and (match := SETUP_PY_NAME.search(_read(root / "setup.py"))):
        candidates.append(match["name"])
    return next((value for value in candidates if isinstance(value, str) and value), "")


def make_targets(root: Path) -> frozenset[str]:
    """The targets the repository's Makefile defines."""
    return frozenset(match["target"] for match in MAKE_TARGET.finditer(_read(root / "Makefile")))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


def git(root: Path, *args: str) -> str:
    """A git query's answer, stripped; "" when git, the repository or the answer is missing."""
    try:
        completed = subprocess.run(["git", "-C", str(root), *args], capture_output=True,
                                   text=True, timeout=10, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return completed.stdout.strip() if completed.returncode == 0 else ""


def main_branch(root: Path) -> str:
    """The branch origin's HEAD names, else the checked-out one; "" outside a repository."""
    remote_head = git(root, "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD")
    return remote_head.removeprefix("origin/") or git(root, "symbolic-ref", "--quiet", "--short",
                                                      "HEAD")
