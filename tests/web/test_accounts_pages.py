"""The identity pages through the app: CSRF refusals and acceptances, sign-up → mailed link → verify →
sign-in (a fresh session: no fixation) → tokens shown once → sign-out, password reset by mailed link,
an organisation's members for its admins only, the header, and the localised refusal pages.
Mail is caught by a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from emclm.accounts import store
from emclm.accounts.models import ApiToken, AuthSession
from emclm.api.app import create_app
from emclm.db.session import session_scope
from emclm.web import csrf
from tests.mailbox import smtp_inbox

PASSWORD = "a sufficiently long secret"
SITE = "http://testserver"


@pytest.fixture
def inbox(monkeypatch):
    with smtp_inbox(monkeypatch) as box:
        yield box


def browser(url: str) -> TestClient:
    """A client that behaves like a browser posting this site's forms (it sends the site's Origin)."""
    return TestClient(create_app(url), base_url=SITE, headers={"Origin": SITE}, follow_redirects=False)


def token_of(page_html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([A-Za-z0-9_\-]{43})">', page_html)
    assert found, page_html[:500]
    # the same token is in every form of the page
    assert f'name="csrf_token" value="{found.group(1)}"' in page_html
    return found.group(1)


def make_user(url, email="counsellor@example.org", roles=("counsellor",), org_name="PES Porto", admin=False):
    with session_scope(url) as s:
        account = store.create_account(s, email, PASSWORD, verified=True)
        org = store.get_organisation(s, org_name) or store.create_organisation(s, org_name, "pes_office")
        store.add_membership(s, account, [*roles, *(["admin"] if admin else [])], org)
        return account.id, org.id


def sign_in(client, email="counsellor@example.org", password=PASSWORD):
    token = token_of(client.get("/signin").text)
    return client.post("/signin", data={"email": email, "password": password, "csrf_token": token})


# --------------------------------------------------------------------------- CSRF


def test_a_page_post_without_the_csrf_token_or_with_a_wrong_one_is_refused(db_url):
    make_user(db_url)
    client = browser(db_url)
    good = token_of(client.get("/signin").text)
    form = {"email": "counsellor@example.org", "password": PASSWORD}
    for data, cookies_kept in (
        (form, True),  # no token in the form
        ({**form, "csrf_token": "x" * 43}, True),  # a well-formed but wrong token
        ({**form, "csrf_token": good}, False),  # the right token, but the browser's cookie is gone
    ):
        if not cookies_kept:
            client.cookies.delete(csrf.COOKIE)
        r = client.post("/signin", data=data)
        assert r.status_code == 403, r.text
        assert "This form has expired" in r.text and r.headers["content-type"].startswith("text/html")
        assert "set-cookie" not in r.headers or "emclm_session" not in r.headers["set-cookie"]
    with session_scope(db_url) as s:
        assert s.scalars(select(AuthSession)).first() is None  # nothing was signed in


def test_the_csrf_refusal_page_is_in_the_users_language():
    client = TestClient(create_app("sqlite://"), base_url=SITE)
    r = client.post("/signup", data={"email": "a@example.org", "password": PASSWORD}, headers={"Accept-Language": "fr"})
    assert r.status_code == 403
    assert '<html lang="fr">' in r.text and "Ce formulaire a expiré" in r.text


def test_the_right_token_in_the_form_or_the_htmx_header_is_accepted(db_url):
    make_user(db_url)
    client = browser(db_url)
    r = sign_in(client)
    assert r.status_code == 303 and r.headers["location"] == "/account"
    page = client.get("/account")
    assert page.status_code == 200
    token = token_of(page.text)
    # htmx sends the token as a header (static/js/csrf.js), the form field is absent
    r = client.post("/account/tokens", data={"name": "by htmx", "scopes": ["read"]}, headers={"X-CSRF-Token": token})
    assert r.status_code == 201 and "by htmx" in r.text
    r = client.post(
        "/account/tokens", data={"name": "by header", "scopes": ["read"]}, headers={"X-CSRF-Token": "y" * 43}
    )
    assert r.status_code == 403
    with session_scope(db_url) as s:
        assert [t.name for t in s.scalars(select(ApiToken))] == ["by htmx"]


def test_a_bearer_token_request_needs_no_csrf_token(db_url):
    account_id, _ = make_user(db_url)
    with session_scope(db_url) as s:
        row, secret = store.create_token(s, ["read"], account=s.get(store.Account, account_id), name="old")
        token_id = row.id
    client = TestClient(create_app(db_url), base_url=SITE, follow_redirects=False)  # no cookies, no Origin
    r = client.post(f"/account/tokens/{token_id}/revoke", headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 303, r.text
    with session_scope(db_url) as s:
        assert s.get(ApiToken, token_id).revoked_at is not None
    # a token still cannot mint tokens (policy account:create_token is session-only)
    with session_scope(db_url) as s:
        _, other = store.create_token(s, ["read"], account=s.get(store.Account, account_id))
    r = client.post("/account/tokens", data={"scopes": ["read"]}, headers={"Authorization": f"Bearer {other}"})
    assert r.status_code == 403 and "session" in r.text


# --------------------------------------------------------------------------- the journey, without a browser


def test_sign_up_verify_sign_in_and_out_through_the_pages(db_url, inbox):
    client = browser(db_url)
    token = token_of(client.get("/signup").text)
    r = client.post("/signup", data={"email": "New@Example.org", "password": "short", "csrf_token": token})
    assert r.status_code == 422 and "at least 12 characters" in r.text
    r = client.post("/signup", data={"email": "New@Example.org", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 200 and "Check your mailbox" in r.text
    link = inbox.link_for("new@example.org", "/signup/verify")
    assert link.startswith(SITE + "/signup/verify?token=")
    assert sign_in(client, "new@example.org").status_code == 403  # not verified yet
    r = client.get(link.removeprefix(SITE))
    assert r.status_code == 200 and "new@example.org is confirmed" in r.text
    again = client.get(link.removeprefix(SITE))
    assert again.status_code == 400 and "already used" in again.text
    # the same address again: the same answer, no second mail (sign-up does not reveal who is registered)
    before = len(inbox.messages)
    r = client.post("/signup", data={"email": "new@example.org", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 200 and "Check your mailbox" in r.text and len(inbox.messages) == before
    r = sign_in(client, "new@example.org", "wrong password, long enough")
    assert r.status_code == 401 and "E-mail or password is wrong." in r.text
    r = sign_in(client, "new@example.org")
    assert r.status_code == 303
    home = client.get("/")
    assert "Signed in as new@example.org" in home.text and 'href="/account"' in home.text
    r = client.post("/signout", data={"csrf_token": token_of(home.text)})
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert "Signed in as" not in client.get("/").text
    assert client.get("/account").status_code == 401


def test_sign_in_starts_a_fresh_session_and_renews_the_csrf_token(db_url):
    make_user(db_url)
    client = browser(db_url)
    assert sign_in(client).status_code == 303
    first_session = client.cookies.get("emclm_session")
    first_csrf = client.cookies.get(csrf.COOKIE)
    assert sign_in(client).status_code == 303  # signing in again with a live session cookie
    assert client.cookies.get("emclm_session") != first_session
    assert client.cookies.get(csrf.COOKIE) != first_csrf
    with session_scope(db_url) as s:
        old = s.scalars(select(AuthSession).where(AuthSession.id_hash == store.hash_secret(first_session))).one()
        assert old.ended_at is not None  # the pre-sign-in id is ended, never upgraded
    stale = TestClient(create_app(db_url), base_url=SITE, cookies={"emclm_session": first_session})
    assert stale.get("/account").status_code == 401


def test_the_session_cookie_flags(db_url):
    make_user(db_url)
    client = browser(db_url)
    r = sign_in(client)
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("emclm_session="))
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http here; https: see the next lines
    secure = TestClient(create_app(db_url), base_url="https://testserver", headers={"Origin": "https://testserver"})
    token = token_of(secure.get("/signin").text)
    r = secure.post(
        "/signin",
        data={"email": "counsellor@example.org", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert all("Secure" in c for c in r.headers.get_list("set-cookie"))


def test_sign_in_goes_back_only_to_a_page_of_this_site(db_url):
    make_user(db_url)
    client = browser(db_url)
    page = client.get("/signin", params={"next": "/search?q=python"}).text
    assert 'name="next" value="/search?q=python"' in page

    def go(next_url):  # each sign-in renews the CSRF token: take the current one
        token = token_of(client.get("/signin").text)
        form = {"email": "counsellor@example.org", "password": PASSWORD, "csrf_token": token, "next": next_url}
        return client.post("/signin", data=form).headers["location"]

    assert go("/search?q=python") == "/search?q=python"
    for evil in ("//evil.example", "https://evil.example/", "/\\evil.example"):
        assert go(evil) == "/account", evil


def test_tokens_are_shown_once_and_can_be_revoked(db_url):
    make_user(db_url)
    client = browser(db_url)
    sign_in(client)
    token = token_of(client.get("/account").text)
    r = client.post("/account/tokens", data={"name": "laptop", "scopes": ["read", "workspace"], "csrf_token": token})
    assert r.status_code == 201
    secret = re.search(r'id="new-token-secret">(emclm_[A-Za-z0-9_\-]+)<', r.text).group(1)
    page = client.get("/account").text
    assert secret not in page and secret[:12] in page  # the list shows the prefix only
    api = TestClient(create_app(db_url))
    assert api.get("/api/auth/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    with session_scope(db_url) as s:
        token_id = s.scalars(select(ApiToken.id).where(ApiToken.name == "laptop")).one()
    r = client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": token_of(page)})
    assert r.status_code == 303
    assert api.get("/api/auth/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    r = client.post("/account/tokens", data={"name": "none", "csrf_token": token_of(page)})
    assert r.status_code == 422 and "Choose at least one scope." in r.text


def test_sign_out_everywhere_ends_every_session(db_url):
    make_user(db_url)
    one, two = browser(db_url), browser(db_url)
    sign_in(one)
    sign_in(two)
    r = one.post("/signout-everywhere", data={"csrf_token": token_of(one.get("/account").text)})
    assert r.status_code == 303
    assert two.get("/account").status_code == 401


def test_password_reset_by_the_mailed_link(db_url, inbox):
    make_user(db_url)
    client = browser(db_url)
    token = token_of(client.get("/reset").text)
    r = client.post("/reset", data={"email": "nobody@example.org", "csrf_token": token})
    assert r.status_code == 200 and not inbox.messages  # the same answer, no mail
    r = client.post("/reset", data={"email": "counsellor@example.org", "csrf_token": token})
    assert r.status_code == 200 and "If the address has an account" in r.text
    link = inbox.link_for("counsellor@example.org", "/reset")
    form = client.get(link.removeprefix(SITE))
    assert form.status_code == 200 and 'name="token"' in form.text
    secret = link.split("token=")[1]
    r = client.post("/reset/confirm", data={"token": secret, "password": "new and long enough", "csrf_token": token})
    assert r.status_code == 200 and "Password changed" in r.text
    assert sign_in(client, password=PASSWORD).status_code == 401
    assert sign_in(client, password="new and long enough").status_code == 303
    token = token_of(client.get("/reset").text)  # signing in renewed it
    r = client.post("/reset/confirm", data={"token": secret, "password": "another long one", "csrf_token": token})
    assert r.status_code == 400 and "This link was already used." in r.text


# --------------------------------------------------------------------------- organisation members


def test_organisation_admins_manage_members_and_others_see_nothing(db_url):
    admin_id, org_id = make_user(db_url, "boss@example.org", admin=True)
    make_user(db_url, "colleague@example.org")
    make_user(db_url, "outsider@example.org", org_name="Acme Robotics", admin=True)
    with session_scope(db_url) as s:
        store.create_account(s, "newcomer@example.org", PASSWORD, verified=True)
    boss = browser(db_url)
    sign_in(boss, "boss@example.org")
    page = boss.get(f"/organisations/{org_id}/members")
    assert page.status_code == 200 and "colleague@example.org" in page.text and "Members of PES Porto" in page.text
    token = token_of(page.text)
    r = boss.post(
        f"/organisations/{org_id}/members",
        data={"email": "Newcomer@example.org", "roles": ["counsellor"], "csrf_token": token},
    )
    assert r.status_code == 200 and "newcomer@example.org was added." in r.text
    r = boss.post(
        f"/organisations/{org_id}/members",
        data={"email": "ghost@example.org", "roles": ["counsellor"], "csrf_token": token},
    )
    assert r.status_code == 422 and "no account yet" in r.text
    r = boss.post(
        f"/organisations/{org_id}/members",
        data={"email": "newcomer@example.org", "roles": ["wizard"], "csrf_token": token},
    )
    assert r.status_code == 422 and "wizard" in r.text
    with session_scope(db_url) as s:
        newcomer = store.get_account(s, "newcomer@example.org")
        membership = next(m for m in newcomer.memberships if m.organisation_id == org_id)
        assert membership.roles == ["counsellor"]
        membership_id, own_id = membership.id, next(m.id for m in s.get(store.Account, admin_id).memberships)
    r = boss.post(f"/organisations/{org_id}/members/{own_id}/remove", data={"csrf_token": token})
    assert r.status_code == 422 and "your own membership" in r.text
    r = boss.post(f"/organisations/{org_id}/members/{membership_id}/remove", data={"csrf_token": token})
    assert r.status_code == 200 and "newcomer@example.org was removed." in r.text
    with session_scope(db_url) as s:
        assert [m.organisation_id for m in store.get_account(s, "newcomer@example.org").memberships] == []
    # a member without the admin role is refused; an admin of another organisation is told it does not exist
    colleague = browser(db_url)
    sign_in(colleague, "colleague@example.org")
    assert colleague.get(f"/organisations/{org_id}/members").status_code == 403
    outsider = browser(db_url)
    sign_in(outsider, "outsider@example.org")
    assert outsider.get(f"/organisations/{org_id}/members").status_code == 404
    r = outsider.post(
        f"/organisations/{org_id}/members/{own_id}/remove", data={"csrf_token": token_of(outsider.get("/").text)}
    )
    assert r.status_code == 404


def test_the_header_names_the_account_and_its_organisation(db_url):
    make_user(db_url)
    client = browser(db_url)
    anonymous = client.get("/about", headers={"Accept-Language": "de"}).text
    assert 'href="/signin"' in anonymous and "Anmelden" in anonymous and "Angemeldet als" not in anonymous
    sign_in(client)
    page = client.get("/about", headers={"Accept-Language": "de"}).text
    assert "Angemeldet als counsellor@example.org · PES Porto" in page
    assert 'href="/signin"' not in page
    # pages that need an identity ask for one, in the user's language, and come back afterwards
    r = TestClient(create_app(db_url), base_url=SITE).get("/account", headers={"Accept-Language": "fr"})
    assert r.status_code == 401 and "Connectez-vous pour voir cette page" in r.text
    assert 'href="/signin?next=%2Faccount"' in r.text


def test_the_sign_in_page_is_throttled_like_the_api(sqlite_url, monkeypatch):
    from emclm.config import get_settings
    from emclm.db.migrate import upgrade

    upgrade(sqlite_url)
    make_user(sqlite_url)
    monkeypatch.setattr(get_settings(), "login_max_failures", 2)
    client = browser(sqlite_url)
    for _ in range(2):
        assert sign_in(client, password="wrong but long enough").status_code == 401
    r = sign_in(client)  # even the right password waits now
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert "Too many failed attempts" in r.text
    api = TestClient(create_app(sqlite_url)).post(
        "/api/auth/login", json={"email": "counsellor@example.org", "password": PASSWORD}
    )
    assert api.status_code == 429  # one counter for both roads
