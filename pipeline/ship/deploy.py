"""Deploys, rollbacks, smoke checks and status of an environment, through Ansible playbooks.

The playbooks hold the deploy sequence (lock, backup, migrate, start beside, health, switch,
record); this module picks the inventory, says which image and build to ship, and turns a
failed run into one line naming the host and the task.
"""
import getpass
import json
import os
import socket
import uuid
from pathlib import Path

from pipeline.core import output
from pipeline.ship import ansible
from pipeline.core.config import Config
from pipeline.ship.settings import ShipSettings
from pipeline.core.version import Version, read_version


def deploy_id() -> str:
    """A unique id for one run: the deploy lock's owner, so a run only ever frees its own lock."""
    return uuid.uuid4().hex


def holder() -> str:
    """Who deploys, as the lock and the release record show it."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()} (pid {os.getpid()})"


def deploy_vars(settings: ShipSettings, version: Version, run_id: str,
                approved_by: str = "") -> dict[str, str | int]:
    """What deploy.yml needs to know: the image, the build it must report, who deploys.

    ``approved_by`` is who answered Jenkins' approval (``PIPELINE_APPROVED_BY``, set by the
    Jenkinsfile); it goes into the release record.
    """
    return {"app_image": f"{settings.repository}:{version.docker_tag}",
            "app_version": str(version), "app_build": version.build,
            "deploy_id": run_id, "deploy_holder": holder(),
            "deploy_approved_by": approved_by or "not required"}


def _log(config: Config, name: str) -> Path:
    return config.reports_dir / f"{name}.log"


def _run_locked(config: Config, settings: ShipSettings, environment: str, playbook: str,
                extra: dict[str, str | int], what: str) -> None:
    """Run a playbook that takes the deploy lock; free the lock if the run fails half-way."""
    inventory = settings.inventory(environment)
    log_file = _log(config, f"{playbook.removesuffix('.yml')}-{environment}")
    try:
        ansible.run_playbook(settings.ansible_dir, playbook, inventory, extra, what,
                             log_file=log_file)
    finally:
        ansible.run_playbook(settings.ansible_dir, "unlock.yml", inventory,
                             {"deploy_id": str(extra["deploy_id"])},
                             f"freeing the deploy lock of {environment}")


def deploy(config: Config, environment: str, plan: bool = False) -> None:
    """Deploy this checkout's version to ``environment`` (``plan``: say what would change)."""
    settings = ShipSettings.from_config(config)
    inventory = settings.inventory(environment)
    version = read_version(config)
    url_file = config.reports_dir / f"url-{environment}.txt"
    url_file.unlink(missing_ok=True)
    extra = {**deploy_vars(settings, version, deploy_id(), config.get("approved_by", "")),
             "deploy_url_file": str(url_file)}
    if plan:
        ansible.run_playbook(settings.ansible_dir, "plan.yml", inventory, extra,
                             f"planning the deploy of build {version.build} to {environment}")
        return
    print(f"deploy of {extra['app_image']} (build {version.build}) to {environment}")
    _run_locked(config, settings, environment, "deploy.yml", extra,
                f"deploy of build {version.build} to {environment}")
    url = url_file.read_text(encoding="utf-8").strip() if url_file.is_file() else "?"
    print(f"deployed build {version.build} to {environment}: {url}")


def provision(config: Config, environment: str) -> None:
    """Prepare ``environment``'s hosts: Docker engine, registry and base images where needed."""
    settings = ShipSettings.from_config(config)
    ansible.run_playbook(settings.ansible_dir, "provision.yml", settings.inventory(environment),
                         {}, f"provisioning {environment}",
                         log_file=_log(config, f"provision-{environment}"))


def rollback(config: Config, environment: str, to_build: int | None = None,
             allow_schema: bool = False) -> None:
    """Switch ``environment`` back to the previous successful release (or ``to_build``)."""
    settings = ShipSettings.from_config(config)
    extra: dict[str, str | int] = {"deploy_id": deploy_id(), "deploy_holder": holder(),
                                   "rollback_allow_schema": int(allow_schema)}
    if to_build is not None:
        extra["rollback_to"] = to_build
    _run_locked(config, settings, environment, "rollback.yml", extra,
                f"rollback of {environment}")


def smoke(config: Config, environment: str) -> None:
    """Check through the proxy that ``environment`` serves its recorded release."""
    settings = ShipSettings.from_config(config)
    ansible.run_playbook(settings.ansible_dir, "smoke.yml", settings.inventory(environment), {},
                         f"smoke check of {environment}")


STATUS_COLUMNS = ("host", "recorded", "serving", "commit", "deployed_at", "deployed_by")


def status_rows(reports: dict[str, dict[str, str]]) -> list[str]:
    """A table, one line per host: what its record says runs and what its /version answers."""
    rows = [[host, *(str(report.get(key, "-")) for key in STATUS_COLUMNS[1:])]
            for host, report in sorted(reports.items())]
    return output.table(STATUS_COLUMNS, rows).splitlines()


def status(config: Config, environment: str | None) -> None:
    """Print what release runs where, from each host's record and its ``/version``."""
    settings = ShipSettings.from_config(config)
    environment = environment or settings.deploy_environment
    inventory = settings.inventory(environment)
    out_dir = config.reports_dir / "status" / environment
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.json"):
        old.unlink()
    ansible.run_playbook(settings.ansible_dir, "status.yml", inventory,
                         {"status_dir": str(out_dir)}, f"status of {environment}",
                         log_file=_log(config, f"status-{environment}"))
    reports = {path.stem: json.loads(path.read_text(encoding="utf-8"))
               for path in out_dir.glob("*.json")}
    print(f"{environment}:")
    print("\n".join(status_rows(reports)))
