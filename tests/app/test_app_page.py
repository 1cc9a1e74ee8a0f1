"""How the page words the build time."""
import pytest

from app.page import BuiltAt, built_at


@pytest.mark.parametrize(("value", "shown"), [
    ("2026-11-23T08:00:00Z", BuiltAt("2026-11-23T08:00:00Z", "23 Nov 2026, 08:00 UTC")),
    ("2026-11-23T10:30:00+02:00", BuiltAt("2026-11-23T10:30:00+02:00", "23 Nov 2026, 08:30 UTC")),
    ("2026-11-23T08:00:00", BuiltAt("2026-11-23T08:00:00", "23 Nov 2026, 08:00")),
    ("unknown", BuiltAt("", "unknown")),
    ("", BuiltAt("", "unknown")),
])
def test_the_build_time_for_people_and_machines(value: str, shown: BuiltAt) -> None:
    assert built_at(value) == shown
