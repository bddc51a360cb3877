"""Tables of the accounts store (migration 0020, decision 0020).

Secrets are never stored: passwords as argon2id hashes, session ids and API tokens as the SHA-256 of a
random 32-byte secret (high-entropy secrets need no slow hash; a lookup by hash stays one index probe).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from emclm.db.base import Base, utcnow

ROLES = ("learner", "counsellor", "employer", "provider", "curator", "admin")
ORGANISATION_TYPES = ("pes_office", "employer", "sector_body", "course_provider", "university", "alliance")
SCOPES = ("read", "courses:curate", "courses:push", "vacancies:push", "credentials:issue", "workspace")


class Account(Base):
    __tablename__ = "accounts_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-cased
    password_hash: Mapped[str | None] = mapped_column(String(255))  # None: no password sign-in
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="account", cascade="all, delete-orphan", lazy="selectin"
    )


class AccountOrganisation(Base):
    """An organisation of the alliance (named apart from the catalogue's course-publishing organisation, which it may link to)."""

    __tablename__ = "accounts_organisation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(20))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("catalogue_provider.id", ondelete="SET NULL"))
    catalogue_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalogue_organisation.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Membership(Base):
    """A person's roles in one organisation; ``organisation_id`` is None for the ``learner`` role only."""

    __tablename__ = "accounts_membership"
    __table_args__ = (UniqueConstraint("account_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts_account.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts_organisation.id", ondelete="CASCADE"), index=True
    )
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    account: Mapped[Account] = relationship(back_populates="memberships")
    organisation: Mapped[AccountOrganisation | None] = relationship(lazy="joined")


class AuthSession(Base):
    """A signed-in browser. The cookie holds the secret; the row holds its SHA-256."""

    __tablename__ = "accounts_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    idle_expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    absolute_expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ApiToken(Base):
    """A personal access token (``account_id`` set) or an organisation API key (``organisation_id`` set)."""

    __tablename__ = "accounts_api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # the first characters, to recognise a token in lists
    name: Mapped[str] = mapped_column(String(120), default="")
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts_account.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts_organisation.id", ondelete="CASCADE"), index=True
    )
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LinkToken(Base):
    """A signed e-mail link (verify the address, reset the password): single use, time-limited; the link
    carries a random secret, the row its SHA-256."""

    __tablename__ = "accounts_link_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts_account.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # verify_email | reset_password
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    consumed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginFailure(Base):
    """One failed sign-in, counted per account (e-mail) and per client address to throttle guessing."""

    __tablename__ = "accounts_login_failure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # account | address
    key: Mapped[str] = mapped_column(String(320))
    failed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ix_accounts_login_failure_kind_key", "kind", "key", "failed_at"),)


# --- audit log and personal data (migration 0021, decision 0024) ----------------------------------------------

CONSENT_PURPOSES = ("account", "alerts", "profile_sharing")


class AuditEvent(Base):
    """One state change: who (account id and a label that erasure pseudonymises), in which organisation,
    what, on which resource, when, and the before → after state. Append-only: database triggers on both
    engines refuse UPDATE and DELETE, except erasure's pseudonymisation of the actor columns and states."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    # no foreign key: the row outlives the account (and a cascade would be an UPDATE the triggers refuse)
    actor_account_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_label: Mapped[str] = mapped_column(String(320))
    organisation_id: Mapped[int | None] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    resource_type: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str | None] = mapped_column(String(255))
    before_state: Mapped[dict | None] = mapped_column(JSON)
    after_state: Mapped[dict | None] = mapped_column(JSON)
    request_id: Mapped[str | None] = mapped_column(String(64))


class AuditUnlock(Base):
    """SQLite only needs it: a row here (written and deleted inside erasure's transaction) lets the trigger
    allow the pseudonymisation update. PostgreSQL uses ``SET LOCAL emclm.audit_pseudonymise = 'on'``."""

    __tablename__ = "audit_unlock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reason: Mapped[str] = mapped_column(String(64))


class Consent(Base):
    """A person's consent to one purpose, with the version of the text they agreed to; withdrawn, not deleted."""

    __tablename__ = "accounts_consent"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts_account.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(32))
    text_version: Mapped[str] = mapped_column(String(32))
    given_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Identity(Base):
    """An account's identity at an OpenID provider (decision 0029): the pair (issuer, subject) signs in as
    the account. ``email`` is the provider's verified address when the link was made."""

    __tablename__ = "accounts_identity"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts_account.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(40))  # the configured name, for display
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OidcRequest(Base):
    """One started single sign-on (decision 0029): the browser holds the ``state`` secret in a cookie, the row
    its SHA-256 with the nonce and the PKCE verifier; single use, a few minutes long."""

    __tablename__ = "accounts_oidc_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    provider: Mapped[str] = mapped_column(String(40))
    nonce: Mapped[str] = mapped_column(String(64))
    code_verifier: Mapped[str] = mapped_column(String(128))
    redirect_uri: Mapped[str] = mapped_column(String(500))
    next_path: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    consumed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
