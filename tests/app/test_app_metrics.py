"""/metrics: the documented names count what they say, and promtool accepts the exposition."""
import shutil
import subprocess

import pytest
from flask import Flask

from tests.app.conftest import AppFactory
from tests.app.metrics_text import sample

PEER = {"REMOTE_ADDR": "203.0.113.9"}
PAGE_OK = 'app_http_requests_total{endpoint="/",method="GET",status="200"}'
PAGE_UNAVAILABLE = 'app_http_requests_total{endpoint="/",method="GET",status="503"}'
UNMATCHED = 'app_http_requests_total{endpoint="unmatched",method="GET",status="404"}'
PAGE_LATENCY = 'app_http_request_duration_seconds_count{endpoint="/"}'
BUILD_INFO = 'visitors_build_info{build="57",commit="0123abc",version="1.4.2+build.57"}'


def scrape(app: Flask) -> str:
    response = app.test_client().get("/metrics")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def counted(before: str, after: str, name: str) -> float:
    """How much a counter grew between two scrapes (absent means 0)."""
    return (sample(after, name) or 0.0) - (sample(before, name) or 0.0)


def test_requests_latency_and_visits_are_counted(migrated_app: Flask) -> None:
    before = scrape(migrated_app)
    client = migrated_app.test_client()
    assert client.get("/", environ_base=PEER).status_code == 200
    assert client.get("/no-such-page").status_code == 404
    after = scrape(migrated_app)
    for name in (PAGE_OK, UNMATCHED, PAGE_LATENCY, "app_visits_total",
                 "app_visit_batch_size_count", "app_visit_batch_size_sum"):
        assert counted(before, after, name) == 1, name
    assert counted(before, after, "app_database_errors_total") == 0


def test_the_build_serving_and_the_requests_in_flight(migrated_app: Flask) -> None:
    text = scrape(migrated_app)
    assert sample(text, BUILD_INFO) == 1
    assert text.count("visitors_build_info{") == 1
    assert sample(text, "app_http_requests_in_flight") == 1  # the scrape itself


def test_database_errors_are_counted(make_app: AppFactory) -> None:
    app = make_app()  # never migrated: the page's statement fails
    before = scrape(app)
    assert app.test_client().get("/", environ_base=PEER).status_code == 503
    after = scrape(app)
    assert counted(before, after, "app_database_errors_total") == 1
    assert counted(before, after, PAGE_UNAVAILABLE) == 1
    assert counted(before, after, "app_visits_total") == 0
    assert counted(before, after, "app_visit_batch_size_count") == 0


@pytest.mark.tools("promtool")
def test_promtool_accepts_the_metrics(migrated_app: Flask) -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is not installed: apt-get install -y prometheus"
    migrated_app.test_client().get("/", environ_base=PEER)
    result = subprocess.run([promtool, "check", "metrics"], input=scrape(migrated_app),
                            capture_output=True, text=True, check=False, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout + result.stderr == ""
