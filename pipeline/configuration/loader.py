"""Reading a repository's configuration and validating it against the schema.

The configuration is ``[tool.pipeline]`` in pyproject.toml or, for repositories without one,
``[pipeline]`` in setup.cfg; both at once is an error, since one of them would be silently
ignored. So are an unknown key and an unknown ``PIPELINE_*`` variable (a typo would otherwise
leave its default in force without a word), and a value of the wrong kind: each is one line
naming where, with the closest valid name when there is one.
"""
import configparser
import difflib
import re
import tomllib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pipeline.configuration.schema import BY_NAME, ENV_PREFIX, INTERNAL_VARIABLES, KEYS, Key
from pipeline.core.errors import InputError

SETUP_CFG, SETUP_CFG_SECTION = "setup.cfg", "pipeline"
PYPROJECT, PYPROJECT_TABLE = "pyproject.toml", "tool.pipeline"

Value = str | int | bool | tuple[str, ...] | Path | None
Source = Literal["default", "file", "environment"]

_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")
_NOT_IN_IMAGE_NAME = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class ConfigFile:
    """The file holding the configuration, and its table: ``setup.cfg [pipeline]``."""

    path: Path
    table: str

    def __str__(self) -> str:
        return f"{self.path.name} [{self.table}]"


@dataclass(frozen=True)
class Setting:
    """One key's resolved value, and where it came from (``where``: the file or variable)."""

    key: Key
    value: Value
    source: Source
    where: str


def find_root(start: Path) -> Path:
    """The nearest directory at or above ``start`` that configures the pipeline."""
    for directory in (start, *start.parents):
        if _candidates(directory):
            return directory
    raise InputError(f"no {PYPROJECT} with a [{PYPROJECT_TABLE}] table nor {SETUP_CFG} with a "
                     f"[{SETUP_CFG_SECTION}] section at or above {start}")


def config_file(root: Path) -> ConfigFile:
    """The one file of ``root`` that configures the pipeline."""
    found = _candidates(root)
    if len(found) > 1:
        raise InputError(f"both {found[0]} and {found[1]} configure the pipeline: keep one")
    if not found:
        raise InputError(f"{root}: no {PYPROJECT} [{PYPROJECT_TABLE}] nor "
                         f"{SETUP_CFG} [{SETUP_CFG_SECTION}]")
    return found[0]


def read(root: Path, environ: Mapping[str, str]) -> dict[str, Setting]:
    """Every key of the schema, resolved: the environment over the file over the default."""
    source = config_file(root)
    table = _read_table(source)
    for name in table:
        if name not in BY_NAME:
            raise InputError(f"{source}: unknown key {name!r}{suggestion(name, BY_NAME, repr)}")
    variables = {key.variable for key in KEYS} | {var.name for var in INTERNAL_VARIABLES}
    for name in sorted(environ):
        if name.startswith(ENV_PREFIX) and name not in variables:
            raise InputError(f"unknown variable {name}{suggestion(name, variables, str)}")
    settings = {}
    for key in KEYS:
        raw: Any
        origin: Source
        if key.variable in environ:
            raw, origin, where = environ[key.variable], "environment", key.variable
        elif key.name in table:
            raw, origin, where = table[key.name], "file", f"{source} {key.name}"
        else:
            raw, origin, where = key.default, "default", "default"
        value = _convert(key, raw, root, where)
        if key.name == "image_name" and not value:
            value, origin, where = image_name_of(root), "default", "default"
        settings[key.name] = Setting(key, value, origin,
                                     source.path.name if origin == "file" else where)
    return settings


def image_name_of(root: Path) -> str:
    """The image name a repository gets by default: its folder's name as Docker accepts it."""
    return _NOT_IN_IMAGE_NAME.sub("-", root.name.lower()).strip("-") or "service"


def split_list(text: str) -> tuple[str, ...]:
    """A list as written in setup.cfg: one item per line when it spans lines (so an item may
    hold commas, as ``foo>=1,<2``), else comma- or space-separated."""
    lines = [line.strip() for line in text.strip().splitlines()]
    if len(lines) > 1:
        return tuple(line for line in lines if line)
    return tuple(item for item in text.replace(",", " ").split() if item)


def read_setup_cfg(path: Path) -> configparser.ConfigParser:
    """``path`` parsed without interpolation; a syntax error is an input error naming it."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error as error:
        raise InputError(f"{path}: {error.message.splitlines()[0]}") from error
    return parser


def _candidates(directory: Path) -> list[ConfigFile]:
    found = []
    if _pyproject_table(directory / PYPROJECT) is not None:
        found.append(ConfigFile(directory / PYPROJECT, PYPROJECT_TABLE))
    setup_cfg = directory / SETUP_CFG
    if setup_cfg.is_file() and read_setup_cfg(setup_cfg).has_section(SETUP_CFG_SECTION):
        found.append(ConfigFile(setup_cfg, SETUP_CFG_SECTION))
    return found


def _pyproject_table(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{path}: {error}") from error
    table = data.get("tool", {}).get("pipeline")
    if table is not None and not isinstance(table, dict):
        raise InputError(f"{path}: [{PYPROJECT_TABLE}] is not a table")
    return table


def _read_table(source: ConfigFile) -> Mapping[str, Any]:
    if source.path.name == PYPROJECT:
        return _pyproject_table(source.path) or {}
    return dict(read_setup_cfg(source.path)[SETUP_CFG_SECTION])


def _convert(key: Key, raw: Any, root: Path, where: str) -> Value:
    """``raw`` (text, or a TOML value) as the key's kind; anything else is one line."""
    if key.kind == "list":
        if isinstance(raw, list) and all(isinstance(item, str) for item in raw):
            return tuple(raw)
        return split_list(_text(raw, where, "a list of strings"))
    if key.kind == "int":
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        text = _text(raw, where, "an integer").strip()
        if not re.fullmatch(r"[+-]?[0-9]+", text):
            raise InputError(f"{where}: expected an integer, got {text!r}")
        return int(text)
    if key.kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = _text(raw, where, "true or false").strip().lower()
        if text not in _TRUE + _FALSE:
            raise InputError(f"{where}: expected true or false, got {text!r}")
        return text in _TRUE
    text = _text(raw, where, "a string").strip()
    if key.kind == "path":
        if not text and key.default:
            raise InputError(f"{where}: empty (default {key.default})")
        return root / text if text else None
    return text


def _text(raw: Any, where: str, expected: str) -> str:
    if not isinstance(raw, str):
        raise InputError(f"{where}: expected {expected}, got {raw!r}")
    return raw


def suggestion(name: str, valid: Collection[str], quote: Callable[[str], str]) -> str:
    """`` (did you mean ...?)`` with the closest valid name, or nothing when none is close."""
    close = difflib.get_close_matches(name, sorted(valid), n=1)
    return f" (did you mean {quote(close[0])}?)" if close else ""
