"""A person's data: export everything stored about them, erase it, purge inactive accounts (decision 0024).

Other areas that store something about a person (the curator's address on a course-tag decision) register
a :class:`PersonalDataHolder` with :func:`register`; this package cannot import them (it sits below them),
so they call it. ``emclm.models`` imports every area's models, and with them every holder: the API and the
CLI import it before erasing.

Erasure deletes the account and everything hanging off it (memberships, sessions, tokens, e-mail links,
consents, failed sign-ins under the address), hands the address to each holder, and pseudonymises the audit
log (:func:`emclm.accounts.audit.pseudonymise`): the log keeps what happened, under ``erased-<hmac>``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from emclm.accounts import audit, consent
from emclm.accounts.models import (
    Account,
    ApiToken,
    AuditEvent,
    AuthSession,
    Consent,
    LinkToken,
    LoginFailure,
    Membership,
)
from emclm.accounts.store import AccountError, Principal, _iso, account_dict, token_dict
from emclm.config import get_settings
from emclm.db.base import utcnow


@dataclass(frozen=True)
class PersonalDataHolder:
    """``export(session, account) -> JSON-able``; ``erase(session, account, pseudonym) -> rows changed``."""

    name: str
    export: Callable[[Session, Account], object]
    erase: Callable[[Session, Account, str], int]


_HOLDERS: dict[str, PersonalDataHolder] = {}


def register(holder: PersonalDataHolder) -> None:
    _HOLDERS[holder.name] = holder


def holders() -> list[PersonalDataHolder]:
    return list(_HOLDERS.values())


def _session_dict(row: AuthSession) -> dict:
    return {
        "created_at": _iso(row.created_at),
        "last_seen_at": _iso(row.last_seen_at),
        "idle_expires_at": _iso(row.idle_expires_at),
        "absolute_expires_at": _iso(row.absolute_expires_at),
        "ended_at": _iso(row.ended_at),
    }


def export_account(session: Session, account: Account) -> dict:
    """Everything stored about the person, as JSON-able data (no secret hashes: they are not personal data
    the person could use, and they would help an attacker who got hold of the file)."""
    email = account.email
    sessions = session.scalars(select(AuthSession).where(AuthSession.account_id == account.id).order_by(AuthSession.id))
    links = session.scalars(select(LinkToken).where(LinkToken.account_id == account.id).order_by(LinkToken.id))
    failures = session.scalars(
        select(LoginFailure)
        .where(LoginFailure.kind == "account", LoginFailure.key == email)
        .order_by(LoginFailure.failed_at)
    )
    events = session.scalars(
        select(AuditEvent)
        .where(
            or_(
                AuditEvent.actor_account_id == account.id,
                (AuditEvent.resource_type == "account") & (AuditEvent.resource_id == str(account.id)),
            )
        )
        .order_by(AuditEvent.id)
    )
    tokens = session.scalars(select(ApiToken).where(ApiToken.account_id == account.id).order_by(ApiToken.id))
    return {
        "format": "emclm-personal-data/1",
        "exported_at": _iso(utcnow()),
        "account": account_dict(account),
        "consents": [consent.consent_dict(c) for c in consent.history(session, account)],
        "tokens": [token_dict(t) for t in tokens],
        "sessions": [_session_dict(s) for s in sessions],
        "email_links": [
            {
                "purpose": x.purpose,
                "created_at": _iso(x.created_at),
                "expires_at": _iso(x.expires_at),
                "consumed_at": _iso(x.consumed_at),
            }
            for x in links
        ],
        "failed_sign_ins": [_iso(f.failed_at) for f in failures],
        "audit_events": [audit.event_dict(e) for e in events],
        **{h.name: h.export(session, account) for h in holders()},
    }


def erase_account(session: Session, account: Account, actor: Principal | str | None) -> str:
    """Erase the account and the person's data; the audit log keeps a pseudonymised trace. Returns the
    pseudonym. ``actor`` is whoever asked (the person themself is recorded under the pseudonym)."""
    email, account_id = account.email, account.id
    alias = audit.pseudonym(email)
    for holder in holders():
        holder.erase(session, account, alias)
    audit.pseudonymise(session, account_id, email)
    if isinstance(actor, Principal) and actor.account_id == account_id:
        actor = alias
    audit.record(
        session,
        actor,
        "account.erase",
        ("account", account_id),
        before={"account": alias, "roles": sorted({r for m in account.memberships for r in m.roles})},
        after=None,
    )
    for model in (ApiToken, AuthSession, LinkToken, Consent, Membership):
        session.execute(delete(model).where(model.account_id == account_id))
    session.execute(delete(LoginFailure).where(LoginFailure.kind == "account", LoginFailure.key == email))
    session.expunge(account)  # its memberships are gone already: let no ORM cascade touch them again
    session.execute(delete(Account).where(Account.id == account_id))
    session.flush()
    return alias


def confirm_and_erase(session: Session, account: Account, confirm_email: str, actor: Principal | str | None) -> str:
    """:func:`erase_account` once the person typed their own address (a slip of the mouse erases nothing)."""
    if (confirm_email or "").strip().lower() != account.email:
        raise AccountError(f"account {account.id}: confirm_email does not match the account's e-mail address")
    return erase_account(session, account, actor)


def inactive_accounts(session: Session, days: int | None = None, *, now: datetime | None = None) -> list[Account]:
    """Accounts neither signed in nor used (session or token) for ``days`` (Settings
    ``account_retention_days`` by default); one never used counts from its creation."""
    days = get_settings().account_retention_days if days is None else days
    if days < 1:
        raise AccountError(f"purge: days must be at least 1, got {days}")
    cutoff = (now or utcnow()) - timedelta(days=days)
    return list(
        session.scalars(
            select(Account).where(func.coalesce(Account.last_seen_at, Account.created_at) < cutoff).order_by(Account.id)
        )
    )


def purge_inactive(session: Session, days: int | None = None, *, now: datetime | None = None) -> list[str]:
    """Erase every inactive account (:func:`inactive_accounts`); the pseudonyms of those erased."""
    return [erase_account(session, a, "system:retention") for a in inactive_accounts(session, days, now=now)]
