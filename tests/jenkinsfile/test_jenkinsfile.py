"""The real Jenkinsfile, played by the Groovy harness: what each kind of build does, in order."""
from pathlib import Path

import pytest

from pipeline.core import config
from tests.jenkinsfile.conftest import JENKINSFILE, PLAN, SCENARIOS, VERSION, Build, run_harness

QUALITY = ["lint", "typecheck", "test"]
FULL_MAIN = [*QUALITY, "version build", "version", "build", "push", "deploy staging",
             "smoke staging", "deploy --plan production", "deploy production", "smoke production"]
DEPLOYING = ("build", "push", "deploy", "smoke")


def stage_names(build: Build) -> list[str]:
    return [call["name"] for call in build.steps("stage")]


def test_main_plays_every_stage_in_order_and_deploys_production_after_approval(
        builds: dict[str, Build]) -> None:
    build = builds["main_approved"]
    assert build.result == "SUCCESS"
    assert build.pipeline_calls() == FULL_MAIN
    assert stage_names(build) == [
        "Checkout", "Setup", "Lint", "Typecheck", "Test", "Version", "Build", "Push",
        "Deploy staging", "Smoke staging", "Plan production", "Approve production",
        "Deploy production", "Smoke production"]


def test_jenkins_plays_the_stages_in_the_order_pipeline_run_does(builds: dict[str, Build]) -> None:
    configured = config.load(JENKINSFILE.parent).stages
    played = [call.split()[0] for call in builds["main_approved"].pipeline_calls()]
    positions = [played.index(stage) for stage in configured if stage in played]
    assert positions == sorted(positions)
    assert all(stage in played for stage in configured)


@pytest.mark.parametrize("scenario", ["main_approved", "main_multibranch"])
def test_display_name_is_the_version(builds: dict[str, Build], scenario: str) -> None:
    assert builds[scenario].display_name == VERSION


@pytest.mark.parametrize("scenario", ["feature_branch", "pull_request", "pull_request_from_main"])
def test_branches_and_pull_requests_run_quality_stages_only(
        builds: dict[str, Build], scenario: str) -> None:
    build = builds[scenario]
    assert build.result == "SUCCESS"
    assert build.pipeline_calls() == QUALITY
    assert not any(call.startswith(DEPLOYING) for call in build.pipeline_calls())
    assert not build.steps("input") and not build.steps("lock")
    assert not build.steps("withCredentials")
    assert [call["step"] for call in build.calls[-4:]] == [
        "junit", "recordCoverage", "publishHTML", "archiveArtifacts"]


def test_a_test_failure_still_publishes_reports_and_stops_before_build(
        builds: dict[str, Build]) -> None:
    build = builds["main_tests_fail"]
    assert build.result == "FAILURE"
    assert build.pipeline_calls() == QUALITY
    failed_at = build.index(lambda call: call.get("script", "").endswith("pipeline test"))
    published = [call["step"] for call in build.calls[failed_at + 1:]]
    assert published == ["junit", "recordCoverage", "publishHTML", "archiveArtifacts"]
    coverage = build.steps("recordCoverage")[0]
    assert coverage["tools"] == [{"parser": "COBERTURA", "pattern": "reports/coverage.xml"}]
    assert build.steps("junit")[0]["testResults"] == "reports/junit.xml"
    assert build.steps("publishHTML")[0]["target"]["reportDir"] == "reports/htmlcov"
    assert "reports/**" in build.steps("archiveArtifacts")[0]["artifacts"]
    assert "version.txt" in build.steps("archiveArtifacts")[0]["artifacts"]


def test_the_approval_waits_outside_any_node_for_the_approvers_with_a_timeout(
        builds: dict[str, Build]) -> None:
    build = builds["main_approved"]
    (approval,) = build.steps("input")
    assert not approval["inNode"] and not approval["inLock"]
    assert approval["inTimeout"]
    assert approval["submitter"] == "deploy-approvers"
    assert PLAN in approval["message"] and VERSION in approval["message"]
    approved_at = build.index(lambda call: call["step"] == "input")
    production_at = build.index(lambda call: call.get("script", "").endswith("deploy production"))
    assert approved_at < production_at
    deploy = build.calls[production_at]
    assert deploy["envSnapshot"]["PIPELINE_APPROVED_BY"] == "alice"


@pytest.mark.parametrize("scenario", ["main_refused", "main_timed_out"])
def test_no_production_deploy_without_approval(builds: dict[str, Build], scenario: str) -> None:
    build = builds[scenario]
    assert build.result == "ABORTED"
    assert build.pipeline_calls()[-1] == "deploy --plan production"
    assert "deploy staging" in build.pipeline_calls()
    assert "not approved" in (build.description or "")
    assert len(build.steps("input")) == 1


