"""The real Jenkinsfile, played by the Groovy harness: what each job does with each build."""
from pathlib import Path

import pytest

from pipeline.core import config
from tests.jenkinsfile.conftest import (DEPLOY_JOB, JENKINSFILE, MAIN, PLAN, PLAN_JSON, SCENARIOS,
                                        SETTINGS, VERSION, Build, run_harness)

pytestmark = pytest.mark.tools("groovy", "java")
QUALITY = ["lint", "typecheck", "test"]
PUSH = "push staging production"
DEPLOY_ALL = [*QUALITY, "version build", "version", "build", PUSH, "deploy staging",
              "smoke staging", f"deploy production --plan --json-file {PLAN_JSON}",
              "deploy production", "smoke production"]
DEPLOYING = ("version build", "build", "push", "deploy", "smoke")
BRANCH_BUILDS = ["feature_branch", "pull_request", "pull_request_from_main"]
GUARD = f"git merge-base --is-ancestor HEAD origin/{MAIN}"
CLEAN = "git clean -ffdxq"
DECLARED = SETTINGS.declared


def stage_names(build: Build) -> list[str]:
    return [call["name"] for call in build.steps("stage")]


def test_the_deploy_job_plays_every_stage_in_order_and_production_after_approval(
        builds: dict[str, Build]) -> None:
    build = builds["deploy_approved"]
    assert build.result == "SUCCESS"
    assert build.pipeline_calls() == DEPLOY_ALL
    assert stage_names(build) == [
        "Checkout", "Setup", "Lint", "Typecheck", "Test", "Integration", "Version", "Build",
        "Push", "Deploy staging", "Smoke staging", "Plan production", "Approve production",
        "Deploy production", "Smoke production"]


def test_jenkins_plays_the_stages_in_the_order_pipeline_run_does(builds: dict[str, Build]) -> None:
    configured = config.load(JENKINSFILE.parent).stages
    played = [call.split()[0] for call in builds["deploy_approved"].pipeline_calls()]
    positions = [played.index(stage) for stage in configured if stage in played]
    assert positions == sorted(positions)
    assert all(stage in played for stage in configured)


def test_the_deploy_build_is_named_after_the_version(builds: dict[str, Build]) -> None:
    assert builds["deploy_approved"].display_name == VERSION


@pytest.mark.parametrize("scenario", BRANCH_BUILDS)
def test_branches_and_pull_requests_run_the_tests_and_nothing_else(
        builds: dict[str, Build], scenario: str) -> None:
    build = builds[scenario]
    assert build.result == "SUCCESS"
    assert build.pipeline_calls() == QUALITY
    assert "make test-integration" in build.scripts()
    assert not any(call.startswith(DEPLOYING) for call in build.pipeline_calls())
    assert not build.steps("input") and not build.steps("lock")
    assert not build.steps("withCredentials")
    assert {node["label"] for node in build.steps("node")} == {DECLARED.agent_label,
                                                               DECLARED.docker_label}


def test_main_in_the_build_job_defers_to_the_deploy_job(builds: dict[str, Build]) -> None:
    build = builds["main_in_build_job"]
    assert build.result == "SUCCESS"
    assert build.scripts() == [CLEAN]
    assert build.description == f"{MAIN}: see {DEPLOY_JOB}"


def test_the_integration_tests_run_on_a_docker_agent_beside_the_quality_stages(
        builds: dict[str, Build]) -> None:
    build = builds["deploy_approved"]
    (parallel,) = build.steps("parallel")
    assert parallel["branches"] == ["Quality", "Integration"]
    integration = build.index(lambda call: call.get("script") == "make test-integration")
    assert build.calls[integration]["node"] == DECLARED.docker_label
    assert build.calls[integration]["branch"] == "Integration"
    assert build.calls[integration]["stage"] == "Integration"
    test = build.index(lambda call: call.get("script", "").endswith("pipeline test"))
    assert build.calls[test]["node"] == DECLARED.agent_label
    assert build.calls[test]["branch"] == "Quality"
    first_deploy_work = build.index(lambda call: call.get("script", "").endswith("version build"))
    assert integration < first_deploy_work
    assert "reports/junit-integration.xml" in [call["testResults"]
                                               for call in build.steps("junit")]


@pytest.mark.parametrize(("scenario", "failed"), [("deploy_tests_fail", "pipeline test"),
                                                  ("deploy_integration_fails",
                                                   "make test-integration")])
def test_a_failing_test_stage_stops_before_anything_is_built(
        builds: dict[str, Build], scenario: str, failed: str) -> None:
    build = builds[scenario]
    assert build.result == "FAILURE"
    assert build.pipeline_calls() == QUALITY
    assert failed in (build.error or "")
    assert not build.steps("withCredentials") and not build.steps("lock")


