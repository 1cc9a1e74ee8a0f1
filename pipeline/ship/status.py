"""What release runs where, as status.yml reports it: ``pipeline status ENV``.

status.yml writes one file per app host (host-NAME.json), the firing alerts (alerts.json, when
the inventory has a monitoring host) and the environment's URL and deploy lock
(environment.json); the tests and Jenkins read the JSON this prints (``--json``).
"""
import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from pipeline.core import output
from pipeline.core.config import Config
from pipeline.core.errors import InputError
from pipeline.core.version import parse as parse_version
from pipeline.ship.deploy import Environment
from pipeline.ship.lock import Lock, environment_lock, lock_line
from pipeline.ship.report import Fields

PLAYBOOK = "status.yml"
STATUS_COLUMNS = ("host", "recorded", "serving", "commit", "deployed_at", "deployed_by",
                  "alerts")


@dataclass(frozen=True)
class Alerts:
    """The environment's alerts: whether monitoring is on, the labels of each firing alert,
    and why they could not be read (empty when they could)."""

    enabled: bool
    firing: tuple[dict[str, str], ...]
    error: str

    @classmethod
    def from_report(cls, data: object) -> "Alerts":
        """The alerts of status.yml's alerts.json."""
        fields = Fields(PLAYBOOK, "alerts.json", data)
        return cls(enabled=fields.flag("enabled"), error=fields.text("error"),
                   firing=tuple(alert.scalars(str) for alert in fields.children("firing")))

    def as_json(self) -> dict[str, Any]:
        """The alerts as status.yml wrote them."""
        return {"enabled": self.enabled, "firing": [dict(alert) for alert in self.firing],
                "error": self.error}

    def on(self, host: str) -> str:
        """The names of the alerts firing for ``host``, comma-separated."""
        return ", ".join(sorted(alert.get("alertname", "None") for alert in self.firing
                                if alert.get("instance") == host))


@dataclass(frozen=True)
class Pending:
    """The release a run was switching a host to: the record it keeps until the switch is
    done, so an interrupted run is told apart from one in progress."""

    build: int
    image: str
    kind: str
    container: str
    port: int
    replaces: str
    deploy_id: str
    holder: str
    started_at: str

    @classmethod
    def from_report(cls, fields: Fields) -> "Pending":
        """The pending record of a host's status."""
        return cls(build=fields.integer("build"), image=fields.text("image"),
                   kind=fields.text("kind"), container=fields.text("container"),
                   port=fields.integer("port"), replaces=fields.text("replaces"),
                   deploy_id=fields.text("deploy_id"), holder=fields.text("holder"),
                   started_at=fields.text("started_at"))


@dataclass(frozen=True)
class HostStatus:
    """An app host: its release record, the release its container runs (``answer``: what it
    says at the service's version path, as text, "" without one; the image's labels), what
    it keeps, and a switch started and not finished (``pending``)."""

    host: str
    recorded: str
    recorded_build: int | None
    answer: str
    image_version: str
    image_build: str
    container: str
    commit: str
    deployed_at: str
    deployed_by: str
    kept: tuple[int, ...]
    pending: Pending | None

    @classmethod
    def from_report(cls, data: object, file: str) -> "HostStatus":
        """The host of status.yml's host-NAME.json."""
        fields = Fields(PLAYBOOK, file, data)
        pending = fields.child("pending")
        return cls(**{name: fields.text(name) for name in (
            "host", "recorded", "image_version", "image_build", "container", "commit",
            "deployed_at", "deployed_by")},
            answer=fields.answer("answer"),
            recorded_build=fields.optional_integer("recorded_build"),
            kept=fields.integers("kept"),
            pending=Pending.from_report(pending) if pending.data else None)

    @property
    def serving(self) -> str:
        """The version that serves: the release's answer when it is a version, else what its
        image says ("" when no container runs)."""
        if not self.container:
            return ""
        return self.answer if self.answer and not self.answer.isdigit() else \
            self.image_version

    @property
    def serving_build(self) -> int | None:
        """The build that serves: from the release's answer (a build number or a whole
        version) when there is one, else from its image (None when no container runs)."""
        build = self.image_build
        if self.answer.isdigit():
            build = self.answer
        elif self.answer:
            try:
                build = str(parse_version(self.answer, "the release's answer").build)
            except InputError:
                build = ""
        return int(build) if build.isdigit() and self.container else None

    def as_json(self, alerts: str) -> dict[str, Any]:
        """The host as ``status --json`` shows it: what serves instead of how it was read."""
        found = {key: value for key, value in dataclasses.asdict(self).items()
                 if key not in ("answer", "image_version", "image_build")}
        return {**found, "kept": list(self.kept), "pending": found["pending"] or {},
                "serving": self.serving, "serving_build": self.serving_build,
                "alerts": alerts}


