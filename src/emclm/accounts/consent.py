"""Consent per purpose (decision 0024): given with the version of the text the person read, withdrawn with a
time, never deleted while the account exists (it is the proof). Each change is also an audit event.

Purposes: ``account`` (keeping the account itself; given at sign-up), ``alerts`` (e-mail alerts about
courses and vacancies), ``profile_sharing`` (showing one's profile to a guidance counsellor).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from emclm.accounts import audit
from emclm.accounts.models import CONSENT_PURPOSES, Account, Consent
from emclm.accounts.store import AccountError, Principal, _iso
from emclm.db.base import utcnow

# The version of each purpose's text (the privacy page); bump it when the text changes.
TEXT_VERSIONS: dict[str, str] = {"account": "2026-12", "alerts": "2026-12", "profile_sharing": "2026-12"}


def _check_purpose(purpose: str, record: str) -> str:
    if purpose not in CONSENT_PURPOSES:
        raise AccountError(f"{record}: purpose {purpose!r} is not one of {', '.join(CONSENT_PURPOSES)}")
    return purpose


def current(session: Session, account: Account, purpose: str) -> Consent | None:
    """The consent in force for ``purpose`` (given, not withdrawn), or None."""
    return session.scalars(
        select(Consent)
        .where(Consent.account_id == account.id, Consent.purpose == purpose, Consent.withdrawn_at.is_(None))
        .order_by(Consent.given_at.desc(), Consent.id.desc())
    ).first()


def give(
    session: Session, account: Account, purpose: str, actor: Principal | str | None, *, text_version: str | None = None
) -> Consent:
    """Record consent to ``purpose`` (the current text version unless given); giving it again while it is in
    force keeps the existing record unless the text version changed."""
    _check_purpose(purpose, f"consent of account {account.id}")
    version = text_version or TEXT_VERSIONS[purpose]
    if len(version) > 32:
        raise AccountError(f"consent of account {account.id}: text_version is longer than 32 characters")
    existing = current(session, account, purpose)
    if existing is not None and existing.text_version == version:
        return existing
    now = utcnow()
    if existing is not None:  # a new text replaces the old agreement
        existing.withdrawn_at = now
    row = Consent(account_id=account.id, purpose=purpose, text_version=version, given_at=now)
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "consent.give",
        ("account", account.id),
        before=None,
        after={"purpose": purpose, "text_version": version},
    )
    return row


def withdraw(session: Session, account: Account, purpose: str, actor: Principal | str | None) -> Consent | None:
    """Withdraw consent to ``purpose``; None when none was in force."""
    _check_purpose(purpose, f"consent of account {account.id}")
    row = current(session, account, purpose)
    if row is None:
        return None
    row.withdrawn_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor,
        "consent.withdraw",
        ("account", account.id),
        before={"purpose": purpose, "text_version": row.text_version},
        after=None,
    )
    return row


def history(session: Session, account: Account) -> list[Consent]:
    return list(session.scalars(select(Consent).where(Consent.account_id == account.id).order_by(Consent.id)))


def consent_dict(row: Consent) -> dict:
    return {
        "purpose": row.purpose,
        "text_version": row.text_version,
        "given_at": _iso(row.given_at),
        "withdrawn_at": _iso(row.withdrawn_at),
        "in_force": row.withdrawn_at is None,
    }


def summary(session: Session, account: Account) -> list[dict]:
    """One entry per purpose: in force or not, and the record in force (or the latest)."""
    rows = history(session, account)
    out = []
    for purpose in CONSENT_PURPOSES:
        mine = [r for r in rows if r.purpose == purpose]
        live = next((r for r in reversed(mine) if r.withdrawn_at is None), None)
        latest = live or (mine[-1] if mine else None)
        out.append(
            {
                "purpose": purpose,
                "in_force": live is not None,
                "text_version": latest.text_version if latest else None,
                "current_text_version": TEXT_VERSIONS[purpose],
                "given_at": _iso(latest.given_at) if latest else None,
                "withdrawn_at": _iso(latest.withdrawn_at) if latest else None,
            }
        )
    return out
