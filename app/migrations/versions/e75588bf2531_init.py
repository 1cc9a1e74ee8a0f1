"""init: the legacy app's schema, kept as it was so its databases upgrade in place.

Revision ID: e75588bf2531
Revises:
Create Date: 2019-01-01 00:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = "e75588bf2531"
down_revision = None
branch_labels = None
depends_on = None
# The first schema: no release ran before it (see app/revisions.py).
kind = "contract"


def upgrade() -> None:
    op.create_table("visitor",
                    sa.Column("id", sa.Integer(), nullable=False),
                    sa.Column("ip", sa.String(length=40), nullable=True),
                    sa.Column("visits", sa.Integer(), nullable=True),
                    sa.PrimaryKeyConstraint("id"))
    op.create_index(op.f("ix_visitor_ip"), "visitor", ["ip"], unique=True)


def downgrade() -> None:
    op.drop_index(op.f("ix_visitor_ip"), table_name="visitor")
    op.drop_table("visitor")
