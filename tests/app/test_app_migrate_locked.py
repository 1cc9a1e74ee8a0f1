"""``python -m app.migrate_locked`` against a real PostgreSQL, with releases that add migrations.

A release here is a copy of the app package, plus the migration scripts it would ship: the
module runs on it as in the new image's one-off container (working directory /srv, the code
beside it), and the current code (head A) plays the release still serving.
"""
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Iterator

import psycopg
import pytest
from flask import Flask
from sqlalchemy.engine import make_url

from app import create_app
from app.schema import MIGRATION_LOCK_KEY
from bench.app_throughput.pg_cluster import libpq_url
from tests.app.conftest import BUILD_ENV

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
MODULE = "app.migrate_locked"
HEAD_A = "5a0c7e2d9b41"
EXPAND_B = "b0000000000b"
CONTRACT_C = "c0000000000c"
REVISIONS = {
    EXPAND_B: ("expand", HEAD_A,
               'op.add_column("visitor", sa.Column("last_seen", sa.DateTime(), nullable=True))'),
    CONTRACT_C: ("contract", EXPAND_B,
                 'op.alter_column("visitor", "ip", new_column_name="address")'),
}
PEER = {"REMOTE_ADDR": "203.0.113.9"}


def release(tmp_path: Path, *revisions: str) -> Path:
    """A copy of the app with ``revisions`` added to its migrations."""
    root = tmp_path / f"release-{'-'.join(revisions) or 'a'}"
    if not root.exists():
        shutil.copytree(ROOT / "app", root / "app",
                        ignore=shutil.ignore_patterns("__pycache__", "instance"))
        for revision in revisions:
            kind, down, upgrade = REVISIONS[revision]
            (root / "app" / "migrations" / "versions" / f"{revision}_test.py").write_text(
                f'"""A {kind} migration."""\nfrom alembic import op\nimport sqlalchemy as sa\n\n'
                f"revision = {revision!r}\ndown_revision = {down!r}\nbranch_labels = None\n"
                f"depends_on = None\nkind = {kind!r}\n\n\ndef upgrade() -> None:\n"
                f"    {upgrade}\n")
    return root


def migrate_locked(code: Path, database_url: str | None, *args: str,
                   **env: str) -> subprocess.CompletedProcess[str]:
    """Run the module as the image does, on the release at ``code`` (the working directory)."""
    environ = {name: value for name, value in os.environ.items()
               if not name.startswith(("MIGRATE_", "DATABASE_URL"))}
    environ.update({"PYTHONPATH": str(code), **BUILD_ENV, **env})
    if database_url is not None:
        environ["DATABASE_URL"] = database_url
    return subprocess.run([sys.executable, "-m", MODULE, *args], cwd=code, env=environ,
                          capture_output=True, text=True, check=False, timeout=120)


def plan(code: Path, database_url: str) -> dict[str, object]:
    result = migrate_locked(code, database_url, "--check")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 1
    parsed: dict[str, object] = json.loads(result.stdout)
    return parsed


def readiness(app: Flask) -> tuple[int, dict[str, str]]:
    response = app.test_client().get("/readyz")
    return response.status_code, response.get_json()


def test_expand_keeps_the_old_release_ready_and_contract_needs_the_flag(
        postgres_url: str, tmp_path: Path) -> None:
    code_a, code_b = release(tmp_path), release(tmp_path, EXPAND_B)
    code_c = release(tmp_path, EXPAND_B, CONTRACT_C)
    serving_a = create_app({"DATABASE_URL": postgres_url, **BUILD_ENV})

    assert plan(code_a, postgres_url) == {
        "current": [], "heads": [HEAD_A], "compatible": False, "pending": [
            {"revision": "e75588bf2531", "kind": "contract"},
            {"revision": "3f1c2b9d7a10", "kind": "expand"},
            {"revision": HEAD_A, "kind": "expand"}]}
    first = migrate_locked(code_a, postgres_url)  # a new database: no release to break
    assert (first.returncode, first.stdout) == (0, f"migrate-locked: database at {HEAD_A}\n")
    assert readiness(serving_a) == (200, {"status": "ready", "release": HEAD_A})

    assert plan(code_b, postgres_url)["pending"] == [{"revision": EXPAND_B, "kind": "expand"}]
    assert migrate_locked(code_b, postgres_url).returncode == 0
    assert readiness(serving_a) == (200, {"status": "ready", "release": HEAD_A})
    assert serving_a.test_client().get("/", environ_base=PEER).status_code == 200

    assert plan(code_c, postgres_url) == {
        "current": [EXPAND_B], "heads": [CONTRACT_C], "compatible": False,
        "pending": [{"revision": CONTRACT_C, "kind": "contract"}]}
    refused = migrate_locked(code_c, postgres_url)
    assert refused.returncode == 3
    assert refused.stderr == (
        f"migrate-locked: migration {CONTRACT_C} is a contract migration (the running release "
        "cannot serve after it): deploy with the contract flag (MIGRATE_ALLOW_CONTRACT=1) "
        "once no release before it serves\n")
    assert plan(code_b, postgres_url)["current"] == [EXPAND_B]  # nothing changed
    assert readiness(serving_a)[0] == 200

    assert migrate_locked(code_c, postgres_url, MIGRATE_ALLOW_CONTRACT="1").returncode == 0
    assert readiness(serving_a) == (503, {"status": "not ready", "reason": (
        f"schema at {CONTRACT_C} is newer than this release ({HEAD_A}) and a contract "
        f"migration since makes it incompatible (releases that can run on it: {CONTRACT_C})")})
    assert serving_a.test_client().get("/", environ_base=PEER).status_code == 503
    assert plan(code_a, postgres_url) == {  # what a rollback to A would find
        "current": [CONTRACT_C], "heads": [HEAD_A], "pending": None, "compatible": False}
    assert plan(code_c, postgres_url)["compatible"] is True


