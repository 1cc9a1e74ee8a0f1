"""The library names no service: nothing under pipeline/ speaks of the reference app (issue 26).

The reference app (app/, a visitor counter) is delivered as any adopter's service is: what the
roles, templates and code need of it comes from its configuration, so its name has no reason
to appear in the library. This is `grep -rni visitor pipeline/`, excluding nothing.
"""
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
LIBRARY = REPO_ROOT / "pipeline"


def test_nothing_in_the_library_names_the_reference_app() -> None:
    found = [f"{path.relative_to(REPO_ROOT)}:{number}"
             for path in sorted(LIBRARY.rglob("*")) if path.is_file()
             for number, line in enumerate(path.read_bytes().splitlines(), start=1)
             if b"visitor" in line.lower()]
    assert not found, f"the library names the reference app: {', '.join(found)}"
