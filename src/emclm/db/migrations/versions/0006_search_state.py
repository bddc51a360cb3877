"""search_state: one row whose ``generation`` token changes in every transaction that writes the
search index, so that per-process caches of index data (the facet columns) can tell, with one
primary-key read per query, whether what they hold is still what the database holds.

The token is random (not a counter): a cache built inside a transaction that later rolls back
can never match a token committed afterwards.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "search_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_state")),
    )
    op.bulk_insert(table, [{"id": 1, "generation": "initial"}])


def downgrade() -> None:
    op.drop_table("search_state")
