"""The one table printer and the one JSON form."""
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.core.output import table, to_json
from pipeline.core.reports import Status


def test_table_pads_columns_and_right_aligns_numbers() -> None:
    text = table(("host", "build", "state"), [("web-1", 12, "ok"), ("db", 7, "")],
                 right=("build",))
    assert text.splitlines() == ["host   build  state",
                                 "web-1     12  ok",
                                 "db         7"]


def test_table_of_no_rows_is_its_header() -> None:
    assert table(("a", "bb"), []) == "a  bb"


@dataclass
class Row:
    name: str
    status: Status
    where: Path


def test_json_gives_plain_values_of_dataclasses_enums_and_paths() -> None:
    text = to_json({"rows": [Row("lint", Status.FAILED, Path("reports/x"))]})
    assert json.loads(text) == {"rows": [{"name": "lint", "status": "failed",
                                          "where": "reports/x"}]}


def test_json_refuses_what_it_cannot_say() -> None:
    with pytest.raises(TypeError, match="object is not JSON serializable"):
        to_json(object())
