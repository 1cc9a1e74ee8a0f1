"""The Jenkinsfile is the library's template rendered for this repository (one source), and the
template's other shape, a service with no Docker tests, plays as well."""
from pathlib import Path

from pipeline.core import config
from pipeline.init.answers import DEFAULT_BRANCH, ci_commands
from pipeline.init.jenkinsfile import JenkinsfileValues, render
from tests.jenkinsfile.conftest import JENKINSFILE, ROOT, SCENARIOS, Build, run_harness


def rendered_for_this_repository(integration: str | None = None) -> str:
    setup, detected = ci_commands(ROOT, "", "")
    settings = config.load(ROOT, environ={})  # as committed, whatever the shell sets
    return render(JenkinsfileValues.of(settings.get("jenkins_job_name"), DEFAULT_BRANCH, setup,
                                       detected if integration is None else integration,
                                       settings.display(settings.reports_dir),
                                       settings.display(settings.version_file)))


def test_the_jenkinsfile_is_the_template_rendered_for_this_repository() -> None:
    assert rendered_for_this_repository() == JENKINSFILE.read_text(encoding="utf-8")


def test_without_integration_tests_there_is_no_integration_branch(tmp_path: Path) -> None:
    jenkinsfile = tmp_path / "Jenkinsfile"
    jenkinsfile.write_text(rendered_for_this_repository(integration=""), encoding="utf-8")
    completed = run_harness(jenkinsfile, {"branch": SCENARIOS["feature_branch"]}, tmp_path)
    assert completed.returncode == 0, completed.stderr
    build = Build.parse_all(completed.stdout)["branch"]
    assert build.result == "SUCCESS"
    (parallel,) = build.steps("parallel")
    assert parallel["branches"] == ["Quality"]
    assert build.scripts().count("make setup") == 1


def test_the_reports_and_version_file_jenkins_reads_are_the_configurations() -> None:
    text = render(JenkinsfileValues.of("shop", "main", "make setup", "", "out/ci", "VERSION"))
    assert "'reports/" not in text and "version.txt" not in text
    assert "junit(testResults: 'out/ci/junit.xml, out/ci/mypy-junit.xml, ' +" in text
    assert "stash(name: 'version', includes: 'VERSION')" in text
