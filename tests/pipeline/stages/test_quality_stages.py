"""lint, typecheck and test run the real tools against a sample project."""
import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from pipeline.core import config as config_module
from pipeline.core.errors import InputError
from pipeline.stages.test import fail_under

from tests.pipeline.conftest import SETUP_CFG, run_cli, write


def test_lint_passes_on_clean_code_and_keeps_a_report(project: Path) -> None:
    result = run_cli(project, "lint")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (project / "reports" / "flake8.txt").read_text() == ""


def test_lint_failure_lists_the_problems_and_exits_1(project: Path) -> None:
    write(project, "sample/messy.py", "import os\nx=1\n")
    result = run_cli(project, "lint")
    assert result.returncode == 1
    assert "sample/messy.py:1:1: F401 'os' imported but unused" in result.stdout
    assert result.stderr == ("pipeline: error: flake8 found 2 problem(s), listed in "
                             "reports/flake8.txt\n")
    assert len((project / "reports" / "flake8.txt").read_text().splitlines()) == 2


def test_lint_reports_only_the_problems_of_this_run(project: Path) -> None:
    """flake8 appends to its --output-file: a fixed problem must leave the report and count."""
    write(project, "sample/messy.py", "import os\nx=1\n")
    assert run_cli(project, "lint").returncode == 1
    write(project, "sample/messy.py", "x = 1\n")
    result = run_cli(project, "lint")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (project / "reports" / "flake8.txt").read_text() == ""


@pytest.mark.slow
def test_typecheck_failure_exits_1_with_junit(project: Path) -> None:
    write(project, "sample/wrong.py", "def half(number: int) -> int:\n    return number / 2\n")
    result = run_cli(project, "typecheck")
    assert result.returncode == 1
    assert "sample/wrong.py:2: error: Incompatible return value type" in result.stdout
    assert "Incompatible return value" in (project / "reports" / "mypy.txt").read_text()
    junit = ElementTree.parse(project / "reports" / "mypy-junit.xml").getroot()
    assert junit.get("failures") == "1"


@pytest.mark.slow
def test_typecheck_passes_on_typed_code(project: Path) -> None:
    result = run_cli(project, "typecheck")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_test_stage_writes_junit_cobertura_and_html(project: Path) -> None:
    result = run_cli(project, "test")
    assert result.returncode == 0, result.stdout + result.stderr
    reports = project / "reports"
    junit = ElementTree.parse(reports / "junit.xml").getroot()
    assert junit.find("testsuite").get("tests") == "1"  # type: ignore[union-attr]
    cobertura = ElementTree.parse(reports / "coverage.xml").getroot()
    assert cobertura.tag == "coverage" and cobertura.get("line-rate") == "1"
    assert (reports / "htmlcov" / "index.html").is_file()
    assert "tests: 1 passed, 0 failed, 0 errors, 0 skipped; coverage 100.0%" in result.stdout
    record = json.loads((reports / "pipeline.json").read_text())["stages"][-1]
    assert record["name"] == "test" and record["status"] == "passed"
    assert record["artifacts"] == ["reports/junit.xml", "reports/coverage.xml", "reports/htmlcov",
                                   "reports/coverage.json"]


@pytest.mark.slow
def test_the_tests_do_not_see_the_pipelines_own_settings(project: Path) -> None:
    write(project, "tests/test_environment.py",
          "import os\n\n\ndef test_clean() -> None:\n"
          "    assert [name for name in os.environ if name.startswith('PIPELINE_')] == []\n")
    result = run_cli(project, "test", env={"PIPELINE_IMAGE_NAME": "for-the-build-stage"})
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_failing_test_still_writes_every_report(project: Path) -> None:
    write(project, "tests/test_broken.py", "def test_broken() -> None:\n    assert 1 == 2\n")
    result = run_cli(project, "test")
    assert result.returncode == 1
    assert ("pipeline: error: tests failed (pytest exit code 1): 1 passed, 1 failed"
            in result.stderr)
    for report in ("junit.xml", "coverage.xml", "htmlcov/index.html"):
        assert (project / "reports" / report).exists(), report


@pytest.mark.slow
def test_coverage_below_threshold_fails_the_stage(project: Path) -> None:
    write(project, "sample/untested.py",
          "def add() -> int:\n    x = 1\n    y = 2\n    return x + y\n")
    write(project, "tests/test_untested.py", "import sample.untested  # noqa: F401\n")
    result = run_cli(project, "test", env={"PIPELINE_TEST_ARGS": "-q"})
    assert result.returncode == 1
    assert "is below the threshold 80% (setup.cfg [coverage:report] fail_under)" in result.stderr


def test_coverage_threshold_comes_from_setup_cfg(project: Path) -> None:
    config = config_module.load(project, environ={})
    assert fail_under(config) == 80.0
    write(project, "setup.cfg", SETUP_CFG.replace("fail_under = 80", "fail_under = most"))
    with pytest.raises(InputError, match=r"^setup.cfg \[coverage:report\] fail_under: "):
        fail_under(config)
    write(project, "setup.cfg", SETUP_CFG.replace("fail_under = 80", ""))
    assert fail_under(config) == 0.0


@pytest.mark.slow
def test_coverage_is_measured_without_coverage_settings(project: Path) -> None:
    """A service with no [coverage:run] (devops-test): its coverage is measured all the same."""
    start, end = SETUP_CFG.index("[coverage:run]"), SETUP_CFG.index("[coverage:report]")
    write(project, "setup.cfg", SETUP_CFG[:start] + SETUP_CFG[end:])
    result = run_cli(project, "test")
    assert result.returncode == 0, result.stdout + result.stderr
    covered = json.loads((project / "reports" / "coverage.json").read_text())["files"]
    assert "sample/__init__.py" in covered


def test_lint_writes_and_records_its_report_under_a_custom_reports_dir(project: Path) -> None:
    result = run_cli(project, "lint", env={"PIPELINE_REPORTS_DIR": "build/out"})
    assert result.returncode == 0, result.stderr
    records = json.loads((project / "build" / "out" / "pipeline.json").read_text())["stages"]
    assert records[0]["artifacts"] == ["build/out/flake8.txt"]
    assert not (project / "reports").exists()
