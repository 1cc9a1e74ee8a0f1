"""Whether the database's schema is the one this release's migrations end at.

The expected head is read from the migration scripts once at start (parsing them on every
``/readyz`` would cost milliseconds); the database's revision is read per check, so a release
whose migrations have not run yet reports not-ready instead of failing on missing tables.
"""
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

# The PostgreSQL advisory lock migrations run under (see migrations/env.py): any fixed 64-bit
# number, the same in every release.
MIGRATION_LOCK_KEY = 0x76697369746F72  # "visitor"


def expected_heads(migrations_dir: Path) -> frozenset[str]:
    """The head revision(s) of the migration scripts shipped with this release."""
    return frozenset(ScriptDirectory(str(migrations_dir)).get_heads())


def schema_problem(engine: Engine, heads: frozenset[str]) -> str | None:
    """None when the database is at ``heads``, else why not (one line, no connection details)."""
    with engine.connect() as connection:
        current = frozenset(MigrationContext.configure(connection).get_current_heads())
    if current == heads:
        return None
    found = ", ".join(sorted(current)) or "no revision (not migrated)"
    return f"schema at {found}, release expects {', '.join(sorted(heads))}"