@pytest.mark.parametrize("scenario", ["deploy_tests_fail", "feature_tests_fail"])
def test_a_test_failure_still_publishes_the_reports(builds: dict[str, Build],
                                                    scenario: str) -> None:
    build = builds[scenario]
    failed_at = build.index(lambda call: call.get("script", "").endswith("pipeline test"))
    published = [call["step"] for call in build.calls[failed_at + 1:]
                 if call["branch"] == "Quality"]
    assert published == ["junit", "recordCoverage", "publishHTML"]
    assert build.steps("archiveArtifacts")[0]["artifacts"] == "reports/**"
    coverage = build.steps("recordCoverage")[0]
    assert coverage["tools"] == [{"parser": "COBERTURA", "pattern": "reports/coverage.xml"}]
    assert build.steps("junit")[0]["testResults"] == (
        "reports/junit.xml, reports/mypy-junit.xml, reports/ruff-junit.xml")
    assert build.steps("publishHTML")[0]["target"]["reportDir"] == "reports/htmlcov"


def test_the_deploy_job_refuses_a_commit_that_is_not_on_main_before_running_any_of_it(
        builds: dict[str, Build]) -> None:
    build = builds["deploy_commit_not_on_main"]
    assert build.result == "FAILURE"
    assert build.scripts() == [GUARD]
    assert build.error == f"{DEPLOY_JOB} deploys only commits of {MAIN}; abc1234 is not on it"
    assert builds["deploy_approved"].scripts()[0] == GUARD
    assert GUARD not in builds["feature_branch"].scripts()


def test_every_node_after_checkout_works_on_the_stashed_commit(builds: dict[str, Build]) -> None:
    build = builds["deploy_approved"]
    (stash,) = [call for call in build.steps("stash") if call["name"] == "source"]
    assert stash["useDefaultExcludes"] is False, "the stash must carry .git"
    assert not build.steps("checkout")[1:], "one checkout; other nodes unstash it"
    for position, call in enumerate(build.calls):
        if call["step"] != "sh" or call["node"] == DECLARED.agent_label:
            continue
        allocated = max(earlier for earlier in range(position)
                        if build.calls[earlier]["step"] == "node"
                        and build.calls[earlier]["label"] == call["node"])
        assert any(earlier["step"] == "unstash" and earlier["name"] == "source"
                   for earlier in build.calls[allocated:position]), call["script"]


def test_build_push_and_deploys_run_on_the_deploy_agent(builds: dict[str, Build]) -> None:
    for call in builds["deploy_approved"].steps("sh"):
        if call["script"].split("-m pipeline ")[-1].startswith(DEPLOYING):
            assert call["node"] == DECLARED.deploy_label, call["script"]


def test_the_approval_waits_outside_any_node_for_the_approvers_with_a_timeout(
        builds: dict[str, Build]) -> None:
    build = builds["deploy_approved"]
    (approval,) = build.steps("input")
    assert not approval["inNode"] and not approval["inLock"]
    assert approval["inTimeout"]
    assert approval["submitter"] == DECLARED.approvers
    approved_at = build.index(lambda call: call["step"] == "input")
    production_at = build.index(lambda call: call.get("script", "").endswith("deploy production"))
    assert approved_at < production_at
    assert build.calls[production_at]["envSnapshot"]["PIPELINE_APPROVED_BY"] == "alice"


@pytest.mark.parametrize("scenario", ["deploy_approved", "feature_branch"])
def test_only_tracked_files_travel_and_every_node_starts_empty(
        builds: dict[str, Build], scenario: str) -> None:
    """What an earlier build left (a .venv, a wheelhouse, a dropped .pth) never reaches the
    stash, and no agent's leftovers survive an unstash: SETUP builds them anew."""
    build = builds[scenario]
    checkout_at = build.index(lambda call: call["step"] == "checkout")
    clean_at = build.index(lambda call: call.get("script") == CLEAN)
    stash_at = build.index(lambda call: call["step"] == "stash" and call["name"] == "source")
    assert checkout_at < clean_at < stash_at
    unstashed = [at for at, call in enumerate(build.calls)
                 if call["step"] == "unstash" and call["name"] == "source"]
    assert unstashed
    for at in unstashed:
        before = build.calls[at - 1]
        assert before["step"] == "deleteDir" and before["node"] == build.calls[at]["node"]


