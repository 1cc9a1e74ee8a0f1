"""Zero downtime across a real schema change, both ways, on the local stack.

Build 1 is the reference app as it is. Build 2 is the same app copied aside with one real
expand migration added (a nullable column on ``visitor``), built by the pipeline from that copy.
Build 2 is deployed, then rolled back to build 1, each under the page load (every request
writes a visit) from before the command starts until it ends: no request may fail, and every
visit answered 200 must be in the database afterwards. The rollback crosses the expand step, so
it needs ``--allow-schema-mismatch`` (pipeline/ansible/rollback.yml); without it, it is refused.
"""
import re
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.support.load import LoadResult
from tests.support.stack import REPO_ROOT, ShipStack

pytestmark = pytest.mark.slow
Run = subprocess.CompletedProcess[str]

REVISION = "e2e0expand02"
COLUMN = "zero_downtime_note"
MIGRATION = '''"""A nullable column: build 1, which never names it, runs on the schema after it."""
from alembic import op
import sqlalchemy as sa

revision = "{revision}"
down_revision = "{head}"
branch_labels = None
depends_on = None
kind = "expand"


def upgrade() -> None:
    op.add_column("visitor", sa.Column("{column}", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("visitor", "{column}")
'''


def output(result: Run) -> str:
    """What a run printed, for assertion messages."""
    return (result.stdout[-4000:] + result.stderr[-2000:]).strip()


def expand_copy(stack: ShipStack, head: str) -> Path:
    """The reference app and its configuration copied aside, with the expand migration added
    on top of ``head``, and the wheelhouse build 1 made (so the copy builds offline)."""
    root = stack.workdir / "expand"
    shutil.copytree(REPO_ROOT / "app", root / "app",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copy2(REPO_ROOT / "setup.cfg", root / "setup.cfg")
    shutil.copytree(REPO_ROOT / "build" / "wheelhouse", root / "build" / "wheelhouse")
    (root / "app" / "migrations" / "versions" / f"{REVISION}_expand.py").write_text(
        MIGRATION.format(revision=REVISION, head=head, column=COLUMN), encoding="utf-8")
    return root


def column_exists(stack: ShipStack) -> bool:
    return stack.sql("SELECT count(*) FROM information_schema.columns WHERE table_name = "
                     f"'visitor' AND column_name = '{COLUMN}'") == "1"


def page_visits(stack: ShipStack) -> int:
    """One visit to the page: the visits from us it shows."""
    with urllib.request.urlopen(stack.url("/"), timeout=10) as response:
        assert response.status == 200
        found = re.search(r'<strong id="visits">(\d+)</strong>', response.read().decode())
    assert found, "the page shows no visit count"
    return int(found.group(1))


@pytest.fixture(scope="module")
def first(stack: ShipStack) -> str:
    """The stack provisioned and build 1 deployed; returns the schema head it migrated to."""
    provisioned = stack.pipeline("provision", stack.environment)
    assert provisioned.returncode == 0, output(provisioned)
    deployed = stack.pipeline("run", "--stages", "version,build,push,deploy")
    assert deployed.returncode == 0, output(deployed)
    return stack.sql("SELECT version_num FROM alembic_version")


@pytest.fixture(scope="module")
def expanded(stack: ShipStack, first: str) -> tuple[Run, LoadResult]:
    """Build 2 built and pushed from the copy with the expand migration, then deployed under
    the page load; returns the deploy and the load."""
    copy = expand_copy(stack, first)
    stack.set_build(2)
    built = stack.pipeline("run", "--stages", "build,push", cwd=copy)
    assert built.returncode == 0, output(built)
    with stack.page_load() as load:
        deployed = stack.pipeline("deploy", stack.environment)
    return deployed, load.result


@pytest.fixture(scope="module")
def refused(stack: ShipStack, expanded: tuple[Run, LoadResult]) -> Run:
    """A plain rollback to build 1, which ran an older schema."""
    return stack.pipeline("rollback", stack.environment)


@pytest.fixture(scope="module")
def rolled_back(stack: ShipStack, refused: Run) -> tuple[Run, LoadResult]:
    """The rollback to build 1 across the expand step, asked for, under the page load."""
    with stack.page_load() as load:
        result = stack.pipeline("rollback", stack.environment, "--allow-schema-mismatch")
    return result, load.result


def test_a_release_with_an_expand_migration_deploys_with_no_failed_or_lost_visit(
        stack: ShipStack, expanded: tuple[Run, LoadResult]) -> None:
    deployed, load = expanded
    assert deployed.returncode == 0, output(deployed)
    assert load.problems() == []
    assert load.builds == {1, 2}
    assert stack.version_served()["build"] == 2
    assert stack.sql("SELECT version_num FROM alembic_version") == REVISION
    assert column_exists(stack)


def test_a_rollback_across_the_expand_step_is_refused_unless_asked_for(
        stack: ShipStack, refused: Run) -> None:
    assert refused.returncode == 2, output(refused)
    assert "force it with --allow-schema-mismatch" in refused.stderr
    assert stack.version_served()["build"] == 2


def test_the_rollback_across_it_drops_no_visit_and_the_page_still_counts(
        stack: ShipStack, rolled_back: tuple[Run, LoadResult]) -> None:
    result, load = rolled_back
    assert result.returncode == 0, output(result)
    assert load.problems() == []
    assert load.builds == {2, 1}
    assert stack.version_served()["build"] == 1
    assert stack.app_builds() == [1]
    assert stack.sql("SELECT version_num FROM alembic_version") == REVISION
    assert column_exists(stack)
    before = stack.visits()
    seen = page_visits(stack)
    assert page_visits(stack) == seen + 1
    assert stack.visits() == before + 2
