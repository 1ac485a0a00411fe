"""Jobs deployed to Google Cloud: where (project, region, Cloud Run job), how, and when.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job") as batch:
        batch.add_column(sa.Column("cloud", sa.JSON()))


def downgrade() -> None:
    with op.batch_alter_table("job") as batch:
        batch.drop_column("cloud")
