"""``make clean-local`` (scripts/clean_local.py) against a throwaway stack on the real engine."""
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from docker.errors import NotFound

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "clean_local.py"
# Built by `pipeline provision local`; any local image with a `sleep` would do.
IMAGE = "pipeline/python:3.11-bookworm"


class Stack:
    """Containers, network, volume and state directory named like a deployed stack's."""

    def __init__(self, root: Path) -> None:
        self.name = f"cl{uuid.uuid4().hex[:8]}"
        self.inventory = root / "inventory"
        (self.inventory / "group_vars").mkdir(parents=True)
        (self.inventory / "group_vars" / "all.yml").write_text(
            f"stack_name: {self.name}\nstack_dir: \"{root}/state/{{{{ stack_name }}}}\"\n")
        self.state_dir = root / "state" / self.name
        (self.state_dir / "secrets").mkdir(parents=True)
        self.client = docker.from_env()
        network = self.client.networks.create(self.name)
        self.client.volumes.create(f"{self.name}-pgdata")
        for suffix in ("db", "app-b1"):
            self.client.containers.run(IMAGE, ["sleep", "300"], name=f"{self.name}-{suffix}",
                                       network=network.name, detach=True)
        # Another stack whose name starts like this one's: never touched.
        self.client.containers.run(IMAGE, ["sleep", "300"], name=f"{self.name}x-db", detach=True)

    def containers(self) -> list[str]:
        return sorted(container.name for container in self.client.containers.list(all=True)
                      if container.name.startswith(self.name))

    def has_volume(self) -> bool:
        try:
            self.client.volumes.get(f"{self.name}-pgdata")
        except NotFound:
            return False
        return True

    def remove(self) -> None:
        for container in self.client.containers.list(all=True):
            if container.name.startswith(self.name):
                container.remove(force=True)
        for network in self.client.networks.list(names=[self.name]):
            network.remove()
        if self.has_volume():
            self.client.volumes.get(f"{self.name}-pgdata").remove(force=True)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    made = Stack(tmp_path)
    try:
        yield made
    finally:
        made.remove()


def clean_local(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), "--inventory", str(stack.inventory),
                           *args], text=True, capture_output=True, check=False, timeout=120)


@pytest.mark.slow
def test_containers_and_network_go_and_the_data_stays(stack: Stack) -> None:
    result = clean_local(stack)
    assert result.returncode == 0, result.stderr
    assert stack.containers() == [f"{stack.name}x-db"]
    assert stack.client.networks.list(names=[stack.name]) == []
    assert stack.has_volume() and stack.state_dir.is_dir()
    assert sorted(result.stdout.splitlines()) == [
        f"clean-local: container {stack.name}-app-b1", f"clean-local: container {stack.name}-db",
        f"clean-local: network {stack.name}"]
    assert clean_local(stack).stdout == "clean-local: nothing to remove\n"


@pytest.mark.slow
def test_volumes_removes_the_data_too(stack: Stack) -> None:
    result = clean_local(stack, "--volumes")
    assert result.returncode == 0, result.stderr
    assert not stack.has_volume() and not stack.state_dir.exists()
    assert stack.containers() == [f"{stack.name}x-db"]


def test_a_missing_inventory_is_exit_2_in_one_line(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(SCRIPT), "--inventory", str(tmp_path)],
                            text=True, capture_output=True, check=False, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith(f"clean-local: error: cannot read the stack from {tmp_path}")
    assert len(result.stderr.splitlines()) == 1
