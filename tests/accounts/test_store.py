"""The accounts store on SQLite and PostgreSQL: accounts, organisations, memberships, tokens, sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from emclm.accounts import store
from emclm.accounts.models import Account, ApiToken, AuthSession
from emclm.db.base import utcnow
from emclm.db.session import get_engine, session_scope

PASSWORD = "correct horse battery staple"


def test_migration_0020_matches_the_models(db_url):
    from emclm.models import metadata

    with get_engine(db_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    accounts_diff = [d for d in diff if "accounts_" in repr(d)]
    assert accounts_diff == []


def test_account_password_is_argon2id_and_verifies(db_url):
    with session_scope(db_url) as s:
        account = store.create_account(s, "  Ana@Example.ORG ", PASSWORD)
    with session_scope(db_url) as s:
        account = store.get_account(s, "ana@example.org")
        assert account.email == "ana@example.org"
        assert account.password_hash.startswith("$argon2id$")
        assert PASSWORD not in account.password_hash
        assert store.verify_password(account, PASSWORD)
        assert not store.verify_password(account, PASSWORD + "!")
        with pytest.raises(store.AccountError, match="ana@example.org: email is already registered"):
            store.create_account(s, "ANA@example.org", PASSWORD)


@pytest.mark.parametrize(
    "email,password,message",
    [("not-an-address", PASSWORD, "email is not an e-mail address"), ("b@example.org", "short", "password")],
)
def test_bad_account_input_names_the_field(db_url, email, password, message):
    with session_scope(db_url) as s, pytest.raises(store.AccountError, match=message):
        store.create_account(s, email, password)


def test_organisation_types_and_memberships(db_url):
    with session_scope(db_url) as s:
        with pytest.raises(store.AccountError, match="type 'ministry' is not one of"):
            store.create_organisation(s, "Ministry", "ministry")
        pes = store.create_organisation(s, "PES Lisboa", "pes_office")
        account = store.create_account(s, "c@example.org", PASSWORD)
        store.add_membership(s, account, ["learner"])
        store.add_membership(s, account, ["counsellor"], pes)
        store.add_membership(s, account, ["admin", "counsellor"], pes)  # merges into the same membership
        with pytest.raises(store.AccountError, match="organisation is required"):
            store.add_membership(s, account, ["curator"])
        with pytest.raises(store.AccountError, match="role 'boss' is not one of"):
            store.add_membership(s, account, ["boss"], pes)
    with session_scope(db_url) as s:
        got = store.account_dict(store.get_account(s, "c@example.org"))
        by_org = {m["organisation"]: m for m in got["memberships"]}
        assert by_org[None]["roles"] == ["learner"]
        assert by_org["PES Lisboa"]["roles"] == ["counsellor", "admin"]
        assert by_org["PES Lisboa"]["organisation_type"] == "pes_office"


def test_token_is_shown_once_stored_hashed_scoped_and_revocable(db_url):
    with session_scope(db_url) as s:
        account = store.create_account(s, "t@example.org", PASSWORD)
        store.add_membership(s, account, ["learner"])
        row, secret = store.create_token(s, ["read", "workspace"], account=account)
        token_id = row.id
        with pytest.raises(store.AccountError, match="scope 'everything' is not one of"):
            store.create_token(s, ["everything"], account=account)
    with session_scope(db_url) as s:
        stored = s.get(ApiToken, token_id)
        assert secret not in (stored.token_hash, stored.prefix) and stored.token_hash == store.hash_secret(secret)
        assert stored.last_used_at is None
        principal = store.principal_from_token(s, secret)
        assert principal.email == "t@example.org" and principal.scopes == {"read", "workspace"}
        assert principal.roles == {"learner"}
        assert store.principal_from_token(s, secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    with session_scope(db_url) as s:
        assert s.get(ApiToken, token_id).last_used_at is not None
        store.revoke_token(s, token_id)
    with session_scope(db_url) as s:
        assert store.principal_from_token(s, secret) is None
        with pytest.raises(store.AccountError, match="token 999999: id not found"):
            store.revoke_token(s, 999999)


def test_expired_token_and_disabled_account_are_refused(db_url):
    with session_scope(db_url) as s:
        account = store.create_account(s, "e@example.org", PASSWORD)
        row, expiring = store.create_token(s, ["read"], account=account, expires_in=timedelta(hours=1))
        _, other = store.create_token(s, ["read"], account=account)
        row.expires_at = utcnow() - timedelta(seconds=1)
    with session_scope(db_url) as s:
        assert store.principal_from_token(s, expiring) is None
        assert store.principal_from_token(s, other) is not None
        s.scalars(select(Account).where(Account.email == "e@example.org")).one().disabled = True
    with session_scope(db_url) as s:
        assert store.principal_from_token(s, other) is None


def test_organisation_api_key(db_url):
    with session_scope(db_url) as s:
        org = store.create_organisation(s, "Acme", "employer")
        _, secret = store.create_token(s, ["vacancies:push"], organisation=org)
    with session_scope(db_url) as s:
        principal = store.principal_from_token(s, secret)
        assert principal.via == "organisation_key" and principal.account_id is None
        assert principal.organisation_id is not None and principal.scopes == {"vacancies:push"}


def test_sessions_expire_when_idle_and_at_the_absolute_limit_and_end_everywhere(db_url):
    from emclm.config import get_settings

    settings = get_settings()
    with session_scope(db_url) as s:
        account = store.create_account(s, "s@example.org", PASSWORD)
        _, first = store.start_session(s, account)
        _, second = store.start_session(s, account)
        account_id = account.id
    assert first != second
    with session_scope(db_url) as s:
        now = utcnow()
        assert store.principal_from_session(s, first, now=now).email == "s@example.org"
        # used just before the idle limit: still live, and the idle limit moves on
        almost_idle = now + timedelta(minutes=settings.session_idle_minutes - 1)
        assert store.principal_from_session(s, first, now=almost_idle) is not None
        idle = almost_idle + timedelta(minutes=settings.session_idle_minutes, seconds=1)
        assert store.principal_from_session(s, first, now=idle) is None
        # kept busy, it still ends at the absolute limit
        t = now
        while t < now + timedelta(hours=settings.session_absolute_hours) - timedelta(minutes=1):
            t += timedelta(minutes=settings.session_idle_minutes // 2 or 1)
            alive = store.principal_from_session(s, second, now=t)
            if t < now + timedelta(hours=settings.session_absolute_hours):
                assert alive is not None, t
        assert (
            store.principal_from_session(s, second, now=now + timedelta(hours=settings.session_absolute_hours)) is None
        )
    with session_scope(db_url) as s:
        _, third = store.start_session(s, store.get_account(s, "s@example.org"))
        _, fourth = store.start_session(s, store.get_account(s, "s@example.org"))
    with session_scope(db_url) as s:
        assert store.end_session(s, third)
        assert store.principal_from_session(s, third) is None
        assert store.end_all_sessions(s, account_id) == 3  # first, second, fourth were not ended yet
    with session_scope(db_url) as s:
        assert store.principal_from_session(s, fourth) is None
        live = s.scalars(select(AuthSession).where(AuthSession.ended_at.is_(None))).all()
        assert live == []
