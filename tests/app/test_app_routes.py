"""The routes, through Flask's test client, on SQLite and on PostgreSQL."""
import re

from flask import Flask
from sqlalchemy import select

from app.database import Visitor, db
from tests.app.conftest import AppFactory, migrate_to

PEER = {"REMOTE_ADDR": "203.0.113.9"}
HEAD = "5a0c7e2d9b41"


def get_page(app: Flask, environ: dict[str, str] = PEER,
             forwarded_for: str | None = None) -> tuple[int, str]:
    headers = {} if forwarded_for is None else {"X-Forwarded-For": forwarded_for}
    response = app.test_client().get("/", environ_base=environ, headers=headers)
    return response.status_code, response.get_data(as_text=True)


def field(page: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', page)
    assert match is not None, f"no #{element_id} in the page"
    return match.group(1)


def stored_visits(app: Flask) -> dict[str | None, int | None]:
    with app.app_context():
        return {row.ip: row.visits for row in db.session.scalars(select(Visitor))}


def test_the_page_counts_each_visit_and_shows_the_release(make_app: AppFactory) -> None:
    app = make_app(USER_NAME="Ada <Lovelace>", USER_URL="https://example.com/ada?x=1&y=2")
    migrate_to(app)
    for expected in (1, 2, 3):
        status, page = get_page(app)
        assert status == 200
        assert field(page, "visits") == str(expected)
    get_page(app, {"REMOTE_ADDR": "198.51.100.1"})
    status, page = get_page(app)
    assert (field(page, "visits"), field(page, "unique-visitors")) == ("4", "2")
    assert (field(page, "version"), field(page, "build"), field(page, "commit")) == (
        "1.4.2+build.57", "57", "0123abc")
    assert re.fullmatch(r"(SQLite|PostgreSQL) \d+(\.\d+)+", field(page, "database"))
    assert '<a id="deployer" href="https://example.com/ada?x=1&amp;y=2">Ada &lt;Lovelace&gt;</a>' \
        in page
    assert stored_visits(app) == {"203.0.113.9": 4, "198.51.100.1": 1}


def test_a_head_request_is_answered_without_counting_a_visit(migrated_app: Flask) -> None:
    response = migrated_app.test_client().head("/", environ_base=PEER)
    assert (response.status_code, response.mimetype) == (200, "text/html")
    assert stored_visits(migrated_app) == {}


def test_version_reports_the_build(migrated_app: Flask) -> None:
    assert migrated_app.test_client().get("/version").get_json() == {
        "version": "1.4.2+build.57", "build": 57, "commit": "0123abc",
        "built_at": "2026-11-23T08:00:00Z"}


def test_a_spoofed_forwarded_for_is_ignored_without_trusted_proxies(
        migrated_app: Flask) -> None:
    status, _ = get_page(migrated_app, forwarded_for="198.51.100.66")
    assert status == 200
    assert stored_visits(migrated_app) == {"203.0.113.9": 1}


def test_one_trusted_hop_counts_the_address_the_proxy_forwarded(make_app: AppFactory) -> None:
    app = make_app(TRUSTED_PROXY_HOPS="1")
    migrate_to(app)
    get_page(app, forwarded_for="192.0.2.1, 198.51.100.66")
    assert stored_visits(app) == {"198.51.100.66": 1}


def test_an_invalid_client_address_is_refused_and_not_stored(make_app: AppFactory) -> None:
    app = make_app(TRUSTED_PROXY_HOPS="1")
    migrate_to(app)
    status, body = get_page(app, forwarded_for="not-an-address")
    assert status == 400
    assert "'not-an-address' is not an IP address" in body
    status, _ = get_page(app, {"REMOTE_ADDR": ""})
    assert status == 400
    assert stored_visits(app) == {}


def test_healthz_does_not_need_the_database(make_app: AppFactory) -> None:
    app = make_app()  # never migrated: the page could not work, liveness still does
    response = app.test_client().get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})


def test_readyz_at_head(migrated_app: Flask) -> None:
    response = migrated_app.test_client().get("/readyz")
    assert (response.status_code, response.get_json()) == (
        200, {"status": "ready", "release": HEAD})


def test_readyz_refuses_a_database_not_migrated_or_behind(make_app: AppFactory) -> None:
    app = make_app()
    response = app.test_client().get("/readyz")
    assert (response.status_code, response.get_json()["reason"]) == (
        503, f"database not migrated (no revision), release expects {HEAD}")
    migrate_to(app, "3f1c2b9d7a10")
    response = app.test_client().get("/readyz")
    assert (response.status_code, response.get_json()["reason"]) == (
        503, f"schema at 3f1c2b9d7a10 is older than this release's {HEAD}: "
             "its migrations have not run")
