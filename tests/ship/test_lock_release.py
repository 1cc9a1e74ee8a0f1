"""`pipeline lock release ENV`: a run that may be alive keeps its lock unless --yes says so."""
import json
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.stack import REPO_ROOT, ShipStack

pytestmark = pytest.mark.slow

ALIVE = "the run may be alive"
GONE_PID = 2 ** 22 + 1  # above Linux's pid_max: no process ever has it


@pytest.fixture(scope="module")
def target() -> Iterator[ShipStack]:
    """An environment of this machine whose lock file the tests write (no stack is started)."""
    (REPO_ROOT / "build").mkdir(exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="lock-release-", dir=REPO_ROOT / "build"))
    stack = ShipStack(workdir)
    stack.state_dir.mkdir(parents=True)
    try:
        yield stack
    finally:
        shutil.rmtree(workdir)


def hold(target: ShipStack, expires_in: float, process: dict[str, Any]) -> None:
    """Write the lock a run of ann's on build 7 took."""
    target.lock_file.write_text(json.dumps({
        "owner": "another-run", "holder": "ann@ci (pid 1)", "build": "7",
        "acquired_at": "2026-12-07T20:00:00+00:00", "expires_at": "2026-12-07T20:30:00+00:00",
        "expires": time.time() + expires_in, "token": 5, "process": process}))


def test_a_live_runs_lock_is_kept_without_yes_and_freed_with_it(target: ShipStack) -> None:
    hold(target, 600, {"host": "ci", "pid": 1, "start": "1"})
    refused = target.pipeline("lock", "release", target.environment)
    assert (refused.returncode, refused.stdout) == (2, "")
    assert refused.stderr == (
        f"pipeline: error: {target.environment}: the deploy lock is held by ann@ci (pid 1), "
        "build 7, until 2026-12-07T20:30:00+00:00, and that run may still be alive: release "
        "it anyway with --yes\n")
    assert json.loads(target.lock_file.read_text())["owner"] == "another-run"

    released = target.pipeline("lock", "release", target.environment, "--yes")
    assert released.returncode == 0, released.stderr
    assert released.stdout == (f"{target.environment}: released the deploy lock of "
                               "ann@ci (pid 1), build 7\n")
    assert not target.lock_file.exists()


@pytest.mark.parametrize(("expires_in", "process"), [
    (-1, {"host": "ci", "pid": 1, "start": "1"}),
    (600, {"host": socket.gethostname(), "pid": GONE_PID, "start": "1"})],
    ids=["expired", "process-gone-here"])
def test_a_dead_runs_lock_is_freed_without_yes(target: ShipStack, expires_in: float,
                                               process: dict[str, Any]) -> None:
    hold(target, expires_in, process)
    released = target.pipeline("lock", "release", target.environment)
    assert released.returncode == 0, released.stderr
    assert released.stdout == (f"{target.environment}: released the deploy lock of "
                               "ann@ci (pid 1), build 7\n")
    assert not target.lock_file.exists()


def test_a_free_lock_is_said_to_be_free(target: ShipStack) -> None:
    released = target.pipeline("lock", "release", target.environment)
    assert (released.returncode, released.stdout) == (
        0, f"{target.environment}: the deploy lock was free\n")
