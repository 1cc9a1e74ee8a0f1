"""What is running: version, build number, commit and build time.

The Docker image bakes them as environment variables (APP_VERSION, APP_COMMIT, APP_BUILT_AT);
outside an image the version comes from the repository's version.txt and the commit and time
are "unknown". The deploy compares ``/version``'s build with the one it expects, so a version
that cannot be parsed is a start-up error rather than a silent "unknown".
"""
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from app.settings import ConfigError

VERSION_FILE = Path(__file__).resolve().parent.parent / "version.txt"
VERSION_PATTERN = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)\+build\.(0|[1-9]\d*)")
UNKNOWN = "unknown"


@dataclass(frozen=True)
class BuildInfo:
    """The running release, as ``/version`` reports it."""

    version: str
    build: int
    commit: str
    built_at: str

    def as_dict(self) -> dict[str, str | int]:
        """The ``/version`` JSON body."""
        return {"version": self.version, "build": self.build, "commit": self.commit,
                "built_at": self.built_at}


def parse_build_number(version: str, source: str) -> int:
    """N from ``MAJOR.MINOR.PATCH+build.N``; ``source`` names where the text came from."""
    match = VERSION_PATTERN.fullmatch(version)
    if match is None:
        raise ConfigError(f"{source} must look like MAJOR.MINOR.PATCH+build.N, got {version!r}")
    return int(match.group(4))


def read_build_info(environ: Mapping[str, str], version_file: Path = VERSION_FILE) -> BuildInfo:
    """The image's baked values when present, else version.txt of this checkout."""
    version = environ.get("APP_VERSION", "").strip()
    source = "APP_VERSION"
    if not version:
        source = str(version_file)
        try:
            version = version_file.read_text(encoding="utf-8").strip()
        except OSError:
            raise ConfigError(f"APP_VERSION is not set and {version_file} cannot be read") from None
    return BuildInfo(version=version, build=parse_build_number(version, source),
                     commit=environ.get("APP_COMMIT", "").strip() or UNKNOWN,
                     built_at=environ.get("APP_BUILT_AT", "").strip() or UNKNOWN)
