"""A provision holds the deploy lock: refused while another run holds it, and refusing others."""
import json
import time
from collections.abc import Iterator

import docker
import pytest

from tests.support.stack import ShipStack, throwaway_stack

pytestmark = pytest.mark.slow


@pytest.fixture
def target(provisioned: None) -> Iterator[ShipStack]:
    """An environment of this machine, never provisioned before the test."""
    with throwaway_stack("provision-lock-") as stack:
        yield stack


def containers(stack: ShipStack) -> list[str]:
    """The names of the stack's containers."""
    return sorted(container.name for container in docker.from_env().containers.list(all=True)
                  if container.name.startswith(f"{stack.name}-"))


def test_a_provision_while_a_deploy_holds_the_lock_is_refused_and_changes_nothing(
        target: ShipStack) -> None:
    target.state_dir.mkdir(parents=True)
    held = {"owner": "another-run", "holder": "ann@ci (pid 1)", "build": "7",
            "acquired_at": "2026-12-07T20:00:00+00:00", "expires_at": "later",
            "expires": time.time() + 600, "token": 3, "process": {}}
    target.lock_file.write_text(json.dumps(held))
    refused = target.pipeline("provision", target.environment)
    assert refused.returncode == 1
    error = refused.stderr.strip().splitlines()[-1]
    assert error.startswith(f"pipeline: error: provisioning {target.environment} failed")
    assert "another deploy holds the lock: ann@ci (pid 1), build 7" in error
    assert "PLAY [Install and configure the Docker engines]" not in refused.stdout
    assert json.loads(target.lock_file.read_text())["owner"] == "another-run"
    assert containers(target) == []
    assert sorted(path.name for path in target.state_dir.iterdir()) == ["deploy.lock"]


def test_a_deploy_while_a_provision_runs_is_refused_and_the_provision_frees_the_lock(
        target: ShipStack) -> None:
    provision = target.start_pipeline("provision", target.environment)
    try:
        deadline = time.monotonic() + 300
        while not target.lock_file.exists():
            assert provision.poll() is None, provision.communicate()[0][-3000:]
            assert time.monotonic() < deadline, "the provision never took the lock"
            time.sleep(0.2)
        target.set_build(1)
        refused = target.pipeline("deploy", target.environment)
        assert refused.returncode == 1
        error = refused.stderr.strip().splitlines()[-1]
        assert "another deploy holds the lock" in error
        assert "build none (provisioning)" in error and "pid" in error
    finally:
        output = provision.communicate(timeout=900)[0]
    assert provision.returncode == 0, output[-3000:]
    assert output.splitlines()[-1].startswith(f"provisioned {target.environment}: ")
    assert not target.lock_file.exists()
    assert f"{target.name}-db" in containers(target)
