"""The page in a real browser (headless Chromium) served by gunicorn as deployed.

What a visitor sees: the counts and the release (build number first of all) visible on screen,
nothing loaded from anywhere else, and the same style when the database is down. The
screenshots are kept as build artifacts: reports/page.png and reports/page-unavailable.png.
"""
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from bench.app_throughput.gunicorn_server import GunicornServer
from bench.ports import free_port
from tests.app.browser import Chromium
from tests.app.conftest import BUILD_ENV, migrate_to

pytestmark = [pytest.mark.slow, pytest.mark.tools("chromium")]
REPORTS = Path(__file__).resolve().parents[2] / "reports"
DEPLOYER = {"USER_NAME": "Ada Lovelace", "USER_URL": "https://example.com/ada"}
# For each element: its text, and whether a visitor can see it (laid out, not hidden,
# inside the first screen).
SEEN = """Object.fromEntries(%s.map(id => {
  const element = document.getElementById(id);
  if (!element) return [id, null];
  const box = element.getBoundingClientRect(), style = getComputedStyle(element);
  return [id, {text: element.textContent.trim(),
               visible: box.width > 0 && box.height > 0 && box.bottom <= innerHeight
                        && style.visibility === "visible" && style.opacity !== "0"}];
}))"""
# Everything the page fetched besides itself: fonts, styles, scripts, images.
FETCHED = "performance.getEntriesByType('resource').map(entry => entry.name)"


def seen(browser: Chromium, session: str, *ids: str) -> dict[str, Any]:
    value: dict[str, Any] = browser.evaluate(session, SEEN % list(ids))
    return value


def test_the_page_shows_the_counts_and_the_release(postgres_url: str) -> None:
    env = {"DATABASE_URL": postgres_url, **BUILD_ENV, **DEPLOYER}
    migrate_to(create_app(env))
    with GunicornServer(env, workers=1, threads=2) as server, Chromium() as browser:
        session = browser.open(f"{server.url}/")
        browser.screenshot(session, REPORTS / "page.png")
        shown = seen(browser, session, "visits", "unique-visitors", "version", "build",
                     "commit", "built-at", "deployer")
        fetched = browser.evaluate(session, FETCHED)
        title = browser.evaluate(session, "document.title")
    assert shown == {
        "visits": {"text": "1", "visible": True},
        "unique-visitors": {"text": "1", "visible": True},
        "version": {"text": "1.4.2+build.57", "visible": True},
        "build": {"text": "57", "visible": True},
        "commit": {"text": "0123abc", "visible": True},
        "built-at": {"text": "23 Nov 2026, 08:00 UTC", "visible": True},
        "deployer": {"text": "Ada Lovelace", "visible": True}}
    assert fetched == []
    assert title == "Visitor counter"
    assert (REPORTS / "page.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_the_503_page_in_the_same_style_names_the_build() -> None:
    env = {"DATABASE_URL": f"postgresql://app@127.0.0.1:{free_port()}/visitors", **BUILD_ENV}
    with GunicornServer(env, workers=1, threads=2) as server, Chromium() as browser:
        session = browser.open(f"{server.url}/")
        browser.screenshot(session, REPORTS / "page-unavailable.png")
        notice = browser.evaluate(
            session, "document.querySelector('[role=alert]').textContent.trim()")
        shown = seen(browser, session, "build", "visits")
        fetched = browser.evaluate(session, FETCHED)
    assert notice.startswith("The counter is unavailable right now.")
    assert shown == {"build": {"text": "57", "visible": True}, "visits": None}
    assert fetched == []
