"""Markers by folder, the machine-wide fixtures (the provisioned stack, one PostgreSQL), and
what keeps a test session from leaving traces: reports, containers.

Every test under tests/app is a test of the delivered service: the pipeline's test stage
selects ``service or not slow`` (setup.cfg ``[pipeline] test_args``), the service's own tests,
slow or not, and the fast tests of everything else. They run on a real PostgreSQL (most of them
on SQLite too), so they also declare the ``postgres`` tool (tests/test_system_tools.py).
"""
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Iterator

import pytest

from bench.app_throughput.pg_cluster import DatabaseServer, PostgresNotInstalled, database_server

ROOT = Path(__file__).resolve().parents[1]
SERVICE_TESTS = ROOT / "tests" / "app"
# The SIGTERM handler the session replaced.
PREVIOUS_SIGTERM = pytest.StashKey["signal._HANDLER"]()


def terminated(signum: int, frame: FrameType | None) -> None:
    """SIGTERM as Ctrl-C: pytest then stops and runs every fixture's finalizer, so a session
    ended by a timeout or an aborted build still removes its containers and networks. A second
    SIGTERM is ignored: it would cut that teardown short (SIGKILL remains the hard stop)."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt(f"terminated by signal {signum} (SIGTERM)")


def pytest_configure(config: pytest.Config) -> None:
    """Turn SIGTERM into KeyboardInterrupt for this session (signals reach the main thread
    only: xdist's workers run their session there too)."""
    if threading.current_thread() is threading.main_thread():
        config.stash[PREVIOUS_SIGTERM] = signal.signal(signal.SIGTERM, terminated)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Give SIGTERM back its handler from before the session."""
    if PREVIOUS_SIGTERM in config.stash:
        signal.signal(signal.SIGTERM, config.stash[PREVIOUS_SIGTERM])


@pytest.fixture(scope="session", autouse=True)
def reports_aside(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder of the session's own where every pipeline command a test runs writes its
    reports (``PIPELINE_REPORTS_DIR``, which the command inherits), unless the test names
    another: the checkout's reports/pipeline.json records real runs only, never a test's
    deliberate failures (audit, issue 27)."""
    reports = tmp_path_factory.mktemp("reports")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PIPELINE_REPORTS_DIR", str(reports))
        yield reports


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the service's tests ``service``, and as needing a PostgreSQL server."""
    for item in items:
        if item.path.is_relative_to(SERVICE_TESTS):
            item.add_marker(pytest.mark.service)
            item.add_marker(pytest.mark.tools("postgres"))


@pytest.fixture(scope="session")
def postgres() -> Iterator[DatabaseServer]:
    """The session's PostgreSQL server."""
    try:
        with database_server(os.environ.get("TEST_DATABASE_URL")) as server:
            yield server
    except PostgresNotInstalled as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def provisioned() -> None:
    """This machine ready to deploy to, once a session: `pipeline provision local --if-changed`
    (Docker engine, registry on 127.0.0.1:5000, base images from Debian's packages, the local
    stack), as `make deploy` runs it: whole on a new machine, skipped where nothing changed."""
    result = subprocess.run([sys.executable, "-m", "pipeline", "provision", "local",
                             "--if-changed"],
                            cwd=ROOT, text=True, capture_output=True, check=False, timeout=1800)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
