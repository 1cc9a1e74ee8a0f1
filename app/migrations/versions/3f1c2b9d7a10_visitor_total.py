"""visitor_total: trigger-maintained counts of visitors, so the total stays cheap.

Revision ID: 3f1c2b9d7a10
Revises: e75588bf2531
Create Date: 2026-11-23 08:40:00

Why: the page shows the number of unique visitors on every request, and ``count(*)`` over a
million rows costs tens of milliseconds even as an index-only scan (bench/app_throughput prints
both figures). Summing 16 counter rows costs the same at any size.

Why 16 slots: a first visit holds the row lock of the counter it adds to until it commits. On
PostgreSQL each session adds to slot ``pg_backend_pid() % 16``, so concurrent first visits from
different connections rarely wait for each other. SQLite serialises all writes anyway: slot 0.

Why triggers, not app code: the count stays exact whoever writes ``visitor``: the legacy release
still serving during a deploy, a bulk load, a manual DELETE. On PostgreSQL the triggers are
per statement with transition tables, so a bulk insert of a million rows updates the counter
once, and an upsert that only increments ``visits`` (the common case) leaves it untouched, so
repeat visits never wait on a counter's row lock. SQLite (development only) has row triggers.

The initial count runs after the triggers exist: CREATE TRIGGER locks ``visitor`` against writes
until this migration commits, so no row can slip between the count and the first trigger.
"""
from alembic import op
import sqlalchemy as sa

revision = "3f1c2b9d7a10"
down_revision = "e75588bf2531"
branch_labels = None
depends_on = None
# The legacy release keeps serving on it: the triggers count its inserts too.
kind = "expand"

SLOTS = 16  # app.database.COUNTER_SLOTS when this revision was written

POSTGRESQL_TRIGGERS = """
CREATE FUNCTION visitor_total_add() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE added bigint;
BEGIN
    SELECT count(*) INTO added FROM inserted_rows;
    IF added > 0 THEN
        UPDATE visitor_total SET unique_visitors = unique_visitors + added
            WHERE slot = pg_backend_pid() % 16;
    END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION visitor_total_subtract() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE removed bigint;
BEGIN
    SELECT count(*) INTO removed FROM deleted_rows;
    IF removed > 0 THEN
        UPDATE visitor_total SET unique_visitors = unique_visitors - removed
            WHERE slot = pg_backend_pid() % 16;
    END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION visitor_total_reset() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE visitor_total SET unique_visitors = 0;
    RETURN NULL;
END $$;
CREATE TRIGGER visitor_total_on_insert AFTER INSERT ON visitor
    REFERENCING NEW TABLE AS inserted_rows
    FOR EACH STATEMENT EXECUTE FUNCTION visitor_total_add();
CREATE TRIGGER visitor_total_on_delete AFTER DELETE ON visitor
    REFERENCING OLD TABLE AS deleted_rows
    FOR EACH STATEMENT EXECUTE FUNCTION visitor_total_subtract();
CREATE TRIGGER visitor_total_on_truncate AFTER TRUNCATE ON visitor
    FOR EACH STATEMENT EXECUTE FUNCTION visitor_total_reset();
"""

SQLITE_TRIGGERS = (
    """CREATE TRIGGER visitor_total_on_insert AFTER INSERT ON visitor BEGIN
        UPDATE visitor_total SET unique_visitors = unique_visitors + 1 WHERE slot = 0; END""",
    """CREATE TRIGGER visitor_total_on_delete AFTER DELETE ON visitor BEGIN
        UPDATE visitor_total SET unique_visitors = unique_visitors - 1 WHERE slot = 0; END""",
)

POSTGRESQL_DROP = """
DROP TRIGGER visitor_total_on_truncate ON visitor;
DROP TRIGGER visitor_total_on_delete ON visitor;
DROP TRIGGER visitor_total_on_insert ON visitor;
DROP FUNCTION visitor_total_reset();
DROP FUNCTION visitor_total_subtract();
DROP FUNCTION visitor_total_add();
"""


def dialect() -> str:
    """The database's dialect, also in offline (--sql) mode."""
    return str(op.get_context().dialect.name)


def upgrade() -> None:
    visitor_total = op.create_table(
        "visitor_total",
        sa.Column("slot", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("unique_visitors", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(f"slot >= 0 AND slot < {SLOTS}", name="ck_visitor_total_slot"),
        sa.PrimaryKeyConstraint("slot"))
    if dialect() == "postgresql":
        op.execute(POSTGRESQL_TRIGGERS)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    op.execute("INSERT INTO visitor_total (slot, unique_visitors) SELECT 0, count(*) FROM visitor")
    op.bulk_insert(visitor_total, [{"slot": slot, "unique_visitors": 0}
                                   for slot in range(1, SLOTS)])


def downgrade() -> None:
    if dialect() == "postgresql":
        op.execute(POSTGRESQL_DROP)
    else:
        op.execute("DROP TRIGGER visitor_total_on_delete")
        op.execute("DROP TRIGGER visitor_total_on_insert")
    op.drop_table("visitor_total")
