"""Expand and contract: which releases can run on a schema, decided when migrations run.

Each migration script declares ``kind``:

- ``"expand"``: the previous release's code still runs on the schema after it (a new table, a
  new nullable column, a trigger): the old release keeps serving during the deploy, and a
  rollback across it is safe.
- ``"contract"``: it removes or changes what older code uses (dropping a column, a NOT NULL
  the old code does not fill). Deploying it needs the contract flag (app/migrate_locked.py)
  and, once applied, releases before it report not ready.

The code of an older release cannot read migration scripts written after it, so the facts are
written into the database when migrations run (migrations/env.py): the ``schema_compatibility``
table lists the release heads that can run on the schema as it now is: the current revision
and each older one reachable through expand steps only.
"""
from dataclasses import dataclass
from typing import Iterable

from alembic.script import Script, ScriptDirectory
from alembic.script.revision import RevisionError

EXPAND = "expand"
CONTRACT = "contract"


class UndeclaredKind(ValueError):
    """A migration script does not say whether older releases can run on its schema."""


class ContractRefused(Exception):
    """A pending contract migration was not allowed (not a RuntimeError: Flask-Migrate would
    turn that into a bare exit)."""

    def __init__(self, revision: str) -> None:
        super().__init__(revision)
        self.revision = revision


def revision_kind(script: Script) -> str:
    """``expand`` or ``contract``, as the script declares; anything else is an error."""
    kind = getattr(script.module, "kind", None)
    if kind not in (EXPAND, CONTRACT):
        raise UndeclaredKind(f"migration {script.revision} ({script.path}) must declare "
                             f"kind = {EXPAND!r} or {CONTRACT!r}, got {kind!r}")
    return str(kind)


def compatible_heads(scripts: ScriptDirectory, heads: Iterable[str]) -> set[str]:
    """The release heads whose code runs on a schema at ``heads``: each head, and its
    ancestors down to (not past) the newest contract migration."""
    compatible: set[str] = set()
    for head in heads:
        script = scripts.get_revision(head)
        while script is not None:
            compatible.add(script.revision)
            if revision_kind(script) == CONTRACT or not isinstance(script.down_revision, str):
                break  # older code cannot run past a contract (nor past a merge or the base)
            script = scripts.get_revision(script.down_revision)
    return compatible


@dataclass(frozen=True)
class Pending:
    """A migration that would run, and its kind."""

    revision: str
    kind: str


def pending_migrations(scripts: ScriptDirectory, current: Iterable[str],
                       target: str | tuple[str, ...] = "heads") -> list[Pending] | None:
    """What an upgrade from ``current`` to ``target`` would run, oldest first; None when the
    database is at a revision these scripts do not know (a newer release migrated it)."""
    try:
        upgrades = list(scripts.iterate_revisions(target, tuple(current)))
    except RevisionError:
        return None
    return [Pending(script.revision, revision_kind(script)) for script in reversed(upgrades)]


def first_contract(pending: Iterable[Pending]) -> str | None:
    """The first pending contract migration, if any."""
    return next((step.revision for step in pending if step.kind == CONTRACT), None)
