"""Identity (decision 0020): accounts, organisations of the alliance, memberships with roles, server-side
sessions, API tokens (personal access tokens and organisation API keys), single-use e-mail links and
failed sign-ins (throttling); secrets stored as hashes.

Revision ID: 0020
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts_account")),
        sa.UniqueConstraint("email", name=op.f("uq_accounts_account_email")),
    )
    op.create_table(
        "accounts_organisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("catalogue_organisation_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["catalogue_provider.id"],
            name=op.f("fk_accounts_organisation_provider_id_catalogue_provider"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["catalogue_organisation_id"],
            ["catalogue_organisation.id"],
            name=op.f("fk_accounts_organisation_catalogue_organisation_id_catalogue_organisation"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts_organisation")),
        sa.UniqueConstraint("name", name=op.f("uq_accounts_organisation_name")),
    )
    op.create_table(
        "accounts_membership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts_account.id"],
            name=op.f("fk_accounts_membership_account_id_accounts_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["accounts_organisation.id"],
            name=op.f("fk_accounts_membership_organisation_id_accounts_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts_membership")),
        sa.UniqueConstraint(
            "account_id", "organisation_id", name=op.f("uq_accounts_membership_account_id_organisation_id")
        ),
    )
    op.create_index(op.f("ix_accounts_membership_account_id"), "accounts_membership", ["account_id"])
    op.create_index(op.f("ix_accounts_membership_organisation_id"), "accounts_membership", ["organisation_id"])
    op.create_table(
        "accounts_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idle_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("absolute_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts_account.id"],
            name=op.f("fk_accounts_session_account_id_accounts_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts_session")),
        sa.UniqueConstraint("id_hash", name=op.f("uq_accounts_session_id_hash")),
    )
    op.create_index(op.f("ix_accounts_session_account_id"), "accounts_session", ["account_id"])
    op.create_table(
        "accounts_api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts_account.id"],
            name=op.f("fk_accounts_api_token_account_id_accounts_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["accounts_organisation.id"],
            name=op.f("fk_accounts_api_token_organisation_id_accounts_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_accounts_api_token_token_hash")),
    )
    op.create_index(op.f("ix_accounts_api_token_account_id"), "accounts_api_token", ["account_id"])
    op.create_index(op.f("ix_accounts_api_token_organisation_id"), "accounts_api_token", ["organisation_id"])
    op.create_table(
        "accounts_link_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consumed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts_account.id"],
            name=op.f("fk_accounts_link_token_account_id_accounts_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts_link_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_accounts_link_token_token_hash")),
    )
    op.create_index(op.f("ix_accounts_link_token_account_id"), "accounts_link_token", ["account_id"])
    op.create_table(
        "accounts_login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=320), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts_login_failure")),
    )
    op.create_index("ix_accounts_login_failure_kind_key", "accounts_login_failure", ["kind", "key", "failed_at"])


def downgrade() -> None:
    op.drop_table("accounts_login_failure")
    op.drop_table("accounts_link_token")
    op.drop_table("accounts_api_token")
    op.drop_table("accounts_session")
    op.drop_table("accounts_membership")
    op.drop_table("accounts_organisation")
    op.drop_table("accounts_account")
