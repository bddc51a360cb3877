"""Single sign-on through OpenID Connect (issue 16, decision 0029) against a real OpenID provider.

Each test starts panva's certified ``oidc-provider`` (npm, run by node: tests/fixtures/oidc/provider.mjs,
PKCE S256 required, devInteractions login and consent forms) and the portal under uvicorn, both on free
local ports, and drives the whole authorisation-code + PKCE flow with httpx as a browser would: the sign-in
page's button, the provider's login and consent forms, the redirect back to the portal. Nothing is mocked.
Without node or the npm package the tests skip on a developer machine and FAIL under CI=true.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import httpx
import pytest
from sqlalchemy import func, select, update

from emclm.accounts import store
from emclm.accounts.models import Account, Identity, OidcRequest
from emclm.config import get_settings
from emclm.db.session import session_scope

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tests" / "fixtures" / "oidc" / "provider.mjs"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CLIENT_ID, CLIENT_SECRET = "emclm-portal", "test-only-client-secret"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _node() -> str:
    node = shutil.which("node")
    problem = None
    if node is None:
        problem = "node is not installed"
    elif not (REPO / "node_modules" / "oidc-provider" / "package.json").exists():
        problem = "the npm package oidc-provider is not installed (npm ci)"
    if problem:
        if IN_CI:
            pytest.fail(f"OpenID Connect tests need a real provider in CI: {problem}")
        pytest.skip(f"{problem}; required when CI=true")
    return node


class Site:
    def __init__(self, portal: str, issuer: str, db_url: str):
        self.portal, self.issuer, self.db_url = portal, issuer, db_url
        self.callback = f"{portal}/signin/oidc/test/callback"

    def browser(self) -> httpx.Client:
        return httpx.Client(follow_redirects=False, timeout=20)

    def start(self, browser: httpx.Client, next_path: str = "/account") -> httpx.Response:
        page = browser.get(f"{self.portal}/signin")
        assert page.status_code == 200
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        return browser.post(f"{self.portal}/signin/oidc/test", data={"csrf_token": token, "next": next_path})

    def to_callback(self, browser: httpx.Client, login: str, next_path: str = "/account") -> str:
        """Sign on at the provider (its login and consent forms when it asks) and return the address the
        provider sends the browser back to, not yet opened."""
        response = self.start(browser, next_path)
        for _ in range(20):
            if response.is_redirect:
                target = urljoin(str(response.url), response.headers["location"])
                if target.startswith(self.callback):
                    return target
                response = browser.get(target)
                continue
            assert response.status_code == 200, (response.status_code, response.text[:500])
            action = urljoin(str(response.url), re.search(r'action="([^"]+)"', response.text).group(1))
            if 'name="login"' in response.text:
                response = browser.post(action, data={"prompt": "login", "login": login, "password": "any"})
            elif 'value="consent"' in response.text:
                response = browser.post(action, data={"prompt": "consent"})
            else:
                raise AssertionError(f"unexpected provider page {response.url}: {response.text[:300]}")
        raise AssertionError("the provider never sent the browser back")

    def sign_on(self, browser: httpx.Client, login: str) -> httpx.Response:
        return browser.get(self.to_callback(browser, login))

    def me(self, browser: httpx.Client) -> httpx.Response:
        return browser.get(f"{self.portal}/api/auth/me")


@dataclass(frozen=True)
class RunningProvider:
    issuer: str
    portal_port: int  # the one redirect URI registered for the client is on this port


@pytest.fixture(scope="module")
def running_provider():
    """One provider for the module (starting node costs seconds); each test gets a fresh portal and database
    on the port of the client's registered redirect URI, and fresh browsers (the provider's sessions live in
    the browsers' cookies)."""
    node = _node()
    portal_port, provider_port = _free_port(), _free_port()
    client = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uris": [f"http://127.0.0.1:{portal_port}/signin/oidc/test/callback"],
    }
    process = subprocess.Popen(
        [node, str(SCRIPT)],
        cwd=REPO,
        env={**os.environ, "OIDC_PORT": str(provider_port), "OIDC_CLIENT": json.dumps(client)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = process.stdout.readline()
        if not line.startswith("ready "):
            pytest.fail(f"the OpenID provider did not start (exit {process.poll()}): {line!r}")
        yield RunningProvider(line.split()[1], portal_port)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def site(db_url, running_provider, monkeypatch):
    import uvicorn

    from emclm.api.app import create_app

    issuer, port = running_provider.issuer, running_provider.portal_port
    providers = {
        "test": {"issuer": issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "label": "Test IdP"}
    }
    monkeypatch.setenv("EMCLM_OIDC_PROVIDERS", json.dumps(providers))
    get_settings.cache_clear()
    server = uvicorn.Server(uvicorn.Config(create_app(db_url), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the portal did not start")
        time.sleep(0.05)
    try:
        yield Site(f"http://127.0.0.1:{port}", issuer, db_url)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        get_settings.cache_clear()


def _counts(db_url: str) -> tuple[int, int]:
    with session_scope(db_url) as s:
        return s.scalar(select(func.count()).select_from(Account)), s.scalar(select(func.count()).select_from(Identity))


def _with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | changes
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_full_code_flow_with_pkce_creates_signs_in_and_links_the_same_account_again(site):
    browser = site.browser()
    page = browser.get(f"{site.portal}/signin")
    assert 'action="/signin/oidc/test"' in page.text and "Sign in with Test IdP" in page.text

    started = site.start(browser, "/account")
    assert started.status_code == 303
    authorise = urlsplit(started.headers["location"])
    query = parse_qs(authorise.query)
    assert f"{authorise.scheme}://{authorise.netloc}" == site.issuer
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["state"][0] == browser.cookies.get("emclm_oidc_state")
    assert query["nonce"][0] and query["redirect_uri"] == [site.callback]

    done = browser.get(site.to_callback(browser, "ana"))
    assert done.status_code == 303 and done.headers["location"] == "/account"
    assert "emclm_session=" in done.headers.get("set-cookie", "")
    me = site.me(browser)
    assert me.status_code == 200, me.text
    assert me.json()["email"] == "ana@example.org" and me.json()["via"] == "session"
    first_id = me.json()["id"]
    assert browser.get(f"{site.portal}/account").status_code == 200
    with session_scope(site.db_url) as s:
        identity = s.scalars(select(Identity)).one()
        assert (identity.issuer, identity.subject, identity.account_id) == (site.issuer, "ana", first_id)
        account = s.get(Account, first_id)
        assert account.verified_at is not None and account.password_hash is None

    # a second sign-on, from another browser (a new session at the provider as well): the same account
    other = site.browser()
    again = site.sign_on(other, "ana")
    assert again.status_code == 303
    assert site.me(other).json()["id"] == first_id
    assert _counts(site.db_url) == (1, 1)
    # the first browser's session is untouched by the second
    assert site.me(browser).json()["id"] == first_id


def test_the_provider_really_requires_pkce(site):
    """The fixture is a real provider with PKCE required: an authorisation request without a challenge is
    refused by it (so the flow above passed because the portal sent a right one)."""
    query = {"client_id": CLIENT_ID, "response_type": "code", "scope": "openid", "redirect_uri": site.callback}
    r = httpx.get(f"{site.issuer}/auth?{urlencode(query)}", follow_redirects=False)
    assert r.status_code in (302, 303)
    assert parse_qs(urlsplit(r.headers["location"]).query)["error"] == ["invalid_request"]


def test_a_verified_address_links_to_its_existing_confirmed_account(site):
    with session_scope(site.db_url) as s:
        account = store.create_account(s, "bea@example.org", "correct horse battery staple", verified=True)
        store.add_membership(s, account, ["learner"])
        account_id = account.id
    browser = site.browser()
    assert site.sign_on(browser, "bea").status_code == 303
    assert site.me(browser).json()["id"] == account_id
    assert _counts(site.db_url) == (1, 1)


def test_an_unconfirmed_existing_account_is_not_taken_over(site):
    with session_scope(site.db_url) as s:
        store.create_account(s, "cleo@example.org", "correct horse battery staple")  # never confirmed
    browser = site.browser()
    r = site.sign_on(browser, "cleo")
    assert r.status_code == 403 and "emclm_session" not in browser.cookies
    assert _counts(site.db_url) == (1, 0)


def test_an_address_the_provider_does_not_verify_is_refused(site):
    browser = site.browser()
    r = site.sign_on(browser, "unverified-dan")
    assert r.status_code == 403
    assert "did not confirm your e-mail address" in r.text
    assert "emclm_session" not in browser.cookies and site.me(browser).status_code in (401, 403)
    assert _counts(site.db_url) == (0, 0)


def test_a_wrong_state_or_another_browser_is_refused(site):
    browser = site.browser()
    callback = site.to_callback(browser, "eve")
    wrong = browser.get(_with_query(callback, state="x" * 43))
    assert wrong.status_code == 400 and "emclm_session" not in browser.cookies
    # the redirect opened in a browser that did not start the sign-on (no state cookie): login CSRF refused
    stranger = site.browser()
    assert stranger.get(callback).status_code == 400
    assert "emclm_session" not in stranger.cookies
    assert _counts(site.db_url) == (0, 0)


def test_a_replayed_redirect_or_code_is_refused(site):
    browser = site.browser()
    callback = site.to_callback(browser, "fay")
    assert browser.get(callback).status_code == 303
    assert _counts(site.db_url) == (1, 1)
    browser.cookies.delete("emclm_session")
    # the same redirect again (the state cookie put back, as an attacker replaying it would): state used up
    state = parse_qs(urlsplit(callback).query)["state"][0]
    browser.cookies.set("emclm_oidc_state", state, domain="127.0.0.1", path="/signin/oidc")
    replay = browser.get(callback)
    assert replay.status_code == 400 and "already used" in replay.text
    assert "emclm_session" not in browser.cookies
    # the old code with a fresh sign-on's state: the provider refuses the used code (and the PKCE verifier)
    fresh = site.to_callback(browser, "fay")
    old_code = parse_qs(urlsplit(callback).query)["code"][0]
    refused = browser.get(_with_query(fresh, code=old_code))
    assert refused.status_code == 400 and "token endpoint refused the code" in refused.text
    assert "emclm_session" not in browser.cookies


def test_an_id_token_with_another_nonce_is_refused(site):
    browser = site.browser()
    callback = site.to_callback(browser, "gus")
    state = parse_qs(urlsplit(callback).query)["state"][0]
    with session_scope(site.db_url) as s:  # the sign-on's stored nonce no longer matches the provider's token
        s.execute(
            update(OidcRequest)
            .where(OidcRequest.state_hash == store.hash_secret(state))
            .values(nonce="another-nonce-than-the-one-sent")
        )
    r = browser.get(callback)
    assert r.status_code == 400 and "nonce" in r.text
    assert "emclm_session" not in browser.cookies
    assert _counts(site.db_url) == (0, 0)


def test_an_unknown_provider_is_404(site):
    browser = site.browser()
    page = browser.get(f"{site.portal}/signin")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert browser.post(f"{site.portal}/signin/oidc/nope", data={"csrf_token": token}).status_code == 404
    # and starting without the page's CSRF token is refused
    assert browser.post(f"{site.portal}/signin/oidc/test", data={}).status_code == 403
