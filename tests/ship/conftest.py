"""Fixtures of the shipping tests: a provisioned machine and isolated deploy targets.

Everything is real: the Docker engine, the registry, the playbooks, PostgreSQL and nginx in
containers. The machine is prepared by the project's own provision playbook, once a session.
"""
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from tests.support.stack import REPO_ROOT, ShipStack


@pytest.fixture(scope="session")
def provisioned() -> None:
    """Docker engine, registry and base images, from `pipeline provision local`."""
    result = subprocess.run([sys.executable, "-m", "pipeline", "provision", "local"],
                            cwd=REPO_ROOT, text=True, capture_output=True, check=False,
                            timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr


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
