"""Run a service's migration command under the library's PostgreSQL advisory lock.

    python3 migration_lock.py --url-env DATABASE_URL --lock-timeout 10s \
        --statement-timeout 15min -- COMMAND [ARG...]

The deploy (pipeline/ansible/deploy.yml) bind-mounts this file read-only into the one-off
migration container of the new image and runs it with the image's ``python3`` when the
service's ``migrate_lock`` is true. It keeps two migrations of one database from ever running
at once, whoever starts them (another checkout's deploy, an operator, a service that migrates
on start through this script): it takes a session-level ``pg_advisory_lock`` waiting at most
``--lock-timeout``, runs COMMAND as a child with PGOPTIONS bounding its lock waits and
statements, passes its exit code through and releases the lock.

The key is ``pg_advisory_lock(1885958245, K)``: 1885958245 is "pipe" (0x70697065), K the CRC-32
of the database's name as a signed 32-bit integer. Two-integer keys never collide with the
single-bigint keys that services' own migration locks use (PostgreSQL keeps the two key spaces
apart), so the service's lock, taken by the child in another session, cannot deadlock on ours.

Standard library only, with whichever driver the image has: psycopg 3, psycopg2 or pg8000.
The database URL comes from the variable --url-env names, never from an argument.
Exit codes: COMMAND's own; 1 the lock could not be taken (busy, no driver, no database);
2 bad usage.

If the container is killed mid-way, its TCP connections close with it: the server ends this
session, which frees the lock, and the child's session, which rolls back the migration's open
transaction. A host that vanishes without closing them is noticed by TCP keepalives (set short
for this session below); until then pg_stat_activity shows the holder, as the busy line says.
"""
from __future__ import annotations

import argparse
import importlib
import os
import signal
import subprocess
import sys
import zlib
from typing import Any, Sequence
from urllib.parse import unquote, urlsplit

PROG = "migration-lock"
NAMESPACE = 0x70697065  # "pipe": the first integer of the key
APPLICATION = "pipeline migration lock"  # how pg_stat_activity shows the lock's session
DRIVERS = ("psycopg", "psycopg2", "pg8000.dbapi")
LOCK_NOT_AVAILABLE = "55P03"
# The lock's session: named, its wait bounded by lock_timeout only, no server timeout that
# could end it (and free the lock) while the migration runs, keepalives that notice a vanished
# host within about a minute. Returns the database's name.
SESSION = """SELECT current_database(), set_config('application_name', %s, false),
    set_config('lock_timeout', %s, false), set_config('statement_timeout', '0', false),
    set_config('tcp_keepalives_idle', '30', false),
    set_config('tcp_keepalives_interval', '10', false),
    set_config('tcp_keepalives_count', '3', false),
    CASE WHEN current_setting('server_version_num')::int >= 140000
         THEN set_config('idle_session_timeout', '0', false) END"""
HOLDERS = """SELECT l.pid, a.usename, a.application_name, host(a.client_addr),
    to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"')
  FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
  WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND l.classid::bigint = %s::bigint AND l.objid::bigint = %s::bigint"""


class LockNotTaken(Exception):
    """The lock was not taken: the message is the one line to print."""


def fail(code: int, message: str) -> int:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)
    return code


def key_of(database: str) -> tuple[int, int]:
    """The lock's two integers: NAMESPACE, and the name's CRC-32 as a signed 32-bit integer."""
    crc = zlib.crc32(database.encode("utf-8"))
    return NAMESPACE, crc - (1 << 32) if crc >= 1 << 31 else crc


def sqlstate(error: BaseException) -> str | None:
    """The error's SQLSTATE, as psycopg 3, psycopg2 or pg8000 tell it."""
    code = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    if code is None and error.args and isinstance(error.args[0], dict):
        code = error.args[0].get("C")
    return code


def message(error: BaseException) -> str:
    """The error's first line (pg8000 gives the server's fields as a dict)."""
    if error.args and isinstance(error.args[0], dict):
        return str(error.args[0].get("M", error.args[0]))
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def pg8000_arguments(url: str) -> dict[str, Any]:
    """pg8000 takes no URL: its keyword arguments from a ``postgresql://`` one."""
    parts = urlsplit(url)
    if parts.query:
        raise LockNotTaken("pg8000 reads no URL parameters (the database URL has "
                           f"?{parts.query.split('=')[0]}=...): install psycopg in the image")
    return {"user": unquote(parts.username or ""), "password": unquote(parts.password or ""),
            "host": parts.hostname or "localhost", "port": parts.port or 5432,
            "database": unquote(parts.path.lstrip("/")) or None}


