"""``deploy --plan --json-file FILE``: the text plan printed and the JSON plan written, at once."""
import json
import os
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
    assert list(tmp_path.glob("*.log")) == []


@pytest.mark.parametrize("option", [["--json"], ["--json-file", "plan.json"]])
def test_the_plan_options_need_plan(option: list[str]) -> None:
    result = subprocess.run([sys.executable, "-m", "pipeline", "deploy", "local", *option],
                            cwd=REPO_ROOT, text=True, capture_output=True, check=False,
                            timeout=60)
    assert result.returncode == 2
    assert result.stderr == f"pipeline: error: {option[0]} goes with --plan\n"
    assert not (REPO_ROOT / "plan.json").exists()


@pytest.mark.parametrize(("args", "error"), [
    (["deploy", "local", "--plan", "--json-file", "setup.cfg/plan.json"],
     "--json-file setup.cfg/plan.json: cannot write a file there"),
    (["deploy", "local", "--plan", "--json-file", "tests"],
     "--json-file tests: cannot write a file there"),
    (["rollback", "local", "--to", "-1"], "--to -1: a build number is 1 or more"),
    (["restore", "local", "--yes", "--backup", "../etc/passwd"],
     "--backup '../etc/passwd' is not a backup's file name (DATABASE-TIME-LABEL.dump, no "
     "folder)"),
    (["restore", "local", "--yes", "--backup", "nosuch"],
     "--backup 'nosuch' is not a backup's file name (DATABASE-TIME-LABEL.dump, no folder)"),
])
def test_bad_options_are_refused_before_any_host_is_asked(args: list[str], error: str,
                                                          tmp_path: Path) -> None:
    """One line, exit 2, and no playbook ran (it would have left its log in the reports)."""
    result = subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=REPO_ROOT,
                            env={**os.environ, "PIPELINE_REPORTS_DIR": str(tmp_path)},
                            text=True, capture_output=True, check=False, timeout=60)
    assert (result.returncode, result.stderr) == (2, f"pipeline: error: {error}\n")
    assert list(tmp_path.glob("*.log")) == []
