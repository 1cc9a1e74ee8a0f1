"""Database engines: pool settings, and stale connections dropped without a round trip.

The app has two engines on the same database. Flask-SQLAlchemy's (``db.engine``) is
transactional: migrations and tests use it. The request engine runs in autocommit mode, so a
page view's single statement is its own transaction: no BEGIN and no COMMIT round trips.

A pooled connection can be dead: the server restarted, or an administrator ended the session.
SQLAlchemy's ``pool_pre_ping`` finds out with a query, one more round trip per request. Here
the pool instead asks the socket: a connection with no query running that has something to read
got its end from the server (PostgreSQL sends "terminating connection" before closing), so it
is replaced before use, at the cost of one non-blocking poll.
"""
import select
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError

from app.settings import Settings
from app.sqlite import configure_sqlite


def engine_options(settings: Settings) -> dict[str, Any]:
    """Connection settings shared by both engines.

    PostgreSQL: give up connecting after 5 s, so /readyz answers while the server is away.
    SQLite: wait up to 30 s for the write lock; its waiters are not served in order, so under
    a burst of concurrent visits the default 5 s let some requests fail.
    """
    connect_args = {"postgresql": {"connect_timeout": 5}, "sqlite": {"timeout": 30}}
    return {"connect_args": connect_args[settings.database_url.get_backend_name()]}


def closed_by_server(dbapi_connection: Any) -> bool:
    """Whether an idle psycopg connection is closed, or has unread data (the server's goodbye)."""
    if dbapi_connection.closed:
        return True
    poller = select.poll()
    poller.register(dbapi_connection.fileno(), select.POLLIN)
    return bool(poller.poll(0))


def check_on_checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """Pool checkout hook: a dead connection is replaced (the pool retries with a new one)."""
    if closed_by_server(dbapi_connection):
        raise DisconnectionError("the server closed this pooled connection")


def prepare_engine(engine: Engine) -> Engine:
    """Attach the liveness check (PostgreSQL) or the concurrency settings (SQLite)."""
    if engine.dialect.name == "postgresql":
        event.listen(engine, "checkout", check_on_checkout)
    configure_sqlite(engine)
    return engine


def request_engine(settings: Settings) -> Engine:
    """The autocommit engine of the request path (app/visits.py prepares its statement).

    With VISIT_SYNCHRONOUS_COMMIT=off its sessions commit without waiting for the WAL flush
    (PostgreSQL's asynchronous commit): a visit holds its visitor row's lock for microseconds
    instead of a disk flush, so returning visitors queue far less. The price: if the database
    server itself crashes, the visits of its last moments (at most 3 x wal_writer_delay, 0.6 s
    by default) are lost together with their total, never one without the other. The default
    stays on: every answered visit is on disk.
    """
    options = engine_options(settings)
    if settings.database_url.get_backend_name() == "postgresql":
        if not settings.visit_synchronous_commit:
            options["connect_args"] = {**options["connect_args"],
                                       "options": "-c synchronous_commit=off"}
    # In autocommit mode no transaction outlives a statement: nothing to roll back on return.
    return prepare_engine(create_engine(settings.database_url, isolation_level="AUTOCOMMIT",
                                        pool_reset_on_return=None, **options))
