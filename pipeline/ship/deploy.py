"""Deploys, rollbacks, restores, smoke checks, status and the lock of an environment.

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

from pipeline.core import output
from pipeline.core.config import Config
from pipeline.core.errors import InputError, PipelineError
from pipeline.core.files import write_atomic
from pipeline.core.version import Version, read_version
from pipeline.core.version import parse as parse_version
from pipeline.ship import ansible, process
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

    ``approved_by`` is who answered Jenkins' approval (``PIPELINE_APPROVED_BY``, set by the
    Jenkinsfile); it goes into the release record.
    """
    return {"app_image": f"{settings.repository}:{version.docker_tag}",
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


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Terminated("terminated (SIGTERM): the deploy lock was freed")


@contextmanager
def _freed_on_sigterm() -> Iterator[None]:
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class Environment:
    """One environment's inventory and the playbooks run against it, which every run hands the
    service's contract (``service``) and where its repository is (``service_root``)."""

    def __init__(self, config: Config, name: str | None = None) -> None:
        self.config = config
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
                  **extra}
        return ansible.run_playbook(self.settings.ansible_dir, playbook, self.inventory, handed,
                                    what, log_file=self.log(playbook) if log else None,
                                    quiet=quiet)

    def run_locked(self, playbook: str, extra: Mapping[str, object], what: str,
                   quiet: bool = False) -> None:
        """Run a playbook that takes the deploy lock, and free the lock whatever happens.

        The playbook's last play frees it (unlock.yml); when the run stops before, failing or
        terminated, it is freed here.
        """
        extra = {"deploy_id": deploy_id(), "deploy_holder": holder(),
                 "deploy_process": process.identity(), **extra}
        try:
            with _freed_on_sigterm():
                self.run(playbook, extra, what, quiet=quiet)
        except BaseException:
            with _freed_on_sigterm():
                self.run("unlock.yml", {"deploy_id": extra["deploy_id"]},
                         f"freeing the deploy lock of {self.name}", log=False, quiet=quiet)
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
           allow_contract: bool = False, json_file: Path | None = None) -> None:
    """Deploy this checkout's version to ``environment`` (``plan``: say what would change;
    ``json_file``: also write the plan there as JSON, from the same planning run)."""
    env = Environment(config, environment)
    version = read_version(config)
    extra: dict[str, Any] = {**deploy_vars(env.settings, version, deploy_id(),
                                           config.get("approved_by", "")),
                             "deploy_allow_contract": allow_contract}
    if plan:
        found = env.report("plan.yml", extra, f"planning the deploy of build {version.build} "
                                              f"to {environment}")
        print_plan(found["plan"], as_json, json_file)
        return
    url_file = config.reports_dir / f"url-{environment}.txt"
    url_file.unlink(missing_ok=True)
    extra["deploy_url_file"] = str(url_file)
    print(f"deploy of {extra['app_image']} (build {version.build}) to {environment}")
    env.run_locked("deploy.yml", extra, f"deploy of build {version.build} to {environment}")
    url = url_file.read_text(encoding="utf-8").strip() if url_file.is_file() else "?"
    print(f"deployed build {version.build} to {environment}: {url}")


def plan_lines(plan: Mapping[str, Any]) -> list[str]:
    """The plan as people read it: per host the image from -> to, migrations, what restarts."""
    lines = [f"deploy build {plan['build']}: {plan['image']}"]
    changing = []
    for host, image_from in sorted(plan["image_from"].items()):
        if image_from == plan["image"]:
            lines.append(f"  {host}: already serves it, nothing to do")
        else:
            changing.append(host)
            lines.append(f"  {host}: {image_from or 'nothing'} -> {plan['image']}")
    migrations = plan["migrations"]
    pending = migrations["pending"]
    if pending is None:
        lines.append(f"migrations: the database is at {migrations['current']}, which this "
                     "release does not know (a newer release migrated it)")
    elif pending:
        steps = ", ".join(f"{step['revision']} ({step['kind']})" for step in pending)
        lines.append(f"migrations: {migrations['current'] or 'empty'} -> {migrations['target']}"
                     f": {steps} (backup first, then migrate once)")
        if any(step["kind"] == "contract" for step in pending):
            lines.append("  a contract step: the serving release cannot run after it; "
                         "deploy with --allow-contract once nothing older serves")
    else:
        lines.append(f"migrations: none (schema at {migrations['current'] or 'empty'})")
    lines.append(f"restarts: the app on {', '.join(changing)}, one host at a time"
                 if changing else "restarts: nothing")
    return lines


def print_plan(plan: Mapping[str, Any], as_json: bool, json_file: Path | None = None) -> None:
    """Print the plan, as text or as one JSON object; ``json_file`` also gets the JSON, written
    at once (Jenkins shows the text in its prompt and archives the file)."""
    as_text = json.dumps(plan, indent=1, sort_keys=True)
    if json_file is not None:
        write_atomic(json_file, as_text + "\n")
    print(as_text if as_json else "\n".join(plan_lines(plan)))


def rollback(config: Config, environment: str, to_build: int | None = None,
             allow_schema: bool = False) -> None:
    """Switch ``environment`` back to the previous successful release (or ``to_build``)."""
    env = Environment(config, environment)
    extra: dict[str, Any] = {"rollback_allow_schema": int(allow_schema)}
    if to_build is not None:
        extra["rollback_to"] = to_build
    env.run_locked("rollback.yml", extra, f"rollback of {environment}")


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


