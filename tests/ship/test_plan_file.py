"""``deploy --plan --json-file FILE``: the text plan printed and the JSON plan written, at once."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.ship.plan import Plan, plan_lines, print_plan

REPO_ROOT = Path(__file__).resolve().parents[2]
PLAN = {"build": 7, "image": "r/v:7", "image_from": {"app-1": "r/v:6"},
        "migrations": {"current": "a1", "target": "a1", "pending": []}}


def test_the_text_is_printed_and_the_json_written(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "reports" / "plan.json"
    plan = Plan.from_report({"plan": PLAN})
    print_plan(plan, as_json=False, json_file=target)
    assert capsys.readouterr().out == "\n".join(plan_lines(plan)) + "\n"
    assert json.loads(target.read_text(encoding="utf-8")) == PLAN
    assert [path.name for path in target.parent.iterdir()] == ["plan.json"]


def test_without_a_file_nothing_is_written(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    print_plan(Plan.from_report({"plan": PLAN}), as_json=True)
    assert json.loads(capsys.readouterr().out) == PLAN
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("option", [["--json"], ["--json-file", "plan.json"]])
def test_the_plan_options_need_plan(option: list[str]) -> None:
    result = subprocess.run([sys.executable, "-m", "pipeline", "deploy", "local", *option],
                            cwd=REPO_ROOT, text=True, capture_output=True, check=False,
                            timeout=60)
    assert result.returncode == 2
    assert result.stderr == f"pipeline: error: {option[0]} goes with --plan\n"
    assert not (REPO_ROOT / "plan.json").exists()
