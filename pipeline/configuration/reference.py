"""The configuration's table as docs/reference.md shows it, rendered from the schema, so the
documentation cannot drift from the keys (a test compares them).

``python -m pipeline.configuration.reference`` prints it, to paste after changing a key.
"""
from pipeline.configuration.schema import GROUPS, INTERNAL_VARIABLES, KEYS


def keys_table() -> str:
    """Every key by group: kind, default, meaning (Markdown)."""
    lines = ["| key | kind | default | meaning |", "|-----|------|---------|---------|"]
    for group, about in GROUPS:
        lines.append(f"| **{group}** | | | {about} |")
        lines += [f"| `{key.name}` | {key.kind} | {_code(key.default)} | {_escape(key.doc)} |"
                  for key in KEYS if key.group == group]
    return "\n".join(lines) + "\n"


def variables_table() -> str:
    """The ``PIPELINE_*`` variables that are not key overrides (Markdown)."""
    lines = ["| variable | meaning |", "|----------|---------|"]
    lines += [f"| `{variable.name}` | {_escape(variable.doc)} |"
              for variable in INTERNAL_VARIABLES]
    return "\n".join(lines) + "\n"


def _code(text: str) -> str:
    """A default as plain text: in code spans, ``pipeline/python:3.11-bookworm`` would read as
    a path of this repository to the docs' checks."""
    return _escape(text) if text else "(empty)"


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


if __name__ == "__main__":
    print(keys_table() + "\n" + variables_table(), end="")
