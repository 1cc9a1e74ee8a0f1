"""``version_file`` (default version.txt): the one place the version lives, as
``MAJOR.MINOR.PATCH+build.N``.

The form is valid PEP 440 and SemVer. Docker tags cannot hold ``+``, so images get
``MAJOR.MINOR.PATCH-build.N``. The form is written once, as ``SERIALIZE``: the pattern that
parses it here and the ``--parse``/``--serialize`` given to bump-my-version derive from it.
"""
import re
import string
from dataclasses import asdict, dataclass
from pathlib import Path

from pipeline.core.config import Config
from pipeline.core.errors import InputError
from pipeline.core.files import write_atomic

SERIALIZE = "{major}.{minor}.{patch}+build.{build}"
VERSION_FORMAT = "MAJOR.MINOR.PATCH+build.N"
NUMBER = "0|[1-9][0-9]*"


def _parse_pattern(template: str) -> str:
    """The regular expression matching ``template``, with one named group per part."""
    return "".join(re.escape(literal) + (f"(?P<{part}>{NUMBER})" if part else "")
                   for literal, part, _, _ in string.Formatter().parse(template))


PARSE = _parse_pattern(SERIALIZE)
VERSION_PATTERN = re.compile(PARSE)
# A release the version stage has not stamped yet: a service's own version.txt before its first
# build through the pipeline.
RELEASE = SERIALIZE.partition("+")[0]
RELEASE_PATTERN = re.compile(_parse_pattern(RELEASE))


@dataclass(frozen=True)
class Version:
    """A parsed version; ``str()`` gives it back exactly as written."""

    major: int
    minor: int
    patch: int
    build: int

    def __str__(self) -> str:
        return SERIALIZE.format(**asdict(self))

    @property
    def docker_tag(self) -> str:
        """The version as a Docker tag (no ``+`` allowed there)."""
        return str(self).replace("+", "-")


def parse(text: str, source: str = "version") -> Version:
    """Parse ``MAJOR.MINOR.PATCH+build.N``; anything else is an input error naming ``source``."""
    match = VERSION_PATTERN.fullmatch(text.strip())
    if match is None:
        raise InputError(f"{source}: malformed version {text.strip()!r}, expected {VERSION_FORMAT}")
    return Version(**{part: int(value) for part, value in match.groupdict().items()})


def read_version(config: Config, unstamped: bool = False) -> Version:
    """The version in ``version_file`` (``unstamped``: a bare ``MAJOR.MINOR.PATCH`` too, as
    build 0, for the version stage that stamps it)."""
    path = config.version_file
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"{path}: cannot read version file: {error.strerror}") from error
    release = RELEASE_PATTERN.fullmatch(text.strip()) if unstamped else None
    if release is not None:
        return Version(**{part: int(value) for part, value in release.groupdict().items()},
                       build=0)
    return parse(text, config.display(path))


def write_version(path: Path, version: Version) -> None:
    """Replace ``version_file`` (atomically: other stages may be reading it)."""
    write_atomic(path, f"{version}\n")
