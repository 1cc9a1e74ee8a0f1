"""Run the app's migrations while holding a PostgreSQL advisory lock.

Deploys run this once, in a one-off container of the new image. The lock makes a second,
concurrent migration wait instead of racing; migrations themselves run in `flask db upgrade`,
whose transactional DDL leaves the schema untouched when one fails.
"""
import os
import subprocess
import sys

import psycopg
from sqlalchemy.engine import make_url

# Any fixed 64-bit key: every migration runner of this app agrees on it.
MIGRATION_LOCK_KEY = 7_345_001


def libpq_dsn(database_url: str) -> str:
    """DATABASE_URL (SQLAlchemy form, maybe with a driver suffix) as a libpq connection string."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def main() -> int:
    """Take the lock, migrate, release the lock (closing the session releases it too)."""
    with psycopg.connect(libpq_dsn(os.environ["DATABASE_URL"]), autocommit=True) as lock:
        print("migrate-locked: waiting for the migration lock", flush=True)
        lock.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
        print("migrate-locked: lock held, running flask db upgrade", flush=True)
        result = subprocess.run(["flask", "--app", "app", "db", "upgrade"], check=False)
        lock.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
