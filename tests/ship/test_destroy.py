"""``pipeline destroy ENV``: the destroy playbook against a throwaway stack on the real engine.

The stack is made of containers created (never started) from an empty image, named and
labelled as provision and deploys name theirs; beside it lives a second stack whose name starts
with the first one's, which must survive. Its environment runs from an inventory of its own
(tests/support/stack.py), never the machine's `local` one.
"""
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from docker.errors import NotFound

from pipeline.ship.destroy import removed_lines
from tests.support.stack import REPO_ROOT, ShipStack

ROLE_CONTAINERS = ("db", "proxy", "prometheus", "alertmanager", "node-exporter",
                   "postgres-exporter", "nginx-exporter")
VOLUMES = ("pgdata", "prometheus-data", "alertmanager-data")


class Stacks:
    """The stack to destroy (``name``) and its neighbour ``name-staging``, made as deploys do."""

    def __init__(self, workdir: Path, environment: str) -> None:
        self.target = ShipStack(workdir, environment)
        self.name = self.target.name
        self.other = f"{self.name}-staging"
        self.client = docker.from_env()
        self.image = f"{self.name}-empty:1"
        empty = io.BytesIO()
        tarfile.open(fileobj=empty, mode="w").close()
        self.client.api.import_image_from_data(empty.getvalue(), repository=self.image[:-2],
                                               tag="1")
        for stack in (self.name, self.other):
            self.client.networks.create(stack)
            for volume in VOLUMES:
                self.client.volumes.create(f"{stack}-{volume}")
            for suffix in ROLE_CONTAINERS:
                self.create(f"{stack}-{suffix}", network=stack)
            self.create(f"{stack}-app-b3-p8001", network=stack,
                        labels={"pipeline-stack": stack, "pipeline-build": "3"})
        # What a killed deploy leaves: its one-off migration container.
        self.create(f"{self.name}-migrate-b4")
        (self.target.state_dir / "secrets").mkdir(parents=True)

    def create(self, name: str, network: str | None = None,
               labels: dict[str, str] | None = None) -> None:
        self.client.containers.create(self.image, ["none"], name=name, network=network,
                                      labels=labels or {})

    def containers(self) -> list[str]:
        """Every container of either stack, by name."""
        return sorted(container.name for container in self.client.containers.list(all=True)
                      if container.name.startswith(f"{self.name}-"))

    def networks(self) -> list[str]:
        return sorted(network.name for network in self.client.networks.list()
                      if network.name in (self.name, self.other))

    def volumes(self) -> list[str]:
        return sorted(volume.name for volume in self.client.volumes.list(
            filters={"name": self.name}))

    def remove(self) -> None:
        """Remove whatever of both stacks is left, and the image."""
        self.target.destroy()
        for network in self.client.networks.list(names=[self.other]):
            network.remove()
        try:
            self.client.images.remove(self.image)
        except NotFound:
            pass


@pytest.fixture
def stacks(request: pytest.FixtureRequest) -> Iterator[Stacks]:
    (REPO_ROOT / "build").mkdir(exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="destroy-", dir=REPO_ROOT / "build"))
    made = None
    try:
        made = Stacks(workdir, getattr(request, "param", "shiptest"))
        yield made
    finally:
        if made is not None:
            made.remove()
        shutil.rmtree(workdir)


def others(stacks: Stacks) -> list[str]:
    """The neighbour's containers: all of them, always."""
    return sorted(f"{stacks.other}-{suffix}" for suffix in (*ROLE_CONTAINERS, "app-b3-p8001"))


