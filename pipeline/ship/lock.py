"""The deploy lock of an environment as the playbooks report it, and ``pipeline lock``.

The lock is a JSON record on the first database host (the deploy_lock module writes it);
status.yml reports it with the time it was read at, unlock.yml the one it freed. Releasing
the lock of a run that may be alive (unexpired, its process not known gone) lets two runs
switch the same hosts: ``pipeline lock release`` asks for ``--yes`` then.
"""
import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from pipeline.core.config import Config
from pipeline.core.errors import InputError
from pipeline.ship import process
from pipeline.ship.deploy import Environment
from pipeline.ship.report import Fields


@dataclass(frozen=True)
class Lock:
    """Who holds the deploy lock: the run (``owner``), for whom, which build, until when.

    ``process`` is the deploying process (host, pid, start) so a run on the same machine can
    tell it is gone; ``token`` the fencing token a forced release must name.
    """

    owner: str
    holder: str
    build: str
    acquired_at: str
    expires_at: str
    expires: float
    token: int
    process: dict[str, str | int]

    @classmethod
    def from_report(cls, fields: Fields) -> "Lock":
        """The lock record a playbook reported (an object of its report)."""
        return cls(owner=fields.text("owner"), holder=fields.text("holder"),
                   build=fields.text("build"), acquired_at=fields.text("acquired_at"),
                   expires_at=fields.text("expires_at"), expires=fields.number("expires"),
                   token=fields.integer("token"),
                   process=fields.child("process").scalars(str, int))

    def as_json(self) -> dict[str, Any]:
        """The record as status.yml reports it (to_nice_json: its keys sorted)."""
        record = {**dataclasses.asdict(self), "process": dict(sorted(self.process.items()))}
        return dict(sorted(record.items()))

    def process_gone(self) -> bool:
        """The run that took it ran on this machine and has ended."""
        return process.gone(self.process)

    def live_owner(self, now: float) -> str | None:
        """The run holding it at ``now`` (unexpired, its process not known dead), else None."""
        return self.owner if self.expires > now and not self.process_gone() else None


def lock_line(lock: Lock | None, now: float) -> str:
    """The deploy lock as one line."""
    if lock is None:
        return "lock: free"
    if lock.process_gone():
        state = "left by a run whose process is gone (the next run takes it over)"
    elif lock.expires > now:
        state = "held"
    else:
        state = "stale (may be taken over)"
    return (f"lock: {state} by {lock.holder}, build {lock.build}, since {lock.acquired_at}, "
            f"expires {lock.expires_at}, token {lock.token}")


def read_lock(env: Environment) -> tuple[Lock | None, float]:
    """The environment's deploy lock (None: free) and the time it was read at (status.yml)."""
    found = env.report("status.yml", {}, f"status of {env.name}")
    return environment_lock(Fields("status.yml", "environment.json", found.get("environment")))


def environment_lock(fields: Fields) -> tuple[Lock | None, float]:
    """The lock and the time it was read at, of status.yml's environment.json."""
    held = fields.optional_child("lock")
    return (None if held is None else Lock.from_report(held)), fields.number("now")


def freed_lock(found: dict[str, Any]) -> Lock | None:
    """The lock unlock.yml freed (None: it was free), from its unlocked.json."""
    freed = Fields("unlock.yml", "unlocked.json", found.get("unlocked")).optional_child("lock")
    return None if freed is None else Lock.from_report(freed)


def release(env: Environment, confirmed: bool) -> Lock | None:
    """Free ``env``'s deploy lock; one whose run is not known dead only when ``confirmed``.

    The lock is read first and freed by its fencing token, so a lock another run takes
    in between is never the one freed.
    """
    held, now = read_lock(env)
    if held is None:
        return None
    if held.live_owner(now) and not confirmed:
        raise InputError(f"{env.name}: the deploy lock is held by {held.holder}, build "
                         f"{held.build}, until {held.expires_at}, and that run may still be "
                         "alive: release it anyway with --yes")
    return freed_lock(env.report("unlock.yml", {"deploy_lock_force": True,
                                                "deploy_lock_token": held.token},
                                 f"releasing the deploy lock of {env.name}"))


def lock(config: Config, environment: str, action: str, as_json: bool = False,
         confirmed: bool = False) -> None:
    """``status``: who holds the deploy lock; ``release``: free it (a live run's: ``confirmed``)."""
    env = Environment(config, environment)
    if action == "release":
        freed = release(env, confirmed)
        print(f"{environment}: released the deploy lock of {freed.holder}, build {freed.build}"
              if freed else f"{environment}: the deploy lock was free")
        return
    held, now = read_lock(env)
    if as_json:
        print(json.dumps({"environment": environment,
                          "lock": held.as_json() if held else None}, indent=1))
    else:
        print(f"{environment}: {lock_line(held, now)}")
