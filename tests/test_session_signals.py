"""A test session ended by SIGTERM (a timeout, an aborted build) still runs its fixtures'
finalizers, so the containers and networks they made do not outlive it (tests/conftest.py).

The session under test is a real pytest with this suite's conftest as a plugin, whose one
fixture makes a network and a container on it and whose one test waits; SIGTERM goes to its
whole process group, as ``timeout`` sends it, once the test runs: when pytest has exited, the
container and the network must be gone.
"""
import io
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path
from typing import Iterator

import docker
import docker.errors
import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow

SESSION = '''
import os
import subprocess
import time
from pathlib import Path

import pytest


def docker(*args):
    subprocess.run(["docker", *args], check=True, capture_output=True)


@pytest.fixture
def stack():
    name = os.environ["SIGNALLED_NAME"]
    docker("network", "create", name)
    docker("create", "--name", name, "--network", name, os.environ["SIGNALLED_IMAGE"])
    try:
        yield name
    finally:
        docker("rm", "--force", name)
        docker("network", "rm", name)


def test_waits(stack):
    Path(os.environ["SIGNALLED_READY"]).touch()
    time.sleep(600)
'''
# An image of nothing (a container of it is created, never started): no pull, no provisioning.
NOTHING = 'FROM scratch\nCMD ["nothing"]\n'


def left_behind(name: str) -> list[str]:
    """What of the session's container and network still exists, removed now."""
    client = docker.from_env()
    left = []
    for kind, collection in (("container", client.containers), ("network", client.networks)):
        try:
            collection.get(name).remove()
        except docker.errors.NotFound:
            continue
        left.append(kind)
    return left


@pytest.fixture
def nothing() -> Iterator[str]:
    """The image of nothing, removed afterwards."""
    tag = f"signalled-nothing:{uuid.uuid4().hex[:8]}"
    docker.from_env().images.build(fileobj=io.BytesIO(NOTHING.encode()), tag=tag, rm=True)
    try:
        yield tag
    finally:
        docker.from_env().images.remove(tag)


@pytest.mark.parametrize("workers", [[], ["-n", "1"]], ids=["in-process", "xdist"])
def test_sigterm_tears_down_the_sessions_fixtures(nothing: str, tmp_path: Path,
                                                  workers: list[str]) -> None:
    (tmp_path / "test_signalled.py").write_text(textwrap.dedent(SESSION), encoding="utf-8")
    name = f"signalled-{uuid.uuid4().hex[:8]}"
    ready = tmp_path / "ready"
    session = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider",
         "--rootdir", str(tmp_path), *workers, str(tmp_path / "test_signalled.py")],
        cwd=ROOT, env={**os.environ, "SIGNALLED_NAME": name, "SIGNALLED_IMAGE": nothing,
                       "SIGNALLED_READY": str(ready)},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not ready.exists():
            assert session.poll() is None, session.communicate()[0][-3000:]
            assert time.monotonic() < deadline, "the session's test never started"
            time.sleep(0.2)
        assert docker.from_env().containers.get(name).status == "created"
        os.killpg(session.pid, signal.SIGTERM)
        output, _ = session.communicate(timeout=120)
    finally:
        if session.poll() is None:
            os.killpg(session.pid, signal.SIGKILL)
        left = left_behind(name)
    assert left == [], output[-3000:]
    assert session.returncode == pytest.ExitCode.INTERRUPTED, output[-3000:]