def connect(url: str) -> Any:
    """An autocommit connection, with the first driver of DRIVERS the image has."""
    for name in DRIVERS:
        try:
            driver = importlib.import_module(name)
        except ImportError:
            continue
        try:
            connection = (driver.connect(**pg8000_arguments(url)) if name == "pg8000.dbapi"
                          else driver.connect(url))
        except LockNotTaken:
            raise
        except Exception as error:
            raise LockNotTaken(f"cannot connect to the database: {message(error)}") from None
        connection.autocommit = True
        return connection
    raise LockNotTaken("this image has no PostgreSQL driver for Python (psycopg, psycopg2 or "
                       "pg8000), so the library cannot lock its migration: add one to the "
                       "image, or set migrate_lock = false to run the migration command bare")


def query(connection: Any, sql: str, *parameters: object) -> list[tuple[Any, ...]]:
    cursor = connection.cursor()
    try:
        cursor.execute(sql, parameters)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def holders(connection: Any, key: tuple[int, int]) -> str:
    """Who holds the lock, as far as pg_locks and pg_stat_activity show it to this role."""
    try:
        rows = query(connection, HOLDERS, key[0] & 0xFFFFFFFF, key[1] & 0xFFFFFFFF)
    except Exception as error:
        return f"its holder is unknown ({message(error)})"
    if not rows:
        return "its holder has released it since"
    pid, user, application, address, since = rows[0]
    said = [f"pid {pid}"] + [f"{label} {value}" for label, value in (
        ("user", user), ("application", repr(application) if application else None),
        ("from", address), ("connected since", since)) if value]
    return "held by " + ", ".join(said)


def take(connection: Any, lock_timeout: str) -> tuple[int, int]:
    """Take the lock, waiting at most ``lock_timeout``; returns its key."""
    try:
        database = query(connection, SESSION, APPLICATION, lock_timeout)[0][0]
    except Exception as error:
        raise LockNotTaken(f"cannot set up the lock's session: {message(error)}") from None
    key = key_of(database)
    try:
        query(connection, "SELECT pg_advisory_lock(%s::integer, %s::integer)", *key)
    except Exception as error:
        if sqlstate(error) != LOCK_NOT_AVAILABLE:
            raise LockNotTaken(f"cannot take the migration lock: {message(error)}") from None
        raise LockNotTaken(
            f"another migration of database {database} holds the migration lock "
            f"(pg_advisory_lock({key[0]}, {key[1]})), not released within {lock_timeout}: "
            f"{holders(connection, key)}; nothing was migrated") from None
    return key


def release(connection: Any, key: tuple[int, int]) -> None:
    """Free the lock and end the session (ending it alone would free the lock too)."""
    try:
        query(connection, "SELECT pg_advisory_unlock(%s::integer, %s::integer)", *key)
        connection.close()
    except Exception as error:
        print(f"{PROG}: the lock's session ended during the migration ({message(error)}): "
              "another migration may have run at the same time", file=sys.stderr, flush=True)


def run(command: Sequence[str], pgoptions: str) -> int:
    """COMMAND's exit code (128 + N when signal N ended it); SIGTERM and SIGINT reach it."""
    environment = dict(os.environ)
    environment["PGOPTIONS"] = f"{environment.get('PGOPTIONS', '')} {pgoptions}".strip()
    try:
        child = subprocess.Popen(list(command), env=environment)
    except OSError as error:
        return fail(1, f"cannot run {command[0]}: {error.strerror}")
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda received, _frame: child.send_signal(received))
    code = child.wait()
    return code if code >= 0 else 128 - code


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--url-env", required=True,
                        help="the variable holding the database URL")
    parser.add_argument("--lock-timeout", required=True,
                        help="longest wait for the migration lock, and for each of COMMAND's "
                             "table locks (PostgreSQL units: 500ms, 10s, 5min)")
    parser.add_argument("--statement-timeout", required=True,
                        help="longest statement of COMMAND")
    parser.add_argument("command", nargs="+", metavar="COMMAND")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = arguments(argv)
    url = os.environ.get(args.url_env, "").strip()
    if not url:
        return fail(2, f"{args.url_env} is not set: it holds the database URL to lock")
    try:
        connection = connect(url)
        key = take(connection, args.lock_timeout)
    except LockNotTaken as refused:
        return fail(1, str(refused))
    try:
        return run(args.command, f"-c lock_timeout={args.lock_timeout} "
                                 f"-c statement_timeout={args.statement_timeout}")
    finally:
        release(connection, key)


if __name__ == "__main__":
    sys.exit(main())
