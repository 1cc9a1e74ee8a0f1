"""The post-receive hook in a real bare repository, pushed to with real git, asking the fake to
poll; the hook's account travels in the Authorization header, never in a URL."""
import os
import stat
import subprocess
from pathlib import Path

import pytest

from pipeline.core import config
from pipeline.jenkins import post_receive
from pipeline.jenkins.settings import JobSettings
from tests.jenkins.conftest import TOKEN, USER, run_cli
from tests.jenkins.fake_jenkins import FakeJenkins

pytestmark = pytest.mark.tools("git")
GIT_IDENTITY = {"GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.com",
                "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.com"}
FOLDER = "<com.cloudbees.hudson.plugins.folder.Folder/>"


def git(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True,
                          timeout=60, env={**os.environ, **GIT_IDENTITY})


@pytest.fixture
def bare(tmp_path: Path) -> Path:
    """An empty bare repository, as on a git server."""
    repo = tmp_path / "app.git"
    git("init", "--bare", "--initial-branch=main", str(repo), cwd=tmp_path)
    return repo


@pytest.fixture
def clone(tmp_path: Path, bare: Path) -> Path:
    """A working copy with one commit, its origin the bare repository."""
    work = tmp_path / "work"
    git("init", "--initial-branch=main", str(work), cwd=tmp_path)
    (work / "README").write_text("hello\n", encoding="utf-8")
    git("add", "README", cwd=work)
    git("commit", "-m", "first", cwd=work)
    git("remote", "add", "origin", str(bare), cwd=work)
    return work


@pytest.fixture
def jobs(fake: FakeJenkins) -> list[str]:
    """The build job and the deploy job, on the fake."""
    settings = JobSettings.from_config(config.load())
    fake.add_job(settings.deploy_folder, FOLDER)
    for job in (settings.job_name, settings.declared.deploy_job):
        fake.add_job(job)
    return [settings.job_name, settings.declared.deploy_job]


def install(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, bare: Path,
            jenkins_url: str, user: str = USER, token: str = TOKEN) -> str:
    monkeypatch.setenv("JENKINS_USER", user)
    monkeypatch.setenv("JENKINS_TOKEN", token)
    code, out, err = run_cli(capsys, "hooks", "install", "--repo", str(bare), "--jenkins-url",
                             jenkins_url)
    assert (code, err) == (0, ""), err
    assert out.startswith(f"installed {bare / 'hooks' / 'post-receive'}")
    return out


