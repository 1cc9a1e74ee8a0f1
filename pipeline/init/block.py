"""The configuration block ``init`` writes, rendered from the schema so it documents every key:
each one under its group, its doc line above it, active when ``init`` has a value for it,
commented out with its default otherwise.

Two spellings of one block: setup.cfg's ``[pipeline]`` (values as the schema writes defaults)
and pyproject.toml's ``[tool.pipeline]`` (TOML values). It is added to the file as text, so the
file's other sections, comments and order stay exactly as they were.
"""
import json
import re
import textwrap
from collections.abc import Mapping

from pipeline.configuration.schema import GROUPS, KEYS, Key
from pipeline.core.config import split_list
from pipeline.core.errors import InputError

WIDTH = 99
HEADER = ("The service's pipeline configuration, written by `pipeline init`: every key, by "
          "group. Active lines are what init detected or was given; a commented line holds "
          "the key's default. Any key can be overridden from the environment as PIPELINE_<KEY>.")


def section(toml: bool) -> str:
    """The block's section header in that file's syntax."""
    return "[tool.pipeline]" if toml else "[pipeline]"


def render(settings: Mapping[str, str], toml: bool) -> str:
    """The whole block; ``settings`` maps the active keys to their setup.cfg text."""
    unknown = sorted(set(settings) - {key.name for key in KEYS})
    if unknown:
        raise InputError(f"not configuration keys: {', '.join(unknown)}")
    lines = [section(toml), *_comment(HEADER)]
    for group, about in GROUPS:
        lines += ["", *_comment(f"{group}: {about}")]
        for key in (key for key in KEYS if key.group == group):
            active = key.name in settings
            value = _value(key, settings[key.name] if active else key.default, toml)
            lines += ["", *_comment(key.doc), ("" if active else "# ") + f"{key.name} = {value}"]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def has_block(text: str, toml: bool) -> bool:
    """Whether ``text`` already holds the block."""
    return _existing(text, toml) is not None


def place(text: str, block: str, toml: bool) -> str:
    """``text`` with ``block`` in place of its existing block, else appended."""
    span = _existing(text, toml)
    if span is None:
        separator = "" if not text else "\n" if text.endswith("\n") else "\n\n"
        return text + separator + block
    start, end = span
    tail = text[end:]
    return text[:start] + block + ("\n" + tail if tail else "")


def _existing(text: str, toml: bool) -> tuple[int, int] | None:
    """Where the block is: from its header to the next section's header (or the end)."""
    header = re.search(rf"^{re.escape(section(toml))}[ \t]*$", text, re.M)
    if header is None:
        return None
    following = re.compile(r"^\[", re.M).search(text, header.end())
    return header.start(), following.start() if following else len(text)


def _comment(text: str) -> list[str]:
    return [f"# {line}" for line in textwrap.wrap(text, WIDTH - 2)]


def _value(key: Key, text: str, toml: bool) -> str:
    """``text`` (setup.cfg's spelling) in the file's syntax."""
    if not toml:
        return text
    if key.kind == "list":
        return json.dumps(list(split_list(text)))
    if key.kind == "int" and text:
        return str(int(text))
    if key.kind == "bool" and text:
        return text.lower()
    return json.dumps(text)
