"""Jobs, runs and settings; connections remember the server version and latency.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("connection") as batch:
        batch.add_column(sa.Column("last_test_version", sa.String(200)))
        batch.add_column(sa.Column("last_test_latency_ms", sa.Integer()))

    op.create_table(
        "job",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_key", sa.String(200), nullable=False, unique=True),
        sa.Column(
            "source_connection_id", sa.String(36), sa.ForeignKey("connection.id"), nullable=False
        ),
        sa.Column("destination_connection_id", sa.String(36), sa.ForeignKey("connection.id")),
        sa.Column("tables", sa.JSON(), nullable=False),
        sa.Column("schedule_kind", sa.String(10), nullable=False, server_default="manual"),
        sa.Column("schedule_expr", sa.String(200)),
        sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"),
        sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "run",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "job_id", sa.String(36), sa.ForeignKey("job.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("trigger", sa.String(10), nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="queued"),
        sa.Column("started_at", sa.DateTime()),
        sa.Column("finished_at", sa.DateTime()),
        sa.Column("rows_read", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("rows_written", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("bytes", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("cursor_before", sa.Text()),
        sa.Column("cursor_after", sa.Text()),
        sa.Column("error", sa.Text()),
        sa.Column("log", sa.Text()),
    )
    op.create_index("ix_run_job_started", "run", ["job_id", "started_at"])
    op.create_table(
        "setting",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("value", sa.JSON()),
    )


def downgrade() -> None:
    op.drop_table("setting")
    op.drop_index("ix_run_job_started", "run")
    op.drop_table("run")
    op.drop_table("job")
    with op.batch_alter_table("connection") as batch:
        batch.drop_column("last_test_latency_ms")
        batch.drop_column("last_test_version")
