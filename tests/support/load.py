"""A bounded HTTP load that counts served and failed requests, for exactly one piece of work.

Sent only to 127.0.0.1 or to the project's own test hosts (the fleet's containers).

Used by the deploy benchmarks and the zero-downtime tests: a few threads ask one URL again and
again, from before the body of a ``with`` starts until it ends. The zero-downtime tests ask the
page ``/``, which writes a visit, so a release that answers but cannot write is caught too, and
with a ``counter`` (the database's total of visits) the load checks afterwards that every visit
answered 200 was really recorded. The budget (time, requests) only bounds a runaway: a load
that runs out before its body ends did not cover it, and says so by raising ``LoadRanOut``.
"""
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType

# The page's build badge (app/templates/base.html): which release answered a visit.
PAGE_BUILD = re.compile(r'<span id="build">(\d+)</span>')
# How long the load waits for its first answer before its body may start.
FIRST_ANSWER_SECONDS = 15.0


class LoadRanOut(RuntimeError):
    """The load used up its time or request budget while its body still ran."""


@dataclass
class LoadResult:
    """What the load saw: answers by status, the builds that answered, the first errors, and
    (with a counter) how many visits the database gained while it ran."""

    served: int = 0
    failed: int = 0
    builds: set[int] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    recorded: int | None = None

    def problems(self) -> list[str]:
        """Why this load does not show zero downtime; empty when it does."""
        problems = [f"{self.failed} request(s) failed: {self.errors}"] if self.failed else []
        if not self.served:
            problems.append("no request was served")
        if self.recorded is not None and self.recorded != self.served:
            problems.append(f"{self.served} visit(s) answered 200 but the database gained "
                            f"{self.recorded}")
        return problems


class Load:
    """``with Load(url) as load: ...`` keeps ``url`` busy for exactly the body of the ``with``.

    ``counter`` (optional) returns the total visits the service has recorded: read before the
    first request and after the last, its difference is ``result.recorded``.
    """

    MAX_ERRORS_KEPT = 10

    def __init__(self, url: str, workers: int = 3, max_seconds: float = 900.0,
                 max_requests: int = 500_000, own_hosts: frozenset[str] = frozenset(),
                 counter: Callable[[], int] | None = None) -> None:
        host = urllib.parse.urlsplit(url).hostname or ""
        if host not in {"127.0.0.1", "localhost", *own_hosts}:
            raise ValueError(f"load is only ever sent to this machine's loopback or the "
                             f"project's own test hosts, not {url}")
        self.url = url
        self.result = LoadResult()
        self._workers = workers
        self._max_seconds = max_seconds
        self._deadline = 0.0
        self._budget = max_requests
        self._counter = counter
        self._counted_before = 0
        self._ran_out = ""
        self._lock = threading.Lock()
        self._answered = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> "Load":
        if self._counter is not None:
            self._counted_before = self._counter()
        self._deadline = time.monotonic() + self._max_seconds
        self._threads = [threading.Thread(target=self._loop, daemon=True)
                         for _ in range(self._workers)]
        for thread in self._threads:
            thread.start()
        if not self._answered.wait(FIRST_ANSWER_SECONDS):
            self._halt()
            raise LoadRanOut(f"no answer from {self.url} within {FIRST_ANSWER_SECONDS:.0f} s")
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._halt()
        if self._counter is not None:
            self.result.recorded = self._counter() - self._counted_before
        if self._ran_out and kind is None:
            raise LoadRanOut(f"the load on {self.url} stopped before the work it was to cover "
                             f"ended: {self._ran_out}")

    def _halt(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _take_ticket(self) -> bool:
        with self._lock:
            if self._budget <= 0:
                self._ran_out = "its request budget is spent"
            elif time.monotonic() > self._deadline:
                self._ran_out = f"its {self._max_seconds:g} s are up"
            else:
                self._budget -= 1
                return True
            return False

    def _loop(self) -> None:
        while not self._stop.is_set() and self._take_ticket():
            self._record(*ask(self.url))

    def _record(self, status: int | None, body: str) -> None:
        with self._lock:
            self._answered.set()
            if status == 200:
                self.result.served += 1
                build = build_of(body)
                if build is not None:
                    self.result.builds.add(build)
                return
            self.result.failed += 1
            if len(self.result.errors) < self.MAX_ERRORS_KEPT:
                self.result.errors.append(f"{status}: {body[:200]}")


def ask(url: str) -> tuple[int | None, str]:
    """One GET of ``url``: its status and body, or None and the error that stopped it."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            body = response.read().decode("utf-8", "replace")
            return int(response.status), body
    except urllib.error.HTTPError as error:
        return error.code, str(error)
    except OSError as error:
        return None, f"{type(error).__name__}: {error}"


def build_of(body: str) -> int | None:
    """The build that answered: a ``/version`` answer's ``build``, or the page's build badge
    (None for any other answer)."""
    page = PAGE_BUILD.search(body)
    if page:
        return int(page.group(1))
    try:
        data = json.loads(body)
    except ValueError:
        return None
    build = data.get("build") if isinstance(data, dict) else None
    return build if isinstance(build, int) else None
