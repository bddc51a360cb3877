"""Audit log (append-only, enforced by triggers on both engines) and consents per purpose (decision 0024).

The triggers refuse every UPDATE and DELETE of ``audit_event`` but one: erasure's pseudonymisation, which
may change only the actor columns and the before/after states, and only while unlocked in its own
transaction (PostgreSQL: ``SET LOCAL emclm.audit_pseudonymise = 'on'``; SQLite: a row in ``audit_unlock``
written and deleted in that transaction).

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

# the columns a pseudonymisation may never change
_FIXED = ("id", "at", "organisation_id", "action", "resource_type", "resource_id", "request_id")

PG_GUARD = f"""
CREATE FUNCTION audit_event_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND coalesce(current_setting('emclm.audit_pseudonymise', true), '') = 'on'
     AND {" AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in _FIXED)} THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$
"""

SQLITE_TRIGGERS = (
    f"""
CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
WHEN NOT EXISTS (SELECT 1 FROM audit_unlock WHERE reason = 'pseudonymise')
  OR {" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _FIXED)}
BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: UPDATE refused'); END
""",
    """
CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: DELETE refused'); END
""",
)


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_account_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=320), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("resource_type", sa.String(length=64), nullable=False),
        sa.Column("resource_id", sa.String(length=255), nullable=True),
        sa.Column("before_state", sa.JSON(), nullable=True),
        sa.Column("after_state", sa.JSON(), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    op.create_index(op.f("ix_audit_event_at"), "audit_event", ["at"])
    op.create_index(op.f("ix_audit_event_actor_account_id"), "audit_event", ["actor_account_id"])
    op.create_index(op.f("ix_audit_event_organisation_id"), "audit_event", ["organisation_id"])
    op.create_index(op.f("ix_audit_event_action"), "audit_event", ["action"])
    op.create_table(
        "audit_unlock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_unlock")),
    )
    op.create_table(
        "accounts_consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("text_version", sa.String(length=32), nullable=False),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts_account.id"],
            name=op.f("fk_accounts_consent_account_id_accounts_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts_consent")),
    )
    op.create_index(op.f("ix_accounts_consent_account_id"), "accounts_consent", ["account_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_GUARD)
        op.execute(
            "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_guard()"
        )
        op.execute(
            "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_guard()"
        )
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
        op.execute("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_guard()")
    op.drop_table("accounts_consent")
    op.drop_table("audit_unlock")
    op.drop_table("audit_event")
