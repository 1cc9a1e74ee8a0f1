"""A deploy aborted as Jenkins aborts a build (SIGTERM to the whole run): it frees its lock,
says so in one line and exits 143, while the release it was replacing keeps serving."""
import os
import signal
import subprocess
import time

import pytest

from tests.support.load import LoadResult
from tests.support.stack import REPO_ROOT, ShipStack

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def aborted(stack: ShipStack) -> tuple[int, str, LoadResult]:
    """Build 1 deployed; build 2's deploy sent SIGTERM once it holds the lock, under load."""
    provisioned = stack.pipeline("provision", stack.environment)
    assert provisioned.returncode == 0, provisioned.stdout[-4000:] + provisioned.stderr
    first = stack.pipeline("run", "--stages", "version,build,push,deploy")
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr
    built = stack.pipeline("run", "--stages", "version,build,push")
    assert built.returncode == 0, built.stdout[-4000:] + built.stderr
    with stack.page_load() as load:
        run = subprocess.Popen(stack.command("deploy", stack.environment), cwd=REPO_ROOT,
                               env=stack.env(), text=True, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True)
        try:
            deadline = time.monotonic() + 300
            while not stack.lock_file.exists():
                assert run.poll() is None and time.monotonic() < deadline, "no lock was taken"
                time.sleep(0.1)
            os.killpg(run.pid, signal.SIGTERM)
            _, error = run.communicate(timeout=300)
        finally:
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGKILL)
        time.sleep(1)
    return run.returncode, error, load.result


def test_an_aborted_deploy_frees_its_lock_and_the_old_release_keeps_serving(
        stack: ShipStack, aborted: tuple[int, str, LoadResult]) -> None:
    returncode, error, load = aborted
    assert returncode == 143
    assert error.strip().splitlines()[-1] == (
        "pipeline: error: terminated (SIGTERM): the deploy lock was freed")
    assert not stack.lock_file.exists()
    assert load.problems() == []
    assert stack.version_served()["build"] == 1
    status = stack.pipeline("status", stack.environment)
    assert status.returncode == 0, status.stdout[-2000:] + status.stderr
    assert status.stdout.strip().splitlines()[-1] == "lock: free"
