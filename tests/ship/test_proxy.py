"""The proxy in front of the releases: 502 before any release, then one server per app host,
and every request served when traffic comes in bursts with idle gaps between them.

Bursts: the proxy's pooled connections to the release go idle between them. The proxy must be
the side that closes an idle pooled connection. When the app closed first (gunicorn's 2 s
keep-alive against nginx's 60 s), a request nginx sent on a connection the app was closing at
that moment failed with a 502; gaps near 2 s made whole bursts fail, because the placeholder
server beside the one app host made nginx take that host out after two such failures."""
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.load import ask
from tests.support.stack import ShipStack

pytestmark = pytest.mark.slow

BURST = 12
# Idle gaps from below to well past gunicorn's default keep-alive and its 1 s reaping loop.
GAPS = [1.5 + 0.1 * step for step in range(21)]
# The proxy role's server that is down, there while no app host has an entry.
PLACEHOLDER = "127.0.0.1:9"


def upstream_servers(stack: ShipStack) -> list[str]:
    """The servers of the proxy's upstream as nginx loaded them (``nginx -T``)."""
    return re.findall(r"(?m)^\s*server\s+([^\s;{]+)[^;{]*;", stack.run_in("proxy", "nginx", "-T"))


@pytest.fixture(scope="module")
def provisioned(stack: ShipStack) -> ShipStack:
    """The stack's hosts prepared, no release yet."""
    result = stack.pipeline("provision", stack.environment)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr
    return stack


@pytest.fixture(scope="module")
def deployed(provisioned: ShipStack) -> ShipStack:
    """Build 1 released behind the stack's proxy."""
    stack = provisioned
    stack.set_build(1)
    run = stack.pipeline("run", "--stages", "version,build,push,deploy")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr
    return stack


def test_with_no_release_yet_the_proxy_answers_502(provisioned: ShipStack) -> None:
    assert ask(provisioned.url("/"))[0] == 502
    assert upstream_servers(provisioned) == [PLACEHOLDER]


def test_a_release_is_the_upstreams_one_server(deployed: ShipStack) -> None:
    servers = upstream_servers(deployed)
    assert len(servers) == 1 and servers != [PLACEHOLDER], servers
    assert ask(deployed.url("/version"))[0] == 200


def test_bursts_after_idle_gaps_are_all_served(deployed: ShipStack) -> None:
    url = deployed.url("/version")
    failures: list[str] = []
    with ThreadPoolExecutor(max_workers=BURST) as pool:
        warm = [status for status, _ in pool.map(ask, [url] * BURST)]
        assert warm == [200] * BURST
        for gap in GAPS:
            time.sleep(gap)
            failures += [f"after {gap:.1f} s idle: {status}: {body[:200]}"
                         for status, body in pool.map(ask, [url] * BURST) if status != 200]
    assert failures == [], failures
