"""Pooled connections that died are replaced without failing a visit, and without a query."""
import threading
import time
from pathlib import Path

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text
from werkzeug.test import TestResponse

from app import create_app
from app.database import db
from bench.app_throughput.pg_cluster import libpq_url
from tests.app.conftest import BUILD_ENV, migrate_to

PEER = {"REMOTE_ADDR": "203.0.113.9"}


def request_engine(app: Flask) -> Engine:
    engine: Engine = app.extensions["visitor_engine"]
    return engine


def other_sessions(admin: psycopg.Connection[tuple[int]]) -> int:
    row = admin.execute("SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchone()
    return row[0] if row else 0


def served_one_visit(database_url: str) -> tuple[Flask, FlaskClient]:
    """A migrated app on ``database_url`` that has served one visit (its pool holds a
    connection), and its test client."""
    app = create_app({"DATABASE_URL": database_url, **BUILD_ENV})
    migrate_to(app)
    client = app.test_client()
    assert client.get("/", environ_base=PEER).status_code == 200
    return app, client


@pytest.mark.slow
def test_sessions_ended_by_the_server_are_replaced_before_use(postgres_url: str) -> None:
    _, client = served_one_visit(postgres_url)
    with psycopg.connect(libpq_url(postgres_url), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        deadline = time.monotonic() + 10
        while other_sessions(admin) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert other_sessions(admin) == 0
    assert client.get("/", environ_base=PEER).status_code == 200


def test_a_connection_lost_during_a_visit_is_dropped_from_the_pool(tmp_path: Path) -> None:
    app, client = served_one_visit(f"sqlite:///{tmp_path / 'visitors.db'}")
    pooled = request_engine(app).raw_connection()
    driver_connection = pooled.dbapi_connection
    pooled.close()
    assert driver_connection is not None
    driver_connection.close()  # dies behind the pool's back
    assert client.get("/", environ_base=PEER).status_code == 503
    assert client.get("/", environ_base=PEER).status_code == 200


def visit_waiting_for_its_row(admin: psycopg.Connection[tuple[int]]) -> int:
    """The pid of the session waiting on a row lock (the visit), once there is one."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        row = admin.execute("SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                            "AND datname = current_database()").fetchone()
        if row:
            return row[0]
        time.sleep(0.02)
    raise AssertionError("the visit never waited for its row")


@pytest.mark.slow
def test_a_session_ended_during_a_visit_is_a_503_and_is_replaced(postgres_url: str) -> None:
    _, client = served_one_visit(postgres_url)
    responses: list[TestResponse] = []
    with psycopg.connect(libpq_url(postgres_url)) as admin:
        admin.execute("SELECT 1 FROM visitor WHERE ip = %s FOR UPDATE", [PEER["REMOTE_ADDR"]])
        visit = threading.Thread(target=lambda: responses.append(
            client.get("/", environ_base=PEER)))
        visit.start()
        admin.execute("SELECT pg_terminate_backend(%s)", [visit_waiting_for_its_row(admin)])
        visit.join(10)
        admin.rollback()
    assert [response.status_code for response in responses] == [503]
    again = client.get("/", environ_base=PEER)
    assert again.status_code == 200
    assert '<strong id="visits">2</strong>' in again.get_data(as_text=True)


def session_synchronous_commit(engine: Engine) -> tuple[str, str]:
    """The session's synchronous_commit, and where it came from (``client``: its connection)."""
    with engine.connect() as connection:
        row = connection.execute(text("SELECT setting, source FROM pg_settings "
                                      "WHERE name = 'synchronous_commit'")).one()
    return str(row[0]), str(row[1])


@pytest.mark.slow
def test_only_visits_may_commit_without_waiting_for_the_disk(postgres_url: str) -> None:
    app = create_app({"DATABASE_URL": postgres_url, **BUILD_ENV, "VISIT_SYNCHRONOUS_COMMIT": "off"})
    assert session_synchronous_commit(request_engine(app)) == ("off", "client")
    with app.app_context():
        assert session_synchronous_commit(db.engine)[1] != "client"  # migrations: the server's
    default = create_app({"DATABASE_URL": postgres_url, **BUILD_ENV})
    assert session_synchronous_commit(request_engine(default))[1] != "client"
