"""New engine settings stop no container: the docker_host role, where dockerd runs without systemd.

A host as the fleet's are (the fleet's host image, its own dockerd started in a session of its
own, as a host without systemd runs it) serves a page from a container on a published port. The
role's configure and engine entry points, as provision.yml runs them, then apply settings: first
the provision that adds live-restore (a reload), then one a reload cannot apply (a restart).
Through both, the container stays the same one, never restarted, and its page answers.
"""
import json
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest
from docker.models.containers import Container

from pipeline.ship import fleet as fleet_module

pytestmark = [pytest.mark.slow, pytest.mark.tools("mmdebstrap")]

REPO_ROOT = Path(__file__).resolve().parents[2]
ANSIBLE_DIR = REPO_ROOT / "pipeline" / "ansible"
PLAYBOOK = """\
- name: Configure the engine, then start, reload or restart it, as provision.yml does
  hosts: all
  gather_facts: false
  tasks:
    - name: Install the engine and write its settings
      ansible.builtin.include_role: {name: docker_host, tasks_from: configure}
    - name: Start the engine, or apply its new settings
      ansible.builtin.include_role: {name: docker_host, tasks_from: engine}
"""


@pytest.fixture(scope="module")
def host(provisioned: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    """A fleet-like host whose dockerd runs (no daemon.json yet) with a page on port 8000."""
    client = docker.from_env()
    name = f"h5lr{uuid.uuid4().hex[:6]}"
    image = fleet_module.ensure_host_image(client, say=lambda line: None)
    network = client.networks.create(name)
    volume = client.volumes.create(name)
    container = client.containers.run(
        image, ["/bin/sh", "-c", "setsid -f dockerd >>/var/log/dockerd.log 2>&1 </dev/null; "
                                 "exec sleep infinity"],
        name=name, detach=True, cap_add=["ALL"], cap_drop=["SYS_RESOURCE"],
        security_opt=["seccomp=unconfined", "apparmor=unconfined"], network=name,
        volumes={"/sys/fs/cgroup": {"bind": "/sys/fs/cgroup", "mode": "rw"},
                 name: {"bind": "/var/lib/docker", "mode": "rw"}})
    try:
        deadline = time.monotonic() + 60
        while container.exec_run(["docker", "info"]).exit_code != 0:
            assert time.monotonic() < deadline, "the host's engine did not start"
            time.sleep(1)
        # The page runs in the host image too (it has python3): no other image needed.
        load = subprocess.run(f"docker save {image} | docker exec -i {name} docker load",
                              shell=True, capture_output=True, text=True, check=False)
        assert load.returncode == 0, load.stderr
        started = container.exec_run(["docker", "run", "-d", "--name", "page", "-p", "8000:8000",
                                      image, "python3", "-m", "http.server", "8000"])
        assert started.exit_code == 0, started.output
        yield container
    finally:
        container.remove(force=True)
        volume.remove(force=True)
        network.remove()


def address(host: Container) -> str:
    host.reload()
    return str(next(iter(host.attrs["NetworkSettings"]["Networks"].values()))["IPAddress"])


def page_state(host: Container) -> dict[str, Any]:
    """The page container's id, start time and status, as the host's engine says."""
    found = host.exec_run(["docker", "inspect", "--format",
                           "{{json .Id}} {{json .State.StartedAt}} {{json .State.Status}} "
                           "{{json .RestartCount}}", "page"])
    assert found.exit_code == 0, found.output
    ident, started, status, restarts = map(json.loads, found.output.decode().split())
    return {"id": ident, "started": started, "status": status, "restarts": restarts}


def apply_settings(host: Container, tmp_path: Path, options: dict[str, Any]
                   ) -> subprocess.CompletedProcess[str]:
    """Run the role's configure and engine on ``host`` with ``options``."""
    (tmp_path / "play.yml").write_text(PLAYBOOK, encoding="utf-8")
    (tmp_path / "vars.json").write_text(json.dumps({
        "docker_host_daemon_options": options,
        "ansible_python_interpreter": "/usr/bin/python3"}), encoding="utf-8")
    return subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", f"{host.name},",
         "-c", "community.docker.docker", "-e", f"@{tmp_path / 'vars.json'}",
         str(tmp_path / "play.yml")],
        cwd=ANSIBLE_DIR, env={"ANSIBLE_CONFIG": str(ANSIBLE_DIR / "ansible.cfg"),
                              "ANSIBLE_ROLES_PATH": str(ANSIBLE_DIR / "roles"),
                              "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"},
        text=True, capture_output=True, check=False, timeout=600)


class Asker(threading.Thread):
    """Asks for the page four times a second until stopped; counts what did not answer 200."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.asked, self.failed = url, 0, 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.25):
            self.asked += 1
            try:
                with urllib.request.urlopen(self.url, timeout=2) as answer:
                    self.failed += answer.status != 200
            except OSError:
                self.failed += 1


def under_asks(host: Container, tmp_path: Path, options: dict[str, Any]
               ) -> tuple[subprocess.CompletedProcess[str], Asker]:
    asker = Asker(f"http://{address(host)}:8000/")
    asker.start()
    try:
        return apply_settings(host, tmp_path, options), asker
    finally:
        asker.done.set()
        asker.join()


def engine_pid(host: Container) -> str:
    """The host's dockerd pid, from its pid file."""
    return host.exec_run(["cat", "/var/run/docker.pid"]).output.decode().strip()


def live_restore(host: Container) -> str:
    return host.exec_run(["docker", "info", "--format",
                          "{{.LiveRestoreEnabled}}"]).output.decode().strip()


def test_new_settings_keep_the_container_running_and_its_page_answering(
        host: Container, tmp_path: Path) -> None:
    before, engine = page_state(host), engine_pid(host)
    assert before["status"] == "running" and live_restore(host) == "false"

    reloaded, asker = under_asks(host, tmp_path, {})
    assert reloaded.returncode == 0, reloaded.stdout[-3000:]
    assert live_restore(host) == "true"
    assert engine_pid(host) == engine  # reloaded (SIGHUP), not restarted
    assert page_state(host) == before
    assert (asker.failed, asker.asked > 0) == (0, True)

    restarted, asker = under_asks(host, tmp_path, {"log-level": "warn"})
    assert restarted.returncode == 0, restarted.stdout[-3000:]
    assert engine_pid(host) not in ("", engine)  # a new dockerd
    assert json.loads(host.exec_run(["cat", "/etc/docker/daemon.json"]).output) == {
        "live-restore": True, "log-level": "warn"}
    assert page_state(host) == before
    # The new dockerd makes its iptables rules again: a request straight to the host's port may
    # miss for a moment (behind the proxy, the other app host answers it); the page serves on.
    assert asker.failed <= asker.asked // 4, (asker.failed, asker.asked)
    with urllib.request.urlopen(f"http://{address(host)}:8000/", timeout=5) as answer:
        assert answer.status == 200

    again = apply_settings(host, tmp_path, {"log-level": "warn"})
    assert again.returncode == 0, again.stdout[-3000:]
    assert "changed=0" in again.stdout
