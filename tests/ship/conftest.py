"""Fixtures of the shipping tests: isolated deploy targets on a provisioned machine.

Everything is real: the Docker engine, the registry, the playbooks, PostgreSQL and nginx in
containers. The machine is prepared once a session (tests/conftest.py's ``provisioned``).
"""
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from tests.support.stack import REPO_ROOT, ShipStack


@pytest.fixture(scope="module")
def stack(provisioned: None) -> Iterator[ShipStack]:
    """A throwaway environment for one test module, destroyed afterwards.

    Its files live under build/ (ignored by git) because the pipeline reports version and
    report paths relative to the project root.
    """
    (REPO_ROOT / "build").mkdir(exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="ship-", dir=REPO_ROOT / "build"))
    target = ShipStack(workdir)
    try:
        yield target
    finally:
        target.destroy()
        shutil.rmtree(workdir)
