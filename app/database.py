"""The SQLAlchemy and Flask-Migrate extensions and the tables they manage.

Models are plain SQLAlchemy 2 declarative classes (typed, no ``db.Model`` magic); Flask-SQLAlchemy
is given their metadata so its session and Flask-Migrate's autogenerate see the same tables.
"""
from pathlib import Path

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import BigInteger, CheckConstraint, Integer, SmallInteger, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Counter rows of visitor_total; migration 3f1c2b9d7a10 creates this many.
COUNTER_SLOTS = 16


class Base(DeclarativeBase):
    """Declarative base of the app's tables."""


class Visitor(Base):
    """One client address and how often it visited; the legacy app's table, unchanged."""

    __tablename__ = "visitor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ip: Mapped[str | None] = mapped_column(String(40), index=True, unique=True)
    visits: Mapped[int | None] = mapped_column(Integer)


class VisitorTotal(Base):
    """The number of visitor rows, kept exact by database triggers, split over a few slots.

    Why counter rows rather than ``count(*)``: PostgreSQL counts by visiting every row (or every
    index entry), about 70 ms per request at a million visitors here; summing 16 small rows
    costs the same at any size. Why triggers rather than app code: they keep the count exact
    whoever writes ``visitor`` (the legacy release still serving during a deploy, a bulk load, a
    manual DELETE). Why slots: a first visit locks the counter row it adds to until it commits;
    with one row, concurrent first visits queued behind each other (half the throughput of
    returning visits in bench/app_throughput). Each database session adds to the slot of its
    backend pid, so concurrent first visits rarely share a row. See migration 3f1c2b9d7a10.
    """

    __tablename__ = "visitor_total"
    __table_args__ = (CheckConstraint(f"slot >= 0 AND slot < {COUNTER_SLOTS}",
                                      name="ck_visitor_total_slot"),)

    slot: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    unique_visitors: Mapped[int] = mapped_column(BigInteger)


class SchemaCompatibility(Base):
    """A release head whose code runs on the schema as it is now (app/revisions.py).

    Rewritten by migrations/env.py each time migrations run; read by ``/readyz``.
    """

    __tablename__ = "schema_compatibility"

    revision: Mapped[str] = mapped_column(String(32), primary_key=True)


db = SQLAlchemy(metadata=Base.metadata)
migrate = Migrate(directory=str(MIGRATIONS_DIR))
