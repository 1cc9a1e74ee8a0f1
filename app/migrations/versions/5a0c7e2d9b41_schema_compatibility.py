"""schema_compatibility: the release heads that can run on the schema, for /readyz.

Revision ID: 5a0c7e2d9b41
Revises: 3f1c2b9d7a10
Create Date: 2026-11-23 16:30:00

Why a table: a release's code knows only its own migration scripts, so after a newer release
migrates, the older code cannot tell from the revision alone whether it still runs. The
migration environment (env.py) rewrites this table whenever migrations run, listing the heads
that can run on the schema as it is (app/revisions.py); this revision only creates it.
"""
from alembic import op
import sqlalchemy as sa

revision = "5a0c7e2d9b41"
down_revision = "3f1c2b9d7a10"
branch_labels = None
depends_on = None
# A new table that older releases never touch.
kind = "expand"


def upgrade() -> None:
    op.create_table("schema_compatibility",
                    sa.Column("revision", sa.String(length=32), nullable=False),
                    sa.PrimaryKeyConstraint("revision"))


def downgrade() -> None:
    op.drop_table("schema_compatibility")
