"""Demo accounts: one per role, random passwords shown once, none fixed or known in advance."""

from __future__ import annotations

from emclm.accounts import store
from emclm.accounts.demo import create_demo_accounts
from emclm.accounts.models import ROLES
from emclm.catalogue.models import Provider
from emclm.db.session import session_scope


def test_demo_accounts_have_random_passwords_and_are_created_once(db_url):
    with session_scope(db_url) as s:
        s.add(Provider(code="demo", name="Demo platform"))
    with session_scope(db_url) as s:
        first = create_demo_accounts(s)
    assert sorted(a["role"] for a in first) == sorted(ROLES)
    assert len({a["password"] for a in first}) == len(ROLES)
    with session_scope(db_url) as s:
        for a in first:
            account = store.get_account(s, a["email"])
            assert store.verify_password(account, a["password"]) and account.verified_at is not None
            assert [r for m in account.memberships for r in m.roles] == [a["role"]]
        assert store.get_organisation(s, "Demo course provider").provider_id is not None
        assert create_demo_accounts(s) == []  # a second run creates nothing and shows no password
