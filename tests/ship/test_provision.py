"""`provision --if-changed`: skipped only when every host is as its last provision left it."""
import subprocess
import sys
from pathlib import Path

import docker
import pytest

from pipeline.ship.provision import fingerprint

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def ansible_tree(tmp_path: Path) -> Path:
    """A small ansible/ folder: a playbook, a role and two environments' inventories."""
    for name, text in {"provision.yml": "- hosts: all\n", "roles/db/tasks/main.yml": "[]\n",
                       "inventories/local/hosts.yml": "all: {}\n",
                       "inventories/staging/hosts.yml": "all: {}\n"}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def local_fingerprint(tree: Path) -> str:
    return fingerprint(tree, tree / "inventories", tree / "inventories" / "local")


def test_a_role_or_this_inventory_changes_the_fingerprint(ansible_tree: Path) -> None:
    before = local_fingerprint(ansible_tree)
    (ansible_tree / "roles/db/tasks/main.yml").write_text("- debug: {}\n", encoding="utf-8")
    after_role = local_fingerprint(ansible_tree)
    (ansible_tree / "inventories/local/hosts.yml").write_text("all: {hosts: {a: {}}}\n",
                                                              encoding="utf-8")
    assert len({before, after_role, local_fingerprint(ansible_tree)}) == 3


def test_a_file_moved_to_another_name_changes_the_fingerprint(ansible_tree: Path) -> None:
    before = local_fingerprint(ansible_tree)
    (ansible_tree / "roles/db/tasks/main.yml").rename(ansible_tree / "roles/db/tasks/other.yml")
    assert local_fingerprint(ansible_tree) != before


def test_another_inventory_and_python_caches_leave_it_alone(ansible_tree: Path) -> None:
    before = local_fingerprint(ansible_tree)
    (ansible_tree / "inventories/staging/hosts.yml").write_text("changed: 1\n", encoding="utf-8")
    (ansible_tree / "library/__pycache__").mkdir(parents=True)
    (ansible_tree / "library/__pycache__/x.pyc").write_bytes(b"\0")
    assert local_fingerprint(ansible_tree) == before


def test_the_cache_ansible_lint_leaves_beside_the_playbooks_leaves_it_alone(
        ansible_tree: Path) -> None:
    """ansible-lint keeps a .ansible folder (a lock file among others) where it runs."""
    before = local_fingerprint(ansible_tree)
    (ansible_tree / ".ansible/modules").mkdir(parents=True)
    (ansible_tree / ".ansible/.lock").write_text("", encoding="utf-8")
    assert local_fingerprint(ansible_tree) == before


def provision_if_changed() -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pipeline", "provision", "local",
                           "--if-changed"], cwd=REPO_ROOT, text=True, capture_output=True,
                          timeout=1800, check=False)


@pytest.mark.slow
def test_an_unchanged_environment_is_skipped_and_a_stopped_container_brings_it_back(
        provisioned: None) -> None:
    skipped = provision_if_changed()
    assert skipped.returncode == 0, skipped.stderr
    assert skipped.stdout.splitlines()[-1].startswith(
        "provision of local skipped: every host is as its last provision left it")

    exporter = docker.from_env().containers.get("visitors-node-exporter")
    exporter.stop(timeout=1)
    again = provision_if_changed()
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr
    assert again.stdout.splitlines()[0] == (
        "provisioning local: localhost: container visitors-node-exporter no longer runs")
    assert again.stdout.splitlines()[-1].startswith("provisioned local: ")
    exporter.reload()
    assert exporter.status == "running"
    assert provision_if_changed().stdout.splitlines()[-1].startswith(
        "provision of local skipped")
