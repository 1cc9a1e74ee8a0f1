"""The library's migration lock (pipeline/ansible/roles/app/files/migration_lock.py), run as the
deploy runs it: a separate interpreter, the URL in an environment variable, a real command as
its child, against a real PostgreSQL, with each driver an image may have.

psycopg 3 is this project's own; psycopg2 and pg8000 are installed from PyPI into folders of
their own, and each run with one of them sees that driver only (``python -S`` skips every
site-packages, PYTHONPATH names the one folder), as in an image that has just it.
"""
import importlib.util
import os
import signal
import subprocess
import sys
import time
import zlib
from pathlib import Path
from types import ModuleType
from typing import Iterator

import psycopg
import pytest
import yaml

from bench.app_throughput.pg_cluster import DatabaseServer, database_name
from tests.support.stack import REPO_ROOT

SCRIPT = REPO_ROOT / "pipeline" / "ansible" / "roles" / "app" / "files" / "migration_lock.py"
URL_ENV = "SERVICE_DB"  # not DATABASE_URL: the script reads the variable it is told
DRIVERS = {"psycopg2": "psycopg2-binary", "pg8000": "pg8000"}


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("migration_lock", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


lock = load_script()


def locked(url: str, *command: str, lock_timeout: str = "2s", url_env: str = URL_ENV,
           python: tuple[str, ...] = (), pythonpath: str = "") -> "subprocess.Popen[str]":
    """Start the script as the deploy's container does, ``command`` its child."""
    environ = {name: value for name, value in os.environ.items()
               if name not in ("PGOPTIONS", "PYTHONPATH", "DATABASE_URL")}
    environ[url_env] = url
    if pythonpath:
        environ["PYTHONPATH"] = pythonpath
    return subprocess.Popen([*(python or (sys.executable,)), str(SCRIPT), "--url-env", url_env,
                             "--lock-timeout", lock_timeout, "--statement-timeout", "1min",
                             "--", *command],
                            env=environ, cwd=REPO_ROOT, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def finished(process: "subprocess.Popen[str]") -> tuple[int, str, str]:
    out, err = process.communicate(timeout=60)
    return process.returncode, out, err


def key(url: str) -> tuple[int, int]:
    return lock.key_of(database_name(url))


def lock_is_free(url: str) -> bool:
    with psycopg.connect(url, autocommit=True) as probe:
        row = probe.execute("SELECT pg_try_advisory_lock(%s::integer, %s::integer)",
                            key(url)).fetchone()
    return bool(row and row[0])


# Fast: no database needed.

def test_the_key_is_the_documented_one() -> None:
    assert lock.NAMESPACE == int.from_bytes(b"pipe", "big") == 1885958245
    crc = zlib.crc32(b"visitors")
    assert lock.key_of("visitors") == (1885958245, crc - 2**32 if crc >= 2**31 else crc)
    assert all(-2**31 <= lock.key_of(name)[1] < 2**31 for name in ("a", "visitors", "x" * 63))
    assert str(lock.NAMESPACE) in (lock.__doc__ or "")


def test_an_image_without_a_driver_fails_with_one_line_saying_what_to_do() -> None:
    process = locked("postgresql://nobody@127.0.0.1:1/none", "true", python=(sys.executable, "-S"))
    code, out, err = finished(process)
    assert code == 1 and out == ""
    assert err.splitlines() == [
        "migration-lock: this image has no PostgreSQL driver for Python (psycopg, psycopg2 or "
        "pg8000), so the library cannot lock its migration: add one to the image, or set "
        "migrate_lock = false to run the migration command bare"]


def test_without_the_url_nothing_runs(tmp_path: Path) -> None:
    code, _, err = finished(locked("", "touch", str(tmp_path / "ran")))
    assert (code, err) == (2, f"migration-lock: {URL_ENV} is not set: it holds the database URL "
                              "to lock\n")
    assert not (tmp_path / "ran").exists()


def test_pg8000_gets_the_url_s_parts_decoded() -> None:
    assert lock.pg8000_arguments("postgresql://own%40er:p%2Fw@db.internal:6432/my_db") == {
        "user": "own@er", "password": "p/w", "host": "db.internal", "port": 6432,
        "database": "my_db"}


def test_the_plan_reads_pending_migrations_without_the_lock() -> None:
    plan = yaml.safe_load((REPO_ROOT / "pipeline" / "ansible" / "plan.yml").read_text())
    tasks = [task for play in plan for task in play.get("tasks", [])]
    check = next(task for task in tasks if "migrate_check_command" in str(task.get("when")))
    container = check["community.docker.docker_container"]
    assert container["command"] == "{{ service.migrate_check_command }}"
    assert "mounts" not in container and "migration_lock" not in str(check)


# Slow: a real PostgreSQL.

@pytest.fixture
def url(postgres: DatabaseServer) -> Iterator[str]:
    made = postgres.create_database("lock")
    yield made
    postgres.drop_database(made)


@pytest.fixture(scope="module")
def driver_paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A folder per driver, holding it alone (pip from PyPI, as an image's build would)."""
    paths = {}
    for name, requirement in DRIVERS.items():
        target = tmp_path_factory.mktemp(name)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-cache-dir",
                        "--disable-pip-version-check", "--target", str(target), requirement],
                       check=True, timeout=300)
        paths[name] = str(target)
    return paths


@pytest.mark.slow
@pytest.mark.tools("postgres")
def test_a_second_run_waits_for_the_lock_then_fails_saying_who_holds_it(
        url: str, tmp_path: Path) -> None:
    started = tmp_path / "first-started"
    first = locked(url, sys.executable, "-c", "import pathlib, sys, time; "
                   f"pathlib.Path({str(started)!r}).touch(); time.sleep(60)")
    deadline = time.monotonic() + 30
    while not started.exists():
        assert first.poll() is None and time.monotonic() < deadline, first.communicate()
        time.sleep(0.05)
    with psycopg.connect(url) as reader:
        row = reader.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s",
                             (lock.APPLICATION,)).fetchone()
    assert row is not None
    began = time.monotonic()
    code, out, err = finished(locked(url, "touch", str(tmp_path / "second-ran"),
                                     lock_timeout="1500ms"))
    waited = time.monotonic() - began
    assert code == 1 and out == "" and 1.5 <= waited < 10
    assert not (tmp_path / "second-ran").exists()
    database, (one, two) = database_name(url), key(url)
    assert err.startswith(
        f"migration-lock: another migration of database {database} holds the migration lock "
        f"(pg_advisory_lock({one}, {two})), not released within 1500ms: held by pid {row[0]}, "
        "user postgres, application 'pipeline migration lock', from 127.0.0.1, connected since ")
    assert err.endswith(" UTC; nothing was migrated\n") and len(err.splitlines()) == 1
    first.send_signal(signal.SIGTERM)  # reaches the child, whose end frees the lock
    assert finished(first)[0] == 128 + signal.SIGTERM
    assert lock_is_free(url)