@dataclass(frozen=True)
class EnvironmentStatus:
    """The environment: its public URL, the deploy lock (read at ``lock_checked_at``), the
    alerts (None: no monitoring host) and each app host."""

    environment: str
    url: str
    lock: Lock | None
    lock_checked_at: float
    alerts: Alerts | None
    hosts: tuple[HostStatus, ...]

    @classmethod
    def from_report(cls, environment: str, found: dict[str, Any]) -> "EnvironmentStatus":
        """The status in status.yml's report (its files by name)."""
        overall = Fields(PLAYBOOK, "environment.json", found.get("environment"))
        held, now = environment_lock(overall)
        alerts = found.get("alerts")
        return cls(environment=environment, url=overall.text("url"), lock=held,
                   lock_checked_at=now,
                   alerts=None if alerts is None else Alerts.from_report(alerts),
                   hosts=tuple(HostStatus.from_report(data, f"{name}.json")
                               for name, data in sorted(found.items())
                               if name.startswith("host-")))

    def alerts_on(self, host: str) -> str:
        """The alerts firing for ``host``, comma-separated."""
        return self.alerts.on(host) if self.alerts else ""

    def as_json(self) -> dict[str, Any]:
        """What ``status --json`` prints."""
        return {"environment": self.environment, "url": self.url,
                "lock": self.lock.as_json() if self.lock else None,
                "lock_checked_at": self.lock_checked_at,
                "alerts": self.alerts.as_json() if self.alerts else None,
                "hosts": [host.as_json(self.alerts_on(host.host)) for host in self.hosts]}


def status_rows(status: EnvironmentStatus) -> list[str]:
    """A table, one line per host: what its record says runs, what actually serves, and the
    alerts firing for it."""
    rows = [[host.host, host.recorded, host.serving, host.commit[:12], host.deployed_at,
             host.deployed_by, status.alerts_on(host.host)] for host in status.hosts]
    return output.table(STATUS_COLUMNS, [[cell or "-" for cell in row]
                                         for row in rows]).splitlines()


def alerts_line(alerts: Alerts | None) -> str:
    """The environment's firing alerts as one line."""
    if alerts is None:
        return "alerts: no monitoring host in the inventory"
    if not alerts.enabled:
        return "alerts: monitoring is off (monitoring_enabled)"
    if alerts.error:
        return f"alerts: unknown ({alerts.error})"
    firing = [f"{alert.get('alertname')} on {alert.get('instance', 'the environment')}"
              for alert in alerts.firing]
    return f"alerts: {len(firing)} firing: {'; '.join(firing)}" if firing else \
        "alerts: none firing"


def pending_lines(status: EnvironmentStatus) -> list[str]:
    """A line per host that a run is switching, or was switching when it was interrupted."""
    live_run = status.lock.live_owner(status.lock_checked_at) if status.lock else None
    lines = []
    for host in status.hosts:
        pending = host.pending
        if pending is None:
            continue
        what = f"{host.host}: switching to build {pending.build} ({pending.holder}, " \
               f"since {pending.started_at})"
        lines.append(f"{what}, in progress" if pending.deploy_id == live_run else
                     f"{what} was interrupted; the next deploy or rollback reconciles it")
    return lines


def environment_status(config: Config, environment: str | None) -> EnvironmentStatus:
    """Each app host's recorded and serving release, the deploy lock and the public URL."""
    env = Environment(config, environment)
    return EnvironmentStatus.from_report(
        env.name, env.report(PLAYBOOK, {}, f"status of {env.name}"))


def status(config: Config, environment: str | None, as_json: bool = False) -> None:
    """Print what release runs where (``as_json``: one JSON object)."""
    found = environment_status(config, environment)
    if as_json:
        print(json.dumps(found.as_json(), indent=1, sort_keys=True))
        return
    print(f"{found.environment}: {found.url}")
    print("\n".join(status_rows(found)))
    for line in pending_lines(found):
        print(line)
    print(alerts_line(found.alerts))
    print(lock_line(found.lock, found.lock_checked_at))
