"""Exact counting under real concurrency, over HTTP against real servers on 127.0.0.1.

The legacy app's read-modify-write lost 42% of updates under 50 clients and crashed when two
first visits raced; these are the regression tests, with a threaded Werkzeug server in this
process and with gunicorn (several worker processes) as deployed.
"""
import re
import urllib.request
from collections import Counter

import pytest
from flask import Flask
from sqlalchemy import func, select

from app import create_app
from app.database import Visitor, VisitorTotal, db
from bench.app_throughput.gunicorn_server import GunicornServer
from bench.app_throughput.load import send_requests
from tests.app.conftest import BUILD_ENV, AppFactory, LiveServer, migrate_to
from tests.app.metrics_text import sample

pytestmark = pytest.mark.slow
CLIENTS = 50
REQUESTS = 1000


def forwarded_for(index: int) -> dict[str, str]:
    """A different client for every request, as a trusted proxy reports it."""
    return {"X-Forwarded-For": f"198.18.{index // 256}.{index % 256}"}


def visits_by_address(app: Flask) -> dict[str | None, int | None]:
    with app.app_context():
        return {row.ip: row.visits for row in db.session.scalars(select(Visitor))}


def total(app: Flask) -> tuple[int, int]:
    """The counter row and the actual number of rows."""
    with app.app_context():
        return (db.session.scalars(select(func.sum(VisitorTotal.unique_visitors))).one(),
                db.session.scalars(select(func.count()).select_from(Visitor)).one())


def test_one_client_hammering_loses_no_visit(migrated_app: Flask) -> None:
    with LiveServer(migrated_app) as server:
        statuses = send_requests(server.url, "/", REQUESTS, CLIENTS)
    assert statuses == Counter({200: REQUESTS})
    assert visits_by_address(migrated_app) == {"127.0.0.1": REQUESTS}
    assert total(migrated_app) == (1, 1)


def test_simultaneous_first_visits_all_succeed_and_count_once(make_app: AppFactory) -> None:
    app = make_app(TRUSTED_PROXY_HOPS="1")
    migrate_to(app)
    with LiveServer(app) as server:
        statuses = send_requests(server.url, "/", CLIENTS, CLIENTS, forwarded_for)
    assert statuses == Counter({200: CLIENTS})
    visits = visits_by_address(app)
    assert set(visits) == {forwarded_for(n)["X-Forwarded-For"] for n in range(CLIENTS)}
    assert set(visits.values()) == {1}
    assert total(app) == (CLIENTS, CLIENTS)


def test_gunicorn_workers_count_exactly_and_share_metrics(postgres_url: str) -> None:
    env = {"DATABASE_URL": postgres_url, "TRUSTED_PROXY_HOPS": "1", **BUILD_ENV}
    app = create_app(env)
    migrate_to(app)
    server = GunicornServer(env, workers=2, threads=8).start()
    try:
        repeat = send_requests(server.url, "/", REQUESTS, CLIENTS)
        first = send_requests(server.url, "/", CLIENTS, CLIENTS, forwarded_for)
        with urllib.request.urlopen(f"{server.url}/metrics", timeout=10) as response:
            metrics = response.read().decode()
    finally:
        exit_code = server.stop()
    assert (repeat, first) == (Counter({200: REQUESTS}), Counter({200: CLIENTS}))
    assert visits_by_address(app)["127.0.0.1"] == REQUESTS
    assert total(app) == (CLIENTS + 1, CLIENTS + 1)
    assert sample(metrics, "app_visits_total") == REQUESTS + CLIENTS
    assert sample(metrics, "app_visit_batch_size_sum") == REQUESTS + CLIENTS
    statements = sample(metrics, "app_visit_batch_size_count")
    assert statements and statements < REQUESTS + CLIENTS, "concurrent visits shared no statement"
    assert sample(metrics, 'app_http_requests_total{endpoint="/",method="GET",status="200"}') \
        == REQUESTS + CLIENTS
    assert sample(metrics, "app_http_requests_in_flight") == 1  # the scrape, in one worker
    assert metrics.count("visitors_build_info{") == 1
    assert exit_code == 0, server.log()
    workers = set(re.findall(r"Booting worker with pid: (\d+)", server.log()))
    assert len(workers) == 2
