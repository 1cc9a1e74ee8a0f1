"""``pipeline run``: order, stopping, --keep-going, summary and records."""
import json
from pathlib import Path

import pytest

from pipeline.runner import Outcome, summary_table

from .conftest import run_cli, write


def records(project: Path) -> list[tuple[str, str]]:
    data = json.loads((project / "reports" / "pipeline.json").read_text())
    return [(stage["name"], stage["status"]) for stage in data["stages"]]


def test_summary_table_lines_up() -> None:
    table = summary_table([Outcome("lint", "passed", 1.25), Outcome("typecheck", "failed", 10.0),
                           Outcome("version", "skipped", 0.0)])
    assert table.splitlines()[1:] == [
        "stage      status    seconds",
        "---------  -------  --------",
        "lint       passed        1.2",
        "typecheck  failed       10.0",
        "version    skipped       0.0",
        "total                   11.2",
    ]


def test_run_stops_at_the_first_failure(project: Path) -> None:
    write(project, "sample/messy.py", "import os\n")
    result = run_cli(project, "run", "--stages", "lint,version")
    assert result.returncode == 1
    assert records(project) == [("lint", "failed"), ("version", "skipped")]
    assert (project / "version.txt").read_text() == "1.4.2+build.7\n"
    assert result.stderr.startswith("pipeline: error: pipeline failed at lint: flake8 found 1")
    assert "version  skipped" in result.stdout


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
    assert result.stderr.startswith("pipeline: error: unknown stage deploy-moon (known: lint")
    assert (project / "version.txt").read_text() == "1.4.2+build.7\n"
    assert not (project / "reports" / "pipeline.json").exists()
