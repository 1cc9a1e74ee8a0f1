"""A bounded HTTP load that counts served and failed requests.

Sent only to 127.0.0.1 or to the project's own test hosts (the fleet's containers).

Used by the deploy benchmark and the zero-downtime tests: a few threads ask one loopback URL
again and again until stopped, or until a request or time budget runs out.
"""
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from types import TracebackType


@dataclass
class LoadResult:
    """What the load saw: answers by status, the builds that answered, the first errors."""

    served: int = 0
    failed: int = 0
    builds: set[int] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)


class Load:
    """``with Load(url) as load: ...`` keeps ``url`` busy for the body of the ``with``."""

    MAX_ERRORS_KEPT = 10

    def __init__(self, url: str, workers: int = 4, max_seconds: float = 300.0,
                 max_requests: int = 200_000, own_hosts: frozenset[str] = frozenset()) -> None:
        host = urllib.parse.urlsplit(url).hostname or ""
        if host not in {"127.0.0.1", "localhost", *own_hosts}:
            raise ValueError(f"load is only ever sent to this machine's loopback or the "
                             f"project's own test hosts, not {url}")
        self.url = url
        self.result = LoadResult()
        self._workers = workers
        self._deadline = time.monotonic() + max_seconds
        self._budget = max_requests
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> "Load":
        self._threads = [threading.Thread(target=self._loop, daemon=True)
                         for _ in range(self._workers)]
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _take_ticket(self) -> bool:
        with self._lock:
            if self._budget <= 0 or time.monotonic() > self._deadline:
                return False
            self._budget -= 1
            return True

    def _loop(self) -> None:
        while not self._stop.is_set() and self._take_ticket():
            self._record(*ask(self.url))

    def _record(self, status: int | None, body: str) -> None:
        with self._lock:
            if status == 200:
                self.result.served += 1
                build = _build_of(body)
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


def _build_of(body: str) -> int | None:
    """The build number of a ``/version`` answer (None for any other page)."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    build = data.get("build") if isinstance(data, dict) else None
    return build if isinstance(build, int) else None
