"""The one typed configuration every stage reads.

Built once from the repository's configuration (``[tool.pipeline]`` in pyproject.toml or
``[pipeline]`` in setup.cfg) and ``PIPELINE_<KEY>`` overrides from the environment, which is how
Jenkins parameters reach a stage; validated against ``pipeline.configuration.schema`` by
``pipeline.configuration.loader``. Stages read a key through the accessor of its kind
(``text``, ``number``, ``flag``, ``items``, ``path``), so a wrong name or kind is a bug caught
at once, not a silent default. Other setup.cfg sections (``[coverage:report]``,
``[options.extras_require]``) are read through :func:`read_setup_cfg` too, so a malformed file
is the same one-line error everywhere.
"""
import configparser
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, TypeVar

from pipeline.configuration import loader
from pipeline.configuration.loader import ConfigFile, Setting, Value, find_root, read_setup_cfg
from pipeline.configuration.schema import ENV_PREFIX, INTERNAL_VARIABLES
from pipeline.core.errors import InputError

__all__ = ["Config", "find_root", "load", "read_setup_cfg", "split_list"]

split_list = loader.split_list
# setup.cfg, whose other sections some stages read (coverage, extras); not necessarily the file
# holding the configuration (``Config.source``).
CONFIG_FILE = loader.SETUP_CFG
SECTION = loader.SETUP_CFG_SECTION
_T = TypeVar("_T")


@dataclass(frozen=True)
class Config:
    """Every key of the schema, resolved; paths are absolute."""

    root: Path
    source: ConfigFile
    settings: Mapping[str, Setting]
    internal: Mapping[str, str]

    @property
    def stages(self) -> tuple[str, ...]:
        """The stages ``pipeline run`` plays."""
        return self.items("stages")

    @property
    def reports_dir(self) -> Path:
        """Where every stage writes its reports."""
        return self.path("reports_dir")

    @property
    def version_file(self) -> Path:
        """The file holding the version."""
        return self.path("version_file")

    def value(self, key: str) -> Value:
        """A key's typed value; a key the schema does not have is a bug."""
        return self.settings[key].value

    def text(self, key: str) -> str:
        """A ``str`` key."""
        return self._typed(key, str)

    def number(self, key: str) -> int:
        """An ``int`` key."""
        return self._typed(key, int)

    def flag(self, key: str) -> bool:
        """A ``bool`` key."""
        return self._typed(key, bool)

    def items(self, key: str) -> tuple[str, ...]:
        """A ``list`` key."""
        return self._typed(key, tuple)

    def path(self, key: str) -> Path:
        """A ``path`` key that must be set; empty is an input error naming it."""
        path = self.optional_path(key)
        if path is None:
            raise InputError(f"{self.where(key)}: empty; set a path")
        return path

    def optional_path(self, key: str) -> Path | None:
        """A ``path`` key whose empty value means something (``None``)."""
        value = self.settings[key].value
        return None if value is None else self._typed(key, Path)

    def get(self, key: str, default: str | None = None) -> str:
        """A key's text when the file or the environment sets it, else ``default`` when given,
        else the schema's default; for ``approved_by`` and the like, the internal variable
        ``PIPELINE_<KEY>``. Kept for callers that predate the typed accessors."""
        if f"{ENV_PREFIX}{key.upper()}" in _INTERNAL:
            return self.internal.get(key, default or "")
        setting = self.settings[key]
        if setting.source == "default" and default is not None:
            return default
        value = setting.value
        if isinstance(value, tuple):
            return "\n".join(value)
        if isinstance(value, bool):
            return str(value).lower()
        return "" if value is None else str(value)

    def where(self, key: str) -> str:
        """Where a key's value was set, as an error names it: ``PIPELINE_PORT`` when the
        environment set it, else ``setup.cfg [pipeline] port`` (or pyproject.toml's)."""
        setting = self.settings[key]
        return setting.where if setting.source == "environment" else f"{self.source} {key}"

    def matching(self, key: str, pattern: re.Pattern[str], expected: str = "",
                 optional: bool = False) -> str:
        """A ``str`` key whose whole value matches ``pattern`` (or is empty, when ``optional``);
        anything else is one InputError naming the key and, when given, what was ``expected``."""
        value = self.text(key)
        if (optional and not value) or pattern.fullmatch(value):
            return value
        reason = f"{value!r} is not {expected}" if expected else f"invalid value {value!r}"
        raise InputError(f"{self.where(key)}: {reason}")

    def display(self, path: Path) -> str:
        """A path as people read it: relative to the project when inside it, else absolute."""
        return str(path.relative_to(self.root)) if path.is_relative_to(self.root) else str(path)

    def setup_cfg(self) -> configparser.ConfigParser:
        """The project's whole setup.cfg, read now (it may have changed since ``load``)."""
        return read_setup_cfg(self.root / CONFIG_FILE)

    def existing_paths(self, key: str) -> list[str]:
        """A list of project paths, each checked: a typo must not silently check nothing."""
        paths = self.items(key)
        missing = [path for path in paths if not (self.root / path).exists()]
        if missing:
            raise InputError(f"{self.where(key)}: no such path {', '.join(missing)}")
        return list(paths)

    def _typed(self, key: str, kind: type[_T]) -> _T:
        value = self.settings[key].value
        if not isinstance(value, kind):
            raise TypeError(f"{key} is a {self.settings[key].key.kind} key, not {kind.__name__}")
        return value


_INTERNAL = {variable.name for variable in INTERNAL_VARIABLES}


def load(start: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Read the configuration of the project containing ``start`` (default: the working dir)."""
    env = os.environ if environ is None else environ
    root = find_root((start or Path.cwd()).resolve())
    config = Config(root=root, source=loader.config_file(root),
                    settings=loader.read(root, env),
                    internal={name[len(ENV_PREFIX):].lower(): env[name]
                              for name in _INTERNAL if name in env})
    if not config.stages:
        raise InputError(f"{config.settings['stages'].where}: 'stages' lists no stage")
    return config
