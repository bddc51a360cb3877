"""Harvest runs record the process that runs them (pid, host), so that a run found still
``running`` when its source is harvested again is marked ``abandoned`` (decision 0022).

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("catalogue_harvest_run") as batch:
        batch.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("host", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("catalogue_harvest_run") as batch:
        batch.drop_column("host")
        batch.drop_column("pid")
