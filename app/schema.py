"""The database's schema against this release: migrated far enough, and not past what its
code can run on (expand/contract, see app/revisions.py).

The release's heads and revisions are read from its migration scripts once at start (parsing
them per ``/readyz`` would cost milliseconds); the database is asked per check, so a release
reports not ready, with the reason, instead of failing on missing or changed tables.
"""
from dataclasses import dataclass
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, delete, insert, inspect, select

from app.database import SchemaCompatibility
from app.revisions import compatible_heads

# The PostgreSQL advisory lock migrations run under (migrations/env.py), the one key every
# migration runner of this app uses (app/migrate_locked.py imports it from here).
MIGRATION_LOCK_KEY = 0x76697369746F72  # "visitor"


@dataclass(frozen=True)
class ReleaseSchema:
    """What this release's migrations know: their head(s) and every revision."""

    heads: frozenset[str]
    revisions: frozenset[str]

    @classmethod
    def from_scripts(cls, migrations_dir: Path) -> "ReleaseSchema":
        scripts = ScriptDirectory(str(migrations_dir))
        return cls(heads=frozenset(scripts.get_heads()),
                   revisions=frozenset(script.revision for script in scripts.walk_revisions()))


def current_revisions(connection: Connection) -> frozenset[str]:
    """The revision(s) the database is at; empty before any migration."""
    return frozenset(MigrationContext.configure(connection).get_current_heads())


def recorded_compatibility(connection: Connection) -> frozenset[str] | None:
    """The release heads recorded as able to run on the schema; None if nothing is recorded."""
    if not inspect(connection).has_table(SchemaCompatibility.__tablename__):
        return None
    return frozenset(connection.scalars(select(SchemaCompatibility.revision)))


def record_compatibility(connection: Connection, scripts: ScriptDirectory) -> None:
    """Write which release heads can run on the schema now (run by migrations/env.py, in the
    migration's transaction); a schema from before the table has nothing to record."""
    if not inspect(connection).has_table(SchemaCompatibility.__tablename__):
        return
    heads = compatible_heads(scripts, current_revisions(connection))
    connection.execute(delete(SchemaCompatibility))
    connection.execute(insert(SchemaCompatibility), [{"revision": head} for head in sorted(heads)])


def listed(revisions: frozenset[str]) -> str:
    return ", ".join(sorted(revisions))


def schema_problem(engine: Engine, release: ReleaseSchema) -> str | None:
    """None when this release can run on the database's schema, else why not (one line, no
    connection details): at this release's head, or at a schema recorded as compatible."""
    with engine.connect() as connection:
        current = current_revisions(connection)
        if current == release.heads:
            return None
        compatible = recorded_compatibility(connection)
    if compatible is not None and release.heads <= compatible:
        return None
    if not current:
        return f"database not migrated (no revision), release expects {listed(release.heads)}"
    if current <= release.revisions:
        return (f"schema at {listed(current)} is older than this release's "
                f"{listed(release.heads)}: its migrations have not run")
    return (f"schema at {listed(current)} is newer than this release "
            f"({listed(release.heads)}) and a contract migration since makes it incompatible "
            f"(releases that can run on it: {listed(compatible or frozenset()) or 'unknown'})")
