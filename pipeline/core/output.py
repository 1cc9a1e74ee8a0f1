"""What commands print: how much (quiet, normal, verbose), tables that line up, JSON.

One table printer and one JSON form for every command, so ``run``, ``status`` and the rest read
alike in a terminal and in Jenkins' console, and scripts get the same facts as ``--json``.
"""
import enum
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any


class Verbosity(enum.IntEnum):
    """``-q``: only errors and summaries; ``-v``: also every command a stage runs."""

    QUIET = 0
    NORMAL = 1
    VERBOSE = 2


_current = {"verbosity": Verbosity.NORMAL}


def set_verbosity(verbosity: Verbosity) -> None:
    """Set once by the CLI from ``-q``/``-v``."""
    _current["verbosity"] = verbosity


def verbosity() -> Verbosity:
    """How much this process says."""
    return _current["verbosity"]


def table(columns: Sequence[str], rows: Iterable[Sequence[object]],
          right: Sequence[str] = ()) -> str:
    """A header and one line per row, columns padded to line up; ``right`` columns (numbers)
    are right-aligned. Trailing blanks are stripped."""
    cells = [list(columns), *([str(cell) for cell in row] for row in rows)]
    widths = [max(len(row[index]) for row in cells) for index in range(len(columns))]
    aligned_right = [column in right for column in columns]
    lines = []
    for row in cells:
        padded = [cell.rjust(width) if is_right else cell.ljust(width)
                  for cell, width, is_right in zip(row, widths, aligned_right)]
        lines.append("  ".join(padded).rstrip())
    return "\n".join(lines)


def to_json(data: object) -> str:
    """``data`` as indented JSON; dataclasses, enums and paths as their plain values."""
    return json.dumps(data, indent=2, default=_plain) + "\n"


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
