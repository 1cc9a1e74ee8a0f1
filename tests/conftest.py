"""Markers by folder, the machine-wide fixtures (the provisioned stack, one PostgreSQL), and
the session's own reports folder, so tests leave no records in the checkout's.

Every test under tests/app is a test of the delivered service: the pipeline's test stage
selects ``service or not slow`` (setup.cfg ``[pipeline] test_args``), the service's own tests,
slow or not, and the fast tests of everything else. They run on a real PostgreSQL (most of them
on SQLite too), so they also declare the ``postgres`` tool (tests/test_system_tools.py).
"""
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from bench.app_throughput.pg_cluster import DatabaseServer, PostgresNotInstalled, database_server

ROOT = Path(__file__).resolve().parents[1]
SERVICE_TESTS = ROOT / "tests" / "app"


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
