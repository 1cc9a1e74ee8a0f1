"""The database alone: the page's own statement under pgbench, beside the app's runs.

Whether the page is limited by the database or by the Python path in front of it is the
question the speed targets stand for. pgbench answers the database's side on the same machine
in the same run: the statement a page view sends (``app.visits.POSTGRESQL_VISITS``), prepared
once per connection, one visit per transaction (what a batch of one costs) for the same
returning visitors as wrk's script (10.0.0.1 ... 10.0.0.0 + rows), with one client per thread
the app serves with (the most visits it has in flight at once). pgbench is a client of
PostgreSQL's own (Debian's ``postgresql`` ships it), so it works against BENCH_DATABASE_URL's
server too. The URL reaches it in a service file readable by this
user only, never in its arguments, where a password would show in ``ps``.
"""
import os
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict

from app.visits import POSTGRESQL_VISITS
from bench.app_throughput.pg_cluster import PostgresNotInstalled, find_bin_dir

# wrk's returning visitors are 10.0.0.0 + n for n in 1 ... rows (bench/app_throughput/wrk.py).
# A batch of one visit from that address: the addresses, then their visits in the batch.
ONE_RETURNING_VISIT = ("ARRAY[host(inet '10.0.0.0' + :n)]", "'{1}'")


@dataclass(frozen=True)
class PgbenchResult:
    """One run: transactions done, their rate, and the ones that failed."""

    transactions: int
    transactions_per_second: float
    failed: int


def page_statement_script(rows: int) -> str:
    """A pgbench script of the page's statement for a random returning visitor; pgbench reads
    a statement up to its semicolon, on one line."""
    addresses, visits = ONE_RETURNING_VISIT
    statement = " ".join(POSTGRESQL_VISITS.decode().split()).replace(
        "$1", addresses).replace("$2", visits)
    return f"\\set n random(1, {int(rows)})\n{statement};\n"


def parse(output: str) -> PgbenchResult:
    """The figures of pgbench's summary."""
    done = re.search(r"^number of transactions actually processed: (\d+)", output, re.MULTILINE)
    rate = re.search(r"^tps = ([\d.]+)", output, re.MULTILINE)
    failed = re.search(r"^number of failed transactions: (\d+)", output, re.MULTILINE)
    if done is None or rate is None:
        raise RuntimeError(f"unexpected pgbench output:\n{output}")
    return PgbenchResult(transactions=int(done.group(1)),
                         transactions_per_second=float(rate.group(1)),
                         failed=int(failed.group(1)) if failed else 0)


def service_file(url: str) -> str:
    """A libpq service file (pg_service.conf) with one service, ``bench``, connecting to
    ``url`` (a libpq URL or key=value string)."""
    settings = "".join(f"{key}={value}\n" for key, value in conninfo_to_dict(url).items()
                       if value is not None)
    return f"[bench]\n{settings}"


def wait_until_sessions_end(url: str, timeout: float = 10.0) -> None:
    """Return once the server lists no pgbench session (pgbench names them ``pgbench``), or
    after ``timeout`` seconds: a backend still ending when the next run is measured would take
    its context switches out of that run's figures."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as connection:
        while time.monotonic() < deadline:
            row = connection.execute("SELECT count(*) FROM pg_stat_activity "
                                     "WHERE application_name = 'pgbench'").fetchone()
            if row is not None and row[0] == 0:
                return
            time.sleep(0.05)


def run_pgbench(pgbench: Path, url: str, rows: int, clients: int,
                seconds: int) -> PgbenchResult:
    """The page's statement from ``clients`` connections for ``seconds``; returns once their
    sessions have ended."""
    with tempfile.TemporaryDirectory() as workdir:
        script = Path(workdir) / "page.sql"
        script.write_text(page_statement_script(rows))
        services = Path(workdir) / "pg_service.conf"
        services.touch(mode=0o600)
        services.write_text(service_file(url))
        env = {**os.environ, "PGSERVICEFILE": str(services)}
        # A connection string in place of the database's name: pgbench would otherwise name
        # the database after the login, over the service's dbname.
        command = [str(pgbench), "--no-vacuum", "--protocol=prepared", f"--client={clients}",
                   f"--jobs={min(2, clients)}", f"--time={seconds}", f"--file={script}",
                   "service=bench"]
        result = subprocess.run(command, capture_output=True, text=True, check=False, env=env,
                                timeout=seconds + 60)
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines() or ["no output"]
        raise RuntimeError(f"pgbench failed ({result.returncode}): {lines[0]}")
    wait_until_sessions_end(url)
    return parse(result.stdout)


def pgbench_path() -> Path | None:
    """The newest installed PostgreSQL's pgbench, if there is one."""
    try:
        path = find_bin_dir() / "pgbench"
    except PostgresNotInstalled:
        return None
    return path if path.is_file() else None
