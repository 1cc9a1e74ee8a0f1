"""The post-receive hook in a real bare repository, pushed to with real git, notifying the fake."""
import os
import stat
import subprocess
from pathlib import Path

import pytest

from pipeline.core import config
from pipeline.jenkins import jobconfig, post_receive
from pipeline.jenkins.settings import JobSettings
from tests.jenkins.conftest import run_cli
from tests.jenkins.fake_jenkins import FakeJenkins

GIT_IDENTITY = {"GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.com",
                "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.com"}


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


def install(capsys: pytest.CaptureFixture[str], bare: Path, jenkins_url: str) -> None:
    code, out, err = run_cli(capsys, "hooks", "install", "--repo", str(bare), "--jenkins-url",
                             jenkins_url, "--repository-url", bare.as_uri())
    assert (code, err) == (0, ""), err
    assert out.startswith(f"installed {bare / 'hooks' / 'post-receive'}")


def test_a_push_reaches_jenkins_and_queues_the_job_that_clones_the_repo(
        fake: FakeJenkins, bare: Path, clone: Path, capsys: pytest.CaptureFixture[str]) -> None:
    job = JobSettings.from_config(config.load())
    fake.add_job("app", jobconfig.render(JobSettings(**{**job.__dict__,
                                                        "repository_url": bare.as_uri()})))
    fake.add_job("other", jobconfig.render(job))
    install(capsys, bare, fake.url)
    pushed = git("push", "origin", "main", cwd=clone)
    sha = git("rev-parse", "HEAD", cwd=clone).stdout.strip()
    assert fake.notifications == [{"url": bare.as_uri(), "branches": "main"}]
    assert [item.job for item in fake.queue.values()] == ["app"]
    assert f"jenkins: main {sha[:8]}: Scheduled polling of app" in pushed.stderr


def test_tags_and_deleted_branches_are_not_notified() -> None:
    zero, sha = "0" * 40, "a" * 40
    lines = [f"{zero} {sha} refs/heads/feature/x\n", f"{sha} {zero} refs/heads/old\n",
             f"{zero} {sha} refs/tags/v1.0\n", "garbage\n"]
    assert post_receive.pushed_branches(lines) == [("feature/x", sha)]


def test_jenkins_down_never_blocks_or_fails_a_push(
        bare: Path, clone: Path, closed_port_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    install(capsys, bare, closed_port_url)
    pushed = git("push", "origin", "main", cwd=clone)
    assert "not notified (URLError" in pushed.stderr
    assert git("rev-parse", "main", cwd=bare).stdout == git("rev-parse", "HEAD",
                                                            cwd=clone).stdout


def test_the_access_token_is_kept_private_and_sent(
        bare: Path, clone: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    with FakeJenkins(notify_token="notify-secret-77").serve() as fake:
        monkeypatch.setenv("JENKINS_NOTIFY_TOKEN", "notify-secret-77")
        install(capsys, bare, fake.url)
        token_file = bare / post_receive.TOKEN_FILE
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        pushed = git("push", "origin", "main", cwd=clone)
        sha = git("rev-parse", "HEAD", cwd=clone).stdout.strip()
        assert fake.notifications == [{"url": bare.as_uri(), "branches": "main", "sha1": sha,
                                       "token": "notify-secret-77"}]
        assert "notify-secret-77" not in pushed.stderr + capsys.readouterr().out
        token_file.write_text("wrong\n", encoding="utf-8")
        git("commit", "--allow-empty", "-m", "second", cwd=clone)
        pushed = git("push", "origin", "main", cwd=clone)
        assert "Jenkins answered HTTP 401" in pushed.stderr


def test_install_is_repeatable_and_the_hook_is_the_shipped_script(
        bare: Path, capsys: pytest.CaptureFixture[str]) -> None:
    install(capsys, bare, "http://127.0.0.1:9/")
    install(capsys, bare, "http://127.0.0.1:9/")
    hook = bare / "hooks" / "post-receive"
    assert hook.read_text(encoding="utf-8") == Path(post_receive.__file__).read_text("utf-8")
    assert os.access(hook, os.X_OK)
    assert git("config", "jenkins.url", cwd=bare).stdout.strip() == "http://127.0.0.1:9/"


def test_install_refuses_bad_input_and_changes_nothing(
        tmp_path: Path, bare: Path, clone: Path, capsys: pytest.CaptureFixture[str]) -> None:
    foreign = bare / "hooks" / "post-receive"
    foreign.write_text("#!/bin/sh\necho mine\n", encoding="utf-8")
    cases = [
        (["--repo", str(clone)], "is not a bare git repository"),
        (["--repo", str(tmp_path / "missing")], "is not a bare git repository"),
        (["--repo", str(bare)], "exists and was not installed by pipeline"),
        (["--repo", str(bare), "--jenkins-url", "ftp://x"], "not an http(s) URL"),
        (["--repo", str(bare), "--repository-url", "nope"], "not a git URL"),
    ]
    for argv, message in cases:
        code, _, err = run_cli(capsys, "hooks", "install", "--jenkins-url", "http://ci:8080/",
                               *argv)
        assert code == 2 and message in err and err.count("\n") == 1, err
    assert foreign.read_text(encoding="utf-8") == "#!/bin/sh\necho mine\n"
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
    assert err == "jenkins: jenkins.url or jenkins.repositoryUrl not set; not notified\n"


def test_the_hook_notifies_each_branch_until_its_deadline(
        fake: FakeJenkins, bare: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    install(capsys, bare, fake.url)
    lines = [f"{'0' * 40} {'a' * 40} refs/heads/main\n", f"{'0' * 40} {'b' * 40} refs/heads/dev\n"]
    err = run_hook(bare, lines, monkeypatch, capsys)
    assert err.splitlines() == [
        f"jenkins: main aaaaaaaa: No git jobs using repository: {bare.as_uri()} and branches: main",
        f"jenkins: dev bbbbbbbb: No git jobs using repository: {bare.as_uri()} and branches: dev"]
    monkeypatch.setattr(post_receive, "DEADLINE_SECONDS", 0.0)
    err = run_hook(bare, lines, monkeypatch, capsys)
    assert err.splitlines()[0] == "jenkins: out of time, main not notified (polling will find it)"
    assert len(fake.notifications) == 2
