"""Alembic's entry point, run by Flask-Migrate inside the app's context.

Online upgrades on PostgreSQL first take a transaction-scoped advisory lock, so when two app
hosts (or a retried deploy) migrate at once the second waits, then finds the schema at head and
does nothing, instead of failing half-way on "table already exists". No logging config is loaded
here: alembic.ini's fileConfig would silence the app's loggers.
"""
from alembic import context
from flask import current_app
from sqlalchemy import text

from app.schema import MIGRATION_LOCK_KEY


def run_migrations_offline() -> None:
    """Print the SQL (``flask db upgrade --sql``), e.g. to show pending migrations in a plan."""
    context.configure(url=current_app.extensions["migrate"].db.engine.url,
                      target_metadata=current_app.extensions["migrate"].db.metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate the app's database in one transaction, under the migration lock."""
    extension = current_app.extensions["migrate"]
    with extension.db.engine.connect() as connection:
        context.configure(connection=connection, target_metadata=extension.db.metadata,
                          **extension.configure_args)
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                   {"key": MIGRATION_LOCK_KEY})
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
