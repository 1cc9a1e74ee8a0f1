"""The FAKE Jenkins on 127.0.0.1 and the environment that points the CLI at it."""
from collections.abc import Iterator

import pytest

from bench.ports import free_port
from pipeline import cli
from tests.jenkins.fake_jenkins import FakeJenkins

USER = "ci"
TOKEN = "ci-token-123"


@pytest.fixture
def fake() -> Iterator[FakeJenkins]:
    """A fresh fake controller, served for one test."""
    with FakeJenkins().serve() as served:
        yield served


@pytest.fixture
def jenkins_env(fake: FakeJenkins, monkeypatch: pytest.MonkeyPatch) -> FakeJenkins:
    """JENKINS_URL/USER/TOKEN of the fake's approver user."""
    monkeypatch.setenv("JENKINS_URL", fake.url)
    monkeypatch.setenv("JENKINS_USER", USER)
    monkeypatch.setenv("JENKINS_TOKEN", TOKEN)
    return fake


@pytest.fixture
def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens."""
    return f"http://127.0.0.1:{free_port()}/"


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``pipeline ARGV`` in process: exit code, stdout, stderr."""
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err
