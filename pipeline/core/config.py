"""The one typed configuration every stage reads, and the one reader of ``setup.cfg``.

Built once from ``setup.cfg``'s ``[pipeline]`` section; any key can be overridden from the
environment as ``PIPELINE_<KEY>`` (upper case), which is how Jenkins parameters reach a stage.
Other sections (``[coverage:report]``, ``[options.extras_require]``) are read through
:func:`read_setup_cfg` too, so a malformed file is the same one-line error everywhere.
"""
import configparser
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from pipeline.core.errors import InputError

SECTION = "pipeline"
CONFIG_FILE = "setup.cfg"


@dataclass(frozen=True)
class Config:
    """Settings shared by all stages; paths are absolute."""

    root: Path
    stages: tuple[str, ...]
    reports_dir: Path
    version_file: Path
    settings: Mapping[str, str]

    def get(self, key: str, default: str | None = None) -> str:
        """A raw ``[pipeline]`` setting (after environment overrides); missing is an input error."""
        value = self.settings.get(key, default)
        if value is None:
            raise InputError(f"{CONFIG_FILE} [{SECTION}]: missing setting '{key}'")
        return value

    def get_list(self, key: str, default: str | None = None) -> tuple[str, ...]:
        """A setting holding a comma- or space-separated list."""
        return split_list(self.get(key, default))

    def display(self, path: Path) -> str:
        """A path as people read it: relative to the project when inside it, else absolute."""
        return str(path.relative_to(self.root)) if path.is_relative_to(self.root) else str(path)

    def setup_cfg(self) -> configparser.ConfigParser:
        """The project's whole setup.cfg, read now (it may have changed since ``load``)."""
        return read_setup_cfg(self.root / CONFIG_FILE)

    def existing_paths(self, key: str) -> list[str]:
        """A list of project paths, each checked: a typo must not silently check nothing."""
        paths = self.get_list(key, ".")
        missing = [path for path in paths if not (self.root / path).exists()]
        if missing:
            raise InputError(f"{CONFIG_FILE} [{SECTION}] {key}: no such path {', '.join(missing)}")
        return list(paths)


def split_list(value: str) -> tuple[str, ...]:
    """``"a, b c"`` -> ``("a", "b", "c")``."""
    return tuple(item for item in value.replace(",", " ").split() if item)


def find_root(start: Path) -> Path:
    """The nearest directory at or above ``start`` whose setup.cfg has a [pipeline] section."""
    for directory in (start, *start.parents):
        candidate = directory / CONFIG_FILE
        if candidate.is_file() and read_setup_cfg(candidate).has_section(SECTION):
            return directory
    raise InputError(f"no {CONFIG_FILE} with a [{SECTION}] section at or above {start}")


def load(start: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Read the configuration of the project containing ``start`` (default: the working dir)."""
    env = os.environ if environ is None else environ
    root = find_root((start or Path.cwd()).resolve())
    settings = dict(read_setup_cfg(root / CONFIG_FILE)[SECTION])
    prefix = "PIPELINE_"
    for name, value in env.items():
        if name.startswith(prefix) and name != "PIPELINE_ROOT":
            settings[name[len(prefix):].lower()] = value
    config = Config(
        root=root,
        stages=split_list(settings.get("stages", "")),
        reports_dir=root / settings.get("reports_dir", "reports"),
        version_file=root / settings.get("version_file", "version.txt"),
        settings=settings,
    )
    if not config.stages:
        raise InputError(f"{CONFIG_FILE} [{SECTION}]: 'stages' lists no stage")
    return config


def read_setup_cfg(path: Path) -> configparser.ConfigParser:
    """``path`` parsed without interpolation; a syntax error is an input error naming it."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error as error:
        raise InputError(f"{path}: {error.message.splitlines()[0]}") from error
    return parser
