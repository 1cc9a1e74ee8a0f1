"""Provisioning an environment, and skipping a provision that would change nothing.

A provision that changes nothing still runs every task of every role (about a minute here),
which ``make deploy`` would pay on every run. ``--if-changed`` first asks each host, in one
short read-only playbook (pipeline/ansible/provisioned.yml), whether it is still as its last
provision left it: the same fingerprint, the same containers running, its registry answering.
Only when every host says so is the provision skipped; otherwise it runs, and says why.

A provision holds the environment's deploy lock, as a deploy does (a daemon.json change
restarts engines; a changed password recreates the database): it is refused while a deploy,
rollback, restore or destroy runs, and they are refused while it runs.

The fingerprint is a hash of what decides what provision does: the library's playbooks and roles
(pipeline/ansible), this environment's inventory, and the Ansible release.
"""
import hashlib
from importlib import metadata
from pathlib import Path

from pipeline.core.config import Config
from pipeline.core.errors import PipelineError
from pipeline.ship.deploy import Environment

# Caches that tools leave beside the playbooks: Python's, and ansible-lint's (.ansible).
SKIPPED_DIRECTORIES = {"__pycache__", ".ansible"}


def _files(root: Path, leave_out: Path | None = None) -> list[Path]:
    """Every file under ``root`` (not under ``leave_out``), in a stable order."""
    return sorted(path for path in root.rglob("*")
                  if path.is_file() and not SKIPPED_DIRECTORIES & set(path.relative_to(root).parts)
                  and (leave_out is None or not path.is_relative_to(leave_out)))


def fingerprint(ansible_dir: Path, inventories: Path, inventory: Path) -> str:
    """The hash of what a provision with ``inventory`` runs: everything under ``ansible_dir``
    but the ``inventories`` (another environment's change is not this one's), the inventory,
    and the Ansible release."""
    digest = hashlib.sha256(f"ansible-core {metadata.version('ansible-core')}\0".encode())
    for base, paths in ((ansible_dir, _files(ansible_dir, leave_out=inventories)),
                        (inventory, _files(inventory))):
        for path in paths:
            digest.update(f"{path.relative_to(base).as_posix()}\0".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def unprovisioned(env: Environment, expected: str) -> list[str]:
    """Why ``env`` needs a provision, one reason per host and cause; empty: it does not."""
    try:
        found = env.report("provisioned.yml", {"provision_fingerprint": expected},
                           f"checking whether {env.name} is as provisioned")
    except PipelineError as error:
        return [f"it could not be checked ({error})"]
    return [f"{report['host']}: {reason}" for report in found.values()
            for reason in report["reasons"]]


def provision(config: Config, environment: str, if_changed: bool = False) -> None:
    """Prepare ``environment``'s hosts: Docker engine, registry, base images, database, proxy,
    monitoring (``if_changed``: only when a host is not as its last provision left it)."""
    env = Environment(config, environment)
    current = fingerprint(env.settings.ansible_dir, env.settings.inventories, env.inventory)
    if if_changed:
        reasons = unprovisioned(env, current)
        if not reasons:
            print(f"provision of {environment} skipped: every host is as its last provision "
                  "left it (run `pipeline provision` without --if-changed to run it anyway)")
            return
        print(f"provisioning {environment}: {'; '.join(reasons)}")
    result = env.run_locked("provision.yml", {"provision_fingerprint": current},
                            f"provisioning {environment}")
    print(f"provisioned {environment}: {result.changed()} changes")
