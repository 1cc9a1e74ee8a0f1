"""The deploy_lock module (ansible/library), run by Ansible itself as the playbooks run it."""
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ANSIBLE_DIR = Path(__file__).resolve().parents[2] / "pipeline" / "ansible"

pytestmark = pytest.mark.slow


def deploy_lock(path: Path, **args: Any) -> dict[str, Any]:
    """The module's result for ``args``, through `ansible localhost -m deploy_lock`."""
    env = {**os.environ, "ANSIBLE_CONFIG": str(ANSIBLE_DIR / "ansible.cfg"),
           "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1", "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json"}
    argv = [str(Path(sys.executable).parent / "ansible"), "localhost", "-i", "localhost,",
            "-c", "local", "-e", f"ansible_python_interpreter={sys.executable}",
            "-m", "deploy_lock", "-a", json.dumps({"path": str(path), **args})]
    run = subprocess.run(argv, cwd=ANSIBLE_DIR, env=env, text=True, capture_output=True,
                         check=False, timeout=120)
    result: dict[str, Any] = json.loads(run.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
    return result


def test_a_lock_is_refused_to_others_renewed_by_its_owner_and_records_its_process(
        tmp_path: Path) -> None:
    lock = tmp_path / "deploy.lock"
    taken = deploy_lock(lock, owner="run-a", holder="me@h (pid 1)", build="7",
                        process={"host": "h", "pid": 1, "start": "99"})
    assert taken["msg"] == "deploy lock taken"
    assert json.loads(lock.read_text())["process"] == {"host": "h", "pid": 1, "start": "99"}
    refused = deploy_lock(lock, owner="run-b")
    assert refused["failed"] and refused["msg"].startswith(
        "another deploy holds the lock: me@h (pid 1), build 7")
    renewed = deploy_lock(lock, owner="run-a", renew=True, ttl=3600)
    assert renewed["msg"] == "deploy lock renewed"
    assert renewed["lock"]["expires"] > taken["lock"]["expires"] + 1000
    assert renewed["lock"]["token"] == taken["lock"]["token"]


def test_a_renewal_fails_once_the_lock_is_no_longer_the_runs(tmp_path: Path) -> None:
    lock = tmp_path / "deploy.lock"
    deploy_lock(lock, owner="run-a", holder="a", ttl=0)
    taken_over = deploy_lock(lock, owner="run-b", holder="b", build="8")
    assert taken_over["msg"] == "deploy lock taken"
    refused = deploy_lock(lock, owner="run-a", renew=True)
    assert refused["failed"]
    assert refused["msg"] == ("this deploy no longer holds the lock (now held by b, build 8): "
                              "stopping before changing more")
    deploy_lock(lock, state="absent", force=True)
    released = deploy_lock(lock, owner="run-b", renew=True)
    assert released["failed"] and "(it was released)" in released["msg"]
    assert not lock.exists()


def test_a_forced_release_with_a_token_frees_only_that_lock(tmp_path: Path) -> None:
    lock = tmp_path / "deploy.lock"
    token = deploy_lock(lock, owner="run-a")["lock"]["token"]
    kept = deploy_lock(lock, state="absent", force=True, token=token + 1)
    assert kept["msg"] == "deploy lock not held by this deploy"
    assert lock.exists()
    freed = deploy_lock(lock, state="absent", force=True, token=token)
    assert freed["msg"] == "deploy lock released"
    assert not lock.exists()
