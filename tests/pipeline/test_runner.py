"""``pipeline run``: order, stopping, --keep-going, summary, --json, -q/-v and records."""
import json
from pathlib import Path

import pytest

from pipeline.core.reports import StageRecord, Status, summary_table

from tests.pipeline.conftest import run_cli, write


def records(project: Path) -> list[tuple[str, str]]:
    data = json.loads((project / "reports" / "pipeline.json").read_text())
    return [(stage["name"], stage["status"]) for stage in data["stages"]]


def test_summary_table_lines_up() -> None:
    table = summary_table([StageRecord("lint", Status.PASSED, 1.25),
                           StageRecord("typecheck", Status.FAILED, 10.0),
                           StageRecord("version", Status.SKIPPED, 0.0)])
    assert table.splitlines() == [
        "stage      status   seconds",
        "lint       passed       1.2",
        "typecheck  failed      10.0",
        "version    skipped      0.0",
        "total                  11.2",
    ]


def test_run_stops_at_the_first_failure(project: Path) -> None:
    write(project, "sample/messy.py", "import os\n")
    result = run_cli(project, "run", "--stages", "lint,version")
    assert result.returncode == 1
    assert records(project) == [("lint", "failed"), ("version", "skipped")]
    assert (project / "version.txt").read_text() == "1.4.2+build.7\n"
    assert result.stderr.startswith("pipeline: error: pipeline failed at lint: flake8 found 1")
    assert "version  skipped" in result.stdout
    assert "sample/messy.py:1:1: F401" in result.stdout


def test_a_failed_stage_records_its_exit_code_and_error(project: Path) -> None:
    (project / "version.txt").write_text("not a version\n")
    result = run_cli(project, "run", "--stages", "version")
    assert result.returncode == 2
    record = json.loads((project / "reports" / "pipeline.json").read_text())["stages"][0]
    assert (record["status"], record["exit_code"]) == ("failed", 2)
    assert record["error"].startswith("version.txt: malformed version 'not a version'")


@pytest.mark.slow
def test_keep_going_runs_the_rest_and_still_fails(project: Path) -> None:
    write(project, "sample/messy.py", "import os\n")
    result = run_cli(project, "run", "--stages", "lint,version", "--keep-going")
    assert result.returncode == 1
    assert records(project) == [("lint", "failed"), ("version", "passed")]
    assert (project / "version.txt").read_text() == "1.4.2+build.8\n"


@pytest.mark.slow
def test_run_plays_configured_stages_in_order(project: Path) -> None:
    result = run_cli(project, "run", env={"PIPELINE_STAGES": "typecheck, lint, version"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert records(project) == [("typecheck", "passed"), ("lint", "passed"),
                                ("version", "passed")]
    banners = [line for line in result.stdout.splitlines() if line.startswith("==> ")]
    assert [banner.split()[2] for banner in banners] == ["typecheck:", "lint:", "version:"]


def test_unknown_stage_is_refused_before_anything_runs(project: Path) -> None:
    result = run_cli(project, "run", "--stages", "version,deploy-moon")
    assert result.returncode == 2
    assert result.stderr.startswith("pipeline: error: unknown stage deploy-moon (known: ")
    assert (project / "version.txt").read_text() == "1.4.2+build.7\n"
    assert not (project / "reports" / "pipeline.json").exists()


@pytest.mark.parametrize("given", ["", " , "])
def test_an_empty_stage_list_is_refused_not_read_as_every_stage(
        project: Path, given: str) -> None:
    result = run_cli(project, "run", "--stages", given)
    assert result.returncode == 2
    assert result.stderr.startswith("pipeline: error: no stage named (known: ")
    assert (project / "version.txt").read_text() == "1.4.2+build.7\n"
    assert not (project / "reports" / "pipeline.json").exists()


def test_json_is_the_stage_table_on_stdout_and_stage_output_goes_to_stderr(
        project: Path) -> None:
    write(project, "sample/messy.py", "import os\n")
    result = run_cli(project, "run", "--json", "--stages", "lint,version")
    assert result.returncode == 1
    table = json.loads(result.stdout)
    assert table["status"] == "failed"
    assert [(stage["name"], stage["status"], stage["exit_code"]) for stage in table["stages"]] \
        == [("lint", "failed", 1), ("version", "skipped", 0)]
    assert table["seconds"] == pytest.approx(sum(stage["seconds"] for stage in table["stages"]))
    assert "sample/messy.py:1:1: F401" in result.stderr


def test_quiet_says_only_errors_and_the_summary(project: Path) -> None:
    write(project, "sample/messy.py", "import os\n")
    result = run_cli(project, "-q", "run", "--stages", "lint,version")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[:3] == [
        "pipeline: lint failed: flake8 found 1 problem(s), listed in reports/flake8.txt "
        "(its output: reports/console/lint.log)",
        "",
        "stage    status   seconds"]
    assert [line.split()[:2] for line in lines[3:-1]] == [
        ["lint", "failed"], ["version", "skipped"]]
    assert lines[-1].startswith("total")
    log = (project / "reports" / "console" / "lint.log").read_text()
    assert "sample/messy.py:1:1: F401 'os' imported but unused" in log


def test_verbose_echoes_each_command(project: Path) -> None:
    result = run_cli(project, "-v", "run", "--stages", "lint")
    assert result.returncode == 0, result.stdout + result.stderr
    echoed = [line for line in result.stdout.splitlines() if line.startswith("+ ")]
    assert len(echoed) == 1 and " -m flake8 --tee " in echoed[0]
