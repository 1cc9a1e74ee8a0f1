"""Reading the JSON files the playbooks write into ``report_dir``, field by field, types checked.

The playbooks and this library ship together: a report without a field, or with a field of
another type, is a mismatch between the two, a bug to see at once in one line naming the
playbook, the file, the field and what it held, not as a KeyError three calls later.
"""
from typing import Any

from pipeline.core.errors import PipelineError

# What each accepted Python type reads as in an error.
_EXPECTED = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
             dict: "an object", list: "a list"}


class ReportMismatch(PipelineError):
    """A playbook wrote a report this library cannot read: the two do not match."""

    exit_code = 1


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class Fields:
    """One JSON object of a report: which playbook wrote it, in which file, at which path."""

    def __init__(self, playbook: str, file: str, data: object, path: str = "") -> None:
        self.playbook, self.file, self.path = playbook, file, path
        if data is None and not path:
            raise ReportMismatch(f"{playbook} wrote no {file}: the playbook and the library "
                                 "do not match")
        if not isinstance(data, dict):
            raise self._mismatch(f"{path or 'its content'} = {_shown(data)} (expected an "
                                 "object)")
        self.data: dict[str, Any] = data

    def _mismatch(self, problem: str) -> ReportMismatch:
        return ReportMismatch(f"{self.playbook} wrote {self.file} with {problem}: the playbook "
                              "and the library do not match")

    def _field(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def _get(self, name: str, *kinds: type, optional: bool = False) -> Any:
        names = ["a number"] if float in kinds else [_EXPECTED[kind] for kind in kinds]
        expected = " or ".join(names + ["null"] * optional)
        if name not in self.data:
            raise self._mismatch(f"no field {self._field(name)} (expected {expected})")
        value = self.data[name]
        if value is None and optional:
            return None
        # bool is an int to Python, never to the reports.
        if isinstance(value, kinds) and (bool in kinds or not isinstance(value, bool)):
            return value
        raise self._mismatch(f"{self._field(name)} = {_shown(value)} (expected {expected})")

    def text(self, name: str) -> str:
        """The string field ``name``."""
        return str(self._get(name, str))

    def answer(self, name: str) -> str:
        """The field ``name`` as text: a string, a number as written, null as "" (what a
        service answers, of a type of its own)."""
        value = self._get(name, str, int, optional=True)
        return "" if value is None else str(value)

    def integer(self, name: str) -> int:
        """The integer field ``name``."""
        return int(self._get(name, int))

    def optional_integer(self, name: str) -> int | None:
        """The integer field ``name``, which may be null."""
        value = self._get(name, int, optional=True)
        return None if value is None else int(value)

    def number(self, name: str) -> float:
        """The number field ``name``, kept as written (an integer stays one)."""
        value: float = self._get(name, int, float)
        return value

    def flag(self, name: str) -> bool:
        """The boolean field ``name``."""
        return bool(self._get(name, bool))

    def child(self, name: str) -> "Fields":
        """The object field ``name``."""
        return Fields(self.playbook, self.file, self._get(name, dict), self._field(name))

    def optional_child(self, name: str) -> "Fields | None":
        """The object field ``name``, which may be null."""
        value = self._get(name, dict, optional=True)
        return None if value is None else Fields(self.playbook, self.file, value,
                                                 self._field(name))

    def children(self, name: str) -> list["Fields"]:
        """The list field ``name``, of objects."""
        return self._objects(name, self._get(name, list))

    def optional_children(self, name: str) -> list["Fields"] | None:
        """The list field ``name``, of objects, which may be null."""
        value = self._get(name, list, optional=True)
        return None if value is None else self._objects(name, value)

    def _objects(self, name: str, items: list[object]) -> list["Fields"]:
        return [Fields(self.playbook, self.file, item, f"{self._field(name)}[{index}]")
                for index, item in enumerate(items)]

    def integers(self, name: str) -> tuple[int, ...]:
        """The list field ``name``, of integers."""
        items = self._get(name, list)
        if not all(isinstance(item, int) and not isinstance(item, bool) for item in items):
            raise self._mismatch(f"{self._field(name)} = {_shown(items)} (expected a list of "
                                 "integers)")
        return tuple(items)

    def scalars(self, *kinds: type) -> dict[str, Any]:
        """This whole object, whose values must all be of ``kinds``."""
        return {name: self._get(name, *kinds) for name in self.data}
