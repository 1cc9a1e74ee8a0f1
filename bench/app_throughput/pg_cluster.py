"""A throwaway PostgreSQL cluster in a temporary directory, for the app's tests and benchmark.

It lives here (not under tests/) because two consumers share it: the test suite's conftest and
``bench.app_throughput``. It knows nothing about the app: it starts a server and makes databases.
The cluster listens on 127.0.0.1 on a free port (and a private unix socket), trusts local
connections, and is deleted when stopped. initdb refuses to run as root, so as root every server
command runs as the ``postgres`` system user through ``runuser``.
"""
import contextlib
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Iterator, Sequence

import psycopg
from sqlalchemy.engine import make_url

from bench.ports import free_port

PG_BIN_ROOT = Path("/usr/lib/postgresql")
SERVER_USER = "postgres"
# Durability off: a test cluster lives for minutes and its data is thrown away.
FAST_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")


class PostgresNotInstalled(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def find_bin_dir(root: Path = PG_BIN_ROOT) -> Path:
    """The newest installed PostgreSQL's bin directory (Debian's layout)."""
    candidates = [path.parent for path in root.glob("*/bin/initdb")]
    if not candidates:
        raise PostgresNotInstalled(
            f"PostgreSQL is not installed (no {root}/<version>/bin/initdb): "
            "run `apt-get install -y postgresql` (Debian) or set TEST_DATABASE_URL")
    return max(candidates, key=lambda path: int(path.parent.name))


def admin_execute(admin_url: str, statement: str) -> None:
    """Run one statement outside a transaction (CREATE/DROP DATABASE cannot run inside one)."""
    with psycopg.connect(libpq_url(admin_url), autocommit=True, connect_timeout=5) as connection:
        connection.execute(statement.encode())


def is_reachable(url: str) -> bool:
    """Whether a PostgreSQL server answers at this libpq URL."""
    try:
        with psycopg.connect(libpq_url(url), connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error:
        return False
    return True


def libpq_url(url: str) -> str:
    """A ``postgresql://`` URL libpq accepts, also from SQLAlchemy's ``postgresql+driver://``."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def with_database(url: str, name: str) -> str:
    """The same server URL with another database name."""
    return libpq_url(make_url(url).set(database=name).render_as_string(hide_password=False))


def database_name(url: str) -> str:
    """The database a URL points at."""
    return str(make_url(url).database)


class DatabaseServer:
    """A PostgreSQL server the caller may create and drop databases on, given by its admin URL."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url

    def create_database(self, prefix: str = "test") -> str:
        """A new empty database; returns its libpq URL."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        admin_execute(self.admin_url, f'CREATE DATABASE "{name}"')
        return with_database(self.admin_url, name)

    def drop_database(self, url: str) -> None:
        """Drop a database made by create_database, even with clients still connected."""
        name = database_name(url)
        admin_execute(self.admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class ThrowawayCluster(DatabaseServer):
    """initdb + pg_ctl in a temporary directory; ``stop()`` removes every trace."""

    def __init__(self, settings: Sequence[str] = FAST_SETTINGS, bin_dir: Path | None = None,
                 cpus: frozenset[int] = frozenset()):
        """``cpus``: run the server, and every backend it forks, on those CPUs only."""
        self.bin_dir = bin_dir or find_bin_dir()
        self.settings = tuple(settings)
        self.cpus = cpus
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="pg-throwaway-"))
        self.data_dir = self.root / "data"
        super().__init__(f"postgresql://{SERVER_USER}@127.0.0.1:{self.port}/postgres")

    def _as_server_user(self, *command: str) -> list[str]:
        program = [str(self.bin_dir / command[0]), *command[1:]]
        if os.geteuid() == 0:
            return ["runuser", "-u", SERVER_USER, "--", *program]
        return program

    def _pin(self) -> None:
        """Run in the child before it executes: the server inherits its CPU affinity."""
        os.sched_setaffinity(0, self.cpus)

    def _run(self, *command: str) -> None:
        result = subprocess.run(self._as_server_user(*command), capture_output=True, text=True,
                                check=False,
                                preexec_fn=self._pin if self.cpus else None)
        if result.returncode != 0:
            raise RuntimeError(f"{command[0]} failed ({result.returncode}): "
                               f"{(result.stderr or result.stdout).strip()}")

    def start(self) -> "ThrowawayCluster":
        """initdb and start the server; returns when it accepts connections."""
        if os.geteuid() == 0:
            shutil.chown(self.root, SERVER_USER)
        self._run("initdb", "-D", str(self.data_dir), "-U", SERVER_USER, "--auth=trust",
                  "-E", "UTF8", "--no-sync")
        options = [f"-p {self.port}", f"-k {self.root}", "-c listen_addresses=127.0.0.1",
                   "-c max_connections=300", *(f"-c {setting}" for setting in self.settings)]
        self._run("pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data_dir),
                  "-l", str(self.root / "server.log"), "-o", " ".join(options))
        return self

    def stop(self) -> None:
        """Stop the server at once (fast mode) and delete its directory."""
        if (self.data_dir / "postmaster.pid").exists():
            self._run("pg_ctl", "stop", "-m", "fast", "-w", "-D", str(self.data_dir))
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def database_server(existing_url: str | None = None, settings: Sequence[str] = FAST_SETTINGS,
                    cpus: frozenset[int] = frozenset()) -> Iterator[DatabaseServer]:
    """The server at ``existing_url`` when it answers, else a throwaway cluster for the block
    (on ``cpus`` when given)."""
    if existing_url and is_reachable(existing_url):
        yield DatabaseServer(existing_url)
        return
    cluster = ThrowawayCluster(settings, cpus=cpus)
    try:
        yield cluster.start()
    finally:
        cluster.stop()
