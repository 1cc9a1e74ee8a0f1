"""The database's roles and secrets on a real provisioned stack (audit, issue 27).

No password in any process's arguments on the database host; a password changed in the
inventory changed in PostgreSQL; the app's role without DELETE; the exporter's role neither
owner nor superuser; the plan's check of a new image reads but cannot write; alertmanager.yml
0640. Everything is real: the playbooks, PostgreSQL, the exporter, Alertmanager, the app.
"""
import json
import os
import secrets
import shlex
import stat
import subprocess
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import docker
import pytest
import yaml

from tests.support.stack import REPO_ROOT, ShipStack

pytestmark = pytest.mark.slow

# What a new image's check could do before approval if it had write access.
WRITING_CHECK = ("import os, sqlalchemy as s\n"
                 "with s.create_engine(os.environ['DATABASE_URL']).begin() as c:\n"
                 "    c.execute(s.text('CREATE TABLE plan_wrote (x int)'))\n"
                 "print('{\"current\": [], \"heads\": [], \"pending\": []}')\n")


class ExecRecorder:
    """Every command the engine is asked to run in a container (``exec_create`` events carry
    its argv), recorded live while the block runs: what ``ps`` on the host would show."""

    def __init__(self, container: str) -> None:
        self.commands: list[str] = []
        self._stream = docker.from_env().events(
            decode=True, filters={"container": container, "event": "exec_create"})
        self._thread = threading.Thread(target=self._read, daemon=True)

    def _read(self) -> None:
        for event in self._stream:
            self.commands.append(str(event["Action"]).removeprefix("exec_create: "))

    def __enter__(self) -> "ExecRecorder":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stream.close()
        self._thread.join(timeout=10)


def secret(stack: ShipStack, name: str) -> str:
    """A password the local inventory generated on first use (stack_dir/secrets/NAME)."""
    return (stack.state_dir / "secrets" / name).read_text(encoding="utf-8").strip()


def settings(stack: ShipStack) -> dict[str, Any]:
    """The stack's inventory variables."""
    path = stack.workdir / "inventories" / stack.environment / "group_vars" / "all" / "main.yml"
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def psql_as(stack: ShipStack, user: str, password: str, query: str) -> tuple[int, str]:
    """``query`` run by ``user`` logging in with ``password`` over TCP (the password in the
    environment of the exec, never in its arguments): psql's exit code and output."""
    database = docker.from_env().containers.get(f"{stack.name}-db")
    code, output = database.exec_run(
        ["psql", "--host", "127.0.0.1", "--username", user, "--dbname", stack.name,
         "--no-password", "--tuples-only", "--no-align", "--command", query],
        environment={"PGPASSWORD": password})
    return code, output.decode()


def exporter_logged_in(stack: ShipStack, timeout: float = 30) -> bool:
    """The PostgreSQL exporter reports pg_up 1 within ``timeout`` seconds (a provision may
    just have restarted it)."""
    port = settings(stack)["monitoring_postgres_exporter_port"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics",
                                        timeout=10) as response:
                if "\npg_up 1\n" in response.read().decode():
                    return True
        except OSError:
            pass
        time.sleep(1)
    return False


def provision(stack: ShipStack) -> subprocess.CompletedProcess[str]:
    result = stack.pipeline("provision", stack.environment)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr
    return result


@pytest.fixture(scope="module")
def first_provision(stack: ShipStack) -> ExecRecorder:
    """The stack provisioned, with every command run in its database container recorded."""
    with ExecRecorder(f"{stack.name}-db") as recorder:
        provision(stack)
    return recorder


@pytest.fixture(scope="module")
def built(stack: ShipStack, first_provision: ExecRecorder) -> None:
    """Build 1 built and pushed, not deployed: every migration pending."""
    result = stack.pipeline("run", "--stages", "version,build,push")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr


def plan(stack: ShipStack, **env: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    """`deploy --plan --json-file`, with extra environment ``env``."""
    target = stack.workdir / f"plan-{secrets.token_hex(4)}.json"
    result = subprocess.run(stack.command("deploy", stack.environment, "--plan",
                                          "--json-file", str(target)),
                            cwd=REPO_ROOT, env={**stack.env(), **env}, text=True,
                            capture_output=True, timeout=600, check=False)
    return result, target


@pytest.fixture(scope="module")
def deployed(stack: ShipStack, built: None) -> None:
    """Build 1 deployed, after the plans."""
    result = stack.pipeline("deploy", stack.environment)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr


def test_no_password_in_the_commands_run_on_the_database_host(
        stack: ShipStack, first_provision: ExecRecorder) -> None:
    assert any(command.startswith("psql") for command in first_provision.commands)
    for name in ("db_password", "db_app_password"):
        password = secret(stack, name)
        assert not [command for command in first_provision.commands if password in command], name


def test_the_plan_reads_the_pending_migrations_as_a_role_that_cannot_write(
        stack: ShipStack, built: None) -> None:
    result, target = plan(stack)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr
    assert json.loads(target.read_text(encoding="utf-8"))["migrations"]["pending"]

    writing, _ = plan(stack, PIPELINE_MIGRATE_CHECK_COMMAND=shlex.join(
        ["python", "-c", WRITING_CHECK]))
    assert writing.returncode != 0, writing.stdout[-4000:]
    assert stack.sql("SELECT to_regclass('public.plan_wrote')") == ""


def test_the_app_counts_visits_without_delete(stack: ShipStack, deployed: None) -> None:
    with urllib.request.urlopen(stack.url("/"), timeout=10) as response:
        assert response.status == 200
    app_user, password = f"{stack.name}_app", secret(stack, "db_app_password")
    code, rows = psql_as(stack, app_user, password, "SELECT count(*) FROM visitor")
    assert code == 0 and int(rows) >= 1, rows
    code, output = psql_as(stack, app_user, password, "DELETE FROM visitor")
    assert code != 0 and "permission denied for table visitor" in output, output
    assert stack.sql("SELECT count(*) FROM visitor") == rows.strip()


def test_the_exporter_logs_in_as_a_monitoring_role_and_scrapes(
        stack: ShipStack, deployed: None) -> None:
    exporter = docker.from_env().containers.get(f"{stack.name}-postgres-exporter")
    env = dict(item.split("=", 1) for item in exporter.attrs["Config"]["Env"])
    user = env["DATA_SOURCE_USER"]
    assert user == f"{stack.name}_monitor"
    assert stack.sql(f"SELECT rolsuper, pg_has_role('{user}', 'pg_monitor', 'member'), "
                     f"has_table_privilege('{user}', 'visitor', 'SELECT') "
                     f"FROM pg_roles WHERE rolname = '{user}'") == "f|t|f"
    assert exporter_logged_in(stack)


def test_alertmanager_reads_its_configuration_that_others_cannot(
        stack: ShipStack, first_provision: ExecRecorder) -> None:
    config = stack.state_dir / "monitoring" / "alertmanager" / "alertmanager.yml"
    status = config.stat()
    assert (stat.S_IMODE(status.st_mode), status.st_uid, status.st_gid) == (0o640, 0, 65534)
    port = settings(stack)["monitoring_alertmanager_port"]
    reload = urllib.request.Request(f"http://127.0.0.1:{port}/-/reload", method="POST")
    with urllib.request.urlopen(reload, timeout=10) as response:  # it read the file again
        assert response.status == 200


@pytest.fixture(scope="module")
def rotated(stack: ShipStack, deployed: None) -> Iterator[dict[str, tuple[str, str]]]:
    """The owner's and the app's passwords changed in the inventory, then provisioned:
    each role's (old, new)."""
    changed = {}
    for name, user in (("db_password", stack.name), ("db_app_password", f"{stack.name}_app")):
        path = stack.state_dir / "secrets" / name
        old, new = secret(stack, name), secrets.token_hex(16)
        path.write_text(new + "\n", encoding="utf-8")
        os.chmod(path, 0o600)
        changed[user] = (old, new)
    provision(stack)
    yield changed


def test_a_changed_password_changes_the_role_in_postgresql(
        stack: ShipStack, rotated: dict[str, tuple[str, str]]) -> None:
    for user, (old, new) in rotated.items():
        assert psql_as(stack, user, new, "SELECT current_user") == (0, f"{user}\n"), user
        code, output = psql_as(stack, user, old, "SELECT current_user")
        assert code != 0 and "password authentication failed" in output, output
    assert exporter_logged_in(stack), "the exporter's password follows the owner's"