def test_who_started_a_build_cannot_approve_its_production_deploy(
        builds: dict[str, Build]) -> None:
    """Four eyes: alice's approval of her own build is not taken; the prompt stays open, says
    why, and bob's approval deploys."""
    build = builds["deploy_self_approved"]
    assert build.result == "SUCCESS"
    first, second = build.steps("input")
    assert "alice started this build: another approver must approve it." in second["message"]
    assert second["inTimeout"] and not second["inNode"]
    production_at = build.index(lambda call: call.get("script", "").endswith("deploy production"))
    assert build.calls[production_at]["envSnapshot"]["PIPELINE_APPROVED_BY"] == "bob"
    assert any("alice started this build and cannot approve" in call["message"]
               for call in build.steps("echo"))


def test_a_build_only_its_starter_approves_never_reaches_production(
        builds: dict[str, Build]) -> None:
    build = builds["deploy_only_self_approved"]
    assert build.result == "ABORTED"
    assert "deploy production" not in build.pipeline_calls()
    assert "not approved" in (build.description or "")


def test_another_starter_does_not_hold_up_the_approval(builds: dict[str, Build]) -> None:
    build = builds["deploy_started_by_carol"]
    assert build.result == "SUCCESS" and len(build.steps("input")) == 1
    assert build.pipeline_calls()[-2:] == ["deploy production", "smoke production"]


def test_the_prompt_shows_the_short_plan_and_the_json_plan_is_an_artifact(
        builds: dict[str, Build]) -> None:
    build = builds["deploy_approved"]
    (approval,) = build.steps("input")
    assert approval["message"] == (f"Deploy {VERSION} to production?\n\n{PLAN}\n\n"
                                   f"The plan as JSON: {PLAN_JSON} in this build's artifacts.")
    (planned,) = [call for call in build.steps("sh") if "--plan" in call["script"]]
    assert planned["script"].endswith(f"deploy production --plan --json-file {PLAN_JSON}")
    assert planned["stage"] == "Plan production"
    assert not build.steps("writeFile"), "the pipeline writes the JSON plan itself"
    archived = [call for call in build.steps("archiveArtifacts")
                if call["artifacts"] == PLAN_JSON]
    assert [call["stage"] for call in archived] == ["Plan production"]


@pytest.mark.parametrize("scenario", ["deploy_refused", "deploy_timed_out"])
def test_no_production_deploy_without_approval(builds: dict[str, Build], scenario: str) -> None:
    build = builds[scenario]
    assert build.result == "ABORTED"
    assert build.pipeline_calls()[-1] == f"deploy production --plan --json-file {PLAN_JSON}"
    assert "deploy staging" in build.pipeline_calls()
    assert "not approved" in (build.description or "")
    assert len(build.steps("input")) == 1


def test_staging_only_and_no_deploy_parameters(builds: dict[str, Build]) -> None:
    assert builds["deploy_staging_only"].pipeline_calls()[-2:] == ["deploy staging",
                                                                   "smoke staging"]
    assert not builds["deploy_staging_only"].steps("input")
    assert builds["deploy_nothing"].pipeline_calls()[-1] == PUSH


def test_a_failed_staging_deploy_never_reaches_production(builds: dict[str, Build]) -> None:
    build = builds["deploy_staging_fails"]
    assert build.result == "FAILURE"
    assert build.pipeline_calls()[-1] == "deploy staging"
    assert not build.steps("input")


def test_deploys_hold_the_environment_lock_and_pass_milestones_in_order(
        builds: dict[str, Build]) -> None:
    build = builds["deploy_approved"]
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
    deploy_credentials = ["ANSIBLE_VAULT_PASSWORD_FILE", "ANSIBLE_PRIVATE_KEY_FILE",
                          "ANSIBLE_REMOTE_USER"]
    for call in builds["deploy_approved"].steps("sh"):
        command = call["script"].split("-m pipeline ")[-1]
        if command == PUSH:
            assert call["credentials"] == ["REGISTRY_USER", "REGISTRY_PASSWORD",
                                           "ANSIBLE_VAULT_PASSWORD_FILE"]
        elif command.startswith(("deploy ", "smoke ")):
            assert call["credentials"] == deploy_credentials, command
        else:
            assert call["credentials"] == [], command


def test_the_jenkinsfile_leaves_the_job_definition_to_the_controller(
        builds: dict[str, Build]) -> None:
    assert "properties(" not in JENKINSFILE.read_text(encoding="utf-8")
    assert all(not build.steps("properties") for build in builds.values())


STOLEN = {
    DECLARED.registry_credentials: "usernamePassword(credentialsId: '{id}', "
                                   "usernameVariable: 'U', passwordVariable: 'P')",
    DECLARED.vault_credentials: "file(credentialsId: '{id}', variable: 'F')",
    DECLARED.ssh_credentials: "sshUserPrivateKey(credentialsId: '{id}', keyFileVariable: 'K')",
}


