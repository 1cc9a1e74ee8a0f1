"""A bounded load generator: a fixed number of GET requests from N threads over keep-alive.

wrk measures throughput but cannot say how many requests the server completed when a run is cut
off at its deadline; counting lost updates needs exactly known requests, so this sends a fixed
number and records every status. All threads start together (a barrier) to maximise contention.
"""
import http.client
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Callable
from urllib.parse import urlsplit

Headers = Callable[[int], dict[str, str]]
NETWORK_ERROR = 0  # the status recorded when a request got no HTTP answer at all


def no_headers(index: int) -> dict[str, str]:
    """Every request alike."""
    return {}


def send_requests(base_url: str, path: str, total: int, concurrency: int,
                  headers: Headers = no_headers) -> Counter[int]:
    """GET ``path`` ``total`` times from ``concurrency`` threads; counts of each status."""
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    barrier = threading.Barrier(concurrency)

    def worker(first: int) -> Counter[int]:
        statuses: Counter[int] = Counter()
        connection = http.client.HTTPConnection(host, port, timeout=60)
        barrier.wait()
        for index in range(first, total, concurrency):
            try:
                connection.request("GET", path, headers=headers(index))
                response = connection.getresponse()
                response.read()
                statuses[response.status] += 1
            except (OSError, http.client.HTTPException):
                statuses[NETWORK_ERROR] += 1
                connection.close()
        connection.close()
        return statuses

    with ThreadPoolExecutor(concurrency) as pool:
        return sum(pool.map(worker, range(concurrency)), Counter())
