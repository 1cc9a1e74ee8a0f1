"""Fixtures: a real PostgreSQL for the session, a fresh database per test, apps and live servers.

PostgreSQL comes from TEST_DATABASE_URL when that server answers (its role needs CREATEDB),
else from a throwaway cluster this session starts and deletes (bench.app_throughput.pg_cluster,
shared with the benchmark). When PostgreSQL is not installed, the PostgreSQL tests fail saying
so: they are never skipped silently.
"""
import threading
from pathlib import Path
from typing import Callable, Iterator

import flask_migrate
import pytest
from flask import Flask
from werkzeug.serving import make_server

from app import create_app
from bench.app_throughput.pg_cluster import DatabaseServer

AppFactory = Callable[..., Flask]
BUILD_ENV = {"APP_VERSION": "1.4.2+build.57", "APP_COMMIT": "0123abc",
             "APP_BUILT_AT": "2026-11-23T08:00:00Z"}


@pytest.fixture
def postgres_url(postgres: DatabaseServer) -> Iterator[str]:
    """A new, empty PostgreSQL database for one test, dropped afterwards."""
    url = postgres.create_database()
    yield url
    postgres.drop_database(url)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each kind the app supports: the test runs once per kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'visitors.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def make_app(database_url: str) -> AppFactory:
    """``make_app(**env)``: the app on the test's database, with a known build and extra env."""
    def factory(**env: str) -> Flask:
        return create_app({"DATABASE_URL": database_url, **BUILD_ENV, **env})
    return factory


def migrate_to(app: Flask, revision: str = "head") -> None:
    """Run the app's migrations up to ``revision``."""
    with app.app_context():
        flask_migrate.upgrade(revision=revision)


@pytest.fixture
def migrated_app(make_app: AppFactory) -> Flask:
    """The app on a database at the migration head."""
    app = make_app()
    migrate_to(app)
    return app


class LiveServer:
    """A real threaded HTTP server (Werkzeug's) on 127.0.0.1 running ``app`` in this process."""

    def __init__(self, app: Flask) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
