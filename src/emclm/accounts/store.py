"""Every read and write of the accounts tables.

Errors are :class:`AccountError` with a message naming the record and the field. Secrets (passwords,
session ids, tokens) are returned once by the function that creates them and never stored in clear.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from emclm.accounts.models import (
    ORGANISATION_TYPES,
    ROLES,
    SCOPES,
    Account,
    AccountOrganisation,
    ApiToken,
    AuthSession,
    LinkToken,
    LoginFailure,
    Membership,
)
from emclm.config import get_settings
from emclm.db.base import utcnow

TOKEN_PREFIX = "emclm_"
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")
# argon2-cffi's defaults are RFC 9106's second recommended option (argon2id, t=3, m=64 MiB, p=4).
_hasher = PasswordHasher()


class AccountError(ValueError):
    """Bad input to the accounts store; the message names the record and the field."""


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _aware(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; every stored datetime is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


# --- passwords -------------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_strength(password: str, record: str = "account") -> None:
    minimum = get_settings().password_min_length
    if len(password) < minimum:
        raise AccountError(f"{record}: password is shorter than {minimum} characters")
    if len(password) > 1024:
        raise AccountError(f"{record}: password is longer than 1024 characters")


def verify_password(account: Account, password: str) -> bool:
    if not account.password_hash:
        return False
    try:
        _hasher.verify(account.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    return True


# --- accounts, organisations, memberships -------------------------------------------------------------


def normalise_email(email: str) -> str:
    value = (email or "").strip().lower()
    if not EMAIL_RE.match(value):
        raise AccountError(f"account {email!r}: email is not an e-mail address")
    return value


def check_roles(roles: Iterable[str], record: str) -> list[str]:
    out = []
    for role in roles:
        if role not in ROLES:
            raise AccountError(f"{record}: role {role!r} is not one of {', '.join(ROLES)}")
        if role not in out:
            out.append(role)
    if not out:
        raise AccountError(f"{record}: roles is empty")
    return out


def check_scopes(scopes: Iterable[str], record: str) -> list[str]:
    out = []
    for scope in scopes:
        if scope not in SCOPES:
            raise AccountError(f"{record}: scope {scope!r} is not one of {', '.join(SCOPES)}")
        if scope not in out:
            out.append(scope)
    if not out:
        raise AccountError(f"{record}: scopes is empty")
    return out


def get_account(session: Session, email: str) -> Account | None:
    return session.scalars(select(Account).where(Account.email == normalise_email(email))).first()


def create_account(session: Session, email: str, password: str | None = None, *, verified: bool = False) -> Account:
    address = normalise_email(email)
    if get_account(session, address) is not None:
        raise AccountError(f"account {address}: email is already registered")
    if password is not None:
        check_password_strength(password, f"account {address}")
    account = Account(
        email=address,
        password_hash=hash_password(password) if password is not None else None,
        verified_at=utcnow() if verified else None,
        created_at=utcnow(),
        disabled=False,
    )
    session.add(account)
    session.flush()
    return account


def get_organisation(session: Session, name: str) -> AccountOrganisation | None:
    return session.scalars(select(AccountOrganisation).where(AccountOrganisation.name == name.strip())).first()


def create_organisation(
    session: Session,
    name: str,
    type: str,
    *,
    provider_id: int | None = None,
    catalogue_organisation_id: int | None = None,
) -> AccountOrganisation:
    clean = (name or "").strip()
    if not clean or len(clean) > 255:
        raise AccountError(f"organisation {name!r}: name must have 1 to 255 characters")
    if type not in ORGANISATION_TYPES:
        raise AccountError(f"organisation {clean}: type {type!r} is not one of {', '.join(ORGANISATION_TYPES)}")
    if provider_id is not None and type != "course_provider":
        raise AccountError(f"organisation {clean}: provider_id is only for type course_provider")
    if get_organisation(session, clean) is not None:
        raise AccountError(f"organisation {clean}: name is already taken")
    org = AccountOrganisation(
        name=clean,
        type=type,
        provider_id=provider_id,
        catalogue_organisation_id=catalogue_organisation_id,
        created_at=utcnow(),
    )
    session.add(org)
    session.flush()
    return org


def add_membership(
    session: Session, account: Account, roles: Sequence[str], organisation: AccountOrganisation | None = None
) -> Membership:
    """Grant roles; an existing membership in the same organisation gains the new roles."""
    record = f"membership of {account.email} in {organisation.name if organisation else '(no organisation)'}"
    clean = check_roles(roles, record)
    if organisation is None and clean != ["learner"]:
        raise AccountError(f"{record}: organisation is required for roles other than learner")
    for existing in account.memberships:
        if existing.organisation_id == (organisation.id if organisation else None):
            existing.roles = list(dict.fromkeys([*existing.roles, *clean]))
            session.flush()
            return existing
    membership = Membership(account=account, organisation=organisation, roles=clean, created_at=utcnow())
    session.add(membership)
    session.flush()
    return membership


def list_accounts(session: Session) -> list[Account]:
    return list(session.scalars(select(Account).order_by(Account.email)))


def list_organisations(session: Session) -> list[AccountOrganisation]:
    return list(session.scalars(select(AccountOrganisation).order_by(AccountOrganisation.name)))


def account_dict(account: Account) -> dict:
    return {
        "id": account.id,
        "email": account.email,
        "verified_at": _iso(account.verified_at),
        "created_at": _iso(account.created_at),
        "last_seen_at": _iso(account.last_seen_at),
        "disabled": account.disabled,
        "memberships": [
            {
                "organisation": m.organisation.name if m.organisation else None,
                "organisation_type": m.organisation.type if m.organisation else None,
                "roles": list(m.roles),
            }
            for m in account.memberships
        ],
    }


def organisation_dict(org: AccountOrganisation) -> dict:
    return {
        "id": org.id,
        "name": org.name,
        "type": org.type,
        "provider_id": org.provider_id,
        "catalogue_organisation_id": org.catalogue_organisation_id,
        "created_at": _iso(org.created_at),
    }


def _iso(value: datetime | None) -> str | None:
    value = _aware(value)
    return value.isoformat() if value else None


# --- principals ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Principal:
    """Who is calling: an account (by session or personal token) or an organisation (by API key)."""

    account_id: int | None
    email: str | None
    # (organisation id or None, organisation type or None, provider id or None, roles)
    memberships: tuple[tuple[int | None, str | None, int | None, frozenset[str]], ...]
    scopes: frozenset[str] | None  # None: a browser session, not limited by token scopes
    via: str  # "session" | "token" | "organisation_key"
    organisation_id: int | None = None
    roles: frozenset[str] = field(default=frozenset())

    @property
    def name(self) -> str:
        return self.email or f"organisation:{self.organisation_id}"


def _principal_for(account: Account, scopes: frozenset[str] | None, via: str) -> Principal:
    memberships = tuple(
        (
            m.organisation_id,
            m.organisation.type if m.organisation else None,
            m.organisation.provider_id if m.organisation else None,
            frozenset(m.roles),
        )
        for m in account.memberships
    )
    roles = frozenset(r for *_, rs in memberships for r in rs)
    return Principal(account.id, account.email, memberships, scopes, via, roles=roles)


# --- API tokens ----------------------------------------------------------------------------------------


def create_token(
    session: Session,
    scopes: Sequence[str],
    *,
    account: Account | None = None,
    organisation: AccountOrganisation | None = None,
    name: str = "",
    expires_in: timedelta | None = None,
) -> tuple[ApiToken, str]:
    """A personal access token (``account``) or organisation API key (``organisation``): the row and the
    secret, which is shown once."""
    if (account is None) == (organisation is None):
        raise AccountError("token: exactly one of account and organisation is required")
    owner = account.email if account else f"organisation {organisation.name}"
    clean = check_scopes(scopes, f"token of {owner}")
    if expires_in is not None and expires_in <= timedelta(0):
        raise AccountError(f"token of {owner}: expires_in must be positive")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    row = ApiToken(
        token_hash=hash_secret(secret),
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        name=name[:120],
        account_id=account.id if account else None,
        organisation_id=organisation.id if organisation else None,
        scopes=clean,
        created_at=now,
        expires_at=now + expires_in if expires_in else None,
    )
    session.add(row)
    session.flush()
    return row, secret


def revoke_token(session: Session, token_id: int) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise AccountError(f"token {token_id}: id not found")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
    return row


def list_tokens(session: Session, account: Account) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.account_id == account.id).order_by(ApiToken.id)))


def token_dict(row: ApiToken) -> dict:
    return {
        "id": row.id,
        "prefix": row.prefix,
        "name": row.name,
        "scopes": list(row.scopes),
        "created_at": _iso(row.created_at),
        "expires_at": _iso(row.expires_at),
        "revoked_at": _iso(row.revoked_at),
        "last_used_at": _iso(row.last_used_at),
    }


def principal_from_token(session: Session, secret: str) -> Principal | None:
    """The caller behind a bearer token, or None (unknown, revoked, expired, or its account disabled).
    Records ``last_used_at``."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == hash_secret(secret))).first()
    now = utcnow()
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and _aware(row.expires_at) <= now:
        return None
    row.last_used_at = now
    scopes = frozenset(row.scopes)
    if row.account_id is not None:
        account = session.get(Account, row.account_id)
        if account is None or account.disabled:
            return None
        account.last_seen_at = now
        session.flush()
        return _principal_for(account, scopes, "token")
    org = session.get(AccountOrganisation, row.organisation_id)
    session.flush()
    return Principal(
        None, None, ((org.id, org.type, org.provider_id, frozenset()),), scopes, "organisation_key", org.id
    )


