"""The search tables as SQLAlchemy Core objects (created by migration 0005, not by ``Base``).

They live in their own ``MetaData`` so that ``Base.metadata`` (and Alembic autogenerate) does not
see the engine-specific parts: the FTS5 virtual table on SQLite and the ``tsv`` column on PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

search_document = sa.Table(
    "search_document",
    metadata,
    sa.Column("course_id", sa.Integer, primary_key=True),
    sa.Column("lang", sa.String(8), nullable=False),  # analysis language ("simple" when unknown)
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("title_terms", sa.Text, nullable=False),  # folded + stemmed, what the index holds
    sa.Column("body_terms", sa.Text, nullable=False),
    sa.Column("language", sa.String(8)),
    sa.Column("provider", sa.String(80)),
    sa.Column("provider_name", sa.String(255)),
    sa.Column("organisation", sa.String(512)),
    sa.Column("subject", sa.String(255)),
    sa.Column("eqf_level", sa.Integer),
    sa.Column("is_free", sa.Boolean),
    sa.Column("certificate_type", sa.String(30)),
    sa.Column("ects_credits", sa.Float),
    sa.Column("pace", sa.String(12)),
    sa.Column("workload_hours", sa.Float),
    sa.Column("run_starts", sa.Text),  # ISO start dates of the live runs, sorted, space-separated
    sa.Column("url", sa.String(2048)),
    sa.Column("indexed_at", sa.DateTime(timezone=True), nullable=False),
)

search_embedding = sa.Table(
    "search_embedding",
    metadata,
    sa.Column("course_id", sa.Integer, primary_key=True),
    sa.Column("model", sa.String(80), nullable=False),
    sa.Column("text_hash", sa.String(64), nullable=False),
    sa.Column("vector", sa.LargeBinary, nullable=False),
)

# ESCO skill/occupation labels keyed by their sorted content stems ("analys donne"), for matching
# query words to concepts whatever the inflection; built by ``emclm.search.concepts.build_label_keys``.
search_label_key = sa.Table(
    "search_label_key",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("lang", sa.String(8), nullable=False),
    sa.Column("key", sa.String(512), nullable=False),
    sa.Column("n_stems", sa.Integer, nullable=False),
    sa.Column("concept_id", sa.Integer, nullable=False),
    sa.Column("preferred", sa.Boolean, nullable=False),
)

# One row (id 1): ``generation`` is replaced by a random token in every transaction that writes the
# index (``emclm.search.columns.bump_generation``); per-process caches compare it per query.
search_state = sa.Table(
    "search_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("generation", sa.String(32), nullable=False),
)
