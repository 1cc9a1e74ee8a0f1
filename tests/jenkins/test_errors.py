"""One clear line and the contract's exit code for each way reaching Jenkins can go wrong."""
import pytest

from pipeline.jenkins.settings import ServerSettings
from tests.jenkins.conftest import TOKEN, run_cli
from tests.jenkins.fake_jenkins import FakeJenkins

COMMANDS = [("jenkins", "sync"), ("jenkins", "build", "--job", "app"),
            ("jenkins", "status", "app"), ("jenkins", "approve", "app", "1")]


@pytest.mark.parametrize("command", COMMANDS)
def test_unreachable_server_exits_1(command: tuple[str, ...], closed_port_url: str,
                                    monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("JENKINS_URL", closed_port_url)
    monkeypatch.setenv("JENKINS_USER", "ci")
    monkeypatch.setenv("JENKINS_TOKEN", TOKEN)
    code, out, err = run_cli(capsys, *command)
    assert code == 1 and out == ""
    assert err == f"pipeline: error: cannot reach Jenkins at {closed_port_url}: ConnectionError\n"


@pytest.mark.parametrize("command", COMMANDS)
def test_bad_credentials_exit_2_without_showing_the_token(
        command: tuple[str, ...], jenkins_env: FakeJenkins, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    jenkins_env.add_job("app")
    monkeypatch.setenv("JENKINS_TOKEN", "wrong-token-999")
    code, out, err = run_cli(capsys, *command)
    assert code == 2 and out == ""
    assert err.count("\n") == 1
    assert "refused the credentials of 'ci' (HTTP 401)" in err
    assert "wrong-token-999" not in err
    assert jenkins_env.config_posts == [] and jenkins_env.queue == {}


@pytest.mark.parametrize(("command", "message"), [
    (("jenkins", "build", "--job", "nope"), "has no job 'nope'"),
    (("jenkins", "status", "nope"), "has no job 'nope'"),
    (("jenkins", "approve", "nope", "1"), "has no build #1 of job 'nope'"),
    (("jenkins", "abort", "app", "7"), "has no build #7 of job 'app'"),
])
def test_unknown_job_or_build_exits_2(command: tuple[str, ...], message: str,
                                      jenkins_env: FakeJenkins,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    jenkins_env.add_job("app")
    code, out, err = run_cli(capsys, *command)
    assert (code, out) == (2, "")
    assert err.startswith("pipeline: error: Jenkins at ") and message in err
    assert err.count("\n") == 1


def test_missing_settings_exit_2_before_any_request(monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("JENKINS_URL", "JENKINS_USER", "JENKINS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert run_cli(capsys, "jenkins", "sync") == (
        2, "", "pipeline: error: set JENKINS_URL, JENKINS_USER, JENKINS_TOKEN in the "
               "environment to reach Jenkins\n")


@pytest.mark.parametrize(("argv", "message"), [
    (("jenkins", "status", "app", "--limit", "0"), "--limit must be at least 1"),
    (("hooks", "install", "--repo", "/nonexistent"),
     "set JENKINS_URL, JENKINS_USER, JENKINS_TOKEN in the environment to reach Jenkins"),
])
def test_bad_arguments_exit_2_before_reaching_jenkins(
        argv: tuple[str, ...], message: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("JENKINS_URL", "JENKINS_USER", "JENKINS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert run_cli(capsys, *argv) == (2, "", f"pipeline: error: {message}\n")


@pytest.mark.parametrize("url", ["http://jenkins.example.com/", "http://10.0.0.5:8080"])
def test_a_token_is_never_sent_in_clear_beyond_this_machine(
        url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("JENKINS_URL", url)
    monkeypatch.setenv("JENKINS_USER", "admin")
    monkeypatch.setenv("JENKINS_TOKEN", "SECRET-token")
    assert run_cli(capsys, "jenkins", "sync") == (
        2, "", f"pipeline: error: JENKINS_URL {url} would send the API token in clear: use "
               "https:// (plain http only to this machine: localhost, 127.0.0.1, [::1])\n")


@pytest.mark.parametrize("url", ["https://jenkins.example.com/", "http://127.0.0.1:8080/",
                                 "http://localhost:8080", "http://[::1]:8080/"])
def test_https_anywhere_and_http_to_this_machine_are_accepted(url: str) -> None:
    assert ServerSettings.from_environ({"JENKINS_URL": url, "JENKINS_USER": "u",
                                        "JENKINS_TOKEN": "t"}).url.startswith(url.rstrip("/"))
