"""The test stage: pytest under coverage, leaving the reports Jenkins publishes.

JUnit XML for the test results, Cobertura XML for the Coverage plugin, HTML for people. The
reports are written even when tests fail, because that is when they are needed most.
"""
import shlex
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

import coverage

from pipeline import proc
from pipeline.config import CONFIG_FILE, Config
from pipeline.errors import StageFailed
from pipeline.stages import Stage

JUNIT = "junit.xml"
COVERAGE_XML = "coverage.xml"
HTML_DIR = "htmlcov"


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
    measured = _coverage(config)
    measured.erase()
    pytest_args = shlex.split(config.get("test_args", ""))
    command = proc.python_tool("coverage", "run", f"--rcfile={CONFIG_FILE}", "-m", "pytest",
                               f"--junitxml={junit}", *pytest_args)
    # Every measured process, whatever its working directory, writes beside the project.
    code = proc.run(command, cwd=config.root, env={"COVERAGE_FILE": str(_data_file(config))})
    total = _write_coverage_reports(config, measured)
    threshold = _fail_under(measured)
    counts = read_junit(junit) if junit.exists() else None
    print(f"tests: {counts or 'no JUnit report'}; "
          f"coverage {total:.1f}% (threshold {threshold:g}%); reports in "
          f"{config.display(reports)}/")
    if code != 0:
        raise StageFailed(f"tests failed (pytest exit code {code}): {counts or 'no report'}")
    if total < threshold:
        raise StageFailed(f"coverage {total:.1f}% is below the threshold {threshold:g}% "
                          f"({CONFIG_FILE} [coverage:report] fail_under)")


def _data_file(config: Config) -> Path:
    return config.root / ".coverage"


def _coverage(config: Config) -> coverage.Coverage:
    return coverage.Coverage(data_file=str(_data_file(config)),
                             config_file=str(config.root / CONFIG_FILE))


def _fail_under(measured: coverage.Coverage) -> float:
    """The threshold from [coverage:report] fail_under; 0 when unset."""
    value = measured.get_option("report:fail_under")
    return float(value) if isinstance(value, (int, float, str)) and value != "" else 0.0


def _write_coverage_reports(config: Config, measured: coverage.Coverage) -> float:
    """Combine the data of every process, write Cobertura and HTML, return the total percent."""
    measured.combine(keep=False)
    measured.save()
    if not measured.get_data().measured_files():
        print("coverage: no data was collected")
        return 0.0
    reports = config.reports_dir
    measured.xml_report(outfile=str(reports / COVERAGE_XML))
    measured.html_report(directory=str(reports / HTML_DIR))
    return measured.report()


STAGE = Stage(name="test", summary="pytest under coverage: JUnit, Cobertura and HTML reports",
              artifacts=(f"reports/{JUNIT}", f"reports/{COVERAGE_XML}", f"reports/{HTML_DIR}"),
              run=run_tests)
