"""SQLite (the development database) under concurrent requests.

In SQLite's default rollback-journal mode a transaction that waits for the write lock while
holding a read lock can deadlock with the writer, and SQLite then fails one of them at once
with "database is locked" (a 503 here), whatever the busy timeout. In WAL mode readers never
block the writer and writers queue on the busy timeout, so concurrent visits all succeed.
"""
from typing import Any

from sqlalchemy import Engine, event


def use_write_ahead_log(dbapi_connection: Any, connection_record: Any) -> None:
    """Switch each new connection's database file to WAL (a no-op once the file is in WAL)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def configure_sqlite(engine: Engine) -> None:
    """Make ``engine``'s SQLite connections safe for concurrent requests."""
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", use_write_ahead_log)
