"""The library's templates (package data under ``pipeline/templates``), filled in.

A placeholder is ``<<name>>``: neither Groovy nor YAML nor Jinja uses that spelling, so the
templates keep their own ``${...}`` and ``{{ ... }}`` untouched. A placeholder alone on its line
with an empty value removes the line: a template can hold a line only some services get.
"""
import importlib.resources
import re
from collections.abc import Mapping

PLACEHOLDER = re.compile(r"<<(?P<name>\w+)>>")
PACKAGE = "pipeline"
FOLDER = "templates"


def read(name: str) -> str:
    """The template ``name`` (a path under pipeline/templates), as shipped."""
    resource = importlib.resources.files(PACKAGE).joinpath(FOLDER, *name.split("/"))
    return resource.read_text(encoding="utf-8")


def fill(name: str, values: Mapping[str, str]) -> str:
    """The template with every placeholder replaced; a missing value is a bug."""
    text = read(name)
    missing = set(PLACEHOLDER.findall(text)) - set(values)
    if missing:
        raise ValueError(f"template {name}: no value for {', '.join(sorted(missing))}")
    lines = []
    for line in text.splitlines(keepends=True):
        alone = PLACEHOLDER.fullmatch(line.strip())
        if alone and not values[alone["name"]]:
            continue
        lines.append(PLACEHOLDER.sub(lambda match: values[match["name"]], line))
    return "".join(lines)


def comment_out(text: str, note: str) -> str:
    """``text`` as an example: ``note`` first, then every line commented out."""
    return f"# {note}\n" + "".join(f"# {line}" if line.strip() else line
                                   for line in text.splitlines(keepends=True))