def test_a_push_asks_both_jobs_to_poll_with_the_token_in_the_header_only(
        fake: FakeJenkins, jobs: list[str], bare: Path, clone: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    out = install(capsys, monkeypatch, bare, fake.url)
    assert TOKEN not in out
    pushed = git("push", "origin", "main", cwd=clone)
    assert fake.polls == [(job, USER) for job in jobs]
    assert [line.rstrip() for line in pushed.stderr.splitlines() if "jenkins:" in line] == [
        f"remote: jenkins: {job}: polling scheduled (HTTP 302)" for job in jobs]
    assert fake.requested == ["POST /job/visitor-counter/polling",
                              "POST /job/deploy/job/visitor-counter-deploy/polling"]
    assert not any(TOKEN in request for request in fake.requested)
    assert TOKEN not in pushed.stderr + capsys.readouterr().out
    credentials = bare / post_receive.CREDENTIALS_FILE
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert credentials.read_text(encoding="utf-8") == f"{USER}:{TOKEN}\n"


def test_tags_and_deleted_branches_ask_for_nothing() -> None:
    zero, sha = "0" * 40, "a" * 40
    lines = [f"{zero} {sha} refs/heads/feature/x\n", f"{sha} {zero} refs/heads/old\n",
             f"{zero} {sha} refs/tags/v1.0\n", "garbage\n"]
    assert post_receive.pushed_branches(lines) == ["feature/x"]
    assert post_receive.pushed_branches(lines[1:]) == []


def test_jenkins_down_never_blocks_or_fails_a_push(
        bare: Path, clone: Path, closed_port_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    install(capsys, monkeypatch, bare, closed_port_url)
    pushed = git("push", "origin", "main", cwd=clone)
    assert "not notified (URLError" in pushed.stderr
    assert git("rev-parse", "main", cwd=bare).stdout == git("rev-parse", "HEAD",
                                                            cwd=clone).stdout


@pytest.mark.parametrize(("user", "token", "answer"), [
    (USER, "wrong-token", "Jenkins refused the hook's account (HTTP 401)"),
    ("dev", "dev-token-456", "Jenkins refused the hook's account (HTTP 403)"),
])
def test_an_account_jenkins_refuses_is_one_line_and_the_push_stands(
        fake: FakeJenkins, jobs: list[str], bare: Path, clone: Path, user: str, token: str,
        answer: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    install(capsys, monkeypatch, bare, fake.url, user, token)
    pushed = git("push", "origin", "main", cwd=clone)
    assert f"jenkins: {jobs[0]}: {answer}" in pushed.stderr
    assert fake.polls == []
    assert token not in pushed.stderr


def test_install_is_repeatable_and_the_hook_is_the_shipped_script(
        bare: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    install(capsys, monkeypatch, bare, "http://127.0.0.1:9/")
    monkeypatch.setenv("JENKINS_USER", USER)
    monkeypatch.setenv("JENKINS_TOKEN", TOKEN)
    assert run_cli(capsys, "hooks", "install", "--repo", str(bare), "--jenkins-url",
                   "http://127.0.0.1:9/", "--job", "only-this")[0] == 0
    hook = bare / "hooks" / "post-receive"
    assert hook.read_text(encoding="utf-8") == Path(post_receive.__file__).read_text("utf-8")
    assert os.access(hook, os.X_OK)
    assert git("config", "jenkins.url", cwd=bare).stdout.strip() == "http://127.0.0.1:9/"
    assert git("config", "--get-all", "jenkins.job", cwd=bare).stdout.split() == ["only-this"]


def test_install_refuses_bad_input_and_changes_nothing(
        tmp_path: Path, bare: Path, clone: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    foreign = bare / "hooks" / "post-receive"
    foreign.write_text("#!/bin/sh\necho mine\n", encoding="utf-8")
    monkeypatch.setenv("JENKINS_USER", USER)
    monkeypatch.setenv("JENKINS_TOKEN", TOKEN)
    cases = [
        (["--repo", str(clone)], "is not a bare git repository"),
        (["--repo", str(tmp_path / "missing")], "is not a bare git repository"),
        (["--repo", str(bare)], "exists and was not installed by pipeline"),
        (["--repo", str(bare), "--jenkins-url", "ftp://x"], "not an http(s) URL"),
    ]
    for argv, message in cases:
        code, _, err = run_cli(capsys, "hooks", "install", "--jenkins-url", "https://ci:8080/",
                               *argv)
        assert code == 2 and message in err and err.count("\n") == 1, err
    monkeypatch.delenv("JENKINS_TOKEN")
    code, _, err = run_cli(capsys, "hooks", "install", "--jenkins-url", "https://ci:8080/",
                           "--repo", str(bare))
    assert code == 2 and "set JENKINS_TOKEN" in err
    assert foreign.read_text(encoding="utf-8") == "#!/bin/sh\necho mine\n"
    assert not (bare / post_receive.CREDENTIALS_FILE).exists()
    completed = subprocess.run(["git", "config", "--get-regexp", "^jenkins\\."], cwd=bare,
                               capture_output=True, text=True, check=False)
    assert completed.stdout == ""


def run_hook(bare: Path, lines: list[str], monkeypatch: pytest.MonkeyPatch,
             capsys: pytest.CaptureFixture[str]) -> str:
    """The hook's main in this process (as git runs it: GIT_DIR set), returning its stderr."""
    monkeypatch.setenv("GIT_DIR", str(bare))
    assert post_receive.main(lines, str(bare)) == 0
    return capsys.readouterr().err


def test_the_hook_without_settings_says_so_and_lets_the_push_be(
        bare: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    err = run_hook(bare, [f"{'0' * 40} {'a' * 40} refs/heads/main\n"], monkeypatch, capsys)
    assert err == (f"jenkins: jenkins.url, jenkins.job or {post_receive.CREDENTIALS_FILE} "
                   "missing; not notified\n")


def test_the_hook_polls_each_job_once_per_push_until_its_deadline(
        fake: FakeJenkins, jobs: list[str], bare: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    install(capsys, monkeypatch, bare, fake.url)
    lines = [f"{'0' * 40} {'a' * 40} refs/heads/main\n", f"{'0' * 40} {'b' * 40} refs/heads/dev\n"]
    err = run_hook(bare, lines, monkeypatch, capsys)
    assert err.splitlines() == [f"jenkins: {job}: polling scheduled (HTTP 302)" for job in jobs]
    monkeypatch.setattr(post_receive, "DEADLINE_SECONDS", 0.0)
    err = run_hook(bare, lines, monkeypatch, capsys)
    assert err.splitlines()[0] == (f"jenkins: out of time, {jobs[0]} not notified (its polling "
                                   "schedule will find the push)")
    assert len(fake.polls) == 2
