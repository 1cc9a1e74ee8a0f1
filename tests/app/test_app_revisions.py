"""Expand/contract declarations of the shipped migrations, and what follows from them."""
import shutil
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from app.database import MIGRATIONS_DIR
from app.revisions import (CONTRACT, EXPAND, Pending, UndeclaredKind, compatible_heads,
                           first_contract, pending_migrations, revision_kind)

SCRIPTS = ScriptDirectory(str(MIGRATIONS_DIR))


def test_every_shipped_migration_declares_its_kind() -> None:
    kinds = {script.revision: revision_kind(script) for script in SCRIPTS.walk_revisions()}
    assert kinds == {"e75588bf2531": CONTRACT, "3f1c2b9d7a10": EXPAND, "5a0c7e2d9b41": EXPAND}


def test_releases_back_to_the_last_contract_run_on_the_head_schema() -> None:
    assert compatible_heads(SCRIPTS, ["5a0c7e2d9b41"]) == {
        "5a0c7e2d9b41", "3f1c2b9d7a10", "e75588bf2531"}
    assert compatible_heads(SCRIPTS, ["e75588bf2531"]) == {"e75588bf2531"}


def test_pending_migrations_oldest_first() -> None:
    assert pending_migrations(SCRIPTS, ["e75588bf2531"]) == [
        Pending("3f1c2b9d7a10", EXPAND), Pending("5a0c7e2d9b41", EXPAND)]
    assert pending_migrations(SCRIPTS, ["5a0c7e2d9b41"]) == []
    assert pending_migrations(SCRIPTS, ["0123456789ab"]) is None  # a newer release's revision
    assert first_contract(pending_migrations(SCRIPTS, []) or []) == "e75588bf2531"


def test_a_migration_without_a_kind_is_an_error(tmp_path: Path) -> None:
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, directory, ignore=shutil.ignore_patterns("__pycache__"))
    (directory / "versions" / "0000000000ff_new.py").write_text(
        'revision = "0000000000ff"\ndown_revision = "5a0c7e2d9b41"\n')
    scripts = ScriptDirectory(str(directory))
    with pytest.raises(UndeclaredKind, match=r"^migration 0000000000ff \(.*0000000000ff_new.py\) "
                                             r"must declare kind = 'expand' or 'contract', "
                                             r"got None$"):
        pending_migrations(scripts, ["5a0c7e2d9b41"])
