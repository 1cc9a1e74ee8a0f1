"""Markers by folder: every test under tests/app is a test of the delivered service.

The pipeline's test stage selects ``service or not slow`` (setup.cfg ``[pipeline] test_args``):
the service's own tests, slow or not, and the fast tests of everything else.
"""
from pathlib import Path

import pytest

SERVICE_TESTS = Path(__file__).resolve().parent / "app"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the service's tests ``service``."""
    for item in items:
        if item.path.is_relative_to(SERVICE_TESTS):
            item.add_marker(pytest.mark.service)
