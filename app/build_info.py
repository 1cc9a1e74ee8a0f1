"""What is running: version, build number, commit and build time.

The Docker image bakes them as environment variables (APP_VERSION, APP_BUILD, APP_COMMIT,
APP_BUILT_AT) from the build arguments the pipeline hands it, so in an image nothing is parsed.
Outside an image (a developer running the app from the checkout) the version comes from the
repository's version.txt, or APP_VERSION, and the build number from the version's PEP 440 local
segment (``1.4.2+build.57`` is build 57), read with ``packaging.version``: the app does not
import the pipeline that delivers it. A version with no local segment was never stamped by a
pipeline run, so it is build 0; any other local segment, or a version that is not PEP 440, is a
start-up error rather than a silent guess, since the deploy compares ``/version``'s build with
the one it expects. Commit and build time are "unknown" outside an image.
"""
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from packaging.version import InvalidVersion, Version

from app.settings import ConfigError

VERSION_FILE = Path(__file__).resolve().parent.parent / "version.txt"
UNKNOWN = "unknown"
BUILD_SEGMENT = "build"


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


def baked_build_number(text: str) -> int:
    """APP_BUILD, as the build stage bakes it: a non-negative integer."""
    if not (text.isascii() and text.isdigit()):
        raise ConfigError(f"APP_BUILD must be a non-negative integer, got {text!r}")
    return int(text)


def checkout_build_number(version: str, source: str) -> int:
    """N of ``version``'s local segment ``build.N``; 0 when it has none (not in an image)."""
    try:
        local = Version(version).local
    except InvalidVersion:
        raise ConfigError(f"{source} must be a PEP 440 version, got {version!r}") from None
    if local is None:
        return 0
    prefix, _, number = local.partition(".")
    if prefix != BUILD_SEGMENT or not number.isdigit():
        raise ConfigError(f"{source} must end in +{BUILD_SEGMENT}.N when it has a local "
                          f"segment, got {version!r}")
    return int(number)


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
    baked = environ.get("APP_BUILD", "").strip()
    build = baked_build_number(baked) if baked else checkout_build_number(version, source)
    return BuildInfo(version=version, build=build,
                     commit=environ.get("APP_COMMIT", "").strip() or UNKNOWN,
                     built_at=environ.get("APP_BUILT_AT", "").strip() or UNKNOWN)
