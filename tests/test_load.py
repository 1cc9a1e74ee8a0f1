"""The zero-downtime load (tests/support/load.py) against a real HTTP server on loopback: it
covers exactly its body, refuses to pass when its budget ran out first, and catches visits
answered 200 that the database never counted."""
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest

from tests.support.load import Load, LoadRanOut

PAGE = b'<p>visits</p><dd><span class="badge">#<span id="build">7</span></span></dd>'


class Page(ThreadingHTTPServer):
    """A page that counts its visits, and forgets every ``forget``-th one while still
    answering 200 (a release that acknowledges what it never wrote)."""

    def __init__(self, forget: int = 0) -> None:
        super().__init__(("127.0.0.1", 0), Visit)
        self.forget = forget
        self.answered = 0
        self.counted = 0
        self.lock = threading.Lock()

    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


class Visit(BaseHTTPRequestHandler):
    server: Page

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.answered += 1
            if not self.server.forget or self.server.answered % self.server.forget:
                self.server.counted += 1
        self.send_response(200)
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


def serving(forget: int = 0) -> Iterator[Page]:
    server = Page(forget)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def page() -> Iterator[Page]:
    yield from serving()


@pytest.fixture
def forgetful() -> Iterator[Page]:
    yield from serving(forget=5)


def counted(server: Page) -> int:
    with server.lock:
        return server.counted


def test_the_load_covers_exactly_its_body_and_every_visit_is_counted(page: Page) -> None:
    with Load(page.url(), workers=2, counter=lambda: counted(page)) as load:
        assert page.answered > 0  # started before the body
        time.sleep(0.3)
    after = page.answered
    time.sleep(0.2)
    assert page.answered == after  # stopped when the body ended
    assert load.result.served == after and load.result.builds == {7}
    assert load.result.recorded == after
    assert load.result.problems() == []


def test_a_load_whose_budget_runs_out_before_its_body_ends_does_not_pass(page: Page) -> None:
    with pytest.raises(LoadRanOut, match="stopped before the work it was to cover ended: "
                                         "its 0.2 s are up"):
        with Load(page.url(), workers=1, max_seconds=0.2):
            time.sleep(0.6)


def test_visits_answered_but_never_counted_are_a_problem(forgetful: Page) -> None:
    with Load(forgetful.url(), workers=2, counter=lambda: counted(forgetful)) as load:
        time.sleep(0.3)
    served = load.result.served
    assert served >= 5 and load.result.failed == 0
    assert load.result.problems() == [f"{served} visit(s) answered 200 but the database "
                                      f"gained {served - served // 5}"]