@pytest.fixture(scope="module")
def rewritten(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Build]:
    """The Jenkinsfile as a pushed branch could rewrite it: at Checkout, it tries to bind each
    deploy credential, or to take the deploy agent (chosen by a STEAL parameter). Each attempt
    is played by the branch, and once more where it should succeed: with the credentials
    global, as they were, or as the deploy job."""
    work = tmp_path_factory.mktemp("rewritten")
    anchor = "        Map scmVars = checkout(scm)\n"
    text = JENKINSFILE.read_text(encoding="utf-8")
    assert anchor in text
    injected = "".join(
        f"        if (params.STEAL == '{credential}') {{ withCredentials(["
        f"{binding.format(id=credential)}]) {{ sh 'steal' }} }}\n"
        for credential, binding in STOLEN.items())
    injected += (f"        if (params.STEAL == 'agent') {{ node('{DECLARED.deploy_label}') "
                 "{ sh 'steal' } }\n")
    jenkinsfile = work / "Jenkinsfile"
    jenkinsfile.write_text(text.replace(anchor, anchor + injected), encoding="utf-8")
    branch = SCENARIOS["feature_branch"]
    everywhere = {**branch["jenkins"], "credentials": {
        credential: "" for credential in branch["jenkins"]["credentials"]}}
    scenarios = {}
    for credential in STOLEN:
        scenarios[credential] = {**branch, "params": {"STEAL": credential}}
        scenarios[credential + "/global"] = {**branch, "params": {"STEAL": credential},
                                             "jenkins": everywhere}
    scenarios["agent"] = {**branch, "params": {"STEAL": "agent"}}
    scenarios["agent/deploy job"] = {**SCENARIOS["deploy_nothing"],
                                     "params": {"STEAL": "agent", "DEPLOY_TO": "none"}}
    completed = run_harness(jenkinsfile, scenarios, work)
    assert completed.returncode == 0, completed.stderr
    return Build.parse_all(completed.stdout)


@pytest.mark.parametrize("credential", sorted(STOLEN))
def test_a_branch_that_rewrites_the_jenkinsfile_cannot_bind_a_deploy_credential(
        rewritten: dict[str, Build], credential: str) -> None:
    """Would fail with the credentials global, as they were: the '/global' build shows it."""
    refused = rewritten[credential]
    assert refused.result == "FAILURE"
    assert refused.error == f"Could not find credentials entry with ID '{credential}'"
    assert "steal" not in refused.scripts() and not refused.steps("withCredentials")
    assert "steal" in rewritten[credential + "/global"].scripts()


def test_a_branch_that_rewrites_the_jenkinsfile_never_gets_the_deploy_agent(
        rewritten: dict[str, Build]) -> None:
    refused = rewritten["agent"]
    assert refused.result == "ABORTED"
    assert f"refuse {SETTINGS.job_name}" in (refused.error or "")
    assert "steal" not in refused.scripts()
    assert "steal" in rewritten["agent/deploy job"].scripts()


def test_a_jenkinsfile_that_does_not_compile_fails_the_harness(tmp_path: Path) -> None:
    broken = tmp_path / "Jenkinsfile"
    text = JENKINSFILE.read_text(encoding="utf-8")
    opening = "void timedStage(String name, int minutes, Closure body) {"
    assert opening in text
    broken.write_text(text.replace(opening, opening + "{"), encoding="utf-8")
    completed = run_harness(broken, {"main": SCENARIOS["deploy_approved"]}, tmp_path)
    assert completed.returncode == 3
    assert "Jenkinsfile does not compile" in completed.stderr
    assert completed.stdout == ""


def test_a_step_the_harness_does_not_know_fails_the_run(tmp_path: Path) -> None:
    unknown = tmp_path / "Jenkinsfile"
    unknown.write_text(JENKINSFILE.read_text(encoding="utf-8").replace(
        "            timedStage('Setup', 15) { sh SETUP }",
        "            timedStage('Setup', 15) { cleanWs(); sh SETUP }"), encoding="utf-8")
    assert "cleanWs()" in unknown.read_text(encoding="utf-8")
    completed = run_harness(unknown, {"main": SCENARIOS["deploy_approved"]}, tmp_path)
    assert completed.returncode != 0
    assert "cleanWs" in completed.stderr and completed.stdout == ""


@pytest.mark.parametrize("scenario", ["deploy_approved", "pull_request"])
def test_the_jenkinsfile_is_thin_every_command_is_a_pipeline_stage(
        builds: dict[str, Build], scenario: str) -> None:
    for script in builds[scenario].scripts():
        assert script in ("make setup", "make test-integration", GUARD, CLEAN) \
            or script.startswith(".venv/bin/python -m pipeline "), script
