"""harvest state: course identity keys, per-source harvest state and run log

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalogue_course_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["catalogue_course.id"],
            name=op.f("fk_catalogue_course_key_course_id_catalogue_course"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_course_key")),
        sa.UniqueConstraint("key", name=op.f("uq_catalogue_course_key_key")),
    )
    with op.batch_alter_table("catalogue_course_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalogue_course_key_course_id"), ["course_id"], unique=False)

    op.create_table(
        "catalogue_harvest_state",
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("pass_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checkpoint", sa.JSON(), nullable=True),
        sa.Column("validators", sa.JSON(), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_complete_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_catalogue_harvest_state")),
    )

    op.create_table(
        "catalogue_harvest_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("resumed", sa.Boolean(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("withdrawn", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_harvest_run")),
    )
    with op.batch_alter_table("catalogue_harvest_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalogue_harvest_run_source"), ["source"], unique=False)


def downgrade() -> None:
    op.drop_table("catalogue_harvest_run")
    op.drop_table("catalogue_harvest_state")
    op.drop_table("catalogue_course_key")
