"""Time limits of a migration on PostgreSQL, so a deploy's migration step can never hang.

``MIGRATE_LOCK_TIMEOUT`` (default 10s): how long one DDL statement may wait for a table lock.
A waiting ``ALTER TABLE`` queues every query of the live app behind it, so this stays short:
the migration fails (and changes nothing) rather than stall the service.
``MIGRATE_STATEMENT_TIMEOUT`` (default 5min): how long any one statement may run, including
the wait for the migration lock another migration holds.
Values use PostgreSQL's units: ``500ms``, ``10s``, ``5min``, ``1h``; 0 (no limit) is refused.
"""
import re
from dataclasses import dataclass
from typing import Mapping

from sqlalchemy import Connection, text

from app.settings import ConfigError

DURATION = re.compile(r"[1-9]\d*(ms|s|min|h)?")
DEFAULTS = {"MIGRATE_LOCK_TIMEOUT": "10s", "MIGRATE_STATEMENT_TIMEOUT": "5min"}


def parse_duration(name: str, environ: Mapping[str, str]) -> str:
    """A positive PostgreSQL duration from ``environ[name]`` (or its default)."""
    value = environ.get(name, "").strip() or DEFAULTS[name]
    if DURATION.fullmatch(value) is None:
        raise ConfigError(f"{name} must be a positive duration such as 10s, 500ms or 5min, "
                          f"got {value!r}")
    return value


@dataclass(frozen=True)
class MigrationLimits:
    """The lock and statement timeouts a migration runs under."""

    lock_timeout: str
    statement_timeout: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "MigrationLimits":
        return cls(lock_timeout=parse_duration("MIGRATE_LOCK_TIMEOUT", environ),
                   statement_timeout=parse_duration("MIGRATE_STATEMENT_TIMEOUT", environ))


def take_migration_lock(connection: Connection, key: int, limits: MigrationLimits) -> None:
    """In the migration's transaction: wait for the migration lock (bounded by the statement
    timeout), then bound every table-lock wait by the lock timeout."""
    def set_local(setting: str, value: str) -> None:
        connection.execute(text("SELECT set_config(:setting, :value, true)"),
                           {"setting": setting, "value": value})

    set_local("statement_timeout", limits.statement_timeout)
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    set_local("lock_timeout", limits.lock_timeout)