@pytest.mark.slow
def test_the_stacks_containers_and_network_go_and_its_data_stays(stacks: Stacks) -> None:
    result = stacks.target.pipeline("destroy", stacks.target.environment, "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert stacks.containers() == others(stacks)
    assert stacks.networks() == [stacks.other]
    assert stacks.volumes() == sorted(f"{stack}-{volume}" for stack in (stacks.name, stacks.other)
                                      for volume in VOLUMES)
    assert (stacks.target.state_dir / "secrets").is_dir()
    removed = sorted(f"container {stacks.name}-{suffix}" for suffix in
                     (*ROLE_CONTAINERS, "app-b3-p8001", "migrate-b4"))
    assert result.stdout.splitlines() == [f"localhost: removed {what}" for what in removed] + [
        f"localhost: removed network {stacks.name}"]
    again = stacks.target.pipeline("destroy", stacks.target.environment, "--yes")
    assert (again.returncode, again.stdout) == (0, f"{stacks.target.environment}: nothing to "
                                                   "remove\n")


@pytest.mark.slow
def test_volumes_removes_the_data_too(stacks: Stacks) -> None:
    result = stacks.target.pipeline("destroy", stacks.target.environment, "--volumes", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert stacks.containers() == others(stacks)
    assert stacks.volumes() == sorted(f"{stacks.other}-{volume}" for volume in VOLUMES)
    assert not stacks.target.state_dir.exists()
    assert result.stdout.splitlines()[-4:] == [
        *(f"localhost: removed volume {stacks.name}-{volume}" for volume in VOLUMES),
        f"localhost: removed directory {stacks.target.state_dir}"]


@pytest.mark.slow
def test_a_deploy_holding_the_lock_refuses_the_destroy_and_nothing_changes(
        stacks: Stacks) -> None:
    before = (stacks.containers(), stacks.networks(), stacks.volumes())
    held = {"owner": "another-run", "holder": "ann@ci (pid 1)", "build": "7",
            "acquired_at": "2026-11-24T04:00:00Z", "expires_at": "later",
            "expires": time.time() + 600, "token": 1, "process": {}}
    stacks.target.lock_file.write_text(json.dumps(held))
    try:
        result = stacks.target.pipeline("destroy", stacks.target.environment, "--volumes",
                                        "--yes")
        assert result.returncode == 1
        assert "another deploy holds the lock: ann@ci (pid 1), build 7" in result.stderr
        assert result.stdout == ""
        assert (stacks.containers(), stacks.networks(), stacks.volumes()) == before
        assert json.loads(stacks.target.lock_file.read_text())["owner"] == "another-run"
    finally:
        stacks.target.lock_file.unlink(missing_ok=True)


@pytest.mark.slow
@pytest.mark.parametrize("stacks", ["production"], indirect=True)
def test_production_without_yes_is_refused_and_nothing_changes(stacks: Stacks) -> None:
    before = (stacks.containers(), stacks.networks(), stacks.volumes())
    result = stacks.target.pipeline("destroy", "production", "--volumes")
    assert result.returncode == 2
    assert result.stderr == ("pipeline: error: destroying removes production's containers and "
                             "data: confirm with --yes\n")
    assert result.stdout == ""
    assert (stacks.containers(), stacks.networks(), stacks.volumes()) == before
    assert stacks.target.state_dir.is_dir()


def test_the_report_reads_one_line_per_thing_removed() -> None:
    report = {"host-b": {"host": "b", "containers": [], "networks": ["s"], "volumes": [],
                         "directories": []},
              "host-a": {"host": "a", "containers": ["s-db"], "networks": [],
                         "volumes": ["s-pgdata"], "directories": ["/var/lib/s"]}}
    assert removed_lines(report) == ["a: removed container s-db", "a: removed volume s-pgdata",
                                     "a: removed directory /var/lib/s", "b: removed network s"]


def test_an_unknown_environment_is_refused_in_one_line() -> None:
    result = subprocess.run([sys.executable, "-m", "pipeline", "destroy", "qa", "--yes"],
                            cwd=REPO_ROOT, text=True, capture_output=True, check=False,
                            timeout=60)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == ("pipeline: error: unknown environment 'qa' "
                             "(known: fleet, local, production, staging)\n")
