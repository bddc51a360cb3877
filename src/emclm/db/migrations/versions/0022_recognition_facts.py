"""Recognition facts of courses, curator corrections kept apart from them, and per-course extraction state
(decision 0028).

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credentials_fact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("element", sa.String(length=40), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("provenance", sa.String(length=12), nullable=False),
        sa.Column("field", sa.String(length=80), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=True),
        sa.Column("end", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["catalogue_course.id"],
            name=op.f("fk_credentials_fact_course_id_catalogue_course"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credentials_fact")),
        sa.UniqueConstraint("course_id", "element", name=op.f("uq_credentials_fact_course_id_element")),
    )
    op.create_index(op.f("ix_credentials_fact_course_id"), "credentials_fact", ["course_id"])
    op.create_index(op.f("ix_credentials_fact_element"), "credentials_fact", ["element"])
    op.create_table(
        "credentials_correction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("element", sa.String(length=40), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("corrected_by", sa.String(length=320), nullable=False),
        sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["catalogue_course.id"],
            name=op.f("fk_credentials_correction_course_id_catalogue_course"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credentials_correction")),
        sa.UniqueConstraint("course_id", "element", name=op.f("uq_credentials_correction_course_id_element")),
    )
    op.create_index(op.f("ix_credentials_correction_course_id"), "credentials_correction", ["course_id"])
    op.create_table(
        "credentials_state",
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("extractor_version", sa.String(length=40), nullable=False),
        sa.Column("applied", sa.JSON(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["catalogue_course.id"],
            name=op.f("fk_credentials_state_course_id_catalogue_course"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("course_id", name=op.f("pk_credentials_state")),
    )


def downgrade() -> None:
    op.drop_table("credentials_state")
    op.drop_index(op.f("ix_credentials_correction_course_id"), table_name="credentials_correction")
    op.drop_table("credentials_correction")
    op.drop_index(op.f("ix_credentials_fact_element"), table_name="credentials_fact")
    op.drop_index(op.f("ix_credentials_fact_course_id"), table_name="credentials_fact")
    op.drop_table("credentials_fact")
