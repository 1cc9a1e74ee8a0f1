"""Deploys, rollbacks, restores and smoke checks of an environment.

The playbooks hold the deploy sequence (preflight, lock, backup, migrate, per host: start
beside, ready, switch, watch, record); this module picks the inventory, says which image and
build to ship, always frees the lock it took (also on SIGTERM, as Jenkins aborts a build), and
turns a failed run into one line naming the host and the task.
"""
import getpass
import json
import os
import signal
import socket
import tempfile
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from pipeline.core.config import Config
from pipeline.core.errors import InputError, PipelineError
from pipeline.core.version import Version, read_version
from pipeline.ship import ansible, process
from pipeline.ship.plan import Plan, print_plan
from pipeline.ship.service import Service
from pipeline.ship.settings import ShipSettings

VAULT_ENV = "ANSIBLE_VAULT_PASSWORD_FILE"
VAULT_HEADER = b"$ANSIBLE_VAULT;"


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

    The image is named without its registry: the playbooks pull it from the one the
    environment's inventory names (``registry_address``), where the push stage pushed it.
    ``approved_by`` is who answered Jenkins' approval (``PIPELINE_APPROVED_BY``, set by the
    Jenkinsfile); it goes into the release record.
    """
    return {"app_image_name": f"{settings.image_name}:{version.docker_tag}",
            "app_version": str(version), "app_build": version.build,
            "deploy_id": run_id, "deploy_holder": holder(),
            "deploy_approved_by": approved_by or "not required"}


def check_vault(inventory: Path, environ: Mapping[str, str] = os.environ) -> None:
    """An inventory with vault-encrypted files needs ANSIBLE_VAULT_PASSWORD_FILE, readable."""
    encrypted = [path for path in sorted(inventory.rglob("*.yml"))
                 if path.read_bytes().startswith(VAULT_HEADER)]
    if not encrypted:
        return
    password_file = environ.get(VAULT_ENV, "")
    where = encrypted[0].relative_to(inventory.parent.parent)
    if not password_file:
        raise InputError(f"{VAULT_ENV} is not set: it must name the file holding the password "
                         f"of {where}")
    if not os.access(password_file, os.R_OK):
        raise InputError(f"{VAULT_ENV} names {password_file}, which cannot be read "
                         f"(the password of {where})")


class Terminated(PipelineError):
    """SIGTERM arrived (Jenkins aborting the build): stop, but free the lock first."""

    exit_code = 143


class LockNotFreed(PipelineError):
    """A run stopped, and freeing its deploy lock failed too: both are said."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Terminated("terminated (SIGTERM)")


@contextmanager
def _freed_on_sigterm() -> Iterator[None]:
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def skip_limit(skip_hosts: Sequence[str]) -> str:
    """The host pattern that leaves ``skip_hosts`` out of a run (``--limit``): not one task
    reaches them. ``localhost`` is named because a limit drops it otherwise."""
    return ":".join(["all", "localhost", *(f"!{host}" for host in skip_hosts)]) \
        if skip_hosts else ""


def skipped(skip_hosts: Sequence[str]) -> str:
    """How a run that skips hosts says so; "" when it skips none."""
    if not skip_hosts:
        return ""
    return (f" (skipped {', '.join(skip_hosts)}: not changed, out of the proxy until a run "
            "without --skip-host reaches it)")


