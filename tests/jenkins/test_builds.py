"""``jenkins build``, ``approve``, ``abort`` and ``status`` against the fake."""
import io
import json

import pytest

from pipeline.core import config

from pipeline.jenkins import builds
from pipeline.jenkins.client import connect
from pipeline.jenkins.settings import JobSettings, ServerSettings
from tests.jenkins.conftest import TOKEN, USER, run_cli
from tests.jenkins.fake_jenkins import BuildPlan, FakeJenkins, PendingInput

FAST = ("--poll-seconds", "0.01")
APPROVAL = PendingInput(id="Production", message="Deploy 1.4.0+build.7 to production?",
                        submitters="bob, alice", after_chunk=2)
APPROVER = "alice"


def waiting_for_approval(fake: FakeJenkins, monkeypatch: pytest.MonkeyPatch,
                         job: str = "app") -> None:
    """A running build of ``job`` stopped at the production approval; the CLI signs in as an
    approver."""
    fake.add_job(job)
    fake.plans[job] = BuildPlan(chunks=["a\n", "b\n", "deploy production\n"],
                                pending_input=APPROVAL)
    build = fake.start_build(job)
    while build.waiting_input is None:
        build.advance()
    monkeypatch.setenv("JENKINS_USER", APPROVER)
    monkeypatch.setenv("JENKINS_TOKEN", fake.users[APPROVER].token)


def test_build_follow_streams_each_line_once_and_passes_parameters(
        jenkins_env: FakeJenkins, capsys: pytest.CaptureFixture[str]) -> None:
    jenkins_env.add_job("app")
    code, out, err = run_cli(capsys, "jenkins", "build", "--job", "app", "--follow",
                             "--param", "DEPLOY_TO=staging", "--param", "NOTE=a=b", *FAST)
    assert (code, err) == (0, "")
    assert out == (f"build #1 of 'app' started: {jenkins_env.url}job/app/1/\n"
                   + "".join(BuildPlan().chunks) + "Finished: SUCCESS\n")
    assert jenkins_env.builds["app"][0].parameters == {"DEPLOY_TO": "staging", "NOTE": "a=b"}


@pytest.mark.parametrize("result", ["FAILURE", "UNSTABLE", "ABORTED"])
def test_build_follow_exits_1_unless_the_build_succeeded(
        result: str, jenkins_env: FakeJenkins, capsys: pytest.CaptureFixture[str]) -> None:
    jenkins_env.add_job("app")
    jenkins_env.plans["app"] = BuildPlan(chunks=["boom\n"], result=result)
    code, out, err = run_cli(capsys, "jenkins", "build", "--job", "app", "--follow", *FAST)
    assert code == 1
    assert out.endswith(f"boom\nFinished: {result}\n")
    assert err == f"pipeline: error: build #1 of 'app' ended {result}\n"


def test_build_without_follow_returns_once_the_build_has_a_number(
        jenkins_env: FakeJenkins, capsys: pytest.CaptureFixture[str]) -> None:
    jenkins_env.add_job("app")
    code, out, _ = run_cli(capsys, "jenkins", "build", "--job", "app", *FAST)
    assert (code, out) == (0, f"build #1 of 'app' started: {jenkins_env.url}job/app/1/\n")
    assert jenkins_env.builds["app"][0].building


@pytest.mark.parametrize("argv", [("--param", "NOEQUALS"), ("--param", "=x"),
                                  ("--poll-seconds", "0")])
def test_bad_build_arguments_exit_2_and_queue_nothing(
        argv: tuple[str, ...], jenkins_env: FakeJenkins,
        capsys: pytest.CaptureFixture[str]) -> None:
    jenkins_env.add_job("app")
    code, _, err = run_cli(capsys, "jenkins", "build", "--job", "app", *argv)
    assert code == 2 and err.count("\n") == 1
    assert jenkins_env.queue == {}


def test_a_build_waiting_in_the_queue_times_out(jenkins_env: FakeJenkins) -> None:
    jenkins_env.add_job("app")
    jenkins_env.queue_polls = 1000
    server = ServerSettings(url=jenkins_env.url, user=USER, token=TOKEN)
    polling = builds.Polling(interval=1.0, queue_timeout=3.0, sleep=lambda seconds: None)
    with pytest.raises(builds.StageFailed, match="still queued after 3s: Waiting for next"):
        builds.start_build(connect(server), server, "app", {}, polling)


def test_follow_prints_what_the_approver_sees_then_the_rest(
        jenkins_env: FakeJenkins, monkeypatch: pytest.MonkeyPatch) -> None:
    waiting_for_approval(jenkins_env, monkeypatch)
    server = ServerSettings(url=jenkins_env.url, user=USER, token=TOKEN)
    client = connect(server)
    out = io.StringIO()

    def approve_when_waiting(seconds: float) -> None:
        if jenkins_env.builds["app"][0].waiting_input is not None:
            jenkins_env.builds["app"][0].waiting_input = None
            jenkins_env.builds["app"][0].input_answered = True

    polling = builds.Polling(interval=0.0, sleep=approve_when_waiting)
    assert builds.follow(client, server, "app", 1, polling, out) == "SUCCESS"
    assert out.getvalue() == (f"a\nb\n{APPROVAL.message}\nProceed or Abort\n"
                              "deploy production\nFinished: SUCCESS\n")


