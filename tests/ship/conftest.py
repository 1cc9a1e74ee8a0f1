"""Fixtures of the shipping tests: isolated deploy targets on a provisioned machine.

Everything is real: the Docker engine, the registry, the playbooks, PostgreSQL and nginx in
containers. The machine is prepared once a session (tests/conftest.py's ``provisioned``).
"""
from typing import Iterator

import pytest

from tests.support.stack import ShipStack, throwaway_stack


@pytest.fixture(scope="module")
def stack(provisioned: None) -> Iterator[ShipStack]:
    """A throwaway environment for one test module, destroyed afterwards."""
    with throwaway_stack("ship-") as target:
        yield target
