"""Labour-market aggregates precomputed per data generation (decision 0015): the state row holding
the generation they were computed from, vacancy-skill cells and their totals, vacancy cells and course supply per skill;
indexes on the change stamps the generation fingerprint reads (vacancies, course tags, courses).

Revision ID: 0009
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "labour_aggregate_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.String(length=64), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("build_seconds", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_labour_aggregate_state")),
    )
    op.create_table(
        "labour_skill_cell",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("skill_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=12), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("nuts_code", sa.String(length=5), nullable=True),
        sa.Column("month", sa.String(length=7), nullable=True),
        sa.Column("vacancies", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_labour_skill_cell")),
    )
    op.create_index(op.f("ix_labour_skill_cell_skill_id"), "labour_skill_cell", ["skill_id"])
    op.create_index(op.f("ix_labour_skill_cell_month"), "labour_skill_cell", ["month"])
    op.create_table(
        "labour_skill_total",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("skill_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=12), nullable=False),
        sa.Column("vacancies", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_labour_skill_total")),
    )
    op.create_index(op.f("ix_labour_skill_total_skill_id"), "labour_skill_total", ["skill_id"])
    op.create_table(
        "labour_vacancy_cell",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("nuts_code", sa.String(length=5), nullable=True),
        sa.Column("month", sa.String(length=7), nullable=True),
        sa.Column("vacancies", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_labour_vacancy_cell")),
    )
    op.create_table(
        "labour_skill_supply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("skill_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("courses", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_labour_skill_supply")),
    )
    op.create_index(op.f("ix_labour_skill_supply_skill_id"), "labour_skill_supply", ["skill_id"])
    # the generation fingerprint reads the latest change stamps: from an index, not a table scan
    op.create_index(op.f("ix_labour_vacancy_last_seen_at"), "labour_vacancy", ["last_seen_at"])
    op.create_index(op.f("ix_course_skill_updated_at"), "course_skill", ["updated_at"])
    op.create_index(op.f("ix_catalogue_course_updated_at"), "catalogue_course", ["updated_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_catalogue_course_updated_at"), table_name="catalogue_course")
    op.drop_index(op.f("ix_course_skill_updated_at"), table_name="course_skill")
    op.drop_index(op.f("ix_labour_vacancy_last_seen_at"), table_name="labour_vacancy")
    op.drop_index(op.f("ix_labour_skill_supply_skill_id"), table_name="labour_skill_supply")
    op.drop_table("labour_skill_supply")
    op.drop_table("labour_vacancy_cell")
    op.drop_index(op.f("ix_labour_skill_total_skill_id"), table_name="labour_skill_total")
    op.drop_table("labour_skill_total")
    op.drop_index(op.f("ix_labour_skill_cell_month"), table_name="labour_skill_cell")
    op.drop_index(op.f("ix_labour_skill_cell_skill_id"), table_name="labour_skill_cell")
    op.drop_table("labour_skill_cell")
    op.drop_table("labour_aggregate_state")