def test_approve_lets_the_build_go_on(jenkins_env: FakeJenkins, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    waiting_for_approval(jenkins_env, monkeypatch)
    assert run_cli(capsys, "jenkins", "approve", "app", "1") == (
        0, "build #1 of 'app': input 'Production' approved\n", "")
    build = jenkins_env.builds["app"][0]
    while build.building:
        build.advance()
    assert build.result == "SUCCESS"
    assert f"Approved by {APPROVER}\ndeploy production\n" in build.console


def test_approving_a_build_of_a_job_in_a_folder(jenkins_env: FakeJenkins,
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    jenkins_env.add_job("deploy", "<com.cloudbees.hudson.plugins.folder.Folder/>")
    waiting_for_approval(jenkins_env, monkeypatch, "deploy/app")
    assert run_cli(capsys, "jenkins", "approve", "deploy/app", "1")[0] == 0
    assert jenkins_env.builds["deploy/app"][0].input_answered


def test_abort_ends_the_build_aborted(jenkins_env: FakeJenkins, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    waiting_for_approval(jenkins_env, monkeypatch)
    code, out, _ = run_cli(capsys, "jenkins", "abort", "app", "1", "--input", "Production")
    assert (code, out) == (0, "build #1 of 'app': input 'Production' aborted\n")
    build = jenkins_env.builds["app"][0]
    assert build.result == "ABORTED" and "deploy production" not in build.console


@pytest.mark.parametrize("user", ["ci", "dev"])
def test_only_an_approver_may_answer(user: str, jenkins_env: FakeJenkins,
                                     monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    waiting_for_approval(jenkins_env, monkeypatch)
    monkeypatch.setenv("JENKINS_USER", user)
    monkeypatch.setenv("JENKINS_TOKEN", jenkins_env.users[user].token)
    code, _, err = run_cli(capsys, "jenkins", "approve", "app", "1")
    assert code == 2 and f"does not allow '{user}'" in err and "(HTTP 403)" in err
    assert jenkins_env.builds["app"][0].waiting_input == APPROVAL


@pytest.mark.parametrize("argv", [("app", "1"), ("app", "1", "--input", "Staging")])
def test_answering_a_build_that_waits_for_nothing_exits_2(
        argv: tuple[str, ...], jenkins_env: FakeJenkins,
        capsys: pytest.CaptureFixture[str]) -> None:
    jenkins_env.add_job("app")
    jenkins_env.start_build("app")
    code, _, err = run_cli(capsys, "jenkins", "approve", *argv)
    assert code == 2 and "waits for no approval" in err


def test_status_lists_the_newest_builds_with_results_and_versions(
        jenkins_env: FakeJenkins, capsys: pytest.CaptureFixture[str]) -> None:
    jenkins_env.add_job("app")
    for result in ("SUCCESS", "FAILURE", None):
        build = jenkins_env.start_build("app")
        build.display_name = f"1.4.0+build.{build.number}"
        if result:
            build.finish(result)
    code, out, _ = run_cli(capsys, "jenkins", "status", "app", "--limit", "2")
    lines = out.splitlines()
    assert code == 0 and lines[0] == "app: last 2 build(s)"
    assert lines[2].split()[:2] == ["3", "RUNNING"] and lines[2].endswith("1.4.0+build.3")
    assert lines[3].split()[:2] == ["2", "FAILURE"] and lines[3].endswith("1.4.0+build.2")
    assert len(lines) == 4


def test_status_of_a_job_without_builds(jenkins_env: FakeJenkins,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    jenkins_env.add_job("app")
    assert run_cli(capsys, "jenkins", "status", "app") == (0, "app: no builds yet\n", "")


def test_status_as_json_for_scripts(jenkins_env: FakeJenkins,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    jenkins_env.add_job("deploy", "<com.cloudbees.hudson.plugins.folder.Folder/>")
    jenkins_env.add_job("deploy/app")
    build = jenkins_env.start_build("deploy/app")
    build.display_name = "1.4.0+build.1"
    build.finish("SUCCESS")
    code, out, _ = run_cli(capsys, "jenkins", "status", "deploy/app", "--json")
    assert code == 0
    assert json.loads(out) == {"job": "deploy/app", "builds": [
        {"number": 1, "result": "SUCCESS", "name": "1.4.0+build.1",
         "started": "2023-11-14T22:13:20.001000+00:00"}]}


def test_status_and_build_default_to_the_deploy_job(jenkins_env: FakeJenkins,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    deploy_job = JobSettings.from_config(config.load()).declared.deploy_job
    assert run_cli(capsys, "jenkins", "status")[2].endswith(f"has no job '{deploy_job}'\n")
    jenkins_env.add_job(deploy_job.rpartition("/")[0],
                        "<com.cloudbees.hudson.plugins.folder.Folder/>")
    jenkins_env.add_job(deploy_job)
    code, out, _ = run_cli(capsys, "jenkins", "build", *FAST)
    assert code == 0 and out.startswith(f"build #1 of '{deploy_job}' started")
    assert out.rstrip().endswith("/job/" + deploy_job.replace("/", "/job/") + "/1/")
