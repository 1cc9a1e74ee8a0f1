"""The quality stages in an environment built from a service's own test requirements: a real
Django service (Django and pytest-django from PyPI) linted by ruff and tested with pytest-django,
and the fingerprint that decides when that environment is built again."""
import json
import subprocess
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from tests.pipeline.conftest import REPO_ROOT, run_cli, write

pytestmark = pytest.mark.slow

SETUP_CFG = """\
[pipeline]
stages = lint, typecheck, test
lint_paths = mysite tests
typecheck_paths = mysite
lint_tool = ruff
test_requirements = requirements-dev.txt
test_args = --ds=mysite.settings -p no:cacheprovider

[mypy]
disallow_untyped_defs = True

# Django ships no types; asgiref, which comes with it, does.
[mypy-django.*]
ignore_missing_imports = True

[tool:pytest]
testpaths = tests

[coverage:run]
branch = True
source = mysite

[coverage:report]
fail_under = 80
"""
REQUIREMENTS = "Django>=4.2\npytest-django\n"
DJANGO = {
    "ruff.toml": 'line-length = 100\n[lint]\nselect = ["E", "F"]\n',
    "mysite/__init__.py": "",
    "mysite/settings.py": """\
        SECRET_KEY = "only-for-tests"
        ROOT_URLCONF = "mysite.urls"
        INSTALLED_APPS: list[str] = []
        MIDDLEWARE: list[str] = []
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
        USE_TZ = True
        """,
    "mysite/urls.py": """\
        from django.http import HttpRequest, HttpResponse
        from django.urls import path


        def hello(request: HttpRequest) -> HttpResponse:
            return HttpResponse("hello")


        urlpatterns = [path("", hello)]
        """,
    "mysite/answer.py": """\
        from asgiref.sync import async_to_sync


        async def answer() -> int:
            return 42


        def answer_now() -> int:
            return async_to_sync(answer)()
        """,
    "tests/__init__.py": "",
    # `client` is pytest-django's fixture: without it in the environment, no test runs.
    "tests/test_hello.py": """\
        def test_hello(client) -> None:
            assert client.get("/").content == b"hello"
        """,
    "tests/test_answer.py": """\
        from mysite.answer import answer_now


        def test_answer() -> None:
            assert answer_now() == 42
        """,
}


