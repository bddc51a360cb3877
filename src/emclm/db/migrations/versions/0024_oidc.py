"""Single sign-on through OpenID Connect (decision 0029): identities at OpenID providers linked to accounts,
and the started sign-ons (state, nonce, PKCE verifier; single use).

Revision ID: 0024
Revises: 0023
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts_identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts_account.id"],
            name=op.f("fk_accounts_identity_account_id_accounts_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts_identity")),
        sa.UniqueConstraint("issuer", "subject", name=op.f("uq_accounts_identity_issuer_subject")),
    )
    op.create_index(op.f("ix_accounts_identity_account_id"), "accounts_identity", ["account_id"])
    op.create_table(
        "accounts_oidc_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("code_verifier", sa.String(length=128), nullable=False),
        sa.Column("redirect_uri", sa.String(length=500), nullable=False),
        sa.Column("next_path", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consumed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts_oidc_request")),
        sa.UniqueConstraint("state_hash", name=op.f("uq_accounts_oidc_request_state_hash")),
    )


def downgrade() -> None:
    op.drop_table("accounts_oidc_request")
    op.drop_index(op.f("ix_accounts_identity_account_id"), table_name="accounts_identity")
    op.drop_table("accounts_identity")
