"""The test stage: pytest under coverage, leaving the reports Jenkins publishes.

JUnit XML for the test results, Cobertura XML for the Coverage plugin, HTML for people. The
reports are written even when tests fail, because that is when they are needed most. Which
tests run is setup.cfg's ``[pipeline] test_args``: the gate of the delivered service, not
necessarily the whole suite (``make test`` runs that). The tools run in the environment
``pipeline.core.toolenv`` gives: the library's own, or one built from the service's
``test_requirements`` (pytest-django and the like). Coverage's settings are where coverage
itself looks: .coveragerc, setup.cfg, tox.ini or pyproject.toml.
"""
import json
import os
import shlex
import tomllib
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from pipeline.core import proc, toolenv
from pipeline.core.config import Config, read_setup_cfg
from pipeline.core.errors import InputError, StageFailed
from pipeline.stages.registry import Stage, register

JUNIT = "junit.xml"
COVERAGE_XML = "coverage.xml"
HTML_DIR = "htmlcov"
COVERAGE_JSON = "coverage.json"
# `coverage report` exits with 2 when the total is under fail_under.
COVERAGE_BELOW_THRESHOLD = 2
# Where coverage finds its settings, in the order it looks, and the section of fail_under:
# .coveragerc is its own whatever it holds; the others count when they have a section of it.
COVERAGE_FILES = ((".coveragerc", "report"), ("setup.cfg", "coverage:report"),
                  ("tox.ini", "coverage:report"), ("pyproject.toml", "tool.coverage.report"))


@dataclass(frozen=True)
class TestCounts:
    """What the JUnit report says ran."""

    tests: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0

    @property
    def passed(self) -> int:
        return self.tests - self.failures - self.errors - self.skipped

    def __str__(self) -> str:
        return (f"{self.passed} passed, {self.failures} failed, {self.errors} errors, "
                f"{self.skipped} skipped")


def read_junit(path: Path) -> TestCounts:
    """Sum the counts of every test suite in a JUnit XML file."""
    root = ElementTree.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in suites:
        for key in total:
            total[key] += int(suite.get(key, "0"))
    return TestCounts(**total)


def run_tests(config: Config) -> None:
    """Run the suite under coverage, write the reports, then judge tests and coverage."""
    reports = config.reports_dir
    reports.mkdir(parents=True, exist_ok=True)
    junit = reports / JUNIT
    junit.unlink(missing_ok=True)
    python = toolenv.python(config)
    _coverage(config, python, "erase")
    pytest_args = shlex.split(config.text("test_args"))
    # Each process writes its own data file, which `combine` gathers: also when the service's
    # own coverage settings do not ask for it.
    code = _coverage(config, python, "run", "--parallel-mode", "-m", "pytest",
                     f"--junitxml={junit}", *pytest_args, inherit=tests_environ())
    measured = _write_coverage_reports(config, python)
    counts = read_junit(junit) if junit.exists() else None
    threshold = fail_under(config)
    total, below_threshold = measured or (0.0, True)
    print(f"tests: {counts or 'no JUnit report'}; "
          f"coverage {f'{total:.1f}%' if measured else 'not measured'} "
          f"(threshold {threshold:g}%); reports in {config.display(reports)}/")
    if code != 0:
        raise StageFailed(f"tests failed (pytest exit code {code}): {counts or 'no report'}")
    if measured is None:
        raise StageFailed("coverage collected no data: no test ran code of the repository")
    if below_threshold:
        name, section = coverage_settings(config.root) or COVERAGE_FILES[1]
        raise StageFailed(f"coverage {total:.1f}% is below the threshold {threshold:g}% "
                          f"({name} [{section}] fail_under)")


def coverage_settings(root: Path) -> tuple[str, str] | None:
    """The file coverage reads its settings from, and its fail_under section; None: none."""
    for name, section in COVERAGE_FILES:
        path = root / name
        if not path.is_file():
            continue
        if name == ".coveragerc":
            return name, section
        if name == "pyproject.toml":
            if "coverage" in _pyproject(path).get("tool", {}):
                return name, section
        elif any(found.startswith("coverage:") for found in read_setup_cfg(path).sections()):
            return name, section
    return None


def fail_under(config: Config) -> float:
    """The threshold in coverage's settings (``[coverage:report] fail_under`` of setup.cfg and
    the like); 0 when unset."""
    settings = coverage_settings(config.root)
    if settings is None:
        return 0.0
    name, section = settings
    path = config.root / name
    if name == "pyproject.toml":
        value = _pyproject(path)["tool"]["coverage"].get("report", {}).get("fail_under", 0)
    else:
        value = read_setup_cfg(path).get(section, "fail_under", fallback="0")
    try:
        return float(value)
    except (TypeError, ValueError) as error:
        raise InputError(f"{name} [{section}] fail_under: {error}") from error


def _pyproject(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{path.name}: {error}") from error


def tests_environ() -> dict[str, str]:
    """The environment the tests run in: this one without ``PIPELINE_*``, which set the
    pipeline's stages (an image name, an environment to deploy to), never the tests' input."""
    return {name: value for name, value in os.environ.items() if not name.startswith("PIPELINE_")}


def _coverage(config: Config, python: str | None, command: str, *args: str,
              inherit: Mapping[str, str] | None = None) -> int:
    """Run one coverage command on the project's data, however deep the process tree goes.

    Coverage runs as a tool, never through its API in this process: a second Coverage object
    in a process that is itself measured (as in this project's own tests) loses that data.
    """
    settings = coverage_settings(config.root)
    # Named in full: coverage takes a bare ".coveragerc" to mean "search" (COVERAGE_RCFILE first).
    rcfile = [f"--rcfile={config.root / settings[0]}"] if settings else []
    tool = proc.python_tool("coverage", command, *rcfile, *args, python=python)
    return proc.run(tool, cwd=config.root, env={"COVERAGE_FILE": str(config.root / ".coverage")},
                    inherit=inherit)


def _write_coverage_reports(config: Config, python: str | None) -> tuple[float, bool] | None:
    """Combine every process's data, write the reports; the total and whether it is too low
    (None: there was no data to report on)."""
    if _coverage(config, python, "combine", "-q") != 0:
        return None
    reports = config.reports_dir
    # Only `coverage report` judges the threshold; the others would each say it again.
    _coverage(config, python, "xml", "-q", "--fail-under=0", "-o", str(reports / COVERAGE_XML))
    _coverage(config, python, "html", "-q", "--fail-under=0", "-d", str(reports / HTML_DIR))
    _coverage(config, python, "json", "-q", "--fail-under=0", "-o", str(reports / COVERAGE_JSON))
    below_threshold = _coverage(config, python, "report") == COVERAGE_BELOW_THRESHOLD
    totals = json.loads((reports / COVERAGE_JSON).read_text(encoding="utf-8"))["totals"]
    return float(totals["percent_covered"]), below_threshold


register(Stage(
    name="test", summary="pytest under coverage: JUnit, Cobertura and HTML reports", run=run_tests,
    artifacts=lambda config: tuple(config.reports_dir / name
                                   for name in (JUNIT, COVERAGE_XML, HTML_DIR, COVERAGE_JSON)),
    description=f"Run pytest under coverage (the configuration's test_args are passed on) and "
                f"write {JUNIT}, {COVERAGE_XML} (Cobertura) and {HTML_DIR}/ in reports_dir "
                "(default reports/). Fails when a test fails or coverage is below "
                "[coverage:report] fail_under (or coverage's own settings file's)."))
