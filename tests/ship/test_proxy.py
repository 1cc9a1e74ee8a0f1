"""Traffic in bursts with idle gaps between them, as real visitors send it: the proxy's pooled
connections to the release go idle between bursts, and every request that reuses one is served.

The proxy must be the side that closes an idle pooled connection. When the app closed first
(gunicorn's 2 s keep-alive against nginx's 60 s), a request nginx sent on a connection the app
was closing at that moment failed with a 502; gaps near 2 s made whole bursts fail."""
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.stack import ShipStack

pytestmark = pytest.mark.slow

BURST = 12
# Idle gaps from below to well past gunicorn's default keep-alive and its 1 s reaping loop.
GAPS = [1.5 + 0.1 * step for step in range(21)]


def status_of(url: str) -> int | str:
    """The status of one GET, or the error that stopped it."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except OSError as error:
        return f"{type(error).__name__}: {error}"


@pytest.fixture(scope="module")
def deployed(stack: ShipStack) -> ShipStack:
    """Build 1 released behind the stack's proxy."""
    provisioned = stack.pipeline("provision", stack.environment)
    assert provisioned.returncode == 0, provisioned.stdout[-4000:] + provisioned.stderr
    stack.set_build(1)
    run = stack.pipeline("run", "--stages", "version,build,push,deploy")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr
    return stack


def test_bursts_after_idle_gaps_are_all_served(deployed: ShipStack) -> None:
    url = deployed.url("/version")
    failures: list[str] = []
    with ThreadPoolExecutor(max_workers=BURST) as pool:
        warm = list(pool.map(status_of, [url] * BURST))
        assert warm == [200] * BURST
        for gap in GAPS:
            time.sleep(gap)
            statuses = list(pool.map(status_of, [url] * BURST))
            failures += [f"after {gap:.1f} s idle: {status}" for status in statuses
                         if status != 200]
    assert failures == [], failures
