"""Jobs give up on a stalled run after a bound of their own; runs keep each table's outcome.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job") as batch:
        batch.add_column(sa.Column("stall_seconds", sa.Integer()))
    with op.batch_alter_table("run") as batch:
        batch.add_column(sa.Column("tables", sa.JSON()))


def downgrade() -> None:
    with op.batch_alter_table("run") as batch:
        batch.drop_column("tables")
    with op.batch_alter_table("job") as batch:
        batch.drop_column("stall_seconds")
