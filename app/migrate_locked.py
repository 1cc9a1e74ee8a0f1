"""Migrate the app's database before a deploy switches: ``python -m app.migrate_locked [--check]``.

Runs once, in a one-off container of the NEW image with the new environment. The migrations
run in one transaction under the app's advisory lock (app/migrations/env.py), bounded by
MIGRATE_LOCK_TIMEOUT and MIGRATE_STATEMENT_TIMEOUT (app/migration_limits.py), so a failure
changes nothing and a concurrent run waits, then finds nothing to do.

A pending contract migration (one after which the running release can no longer serve, see
app/revisions.py) is refused unless MIGRATE_ALLOW_CONTRACT=1. With MIGRATE_APP_ROLE set, that
role is granted what the app needs (app/privileges.py) after migrating.

``--check`` changes nothing: it prints one JSON line, the database's revision, this image's
heads, the pending migrations with their kind, and whether this image runs on the schema as
it is.

Exit codes: 0 migrated (or checked), 1 the migration or the database failed, 2 bad
configuration, 3 a contract migration is pending and MIGRATE_ALLOW_CONTRACT is not 1.

The deploy runs it as the service's configured migration command (``migrate_command``, and
``migrate_check_command`` with ``--check``): the image template knows nothing of it.
"""
import argparse
import json
import os
import sys
from typing import Sequence

from alembic import command
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app import ConfigError, create_app
from app.database import db, migrate
from app.migration_limits import MigrationLimits
from app.privileges import checked_role, grant_statements
from app.revisions import ContractRefused, pending_migrations
from app.schema import current_revisions, schema_problem

PROG = "migrate-locked"


def fail(code: int, message: str) -> int:
    """One line on stderr, and the exit code."""
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)
    return code


def allow_contract(value: str) -> bool:
    """MIGRATE_ALLOW_CONTRACT: 1 allows, unset or 0 refuses; anything else is a mistake."""
    if value.strip() not in ("", "0", "1"):
        raise ConfigError(f"MIGRATE_ALLOW_CONTRACT must be 1 or 0, got {value!r}")
    return value.strip() == "1"


def plan(app: Flask) -> dict[str, object]:
    """What an upgrade would do, read from the database without changing it."""
    scripts = ScriptDirectory(migrate.directory)
    release = app.extensions["visitor_schema"]
    with db.engine.connect() as connection:
        current = current_revisions(connection)
    pending = pending_migrations(scripts, current)
    return {"current": sorted(current), "heads": sorted(release.heads),
            "pending": None if pending is None else [
                {"revision": step.revision, "kind": step.kind} for step in pending],
            "compatible": schema_problem(db.engine, release) is None}


def upgrade(refuse_contract: bool) -> None:
    """Migrate to this image's heads, in one transaction under the migration lock."""
    command.upgrade(migrate.get_config(x_arg=["contract=refuse"] if refuse_contract else None),
                    "heads")


def grant(role: str) -> None:
    """Give ``role`` what the app needs on the schema as it now is."""
    preparer = db.engine.dialect.identifier_preparer
    with db.engine.begin() as connection:
        for statement in grant_statements(role, preparer.quote):
            connection.execute(text(statement))


def first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def check(app: Flask) -> int:
    """``--check``: the plan as one JSON line."""
    try:
        print(json.dumps(plan(app)), flush=True)
    except SQLAlchemyError as error:
        return fail(1, f"cannot read the database's revision: {first_line(error)}")
    return 0


def migrate_and_grant(app: Flask, refuse_contract: bool, role: str) -> int:
    """Migrate, then grant; the exit code."""
    try:
        upgrade(refuse_contract)
    except ContractRefused as refused:
        return fail(3, f"migration {refused.revision} is a contract migration (the running "
                       "release cannot serve after it): deploy with the contract flag "
                       "(MIGRATE_ALLOW_CONTRACT=1) once no release before it serves")
    except Exception as error:  # whatever failed, the transaction changed nothing
        return fail(1, f"migration failed, nothing changed: {first_line(error)}")
    if role:
        try:
            grant(role)
        except SQLAlchemyError as error:
            return fail(1, f"migrated, but granting {role} failed: {first_line(error)}")
    heads = ", ".join(sorted(app.extensions["visitor_schema"].heads))
    print(f"{PROG}: database at {heads}" + (f", {role} granted" if role else ""), flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="print the revision, heads and pending migrations as JSON; change "
                             "nothing")
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL", "").strip():
        return fail(2, "DATABASE_URL is not set")
    try:
        MigrationLimits.from_env(os.environ)
        refuse_contract = not allow_contract(os.environ.get("MIGRATE_ALLOW_CONTRACT", ""))
        role = os.environ.get("MIGRATE_APP_ROLE", "").strip()
        if role:
            checked_role(role)
        app = create_app({**os.environ, "LOG_LEVEL": "WARNING"})  # this script's lines only
    except ConfigError as error:
        return fail(2, str(error))
    with app.app_context():
        if args.check:
            return check(app)
        return migrate_and_grant(app, refuse_contract, role)


if __name__ == "__main__":
    sys.exit(main())
