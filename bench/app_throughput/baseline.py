"""An earlier checkout of this app, measured beside this one: did a change make the page faster?

Two runs of the benchmark on a shared machine differ by more than most changes do (``/version``
has moved 30% between repeats of one run), so a change is judged side by side: the earlier
checkout (say ``git worktree add /tmp/before HEAD~1``) is served the same way, its own config
and code, on its own database migrated by its own migrations in the same cluster with the same
rows, and its runs are interleaved with this checkout's. It runs with this checkout's Python
environment: a checkout that needs other packages is not supported.
"""
import contextlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator, Mapping

from bench.app_throughput.gunicorn_server import CONFIG
from bench.app_throughput.pg_cluster import DatabaseServer

MIGRATE_TIMEOUT = 300


def checkout_problem(checkout: Path) -> str | None:
    """Why ``checkout`` cannot be served as a baseline (one line), or None."""
    if not checkout.is_dir():
        return f"{checkout} is not a directory"
    if not (checkout / CONFIG).is_file():
        return f"{checkout} is not a checkout of this app (no {CONFIG})"
    return None


def migrate(checkout: Path, url: str, env: Mapping[str, str]) -> None:
    """Upgrade the database at ``url`` with the checkout's own migrations; one line on failure.
    The URL goes in the environment, never on a command line."""
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"],
                            cwd=checkout, env={**os.environ, **env, "DATABASE_URL": url},
                            capture_output=True, text=True, check=False,
                            timeout=MIGRATE_TIMEOUT)
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        raise SystemExit(f"app_throughput: the baseline's migrations failed in {checkout}: "
                         f"{(lines or ['no output'])[-1].strip()}")


@contextlib.contextmanager
def baseline_database(server: DatabaseServer, checkout: Path,
                      env: Mapping[str, str]) -> Iterator[str]:
    """A new database migrated by the checkout, dropped after the block, also on failure."""
    url = server.create_database("baseline")
    try:
        migrate(checkout, url, env)
        yield url
    finally:
        server.drop_database(url)