# --- server-side sessions ----------------------------------------------------------------------------------


def start_session(session: Session, account: Account) -> tuple[AuthSession, str]:
    """A new session (a fresh id, never a reused one): the row and the cookie value."""
    settings = get_settings()
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    row = AuthSession(
        id_hash=hash_secret(secret),
        account_id=account.id,
        created_at=now,
        last_seen_at=now,
        idle_expires_at=now + timedelta(minutes=settings.session_idle_minutes),
        absolute_expires_at=now + timedelta(hours=settings.session_absolute_hours),
    )
    account.last_seen_at = now
    session.add(row)
    session.flush()
    return row, secret


def principal_from_session(session: Session, cookie: str, *, now: datetime | None = None) -> Principal | None:
    """The account behind a session cookie, or None (unknown, ended, idle or past its absolute limit).
    A live session's idle limit moves forward."""
    if not cookie or len(cookie) > 200:
        return None
    row = session.scalars(select(AuthSession).where(AuthSession.id_hash == hash_secret(cookie))).first()
    now = now or utcnow()
    if row is None or row.ended_at is not None:
        return None
    if _aware(row.idle_expires_at) <= now or _aware(row.absolute_expires_at) <= now:
        return None
    account = session.get(Account, row.account_id)
    if account is None or account.disabled:
        return None
    row.last_seen_at = now
    row.idle_expires_at = min(
        now + timedelta(minutes=get_settings().session_idle_minutes), _aware(row.absolute_expires_at)
    )
    account.last_seen_at = now
    session.flush()
    return _principal_for(account, None, "session")


