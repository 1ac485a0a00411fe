"""Jobs run unattended: retries, a grace for missed runs, a webhook, notify on success;
runs count their attempts.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job") as batch:
        batch.add_column(sa.Column("retries", sa.Integer(), nullable=False,
                                   server_default="2"))
        batch.add_column(sa.Column("missed_grace_seconds", sa.Integer(), nullable=False,
                                   server_default="3600"))
        batch.add_column(sa.Column("webhook_ref", sa.String(400)))
        batch.add_column(sa.Column("notify_success", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    with op.batch_alter_table("run") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False,
                                   server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("run") as batch:
        batch.drop_column("attempts")
    with op.batch_alter_table("job") as batch:
        for column in ("notify_success", "webhook_ref", "missed_grace_seconds", "retries"):
            batch.drop_column(column)
