"""``version.txt``: the one place the version lives, as ``MAJOR.MINOR.PATCH+build.N``.

The form is valid PEP 440 and SemVer. Docker tags cannot hold ``+``, so images get
``MAJOR.MINOR.PATCH-build.N``. Releases are bumped by bump-my-version (configured in
pyproject.toml); this module only reads, validates and stamps build numbers.
"""
import os
import re
from dataclasses import dataclass, replace
from typing import Mapping

from pipeline.core import proc
from pipeline.core.config import Config
from pipeline.core.errors import InputError, StageFailed
from pipeline.stages.registry import Stage

_NUMBER = r"(0|[1-9][0-9]*)"
VERSION_PATTERN = re.compile(rf"{_NUMBER}\.{_NUMBER}\.{_NUMBER}\+build\.{_NUMBER}")
VERSION_FORMAT = "MAJOR.MINOR.PATCH+build.N"
RELEASE_PARTS = ("major", "minor", "patch")


@dataclass(frozen=True)
class Version:
    """A parsed version; ``str()`` gives it back exactly as written."""

    major: int
    minor: int
    patch: int
    build: int

    def __str__(self) -> str:
        return f"{self.release}+build.{self.build}"

    @property
    def release(self) -> str:
        """``MAJOR.MINOR.PATCH``, the part people talk about."""
        return f"{self.major}.{self.minor}.{self.patch}"

    @property
    def docker_tag(self) -> str:
        """The version as a Docker tag (no ``+`` allowed there)."""
        return f"{self.release}-build.{self.build}"


def parse(text: str, source: str = "version") -> Version:
    """Parse ``MAJOR.MINOR.PATCH+build.N``; anything else is an input error naming ``source``."""
    match = VERSION_PATTERN.fullmatch(text.strip())
    if match is None:
        raise InputError(f"{source}: malformed version {text.strip()!r}, expected {VERSION_FORMAT}")
    major, minor, patch, build = (int(part) for part in match.groups())
    return Version(major, minor, patch, build)


def read_version(config: Config) -> Version:
    """The version in ``version.txt``."""
    path = config.version_file
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"{path}: cannot read version file: {error.strerror}") from error
    return parse(text, config.display(path))


def write_version(config: Config, version: Version) -> None:
    """Replace ``version.txt`` atomically, so a crash never leaves it empty or half written."""
    path = config.version_file
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(f"{version}\n", encoding="utf-8")
    temporary.replace(path)


def next_build_number(current: Version, number: str | None,
                      environ: Mapping[str, str] | None = None) -> int:
    """``number`` if given, else Jenkins' ``BUILD_NUMBER``, else the current build + 1."""
    env = os.environ if environ is None else environ
    source, value = "--number", number
    if number is None:
        source, value = "BUILD_NUMBER", env.get("BUILD_NUMBER")
    if value is None or value == "":
        return current.build + 1
    if not re.fullmatch(_NUMBER, value):
        raise InputError(f"{source}: build number must be a non-negative integer, got {value!r}")
    return int(value)


def stamp_build(config: Config, number: str | None = None) -> Version:
    """Write the next build number into ``version.txt`` and say what it became."""
    current = read_version(config)
    stamped = replace(current, build=next_build_number(current, number))
    write_version(config, stamped)
    print(f"version {current} -> {stamped}")
    return stamped


def bump(config: Config, part: str) -> Version:
    """Start a release: bump-my-version raises ``part`` and resets the parts after it."""
    if part not in RELEASE_PARTS:
        raise InputError(f"cannot bump {part!r}: choose one of {', '.join(RELEASE_PARTS)}")
    current = read_version(config)
    command = proc.python_tool("bumpversion", "bump", "--current-version", str(current), part)
    if proc.run(command, cwd=config.root) != 0:
        raise StageFailed(f"bump-my-version could not bump {part} of {current}")
    bumped = read_version(config)
    print(f"version {current} -> {bumped}")
    return bumped


def _stage(config: Config) -> None:
    stamp_build(config)


STAGE = Stage(name="version", summary="write the next build number into version.txt",
              artifacts=("version.txt",), run=_stage)
