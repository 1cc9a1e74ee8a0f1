"""REDEPLOY_BUILD: the deploy job ships a build already in the registries again, without
building or pushing, through the same staging, plan, approval and production as a new build."""
import re

import pytest

from pipeline.jenkins.definition import define
from tests.jenkinsfile.conftest import (BAD_BUILDS, JENKINSFILE, PLAN_JSON, REDEPLOYED, SCENARIOS,
                                        SETTINGS, Build)

pytestmark = pytest.mark.tools("groovy", "java")
QUALITY = ["lint", "typecheck", "test"]
REDEPLOY = "version redeploy 7 staging production"
REGISTRY_CREDENTIALS = ["REGISTRY_USER", "REGISTRY_PASSWORD", "ANSIBLE_VAULT_PASSWORD_FILE"]
DECLARED = SETTINGS.declared


def stage_names(build: Build) -> list[str]:
    return [call["name"] for call in build.steps("stage")]


def test_a_redeploy_builds_and_pushes_nothing_and_deploys_as_usual(
        builds: dict[str, Build]) -> None:
    build = builds["redeploy_approved"]
    assert build.result == "SUCCESS"
    assert build.pipeline_calls() == [
        *QUALITY, REDEPLOY, "version", "deploy staging", "smoke staging",
        f"deploy production --plan --json-file {PLAN_JSON}", "deploy production",
        "smoke production"]
    assert stage_names(build) == [
        "Checkout", "Setup", "Lint", "Typecheck", "Test", "Integration", "Version",
        "Deploy staging", "Smoke staging", "Plan production", "Approve production",
        "Deploy production", "Smoke production"]
    production_at = build.index(lambda call: call.get("script", "").endswith("deploy production"))
    assert build.calls[production_at]["envSnapshot"]["PIPELINE_APPROVED_BY"] == "alice"


def test_a_redeploy_is_named_after_the_images_version_and_says_it_is_one(
        builds: dict[str, Build]) -> None:
    build = builds["redeploy_approved"]
    assert build.display_name == REDEPLOYED
    assert build.description == "redeploy of build 7: nothing rebuilt"
    (approval,) = build.steps("input")
    assert approval["message"].startswith(f"Deploy {REDEPLOYED} to production?")


def test_the_registry_check_runs_on_the_deploy_agent_with_the_registry_login_only(
        builds: dict[str, Build]) -> None:
    build = builds["redeploy_approved"]
    (checked,) = [call for call in build.steps("sh") if call["script"].endswith(REDEPLOY)]
    assert checked["stage"] == "Version" and checked["node"] == DECLARED.deploy_label
    assert checked["credentials"] == REGISTRY_CREDENTIALS
    stashed = build.index(lambda call: call["step"] == "stash" and call["name"] == "version")
    assert build.index(lambda call: call.get("script", "").endswith(REDEPLOY)) < stashed
    assert not any(call.endswith("version build") for call in build.pipeline_calls())


def test_a_redeploy_still_needs_another_approver_for_production(
        builds: dict[str, Build]) -> None:
    build = builds["redeploy_only_self_approved"]
    assert build.result == "ABORTED"
    assert "deploy production" not in build.pipeline_calls()
    assert "deploy staging" in build.pipeline_calls()


def test_a_redeploy_goes_only_as_far_as_deploy_to_says(builds: dict[str, Build]) -> None:
    build = builds["redeploy_staging_only"]
    assert build.result == "SUCCESS"
    assert build.pipeline_calls()[len(QUALITY):] == [REDEPLOY, "version", "deploy staging",
                                                     "smoke staging"]
    assert not build.steps("input")


def test_a_build_missing_from_a_registry_deploys_nothing(builds: dict[str, Build]) -> None:
    build = builds["redeploy_not_in_registry"]
    assert build.result == "FAILURE"
    assert build.pipeline_calls()[-1] == REDEPLOY
    assert not build.steps("lock") and not build.steps("input")


@pytest.mark.parametrize("position", range(len(BAD_BUILDS)))
def test_a_redeploy_build_that_is_not_a_build_number_stops_in_the_first_stage(
        builds: dict[str, Build], position: int) -> None:
    build = builds[f"redeploy_bad_{position}"]
    assert build.result == "FAILURE"
    assert build.error == ("REDEPLOY_BUILD must be a build number (a positive integer), "
                           f"got '{BAD_BUILDS[position]}'")
    assert stage_names(build) == ["Checkout"]
    assert not build.steps("checkout") and not build.scripts()


def test_the_build_job_ignores_redeploy_build(builds: dict[str, Build]) -> None:
    build = builds["redeploy_in_build_job"]
    assert build.result == "SUCCESS"
    assert build.pipeline_calls() == QUALITY


def test_the_jenkinsfile_reads_exactly_the_parameters_the_deploy_job_declares() -> None:
    """Declared once, in pipeline/jenkins/definition.py: a parameter the Jenkinsfile reads but
    the job lacks would always be empty, one the job offers but it ignores would do nothing."""
    read = set(re.findall(r"params\.([A-Z_]+)", JENKINSFILE.read_text(encoding="utf-8")))
    build_job, deploy_job = define(SETTINGS).jobs
    assert read == {parameter.name for parameter in deploy_job.parameters}
    assert build_job.parameters == ()
    assert "REDEPLOY_BUILD" in read
    assert {"redeploy_approved", "redeploy_bad_0"} <= set(SCENARIOS)