def end_session(session: Session, cookie: str) -> bool:
    row = session.scalars(select(AuthSession).where(AuthSession.id_hash == hash_secret(cookie))).first()
    if row is None or row.ended_at is not None:
        return False
    row.ended_at = utcnow()
    session.flush()
    return True


def end_all_sessions(session: Session, account_id: int) -> int:
    """Sign out everywhere: end every live session of the account; the number ended."""
    result = session.execute(
        update(AuthSession)
        .where(AuthSession.account_id == account_id, AuthSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )
    return result.rowcount or 0


# --- single-use e-mail links ---------------------------------------------------------------------------------

LINK_PURPOSES = ("verify_email", "reset_password")


def issue_link(session: Session, account: Account, purpose: str) -> str:
    """A random secret for a verification or reset link; the row stores its hash, purpose and expiry."""
    if purpose not in LINK_PURPOSES:
        raise AccountError(f"link for {account.email}: purpose {purpose!r} is not one of {', '.join(LINK_PURPOSES)}")
    settings = get_settings()
    ttl = (
        timedelta(hours=settings.verify_link_hours)
        if purpose == "verify_email"
        else timedelta(minutes=settings.reset_link_minutes)
    )
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        LinkToken(
            token_hash=hash_secret(secret), account_id=account.id, purpose=purpose, created_at=now, expires_at=now + ttl
        )
    )
    session.flush()
    return secret