STATUS_COLUMNS = ("host", "recorded", "serving", "commit", "deployed_at", "deployed_by",
                  "alerts")


def status_rows(hosts: list[Mapping[str, Any]]) -> list[str]:
    """A table, one line per host: what its record says runs, what actually serves, and the
    alerts firing for it."""
    rows = [[str(host.get(key) or "-")[:12 if key == "commit" else None]
             for key in STATUS_COLUMNS] for host in hosts]
    return output.table(STATUS_COLUMNS, rows).splitlines()


def alerts_line(alerts: Mapping[str, Any] | None) -> str:
    """The environment's firing alerts as one line."""
    if alerts is None:
        return "alerts: no monitoring host in the inventory"
    if not alerts["enabled"]:
        return "alerts: monitoring is off (monitoring_enabled)"
    if alerts["error"]:
        return f"alerts: unknown ({alerts['error']})"
    firing = [f"{alert.get('alertname')} on {alert.get('instance', 'the environment')}"
              for alert in alerts["firing"]]
    return f"alerts: {len(firing)} firing: {'; '.join(firing)}" if firing else \
        "alerts: none firing"


def pending_lines(hosts: Sequence[Mapping[str, Any]], lock: Mapping[str, Any] | None,
                  now: float) -> list[str]:
    """A line per host that a run is switching, or was switching when it was interrupted."""
    live_run = lock.get("owner") if lock and lock.get("expires", 0) > now \
        and not process.gone(lock.get("process")) else None
    lines = []
    for host in hosts:
        pending = host.get("pending") or {}
        if not pending:
            continue
        what = f"{host['host']}: switching to build {pending['build']} ({pending['holder']}, " \
               f"since {pending['started_at']})"
        lines.append(f"{what}, in progress" if pending.get("deploy_id") == live_run else
                     f"{what} was interrupted; the next deploy or rollback reconciles it")
    return lines


def lock_line(lock: Mapping[str, Any] | None, now: float) -> str:
    """The deploy lock as one line."""
    if not lock:
        return "lock: free"
    if process.gone(lock.get("process")):
        state = "left by a run whose process is gone (the next run takes it over)"
    elif lock.get("expires", 0) > now:
        state = "held"
    else:
        state = "stale (may be taken over)"
    return (f"lock: {state} by {lock.get('holder')}, build {lock.get('build')}, since "
            f"{lock.get('acquired_at')}, expires {lock.get('expires_at')}, "
            f"token {lock.get('token')}")


def serving(host: Mapping[str, Any]) -> dict[str, Any]:
    """A host's status with what serves: ``serving`` (version) and ``serving_build``, from the
    release's answer at the service's version path (a build number or a whole version), else
    from what its image and container say."""
    report = {key: value for key, value in host.items()
              if key not in ("answer", "image_version", "image_build")}
    answer = str(host.get("answer") or "")
    version, build = str(host.get("image_version") or ""), str(host.get("image_build") or "")
    if answer.isdigit():
        build = answer
    elif answer:
        version = answer
        try:
            build = str(parse_version(answer, "the release's answer").build)
        except InputError:
            build = ""
    return {**report, "serving": version if host.get("container") else "",
            "serving_build": int(build) if build.isdigit() and host.get("container") else None}


def environment_status(config: Config, environment: str | None) -> dict[str, Any]:
    """Each app host's recorded and serving release, the deploy lock and the public URL."""
    env = Environment(config, environment)
    found = env.report("status.yml", {}, f"status of {env.name}")
    overall = found.pop("environment")
    alerts = found.pop("alerts", None)
    firing = alerts["firing"] if alerts else []
    hosts = [{**serving(found[name]), "alerts": ", ".join(sorted(
        str(alert.get("alertname")) for alert in firing
        if alert.get("instance") == found[name]["host"]))} for name in sorted(found)]
    return {"environment": env.name, "url": overall["url"], "lock": overall["lock"],
            "lock_checked_at": overall["now"], "alerts": alerts, "hosts": hosts}


def status(config: Config, environment: str | None, as_json: bool = False) -> None:
    """Print what release runs where (``as_json``: one JSON object)."""
    found = environment_status(config, environment)
    if as_json:
        print(json.dumps(found, indent=1, sort_keys=True))
        return
    print(f"{found['environment']}: {found['url']}")
    print("\n".join(status_rows(found["hosts"])))
    for line in pending_lines(found["hosts"], found["lock"], found["lock_checked_at"]):
        print(line)
    print(alerts_line(found["alerts"]))
    print(lock_line(found["lock"], found["lock_checked_at"]))


def lock(config: Config, environment: str, action: str, as_json: bool = False) -> None:
    """``status``: who holds the deploy lock; ``release``: free it, whoever holds it."""
    env = Environment(config, environment)
    if action == "release":
        freed = env.report("unlock.yml", {"deploy_lock_force": True},
                           f"releasing the deploy lock of {environment}")["unlocked"]["lock"]
        print(f"{environment}: released the deploy lock of {freed['holder']}, build "
              f"{freed['build']}" if freed else f"{environment}: the deploy lock was free")
        return
    found = env.report("status.yml", {}, f"status of {environment}")["environment"]
    if as_json:
        print(json.dumps({"environment": environment, "lock": found["lock"]}, indent=1))
    else:
        print(f"{environment}: {lock_line(found['lock'], found['now'])}")