@pytest.fixture(scope="module")
def django_service(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Django service, whose Django and pytest-django only its requirements bring."""
    root = tmp_path_factory.mktemp("django-service")
    write(root, "setup.cfg", SETUP_CFG)
    write(root, "requirements-dev.txt", REQUIREMENTS)
    for relative, text in DJANGO.items():
        write(root, relative, text)
    return root


def marker(root: Path) -> Path:
    return root / "build" / "test-env" / "pipeline-fingerprint.json"


def test_the_first_stage_builds_the_environment_and_ruff_lints_with_the_services_settings(
        django_service: Path) -> None:
    result = run_cli(django_service, "lint")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "test environment: creating build/test-env with Python 3." in result.stdout
    assert "test environment: ready in " in result.stdout
    assert "Successfully installed" in (django_service / "reports" / "test-env.log").read_text()
    assert "ruff: no problems in mysite tests" in result.stdout
    junit = ElementTree.parse(django_service / "reports" / "ruff-junit.xml").getroot()
    assert junit.get("failures") == "0"
    record = json.loads((django_service / "reports" / "pipeline.json").read_text())["stages"][-1]
    assert record["artifacts"] == ["reports/ruff.txt", "reports/ruff-junit.xml"]
    installed = subprocess.run([str(django_service / "build" / "test-env" / "bin" / "python"),
                                "-c", "import django, pytest_django, ruff, mypy, coverage"],
                               capture_output=True, text=True, timeout=60)
    assert installed.returncode == 0, installed.stderr


def test_ruff_problems_are_listed_in_its_reports_and_fail_the_stage(django_service: Path) -> None:
    messy = write(django_service, "mysite/messy.py", "import os\nimport sys\n")
    try:
        result = run_cli(django_service, "lint")
    finally:
        messy.unlink()
    assert result.returncode == 1
    assert "mysite/messy.py:1:8: F401" in result.stdout
    assert result.stderr == ("pipeline: error: ruff found 2 problem(s), listed in "
                             "reports/ruff.txt\n")
    assert len((django_service / "reports" / "ruff.txt").read_text().splitlines()) == 2
    junit = ElementTree.parse(django_service / "reports" / "ruff-junit.xml").getroot()
    assert junit.get("failures") == "2"


def test_mypy_checks_against_the_services_own_packages(django_service: Path) -> None:
    """asgiref is only in the service's environment: mypy there knows its types."""
    result = run_cli(django_service, "typecheck")
    assert result.returncode == 0, result.stdout + result.stderr
    answer = django_service / "mysite" / "answer.py"
    correct = answer.read_text()
    answer.write_text(correct.replace("def answer_now() -> int", "def answer_now() -> str"))
    try:
        result = run_cli(django_service, "typecheck")
    finally:
        answer.write_text(correct)
    assert result.returncode == 1
    assert ('mysite/answer.py:9: error: Incompatible return value type (got "int", expected '
            '"str")') in result.stdout


def test_the_test_stage_runs_pytest_django_in_it_with_every_report(django_service: Path) -> None:
    built = marker(django_service).stat().st_mtime_ns
    result = run_cli(django_service, "test")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "test environment: build/test-env is up to date" in result.stdout
    assert marker(django_service).stat().st_mtime_ns == built
    assert "tests: 2 passed, 0 failed, 0 errors, 0 skipped; coverage 100.0%" in result.stdout
    reports = django_service / "reports"
    junit = ElementTree.parse(reports / "junit.xml").getroot()
    assert junit.find("testsuite").get("tests") == "2"  # type: ignore[union-attr]
    covered = json.loads((reports / "coverage.json").read_text())["files"]
    assert "mysite/urls.py" in covered
    assert ElementTree.parse(reports / "coverage.xml").getroot().tag == "coverage"


def test_a_failing_django_test_fails_the_stage_in_one_line(django_service: Path) -> None:
    broken = write(django_service, "tests/test_broken.py",
                   "def test_missing(client) -> None:\n"
                   "    assert client.get('/missing').status_code == 200\n")
    try:
        result = run_cli(django_service, "test")
    finally:
        broken.unlink()
    assert result.returncode == 1
    assert result.stderr == ("pipeline: error: tests failed (pytest exit code 1): 2 passed, "
                             "1 failed, 0 errors, 0 skipped\n")
    assert (django_service / "reports" / "coverage.xml").is_file()


def test_a_changed_requirements_file_rebuilds_the_environment(django_service: Path) -> None:
    built = marker(django_service).stat().st_mtime_ns
    # asgiref comes with Django: a new line, not a new download.
    write(django_service, "requirements-dev.txt", REQUIREMENTS + "asgiref\n")
    result = run_cli(django_service, "lint")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "test environment: creating build/test-env" in result.stdout
    assert marker(django_service).stat().st_mtime_ns != built
    again = run_cli(django_service, "lint")
    assert "test environment: build/test-env is up to date" in again.stdout


def test_a_failed_install_is_one_line_and_leaves_no_environment_to_use(tmp_path: Path) -> None:
    write(tmp_path, "setup.cfg", SETUP_CFG.replace("lint_tool = ruff\n", ""))
    write(tmp_path, "requirements-dev.txt", "Django==0.0.1\n")
    for relative, text in DJANGO.items():
        write(tmp_path, relative, text)
    result = run_cli(tmp_path, "lint")
    assert result.returncode == 2
    assert result.stderr == ("pipeline: error: the test environment's pip install failed "
                             "(exit code 1): see reports/test-env.log\n")
    assert "Django==0.0.1" in (tmp_path / "reports" / "test-env.log").read_text()
    assert not marker(tmp_path).exists()


def test_coverage_settings_in_pyproject_toml_are_honoured(project: Path) -> None:
    """A service configured in pyproject.toml alone: no setup.cfg for coverage to read."""
    (project / "setup.cfg").unlink()
    write(project, "pyproject.toml",
          (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8") + """
[tool.pipeline]
stages = ["test"]
test_args = "-p no:cacheprovider tests"

[tool.coverage.run]
source = ["sample"]

[tool.coverage.report]
fail_under = 100
""")
    write(project, "sample/untested.py", "def add() -> int:\n    return 1 + 2\n")
    write(project, "tests/test_untested.py", "import sample.untested  # noqa: F401\n")
    result = run_cli(project, "test")
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.endswith("is below the threshold 100% (pyproject.toml "
                                  "[tool.coverage.report] fail_under)\n")


def test_flake8_skips_the_environment_and_keeps_the_services_own_exclusions(
        project: Path) -> None:
    """flake8 alone walks into virtualenvs: over `.`, it would lint build/test-env."""
    text = (project / "setup.cfg").read_text()
    write(project, "setup.cfg",
          text.replace("lint_paths = sample tests", "lint_paths = .\ntest_requirements = pytest")
              .replace("[flake8]\n", "[flake8]\nextend-exclude = generated\n"))
    write(project, "generated/messy.py", "import os\n")
    result = run_cli(project, "lint")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert "test environment: ready in " in result.stdout
    assert (project / "build" / "test-env" / "bin" / "flake8").is_file()
    assert (project / "reports" / "flake8.txt").read_text() == ""
