"""search: one denormalised search document per live course, plus the engine's full-text index

SQLite: an FTS5 table ``search_fts`` (rowid = course id) holding the course text already folded
and stemmed per language in Python (PyStemmer, Snowball), because FTS5 has no per-row language.
PostgreSQL: a ``tsv`` tsvector column on ``search_document`` (built with the course language's
text search configuration) and a GIN index on it.

Revision ID: 0005
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_document",
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("provider", sa.String(length=80), nullable=True),
        sa.Column("provider_name", sa.String(length=255), nullable=True),
        sa.Column("organisation", sa.String(length=512), nullable=True),
        sa.Column("subject", sa.String(length=255), nullable=True),
        sa.Column("eqf_level", sa.Integer(), nullable=True),
        sa.Column("is_free", sa.Boolean(), nullable=True),
        sa.Column("certificate_type", sa.String(length=30), nullable=True),
        sa.Column("ects_credits", sa.Float(), nullable=True),
        sa.Column("pace", sa.String(length=12), nullable=True),
        sa.Column("workload_hours", sa.Float(), nullable=True),
        sa.Column("run_starts", sa.Text(), nullable=True),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("indexed_at", sa.DateTime(timezone=True), nullable=False),
        # the long texts last: SQLite reads a row's columns in order, so facet columns stay off overflow pages
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("title_terms", sa.Text(), nullable=False),
        sa.Column("body_terms", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["catalogue_course.id"],
            name=op.f("fk_search_document_course_id_catalogue_course"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("course_id", name=op.f("pk_search_document")),
    )
    with op.batch_alter_table("search_document", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_search_document_language"), ["language"], unique=False)
        batch_op.create_index(batch_op.f("ix_search_document_provider"), ["provider"], unique=False)
    op.create_table(
        "search_embedding",
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=80), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["catalogue_course.id"],
            name=op.f("fk_search_embedding_course_id_catalogue_course"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("course_id", name=op.f("pk_search_embedding")),
    )
    op.create_table(
        "search_label_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("n_stems", sa.Integer(), nullable=False),
        sa.Column("concept_id", sa.Integer(), nullable=False),
        sa.Column("preferred", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["concept_id"],
            ["esco_concept.id"],
            name=op.f("fk_search_label_key_concept_id_esco_concept"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_label_key")),
    )
    with op.batch_alter_table("search_label_key", schema=None) as batch_op:
        batch_op.create_index("ix_search_label_key_lang_key", ["lang", "key"], unique=False)
        batch_op.create_index("ix_search_label_key_lang_n_key", ["lang", "n_stems", "key"], unique=False)
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2')"
        )
    elif bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE search_document ADD COLUMN tsv tsvector")
        op.execute("CREATE INDEX ix_search_document_tsv ON search_document USING gin (tsv)")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_table("search_label_key")
    op.drop_table("search_embedding")
    op.drop_table("search_document")
