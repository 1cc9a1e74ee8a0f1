"""What is running: version, build number, commit and build time.

The Docker image bakes them as environment variables (APP_VERSION, APP_BUILD, APP_COMMIT,
APP_BUILT_AT): the build stage computes the build number with the pipeline's own reading of the
version, so the app never parses the version string itself. Outside an image (a developer
running the app from the checkout) the version comes from the repository's version.txt, or
APP_VERSION, and its build number from the pipeline package beside the app
(``pipeline.core.version``, the one place the version's form is written); commit and time are
"unknown". The deploy compares ``/version``'s build with the one it expects, so a build number
that cannot be known is a start-up error rather than a silent "unknown".
"""
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from app.settings import ConfigError

VERSION_FILE = Path(__file__).resolve().parent.parent / "version.txt"
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


def baked_build_number(text: str) -> int:
    """APP_BUILD, as the build stage bakes it: a non-negative integer."""
    if not (text.isascii() and text.isdigit()):
        raise ConfigError(f"APP_BUILD must be a non-negative integer, got {text!r}")
    return int(text)


def checkout_build_number(version: str, source: str) -> int:
    """N of ``version``, read by the pipeline package of this checkout (not in an image)."""
    try:
        from pipeline.core import version as versions
        from pipeline.core.errors import InputError
    except ImportError:
        raise ConfigError(f"APP_BUILD is not set and the pipeline package, which reads the "
                          f"build number of {source}, is not importable") from None
    try:
        return versions.parse(version, source).build
    except InputError:
        raise ConfigError(f"{source} must look like {versions.VERSION_FORMAT}, "
                          f"got {version!r}") from None


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
