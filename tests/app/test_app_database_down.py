"""When the database is gone: readiness says so, the page answers 503, liveness stays up."""
from pathlib import Path

import pytest
from flask import Flask

from app import create_app
from bench.ports import free_port
from tests.app.conftest import BUILD_ENV


@pytest.fixture(params=["sqlite", "postgresql"])
def app_without_database(request: pytest.FixtureRequest, tmp_path: Path) -> Flask:
    """The app pointed at a database that cannot be reached (nothing listens / no directory)."""
    urls = {"sqlite": f"sqlite:///{tmp_path / 'missing-dir' / 'visitors.db'}",
            "postgresql": f"postgresql://app:secret@127.0.0.1:{free_port()}/visitors"}
    return create_app({"DATABASE_URL": urls[request.param], **BUILD_ENV})


def test_readyz_is_503_with_the_reason(app_without_database: Flask) -> None:
    response = app_without_database.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "not ready",
                                   "reason": "database unreachable (OperationalError)"}


def test_the_page_is_a_503_page_and_liveness_is_unaffected(app_without_database: Flask) -> None:
    client = app_without_database.test_client()
    page = client.get("/")
    assert (page.status_code, page.mimetype, page.headers["Retry-After"]) == (
        503, "text/html", "5")
    html = page.get_data(as_text=True)
    assert "The counter is unavailable right now." in html
    assert 'id="build">57<' in html  # the same page style, still saying which build serves
    assert client.get("/healthz").status_code == 200
