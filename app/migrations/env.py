"""Alembic's entry point, run by Flask-Migrate inside the app's context.

Online upgrades on PostgreSQL first take a transaction-scoped advisory lock, so when two
runners migrate at once the second waits, then finds the schema at head and does nothing,
instead of failing half-way on "table already exists". Waits and statements are bounded
(app/migration_limits.py). With ``-x contract=refuse`` (app/migrate_locked.py passes it
unless contracts are allowed) a pending contract migration stops the run before anything
changes, checked under the lock. After migrating, the release heads that can run on the new
schema are recorded in the same transaction (app/revisions.py). No logging config is loaded
here: alembic.ini's fileConfig would silence the app's loggers.
"""
import os

from alembic import context
from flask import current_app
from sqlalchemy import Connection

from app.migration_limits import MigrationLimits, take_migration_lock
from app.revisions import ContractRefused, first_contract, pending_migrations
from app.schema import MIGRATION_LOCK_KEY, current_revisions, record_compatibility


def run_migrations_offline() -> None:
    """Print the SQL (``flask db upgrade --sql``), e.g. to show pending migrations in a plan."""
    context.configure(url=current_app.extensions["migrate"].db.engine.url,
                      target_metadata=current_app.extensions["migrate"].db.metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def refuse_contracts(connection: Connection) -> None:
    """Stop before a pending contract migration, unless the database is new (no release runs
    on it yet)."""
    current = current_revisions(connection)
    target = context.get_revision_argument()  # revision ids; None for a downgrade to base
    if not current or target is None:
        return
    pending = pending_migrations(context.script, current, target)
    contract = first_contract(pending or [])
    if contract is not None:
        raise ContractRefused(contract)


def run_migrations_online() -> None:
    """Migrate the app's database in one transaction, under the migration lock."""
    extension = current_app.extensions["migrate"]
    options = context.get_x_argument(as_dictionary=True)
    with extension.db.engine.connect() as connection:
        context.configure(connection=connection, target_metadata=extension.db.metadata,
                          **extension.configure_args)
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                take_migration_lock(connection, MIGRATION_LOCK_KEY,
                                    MigrationLimits.from_env(os.environ))
            if options.get("contract") == "refuse":
                refuse_contracts(connection)
            context.run_migrations()
            record_compatibility(connection, context.script)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