class Environment:
    """One environment's inventory and the playbooks run against it, which every run hands the
    service's contract (``service``) and where its repository is (``service_root``).
    ``skip_hosts``: app hosts every run of it leaves out (``--skip-host``)."""

    def __init__(self, config: Config, name: str | None = None,
                 skip_hosts: Sequence[str] = ()) -> None:
        self.config = config
        self.skip_hosts = tuple(skip_hosts)
        self.settings = ShipSettings.from_config(config)
        self.service = Service.from_config(config)
        self.name = name or self.settings.deploy_environment
        self.inventory = self.settings.inventory(self.name)
        check_vault(self.inventory)

    def log(self, playbook: str) -> Path:
        """Where the run of ``playbook`` is logged."""
        return self.config.reports_dir / f"{playbook.removesuffix('.yml')}-{self.name}.log"

    def run(self, playbook: str, extra: Mapping[str, object], what: str,
            log: bool = True, quiet: bool = False) -> ansible.PlaybookResult:
        """Run ``playbook`` on this environment (``quiet``: its output to the log only)."""
        handed = {"service": self.service.as_vars(), "service_root": str(self.config.root),
                  **({"deploy_skip_hosts": list(self.skip_hosts)} if self.skip_hosts else {}),
                  **extra}
        return ansible.run_playbook(self.settings.ansible_dir, playbook, self.inventory, handed,
                                    what, log_file=self.log(playbook) if log else None,
                                    quiet=quiet, limit=skip_limit(self.skip_hosts))

    def run_locked(self, playbook: str, extra: Mapping[str, object], what: str,
                   quiet: bool = False) -> ansible.PlaybookResult:
        """Run a playbook that takes the deploy lock, and free the lock whatever happens.

        The playbook's last play frees it (unlock.yml); when the run stops before, failing or
        terminated, it is freed here.
        """
        extra = {"deploy_id": deploy_id(), "deploy_holder": holder(),
                 "deploy_process": process.identity(), **extra}
        try:
            with _freed_on_sigterm():
                return self.run(playbook, extra, what, quiet=quiet)
        except BaseException as stopped:
            try:
                with _freed_on_sigterm():
                    self.run("unlock.yml", {"deploy_id": extra["deploy_id"]},
                             f"freeing the deploy lock of {self.name}", log=False, quiet=quiet)
            except BaseException as unfreed:
                # The first error stays the message; the lock left behind is said after it.
                raise LockNotFreed(
                    f"{stopped or type(stopped).__name__}; the deploy lock was NOT freed "
                    f"({unfreed or type(unfreed).__name__}): `pipeline lock release "
                    f"{self.name}` frees it", getattr(stopped, "exit_code", 1)) from stopped
            if isinstance(stopped, Terminated):
                raise Terminated(f"{stopped}: the deploy lock was freed") from stopped
            raise

    def report(self, playbook: str, extra: Mapping[str, object], what: str,
               locked: bool = False) -> dict[str, Any]:
        """Run a playbook that writes JSON files into a directory; return them by name.

        Its output goes to the log only: what it reports is the JSON, printed by the caller.
        ``locked``: the playbook takes the deploy lock (see ``run_locked``).
        """
        with tempfile.TemporaryDirectory(prefix="pipeline-report-") as work:
            run = self.run_locked if locked else self.run
            run(playbook, {**extra, "report_dir": work}, what, quiet=True)
            return {path.stem: json.loads(path.read_text(encoding="utf-8"))
                    for path in sorted(Path(work).glob("*.json"))}


def deploy(config: Config, environment: str, plan: bool = False, as_json: bool = False,
           allow_contract: bool = False, json_file: Path | None = None,
           skip_hosts: Sequence[str] = ()) -> None:
    """Deploy this checkout's version to ``environment`` (``plan``: say what would change;
    ``json_file``: also write the plan there as JSON, from the same planning run;
    ``skip_hosts``: app hosts left out, taken out of the proxy)."""
    env = Environment(config, environment, skip_hosts)
    version = read_version(config)
    extra: dict[str, Any] = {**deploy_vars(env.settings, version, deploy_id(),
                                           config.get("approved_by", "")),
                             "deploy_allow_contract": allow_contract}
    if plan:
        found = env.report("plan.yml", extra, f"planning the deploy of build {version.build} "
                                              f"to {environment}")
        print_plan(Plan.from_report(found), as_json, json_file)
        return
    url_file = config.reports_dir / f"url-{environment}.txt"
    url_file.unlink(missing_ok=True)
    extra["deploy_url_file"] = str(url_file)
    print(f"deploy of {extra['app_image_name']} (build {version.build}) to {environment}"
          f"{skipped(skip_hosts)}")
    env.run_locked("deploy.yml", extra, f"deploy of build {version.build} to {environment}")
    url = url_file.read_text(encoding="utf-8").strip() if url_file.is_file() else "?"
    print(f"deployed build {version.build} to {environment}: {url}{skipped(skip_hosts)}")


def rollback(config: Config, environment: str, to_build: int | None = None,
             allow_schema: bool = False, skip_hosts: Sequence[str] = ()) -> None:
    """Switch every app host of ``environment`` to one build: the environment's previous
    release (or ``to_build``); ``skip_hosts`` are left out and taken out of the proxy."""
    env = Environment(config, environment, skip_hosts)
    extra: dict[str, Any] = {"rollback_allow_schema": int(allow_schema)}
    if to_build is not None:
        extra["rollback_to"] = to_build
    env.run_locked("rollback.yml", extra, f"rollback of {environment}")
    print(f"rolled back {environment}{skipped(skip_hosts)}")


def restore(config: Config, environment: str, backup: str | None, confirmed: bool) -> None:
    """Restore a backup (the newest unless named) of ``environment``'s database."""
    if not confirmed:
        raise InputError(f"restoring replaces {environment}'s data with a backup: "
                         "confirm with --yes")
    env = Environment(config, environment)
    with tempfile.TemporaryDirectory(prefix="pipeline-restore-") as work:
        env.run_locked("restore.yml", {"restore_backup": backup or "", "report_dir": work},
                       f"restore of {environment}")
        restored = json.loads((Path(work) / "restored.json").read_text(encoding="utf-8"))
    print(f"restored {environment} from {restored['backup']}")


def smoke(config: Config, environment: str) -> None:
    """Check through the proxy that ``environment`` serves its recorded release."""
    Environment(config, environment).run("smoke.yml", {}, f"smoke check of {environment}",
                                         log=False)
