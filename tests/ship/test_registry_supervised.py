"""The registry comes back by itself: killed outright, it answers again, and a push works.

A registry of its own for the test (its own port, files and container), made by the registry
role as provision.yml runs it on this machine, which has no systemd: Debian's binary in a
container of the Docker engine. With TLS, as the fleet's and servers' registries (their login
is left out: ansible's Python here has no passlib to write it).
"""
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest

from bench.ports import free_port
from tests.support.stack import REPO_ROOT

pytestmark = pytest.mark.slow

ANSIBLE_DIR = REPO_ROOT / "pipeline" / "ansible"
PUSHED = "pipeline/python:3.11-bookworm"
PLAYBOOK = """\
- name: Run the image registry
  hosts: all
  gather_facts: false
  roles:
    - role: registry
"""


@dataclass
class Registry:
    """The test's registry: where it listens, its container, its CA."""

    address: str
    container: str
    ca_file: Path

    def answer(self) -> int:
        """The status /v2/ answers (0: no answer)."""
        context = ssl.create_default_context(cafile=str(self.ca_file))
        try:
            with urllib.request.urlopen(f"https://{self.address}/v2/", timeout=2,
                                        context=context) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            return 0

    def pid(self) -> int:
        """The registry process's pid on this machine."""
        return int(docker.from_env().containers.get(self.container).attrs["State"]["Pid"])


@pytest.fixture(scope="module")
def registry(provisioned: None) -> Iterator[Registry]:
    """The registry role's registry, with TLS and a login, on a port of its own."""
    (REPO_ROOT / "build").mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="registry-", dir=REPO_ROOT / "build"))
    name = f"rt{uuid.uuid4().hex[:6]}"
    address = f"127.0.0.1:{free_port()}"
    (work / "play.yml").write_text(PLAYBOOK, encoding="utf-8")
    (work / "vars.json").write_text(json.dumps({
        "ansible_python_interpreter": sys.executable, "private_address": "127.0.0.1",
        "stack_name": name, "registry_listen": address, "registry_tls": True,
        "registry_auth": False,
        "registry_config_dir": str(work / "config"), "registry_storage": str(work / "storage"),
        "registry_container": f"{name}-registry"}), encoding="utf-8")
    certs = Path("/etc/docker/certs.d") / address
    try:
        run = subprocess.run(
            [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,",
             "-c", "local", "-e", f"@{work / 'vars.json'}", str(work / "play.yml")],
            cwd=ANSIBLE_DIR, env={**os.environ, "ANSIBLE_CONFIG": str(ANSIBLE_DIR / "ansible.cfg")},
            text=True, capture_output=True, check=False, timeout=600)
        assert run.returncode == 0, run.stdout[-3000:]
        certs.mkdir(parents=True)
        shutil.copy(work / "config" / "pki" / "ca.crt", certs / "ca.crt")
        yield Registry(address, f"{name}-registry", work / "config" / "pki" / "ca.crt")
    finally:
        client = docker.from_env()
        for container in client.containers.list(all=True, filters={"name": f"{name}-registry"}):
            container.remove(force=True)
        for image in client.images.list(name=f"{address}/{PUSHED.split(':')[0]}"):
            for tag in image.tags:
                client.images.remove(tag)
        shutil.rmtree(certs, ignore_errors=True)
        shutil.rmtree(work)


def test_it_runs_supervised_as_its_own_user(registry: Registry) -> None:
    container = docker.from_env().containers.get(registry.container)
    assert container.attrs["HostConfig"]["RestartPolicy"]["Name"] == "always"
    assert container.attrs["Config"]["User"].split(":")[0] != "0"
    assert registry.answer() == 200


def test_killed_outright_it_answers_again_within_seconds_and_a_push_works(
        registry: Registry) -> None:
    killed = registry.pid()
    os.kill(killed, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while registry.answer() != 200 or registry.pid() in (0, killed):
        assert time.monotonic() < deadline, "the registry did not come back within 10 s"
        time.sleep(0.2)

    target = f"{registry.address}/{PUSHED}"
    client = docker.from_env()
    client.images.get(PUSHED).tag(target)
    pushed = client.images.push(target, stream=True, decode=True)
    assert [line["error"] for line in pushed if "error" in line] == []
