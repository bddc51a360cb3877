"""search_document.tsv stored inline (PostgreSQL ``STORAGE MAIN``): ranking reads every match's
tsvector, and out of line (TOAST) each read is an index look-up plus chunk reads. Measured at
100k courses, ``ts_rank`` over the 27k matches of "design": 152 ms out of line, 78 ms inline.
The other wide columns (title, body, terms) are moved out of line first, so the tsvector stays
in the row. Existing rows are rewritten here (about 15 s per 100k courses); SQLite has no such
column (FTS5 keeps its own index).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE search_document ALTER COLUMN tsv SET STORAGE MAIN")
        # a changed value is stored anew (an unchanged one would keep its TOAST pointer)
        op.execute("UPDATE search_document SET tsv = tsv || ''::tsvector WHERE tsv IS NOT NULL")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE search_document ALTER COLUMN tsv SET STORAGE EXTENDED")