def test_staging_only_and_no_deploy_parameters(builds: dict[str, Build]) -> None:
    assert builds["main_staging_only"].pipeline_calls()[-2:] == ["deploy staging", "smoke staging"]
    assert not builds["main_staging_only"].steps("input")
    assert builds["main_no_deploy"].pipeline_calls()[-1] == "push"


def test_a_failed_staging_deploy_never_reaches_production(builds: dict[str, Build]) -> None:
    build = builds["main_staging_fails"]
    assert build.result == "FAILURE"
    assert build.pipeline_calls()[-1] == "deploy staging"
    assert not build.steps("input")


def test_deploys_hold_the_environment_lock_and_pass_milestones_in_order(
        builds: dict[str, Build]) -> None:
    build = builds["main_approved"]
    assert [(lock["resource"], lock["inversePrecedence"]) for lock in build.steps("lock")] == [
        ("deploy-staging", True), ("deploy-production", True)]
    assert not any(lock["inNode"] for lock in build.steps("lock")), "waiting must hold no executor"
    assert [milestone["ordinal"] for milestone in build.steps("milestone")] == [1, 2, 3]
    deploys = [call for call in build.steps("sh") if " deploy " in call["script"]
               and "--plan" not in call["script"]]
    assert deploys and all(call["inLock"] for call in deploys)


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_command_runs_in_a_node_under_a_stage_timeout(
        builds: dict[str, Build], scenario: str) -> None:
    for call in builds[scenario].steps("sh"):
        assert call["inNode"] and call["inTimeout"] and call["stage"], call["script"]


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_no_secret_is_ever_in_an_sh_string(builds: dict[str, Build], scenario: str) -> None:
    build = builds[scenario]
    for call in build.steps("sh"):
        secrets = [value for name, value in call["envSnapshot"].items()
                   if name in call["credentials"]]
        assert "SECRET-" not in call["script"]
        assert not any(secret in call["script"] for secret in secrets)


def test_credentials_are_bound_only_where_they_are_needed(builds: dict[str, Build]) -> None:
    build = builds["main_approved"]
    for call in build.steps("sh"):
        script = call["script"]
        if script.endswith("push"):
            assert call["credentials"] == ["REGISTRY_USER", "REGISTRY_PASSWORD"]
        elif " deploy " in script:
            assert "ANSIBLE_VAULT_PASSWORD_FILE" in call["credentials"]
        else:
            assert call["credentials"] == [], script


def test_properties_discard_old_builds_take_parameters_and_triggers(
        builds: dict[str, Build]) -> None:
    (properties,) = builds["main_approved"].steps("properties")
    merged = {key: value for item in properties["properties"] for key, value in item.items()}
    assert merged["buildDiscarder"]["logRotator"]["numToKeepStr"]
    (choice,) = merged["parameters"]
    assert choice["choice"]["name"] == "DEPLOY_TO"
    assert choice["choice"]["choices"][0] == "production"
    triggers = [trigger["trigger"] for trigger in merged["pipelineTriggers"]]
    assert triggers == ["githubPush", "pollSCM"]


def test_a_jenkinsfile_that_does_not_compile_fails_the_harness(tmp_path: Path) -> None:
    broken = tmp_path / "Jenkinsfile"
    text = JENKINSFILE.read_text(encoding="utf-8")
    opening = "void timedStage(String name, int minutes, Closure body) {"
    assert opening in text
    broken.write_text(text.replace(opening, opening + "{"), encoding="utf-8")
    completed = run_harness(broken, {"main": SCENARIOS["main_approved"]}, tmp_path)
    assert completed.returncode == 3
    assert "Jenkinsfile does not compile" in completed.stderr
    assert completed.stdout == ""


def test_a_step_the_harness_does_not_know_fails_the_run(tmp_path: Path) -> None:
    unknown = tmp_path / "Jenkinsfile"
    unknown.write_text(JENKINSFILE.read_text(encoding="utf-8").replace(
        "        timedStage('Setup', 15) { sh 'make setup' }",
        "        timedStage('Setup', 15) { cleanWs(); sh 'make setup' }"), encoding="utf-8")
    assert "cleanWs()" in unknown.read_text(encoding="utf-8")
    completed = run_harness(unknown, {"main": SCENARIOS["main_approved"]}, tmp_path)
    assert completed.returncode != 0
    assert "cleanWs" in completed.stderr and completed.stdout == ""


@pytest.mark.parametrize("scenario", ["main_approved", "pull_request"])
def test_the_jenkinsfile_is_thin_every_command_is_a_pipeline_stage(
        builds: dict[str, Build], scenario: str) -> None:
    for script in builds[scenario].scripts():
        assert script == "make setup" or script.startswith(".venv/bin/python -m pipeline "), script
