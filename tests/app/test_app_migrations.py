"""Migrations: the legacy database upgrades in place, models match, the counter stays exact."""
import os
import subprocess
import sys
import time
from pathlib import Path

import flask_migrate
import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask import Flask
from sqlalchemy import text

from app import create_app
from app.database import db
from app.schema import MIGRATION_LOCK_KEY
from bench.app_throughput.pg_cluster import libpq_url
from tests.app.conftest import BUILD_ENV, AppFactory, migrate_to

ROOT = Path(__file__).resolve().parents[2]
# What the legacy app's `flask db upgrade` left in PostgreSQL, written out by hand.
LEGACY_SCHEMA = """
CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL,
                              CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
INSERT INTO alembic_version (version_num) VALUES ('e75588bf2531');
CREATE TABLE visitor (id SERIAL NOT NULL, ip VARCHAR(40), visits INTEGER, PRIMARY KEY (id));
CREATE UNIQUE INDEX ix_visitor_ip ON visitor (ip);
INSERT INTO visitor (ip, visits) VALUES ('192.0.2.1', 41), ('192.0.2.2', 1), ('192.0.2.3', NULL);
"""


def query(app: Flask, sql: str) -> list[tuple[object, ...]]:
    with app.app_context():
        return [tuple(row) for row in db.session.execute(text(sql))]


def visit(app: Flask, address: str) -> int:
    response = app.test_client().get("/", environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 200
    return int(response.get_data(as_text=True).split('id="visits">')[1].split("<")[0])


@pytest.mark.slow
def test_a_legacy_database_upgrades_in_place_keeping_its_rows(postgres_url: str) -> None:
    with psycopg.connect(libpq_url(postgres_url), autocommit=True) as connection:
        connection.execute(LEGACY_SCHEMA.encode())
    app = create_app({"DATABASE_URL": postgres_url, **BUILD_ENV})
    assert app.test_client().get("/readyz").status_code == 503
    migrate_to(app)
    assert app.test_client().get("/readyz").status_code == 200
    assert query(app, "SELECT ip, visits FROM visitor ORDER BY id") == [
        ("192.0.2.1", 41), ("192.0.2.2", 1), ("192.0.2.3", None)]
    assert query(app, "SELECT sum(unique_visitors) FROM visitor_total") == [(3,)]
    assert (visit(app, "192.0.2.1"), visit(app, "192.0.2.3"), visit(app, "192.0.2.9")) == (42, 1, 1)
    assert query(app, "SELECT sum(unique_visitors) FROM visitor_total") == [(4,)]


def test_the_models_match_the_migrations(migrated_app: Flask) -> None:
    with migrated_app.app_context(), db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), db.metadata) == []


def test_downgrade_to_the_legacy_schema_and_back(migrated_app: Flask) -> None:
    visit(migrated_app, "192.0.2.1")
    with migrated_app.app_context():
        flask_migrate.downgrade(revision="e75588bf2531")
        assert "visitor_total" not in db.inspect(db.engine).get_table_names()
    assert query(migrated_app, "SELECT ip, visits FROM visitor") == [("192.0.2.1", 1)]
    migrate_to(migrated_app)
    assert query(migrated_app, "SELECT sum(unique_visitors) FROM visitor_total") == [(1,)]


def test_the_total_follows_every_kind_of_write(make_app: AppFactory) -> None:
    app = make_app()
    migrate_to(app)
    with app.app_context():
        rows = ", ".join(f"('10.0.{n // 256}.{n % 256}', 1)" for n in range(300))
        db.session.execute(text(f"INSERT INTO visitor (ip, visits) VALUES {rows}"))
        db.session.execute(text("DELETE FROM visitor WHERE ip LIKE '10.0.0.%'"))
        db.session.commit()
    assert query(app, "SELECT (SELECT sum(unique_visitors) FROM visitor_total), "
                      "(SELECT count(*) FROM visitor)") == [(44, 44)]


@pytest.mark.slow
def test_truncate_resets_the_total(postgres_url: str) -> None:
    app = create_app({"DATABASE_URL": postgres_url, **BUILD_ENV})
    migrate_to(app)
    visit(app, "192.0.2.1")
    with app.app_context():
        db.session.execute(text("TRUNCATE visitor"))
        db.session.commit()
    assert query(app, "SELECT sum(unique_visitors) FROM visitor_total") == [(0,)]


def waiting_for_advisory_locks(connection: psycopg.Connection[tuple[int]]) -> int:
    row = connection.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted").fetchone()
    return row[0] if row else 0


@pytest.mark.slow
def test_concurrent_upgrades_queue_on_the_migration_lock(postgres_url: str) -> None:
    """Hosts migrating at once wait for the lock; then the first migrates, the others no-op."""
    env = {**os.environ, "DATABASE_URL": postgres_url}
    command = [sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"]
    with psycopg.connect(libpq_url(postgres_url), autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
        runs = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True) for _ in range(2)]
        deadline = time.monotonic() + 30
        while waiting_for_advisory_locks(holder) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert waiting_for_advisory_locks(holder) == 2, "the upgrades did not wait for the lock"
        holder.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))
    outputs = [run.communicate(timeout=60)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    app = create_app({"DATABASE_URL": postgres_url, **BUILD_ENV})
    assert app.test_client().get("/readyz").status_code == 200
