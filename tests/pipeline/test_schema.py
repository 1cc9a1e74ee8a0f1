"""The schema: its defaults load, its names are unique, and the reference shows exactly it."""
from pathlib import Path

from pipeline.configuration import loader
from pipeline.configuration.reference import keys_table, variables_table
from pipeline.configuration.schema import GROUPS, INTERNAL_VARIABLES, KEYS

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_every_default_is_valid_for_its_kind(tmp_path: Path) -> None:
    (tmp_path / "setup.cfg").write_text("[pipeline]\n")
    settings = loader.read(tmp_path, environ={})
    assert list(settings) == [key.name for key in KEYS]
    assert {setting.source for setting in settings.values()} == {"default"}


def test_names_are_unique_and_grouped_in_order() -> None:
    names = [key.name for key in KEYS] + [variable.name for variable in INTERNAL_VARIABLES]
    assert len(names) == len(set(names))
    order = [group for group, _ in GROUPS]
    assert [key.group for key in KEYS] == sorted((key.group for key in KEYS), key=order.index)
    assert all(key.doc and "\n" not in key.doc for key in KEYS)


def test_docs_reference_shows_the_schema() -> None:
    reference = (REPO_ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    assert keys_table() in reference
    assert variables_table() in reference