@pytest.mark.slow
@pytest.mark.tools("postgres")
def test_the_child_runs_holding_the_lock_and_its_failure_passes_through_and_frees_it(
        url: str) -> None:
    probe = ("import os, sys, psycopg; c = psycopg.connect(os.environ['SERVICE_DB']); "
             "print(c.execute('SELECT pg_try_advisory_lock(%s::integer, %s::integer)', "
             f"{key(url)}).fetchone()[0], os.environ['PGOPTIONS']); sys.exit(7)")
    code, out, err = finished(locked(url, sys.executable, "-c", probe))
    assert (code, err) == (7, "")
    assert out == "False -c lock_timeout=2s -c statement_timeout=1min\n"
    assert lock_is_free(url)


@pytest.mark.slow
@pytest.mark.tools("postgres")
def test_a_lock_lost_during_the_migration_is_said_and_the_exit_code_kept(url: str) -> None:
    end_the_lock = ("import os, psycopg; psycopg.connect(os.environ['SERVICE_DB']).execute("
                    "'SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    f"WHERE application_name = %s', ({lock.APPLICATION!r},))")
    code, _, err = finished(locked(url, sys.executable, "-c", end_the_lock))
    assert code == 0 and len(err.splitlines()) == 1, err
    assert err.startswith("migration-lock: the lock's session ended during the migration (")
    assert err.endswith("another migration may have run at the same time\n")


@pytest.mark.slow
@pytest.mark.tools("postgres")
def test_the_app_migrates_under_it_its_own_lock_never_colliding(url: str) -> None:
    """The app's own lock (app/migrations/env.py) is a single bigint; the library's two
    integers are another key even where their bits spell the same bigint: held, it blocks
    neither the library's lock nor, in the child's session, the app's."""
    one, two = key(url)
    same_bits = (one << 32) | (two & 0xFFFFFFFF)
    with psycopg.connect(url, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s::bigint)", (same_bits,))
        code, out, err = finished(locked(url, sys.executable, "-m", "app.migrate_locked",
                                         url_env="DATABASE_URL", lock_timeout="1s"))
    assert code == 0, err
    assert out.startswith("migrate-locked: database at ")
    assert lock_is_free(url)


@pytest.mark.slow
@pytest.mark.tools("postgres")
@pytest.mark.parametrize("driver", sorted(DRIVERS))
def test_each_driver_takes_waits_for_and_frees_the_lock(
        url: str, driver: str, driver_paths: dict[str, str]) -> None:
    python, pythonpath = (sys.executable, "-S"), driver_paths[driver]
    with psycopg.connect(url, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s::integer, %s::integer)", key(url))
        code, _, err = finished(locked(url, "true", lock_timeout="300ms", python=python,
                                       pythonpath=pythonpath))
    assert code == 1 and "not released within 300ms: held by pid " in err, err
    code, _, err = finished(locked(url, "sh", "-c", "exit 3", python=python,
                                   pythonpath=pythonpath))
    assert (code, err) == (3, "")
    assert lock_is_free(url)


@pytest.mark.slow
@pytest.mark.tools("postgres")
@pytest.mark.parametrize(("command", "lock_timeout", "message"), [
    (("true",), "soon", "cannot set up the lock's session: invalid value for parameter "
                        '"lock_timeout": "soon"'),
    (("no-such-command",), "1s", "cannot run no-such-command: No such file or directory"),
])
def test_a_bad_input_is_one_line(url: str, command: tuple[str, ...], lock_timeout: str,
                                 message: str) -> None:
    code, out, err = finished(locked(url, *command, lock_timeout=lock_timeout))
    assert (code, out, err) == (1, "", f"migration-lock: {message}\n")


@pytest.mark.slow
@pytest.mark.tools("postgres")
def test_a_database_it_cannot_reach_is_one_line(postgres: DatabaseServer) -> None:
    code, _, err = finished(locked(postgres.admin_url.rsplit("/", 1)[0] + "/no_such_db", "true"))
    assert code == 1 and len(err.splitlines()) == 1
    assert err.startswith("migration-lock: cannot connect to the database: ")
    assert "no_such_db" in err
