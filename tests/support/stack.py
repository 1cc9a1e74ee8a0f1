"""An isolated copy of the real deploy target on this machine, for tests and the benchmark.

Same playbooks, roles and local inventory as `make deploy`, but its own stack name (so its own
containers, network, volume and state directory), its own loopback port, image name, version
file and reports: it never touches the developer's `local` deployment or version.txt.
"""
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import yaml

from bench.ports import free_port
from tests.support.load import Load

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCAL_INVENTORY = REPO_ROOT / "ansible" / "inventories" / "local"
REGISTRY = "127.0.0.1:5000"


def remove_images(repository: str) -> None:
    """Remove every tag of ``repository`` (layers another image still uses stay)."""
    client = docker.from_env()
    for image in client.images.list(name=repository):
        for tag in image.tags:
            if tag.startswith(f"{repository}:"):
                client.images.remove(tag)


class ShipStack:
    """One throwaway environment named ``environment``, deployed by the real pipeline CLI."""

    def __init__(self, workdir: Path, environment: str = "shiptest",
                 health_timeout: int = 20) -> None:
        self.workdir = workdir
        self.environment = environment
        self.name = f"vt{uuid.uuid4().hex[:8]}"
        self.port = free_port()
        self.app_ports = [free_port(), free_port()]
        self.image_name = f"visitors-{self.name}"
        self.version_file = workdir / "version.txt"
        self.reports = workdir / "reports"
        self.state_dir = workdir / "state"
        self.backup_copies = workdir / "backups-off-the-database-host"
        self._write_inventory(health_timeout)
        self.set_build(0)

    def _write_inventory(self, health_timeout: int) -> None:
        inventory = self.workdir / "inventories" / self.environment
        (inventory / "group_vars" / "all").mkdir(parents=True)
        (inventory / "hosts.yml").write_text(
            (LOCAL_INVENTORY / "hosts.yml").read_text(encoding="utf-8"), encoding="utf-8")
        local_vars = yaml.safe_load(
            (LOCAL_INVENTORY / "group_vars" / "all" / "main.yml").read_text(encoding="utf-8"))
        local_vars.update({"stack_name": self.name, "stack_dir": str(self.state_dir),
                           "proxy_port": self.port, "proxy_public_url": self.url("").rstrip("/"),
                           "proxy_status_listen": f"127.0.0.1:{free_port()}",
                           "app_ports": self.app_ports,
                           **{f"monitoring_{name}_port": free_port() for name in (
                               "prometheus", "alertmanager", "node_exporter",
                               "postgres_exporter", "nginx_exporter")},
                           "app_health_timeout": health_timeout,
                           "postgres_backup_copy_dir": str(self.backup_copies)})
        (inventory / "group_vars" / "all" / "main.yml").write_text(yaml.safe_dump(local_vars),
                                                                   encoding="utf-8")

    def env(self) -> dict[str, str]:
        """The environment that points the pipeline at this stack."""
        return {**os.environ,
                "PIPELINE_INVENTORIES_DIR": str(self.workdir / "inventories"),
                "PIPELINE_DEPLOY_ENVIRONMENT": self.environment,
                "PIPELINE_IMAGE_NAME": self.image_name,
                "PIPELINE_VERSION_FILE": str(self.version_file),
                "PIPELINE_REPORTS_DIR": str(self.reports)}

    def command(self, *args: str) -> list[str]:
        """``python -m pipeline ARGS``."""
        return [sys.executable, "-m", "pipeline", *args]

    def pipeline(self, *args: str, timeout: float = 900, cwd: Path = REPO_ROOT
                 ) -> subprocess.CompletedProcess[str]:
        """Run the real CLI against this stack (from ``cwd``, the project it builds, always
        with this checkout's library) and capture what it said."""
        library = {} if cwd == REPO_ROOT else {"PYTHONPATH": str(REPO_ROOT)}
        return subprocess.run(self.command(*args), cwd=cwd, env={**self.env(), **library},
                              text=True, capture_output=True, timeout=timeout, check=False)

    def start_pipeline(self, *args: str) -> "subprocess.Popen[str]":
        """Start the real CLI in the background (for concurrent deploys)."""
        return subprocess.Popen(self.command(*args), cwd=REPO_ROOT, env=self.env(), text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def set_build(self, build: int) -> None:
        """Make the stack's version file say build ``build``."""
        self.version_file.write_text(f"0.1.0+build.{build}\n", encoding="utf-8")

    def image(self, build: int) -> str:
        """The reference a deploy releases build ``build`` as (the environment's registry)."""
        return f"{REGISTRY}/{self.image_name}:0.1.0-build.{build}"

    def url(self, path: str = "/") -> str:
        """A URL of the stack's proxy on loopback."""
        return f"http://127.0.0.1:{self.port}{path}"

    def version_served(self) -> dict[str, object]:
        """The proxy's /version answer: what the stack serves."""
        with urllib.request.urlopen(self.url("/version"), timeout=10) as response:
            answer = json.loads(response.read())
        assert isinstance(answer, dict)
        return answer

    @property
    def lock_file(self) -> Path:
        """The environment's deploy lock, present while a deploy runs."""
        return self.state_dir / "deploy.lock"

    def run_in(self, service: str, *argv: str) -> str:
        """Run ``argv`` in the stack's ``service`` container (``db``, ``proxy``...): its output."""
        return subprocess.run(["docker", "exec", f"{self.name}-{service}", *argv], text=True,
                              capture_output=True, check=True).stdout

    def sql(self, query: str) -> str:
        """Run ``query`` in the stack's database and return psql's unaligned output."""
        return self.run_in("db", "psql", "--username", self.name, "--dbname", self.name,
                           "--tuples-only", "--no-align", "--command", query).strip()

    def visits(self) -> int:
        """Every visit the stack's database has counted (the zero-downtime load's counter)."""
        return int(self.sql("SELECT coalesce(sum(visits), 0) FROM visitor"))

    def page_load(self) -> Load:
        """The zero-downtime load: the page through the proxy (each request writes a visit),
        checked against the visits the database counted."""
        return Load(self.url("/"), workers=3, max_seconds=600, counter=self.visits)

    def app_builds(self) -> list[int]:
        """The builds of the stack's release containers, running or not."""
        client = docker.from_env()
        return sorted(int(container.labels["pipeline-build"]) for container
                      in client.containers.list(all=True,
                                                filters={"label": f"pipeline-stack={self.name}"}))

    def destroy(self) -> None:
        """Remove every container, volume, network and image of this stack."""
        client = docker.from_env()
        for container in client.containers.list(all=True):
            if container.name.startswith(f"{self.name}-"):
                container.remove(force=True, v=True)
        for volume in client.volumes.list(filters={"name": self.name}):
            volume.remove(force=True)
        for network in client.networks.list(names=[self.name]):
            network.remove()
        remove_images(self.image_name)  # as built
        remove_images(f"{REGISTRY}/{self.image_name}")  # as pushed


@contextlib.contextmanager
def throwaway_stack(prefix: str) -> Iterator[ShipStack]:
    """An environment of this machine that nothing used before, destroyed with its files after.

    Its files live under build/ (ignored by git) because the pipeline reports version and
    report paths relative to the project root.
    """
    (REPO_ROOT / "build").mkdir(exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=prefix, dir=REPO_ROOT / "build"))
    stack = ShipStack(workdir)
    try:
        yield stack
    finally:
        stack.destroy()
        shutil.rmtree(workdir)
