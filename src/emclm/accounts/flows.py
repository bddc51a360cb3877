"""The account life cycle as domain functions: sign-up, verification, sign-in (throttled), sign-out,
password reset, personal tokens and an organisation's members. The JSON API (``emclm.api.auth``) and the
pages (``emclm.web.accounts``) both call these, so there is one road (decision 0025).

Each function raises :class:`emclm.accounts.store.AccountError` (or a subclass below) with a message
naming the record and the field; the caller maps them to its answer (HTTP status, page message).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from emclm.accounts import audit, consent, store
from emclm.accounts.mail import send_mail
from emclm.accounts.models import Account, AccountOrganisation, ApiToken, Membership
from emclm.accounts.store import AccountError
from emclm.config import get_settings


class Throttled(AccountError):
    """Too many failed sign-ins for this account or address; ``retry_after`` seconds to wait."""

    def __init__(self, retry_after: int):
        super().__init__("login: too many failed attempts; try again later")
        self.retry_after = retry_after


class WrongCredentials(AccountError):
    """The e-mail or the password is wrong (never says which)."""


class NotVerified(AccountError):
    """The password is right but the address is not confirmed yet."""


class NotFound(AccountError):
    """The record does not exist (or belongs to someone else: the same answer)."""


# --- sign-up, verification -------------------------------------------------------------------------------


def sign_up(session: Session, email: str, password: str, verify_url: Callable[[str], str]) -> None:
    """Create an unverified learner account and mail it a verification link (``verify_url(secret)``).
    An address that already has an account gets nothing and the caller answers the same: sign-up does not
    reveal who is registered. Commits before the mail leaves (the link must point to a stored row)."""
    address = store.normalise_email(email)
    store.check_password_strength(password, f"account {address}")
    if store.get_account(session, address) is not None:
        return
    account = store.create_account(session, address, password)
    store.add_membership(session, account, ["learner"])
    audit.record(session, account, "account.signup", ("account", account.id), after={"roles": ["learner"]})
    consent.give(session, account, "account", account)  # the sign-up form is the account purpose's consent
    secret = store.issue_link(session, account, "verify_email")
    session.commit()
    send_mail(
        address,
        "Confirm your e-mail address",
        "Open this link to confirm your address and activate your emclm account:\n\n"
        f"{verify_url(secret)}\n\n"
        f"The link works once, within {get_settings().verify_link_hours} hours.",
    )


def verify(session: Session, token: str) -> Account:
    account = store.verify_email(session, (token or "")[:200])
    audit.record(session, account, "account.verify", ("account", account.id), after={"verified": True})
    return account


# --- sign-in, sign-out ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedIn:
    account: Account
    cookie: str  # the new session's secret, for the session cookie


def sign_in(session: Session, email: str, password: str, address: str, old_cookie: str | None = None) -> SignedIn:
    """A fresh session for a verified account. Raises :class:`Throttled`, :class:`WrongCredentials` (the
    failure is recorded and committed) or :class:`NotVerified`. A session cookie sent with the sign-in is
    ended, never carried over (session fixation)."""
    wait = store.login_retry_after(session, email, address)
    if wait:
        raise Throttled(wait)
    account = store.sign_in(session, email, password)
    if account is None:
        store.record_login_failure(session, email, address)
        session.commit()
        raise WrongCredentials("login: e-mail or password is wrong")
    if account.verified_at is None:
        raise NotVerified("login: confirm your e-mail address first (see the verification mail)")
    if old_cookie:
        store.end_session(session, old_cookie)
    row, cookie = store.start_session(session, account)
    audit.record(session, account, "auth.login", ("session", row.id))
    return SignedIn(account, cookie)


def sign_out(session: Session, cookie: str | None, actor: audit.Actor = None) -> bool:
    ended = store.end_session(session, cookie) if cookie else False
    if ended:
        audit.record(session, actor, "auth.logout", ("account", getattr(actor, "account_id", None)))
    return ended


def sign_out_everywhere(session: Session, account_id: int, actor: audit.Actor = None) -> int:
    ended = store.end_all_sessions(session, account_id)
    audit.record(
        session,
        actor or own_account(session, account_id),
        "auth.logout_everywhere",
        ("account", account_id),
        after={"ended": ended},
    )
    return ended


# --- password reset --------------------------------------------------------------------------------------------


def request_reset(session: Session, email: str, reset_message: Callable[[str], str]) -> None:
    """Mail a reset secret to the address when it has an enabled account (``reset_message(secret)`` is the
    mail's instructions); the caller's answer is the same either way. Raises AccountError for a malformed
    address."""
    account = store.get_account(session, email)
    if account is None or account.disabled:
        return
    secret = store.issue_link(session, account, "reset_password")
    audit.record(session, "anonymous", "auth.password_reset_request", ("account", account.id))
    session.commit()
    send_mail(
        account.email,
        "Reset your emclm password",
        "Someone asked to reset the password of this address. If it was you, "
        f"{reset_message(secret)}\n\n"
        f"It works once, within {get_settings().reset_link_minutes} minutes. Otherwise ignore this mail.",
    )


def confirm_reset(session: Session, token: str, password: str) -> Account:
    """A new password from a reset secret; every session of the account ends."""
    account = store.reset_password(session, (token or "")[:200], password)
    audit.record(session, account, "auth.password_reset", ("account", account.id), after={"sessions_ended": True})
    return account


# --- the signed-in account ---------------------------------------------------------------------------------------


def own_account(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound(f"account {account_id}: id not found")
    return account


def header_identity(session: Session, account_id: int) -> dict | None:
    """What the portal's header shows: the e-mail and the names of the account's organisations."""
    account = session.get(Account, account_id)
    if account is None:
        return None
    names = [m.organisation.name for m in account.memberships if m.organisation is not None]
    admin_of = [
        {"id": m.organisation_id, "name": m.organisation.name}
        for m in account.memberships
        if m.organisation is not None and "admin" in m.roles
    ]
    return {"email": account.email, "organisations": names, "admin_of": admin_of}


def create_personal_token(
    session: Session,
    account_id: int,
    scopes: Sequence[str],
    name: str = "",
    expires_in_days: int | None = None,
    actor: audit.Actor = None,
) -> tuple[ApiToken, str]:
    """A personal access token of the account: the row and the secret (shown once)."""
    if expires_in_days is not None and not 1 <= expires_in_days <= 3650:
        raise AccountError(f"token of account {account_id}: expires_in_days must be between 1 and 3650")
    account = own_account(session, account_id)
    row, secret = store.create_token(
        session,
        scopes,
        account=account,
        name=name,
        expires_in=timedelta(days=expires_in_days) if expires_in_days else None,
    )
    audit.record(session, actor or account, "token.create", ("token", row.id), after=store.token_dict(row))
    return row, secret


def list_personal_tokens(session: Session, account_id: int) -> list[ApiToken]:
    return store.list_tokens(session, own_account(session, account_id))


def revoke_personal_token(session: Session, account_id: int, token_id: int, actor: audit.Actor = None) -> ApiToken:
    """Revoke one of one's own tokens; another account's token answers :class:`NotFound`, as an unknown one."""
    row = session.get(ApiToken, token_id)
    if row is None or row.account_id != account_id:
        raise NotFound(f"token {token_id} not found")
    before = store.token_dict(row)
    after = store.revoke_token(session, token_id)
    audit.record(
        session,
        actor or own_account(session, account_id),
        "token.revoke",
        ("token", token_id),
        before=before,
        after=store.token_dict(after),
    )
    return after


# --- an organisation's members (for its admins) ---------------------------------------------------------------------


def is_organisation_admin(account: Account, organisation_id: int) -> bool:
    return any(m.organisation_id == organisation_id and "admin" in m.roles for m in account.memberships)


def organisation(session: Session, organisation_id: int) -> AccountOrganisation:
    org = session.get(AccountOrganisation, organisation_id)
    if org is None:
        raise NotFound(f"organisation {organisation_id}: id not found")
    return org


def members(session: Session, organisation_id: int) -> list[Membership]:
    return list(
        session.scalars(
            select(Membership)
            .join(Account, Account.id == Membership.account_id)
            .where(Membership.organisation_id == organisation_id)
            .order_by(Account.email)
        )
    )


def add_member(
    session: Session, organisation_id: int, email: str, roles: Sequence[str], actor: audit.Actor = None
) -> Membership:
    """Grant roles in the organisation to an existing account (found by e-mail)."""
    org = organisation(session, organisation_id)
    account = store.get_account(session, email)
    if account is None:
        raise NotFound(f"account {store.normalise_email(email)}: email has no account; they sign up first")
    row = store.add_membership(session, account, list(roles), org)
    session.flush()
    audit.record(
        session,
        actor,
        "membership.grant",
        ("membership", row.id),
        after={"account_id": account.id, "roles": list(row.roles)},
        organisation_id=organisation_id,
    )
    return row


def remove_member(session: Session, organisation_id: int, membership_id: int, acting_account_id: int) -> Account:
    """End a membership of the organisation; an admin cannot remove their own membership (the organisation
    would lose its last way in)."""
    row = session.get(Membership, membership_id)
    if row is None or row.organisation_id != organisation_id:
        raise NotFound(f"membership {membership_id} not found in organisation {organisation_id}")
    if row.account_id == acting_account_id:
        raise AccountError(f"membership {membership_id}: an admin cannot remove their own membership")
    account = row.account
    audit.record(
        session,
        own_account(session, acting_account_id),
        "membership.remove",
        ("membership", membership_id),
        before={"account_id": row.account_id, "roles": list(row.roles)},
        organisation_id=organisation_id,
    )
    session.delete(row)
    session.flush()
    session.expire(account, ["memberships"])
    return account