def consume_link(session: Session, secret: str, purpose: str, *, now: datetime | None = None) -> Account:
    """The account a link was issued for; the link is used up. Raises AccountError when the link is
    unknown, for another purpose, already used or expired."""
    now = now or utcnow()
    row = session.scalars(
        select(LinkToken).where(LinkToken.token_hash == hash_secret(secret or "")).with_for_update()
    ).first()
    if row is None or row.purpose != purpose:
        raise AccountError("link: token is not valid")
    if row.consumed_at is not None:
        raise AccountError("link: token was already used")
    if _aware(row.expires_at) <= now:
        raise AccountError("link: token has expired")
    row.consumed_at = now
    account = session.get(Account, row.account_id)
    session.flush()
    return account


def verify_email(session: Session, secret: str) -> Account:
    account = consume_link(session, secret, "verify_email")
    if account.verified_at is None:
        account.verified_at = utcnow()
    session.flush()
    return account


def reset_password(session: Session, secret: str, password: str) -> Account:
    """Set a new password from a reset link and end every session of the account."""
    check_password_strength(password, "password reset")
    account = consume_link(session, secret, "reset_password")
    account.password_hash = hash_password(password)
    if account.verified_at is None:  # the link proved control of the address
        account.verified_at = utcnow()
    end_all_sessions(session, account.id)
    session.flush()
    return account


# --- throttling failed sign-ins ------------------------------------------------------------------------------


def login_retry_after(session: Session, email: str, address: str, *, now: datetime | None = None) -> int:
    """Seconds to wait before another sign-in attempt for this account or from this address (0: go on)."""
    settings = get_settings()
    now = now or utcnow()
    since = now - timedelta(seconds=settings.login_window_seconds)
    wait = 0
    for kind, key, limit in (
        ("account", email.strip().lower(), settings.login_max_failures),
        ("address", address, settings.login_max_failures_per_address),
    ):
        times = list(
            session.scalars(
                select(LoginFailure.failed_at)
                .where(LoginFailure.kind == kind, LoginFailure.key == key, LoginFailure.failed_at > since)
                .order_by(LoginFailure.failed_at.desc())
                .limit(limit)
            )
        )
        if len(times) >= limit:
            oldest = _aware(times[-1])
            wait = max(wait, int((oldest + timedelta(seconds=settings.login_window_seconds) - now).total_seconds()) + 1)
    return wait


def record_login_failure(session: Session, email: str, address: str) -> None:
    now = utcnow()
    session.add_all(
        [
            LoginFailure(kind="account", key=email.strip().lower()[:320], failed_at=now),
            LoginFailure(kind="address", key=address[:320], failed_at=now),
        ]
    )
    session.flush()


def sign_in(session: Session, email: str, password: str) -> Account | None:
    """The account when the password is right and the account enabled (the caller checks verification)."""
    try:
        account = get_account(session, email)
    except AccountError:
        return None
    if account is None:
        _hasher.hash(password)  # same work as a real check: the timing does not tell which addresses exist
        return None
    if account.disabled or not verify_password(account, password):
        return None
    return account
