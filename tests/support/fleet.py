"""A throwaway fleet for the multi-host tests and benchmark: four hosts over real SSH.

Made by the same code as `make fleet-up` (pipeline.ship.fleet), under its own name, with its own
inventory and state under the work directory, so it never touches the developer's fleet.
"""
import os
import shlex
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import docker

from pipeline.ship import fleet as fleet_module
from tests.support.load import Load

REPO_ROOT = Path(__file__).resolve().parents[2]
FLEET_INVENTORY = REPO_ROOT / "ansible" / "inventories" / "fleet"
# The fleet inventory's registry_address: the registry host's address, this port.
REGISTRY_PORT = 5000


class FleetStack:
    """The fleet ``name`` (hosts proxy-1, app-1, app-2, db-1) and the pipeline pointed at it."""

    environment = "fleet"

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        inventory = workdir / "inventories" / self.environment
        shutil.copytree(FLEET_INVENTORY / "group_vars", inventory / "group_vars",
                        ignore=shutil.ignore_patterns("vault.yml"))
        self.fleet = fleet_module.Fleet(f"ft{uuid.uuid4().hex[:6]}", inventory,
                                        workdir / "state")
        self.image_name = f"visitors-{self.fleet.name}"
        self.version_file = workdir / "version.txt"
        self.addresses: dict[str, str] = {}
        self.set_build(0)

    def up(self) -> None:
        """Make the hosts."""
        self.addresses = fleet_module.up(self.fleet, say=lambda line: None)

    def down(self) -> None:
        """Remove everything the fleet made, and this run's images."""
        fleet_module.down(self.fleet, say=lambda line: None)
        client = docker.from_env()
        for repository in (self.image_name, f"{self.registry}/{self.image_name}"):
            for image in client.images.list(name=repository):
                for tag in image.tags:
                    if tag.startswith(f"{repository}:"):
                        client.images.remove(tag)

    @property
    def registry(self) -> str:
        """The fleet's registry, host:port."""
        return f"{self.addresses['proxy-1']}:{REGISTRY_PORT}"

    def credentials(self) -> dict[str, str]:
        """What `pipeline fleet up` wrote into its env file (registry login, vault password)."""
        values = {}
        for line in self.fleet.env_file.read_text(encoding="utf-8").splitlines():
            key, _, value = line.removeprefix("export ").partition("=")
            values[key] = shlex.split(value)[0]
        return values

    def env(self, **overrides: str) -> dict[str, str]:
        """The environment that points the pipeline at this fleet."""
        return {**os.environ, **self.credentials(),
                "PIPELINE_INVENTORIES_DIR": str(self.workdir / "inventories"),
                "PIPELINE_DEPLOY_ENVIRONMENT": self.environment,
                "PIPELINE_IMAGE_NAME": self.image_name,
                "PIPELINE_VERSION_FILE": str(self.version_file),
                "PIPELINE_REPORTS_DIR": str(self.workdir / "reports"), **overrides}

    def pipeline(self, *args: str, timeout: float = 1200, **env: str
                 ) -> subprocess.CompletedProcess[str]:
        """Run the real CLI against this fleet."""
        return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=REPO_ROOT,
                              env=self.env(**env), text=True, capture_output=True,
                              timeout=timeout, check=False)

    def set_build(self, build: int) -> None:
        """Make the fleet's version file say build ``build``."""
        self.version_file.write_text(f"0.1.0+build.{build}\n", encoding="utf-8")

    def built(self, build: int) -> str:
        """The reference the build stage gives build ``build`` (the push stage's input)."""
        return f"{self.image_name}:0.1.0-build.{build}"

    def image(self, build: int) -> str:
        """The reference a deploy releases build ``build`` as (the fleet's registry)."""
        return f"{self.registry}/{self.image_name}:0.1.0-build.{build}"

    def url(self, path: str = "/") -> str:
        """A URL of the fleet's proxy (its public port)."""
        return f"http://{self.addresses['proxy-1']}{path}"

    def host(self, name: str) -> "docker.models.containers.Container":
        """The container that is host ``name``."""
        return docker.from_env().containers.get(self.fleet.container(name))

    def on_host(self, name: str, *argv: str) -> str:
        """Run ``argv`` on host ``name`` (set-up and checks only) and return its output."""
        code, output = self.host(name).exec_run(list(argv))
        assert code == 0, output
        return str(output.decode().strip())

    def sql(self, query: str) -> str:
        """Run ``query`` in the fleet's database and return psql's unaligned output."""
        return self.on_host("db-1", "docker", "exec", "visitors-db", "psql", "--username",
                            "visitors", "--dbname", "visitors", "--tuples-only", "--no-align",
                            "--command", query)

    def visits(self) -> int:
        """Every visit the fleet's database has counted (the zero-downtime load's counter)."""
        return int(self.sql("SELECT coalesce(sum(visits), 0) FROM visitor"))

    def page_load(self) -> Load:
        """The zero-downtime load: the page through the proxy (each request writes a visit),
        checked against the visits the database counted."""
        return Load(self.url("/"), workers=3, max_seconds=900,
                    own_hosts=frozenset(self.addresses.values()), counter=self.visits)