def test_a_migration_waiting_on_a_table_lock_gives_up(postgres_url: str, tmp_path: Path) -> None:
    assert migrate_locked(release(tmp_path), postgres_url).returncode == 0
    with psycopg.connect(libpq_url(postgres_url)) as reader:
        reader.execute("LOCK TABLE visitor IN ACCESS SHARE MODE")  # a long transaction
        result = migrate_locked(release(tmp_path, EXPAND_B), postgres_url,
                                MIGRATE_LOCK_TIMEOUT="300ms")
    assert result.returncode == 1
    assert result.stderr.startswith("migrate-locked: migration failed, nothing changed: ")
    assert "lock timeout" in result.stderr and len(result.stderr.splitlines()) == 1
    assert plan(release(tmp_path), postgres_url)["current"] == [HEAD_A]


def test_the_wait_for_another_migration_is_bounded(postgres_url: str, tmp_path: Path) -> None:
    with psycopg.connect(libpq_url(postgres_url), autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
        result = migrate_locked(release(tmp_path), postgres_url, MIGRATE_STATEMENT_TIMEOUT="1s")
    assert result.returncode == 1
    assert "statement timeout" in result.stderr and len(result.stderr.splitlines()) == 1
    assert plan(release(tmp_path), postgres_url)["current"] == []


@pytest.mark.parametrize(("env", "message"), [
    ({"MIGRATE_LOCK_TIMEOUT": "forever"}, "MIGRATE_LOCK_TIMEOUT must be a positive duration"),
    ({"MIGRATE_STATEMENT_TIMEOUT": "0"}, "MIGRATE_STATEMENT_TIMEOUT must be a positive"),
    ({"MIGRATE_ALLOW_CONTRACT": "yes"}, "MIGRATE_ALLOW_CONTRACT must be 1 or 0, got 'yes'"),
    ({"MIGRATE_APP_ROLE": "App; DROP"}, "MIGRATE_APP_ROLE must be a lower-case role name"),
])
def test_bad_settings_exit_2_with_one_line(postgres_url: str, env: dict[str, str],
                                           message: str) -> None:
    result = migrate_locked(ROOT, postgres_url, **env)
    assert result.returncode == 2
    assert result.stderr.startswith(f"migrate-locked: {message}")
    assert len(result.stderr.splitlines()) == 1
    with psycopg.connect(libpq_url(postgres_url)) as database:  # nothing was created
        assert database.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
                                ).fetchone() == (0,)


def test_without_database_url_nothing_runs() -> None:
    result = migrate_locked(ROOT, None)
    assert (result.returncode, result.stderr) == (2, "migrate-locked: DATABASE_URL is not set\n")


@pytest.fixture
def app_role(postgres_url: str) -> Iterator[str]:
    """A login role with no privileges of its own, dropped with everything granted to it."""
    role = f"app_{uuid.uuid4().hex[:8]}"
    admin_url = libpq_url(make_url(postgres_url).set(database="postgres")
                          .render_as_string(hide_password=False))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN".encode())
    yield role
    with psycopg.connect(libpq_url(postgres_url), autocommit=True) as database:
        database.execute(f"DROP OWNED BY {role}".encode())
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"DROP ROLE {role}".encode())


def test_the_app_runs_as_a_role_with_only_the_granted_privileges(
        postgres_url: str, app_role: str) -> None:
    result = migrate_locked(ROOT, postgres_url, MIGRATE_APP_ROLE=app_role)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"migrate-locked: database at {HEAD_A}, {app_role} granted\n"
    as_role = make_url(postgres_url).set(username=app_role).render_as_string(hide_password=False)
    app = create_app({"DATABASE_URL": as_role, **BUILD_ENV})
    client = app.test_client()
    for address in ("203.0.113.9", "203.0.113.9", "198.51.100.1"):
        assert client.get("/", environ_base={"REMOTE_ADDR": address}).status_code == 200
    assert readiness(app) == (200, {"status": "ready", "release": HEAD_A})
    with psycopg.connect(libpq_url(as_role), autocommit=True) as connection:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute("CREATE TABLE intruder (id int)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute("DELETE FROM visitor")
    app.extensions["visitor_engine"].dispose()
