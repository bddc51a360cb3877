"""Sign-up, e-mail verification, sign-in, sign-out (everywhere), password reset, session fixation,
throttled log-ins and the CSRF refusal, end to end through the API, with mail caught by a real local
SMTP server (aiosmtpd) started by the test."""

from __future__ import annotations

import re
import socket
from datetime import timedelta
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import select

from emclm.accounts import store
from emclm.accounts.models import LinkToken
from emclm.api.app import create_app
from emclm.config import get_settings
from emclm.db.base import utcnow
from emclm.db.session import session_scope

PASSWORD = "a sufficiently long secret"
ORIGIN = {"Origin": "http://testserver"}


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"

    def last_for(self, address):
        for rcpts, msg in reversed(self.messages):
            if address in rcpts:
                return msg
        raise AssertionError(f"no mail for {address}: {self.messages}")


@pytest.fixture
def inbox(monkeypatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings = get_settings()
    monkeypatch.setattr(settings, "smtp_host", "127.0.0.1")
    monkeypatch.setattr(settings, "smtp_port", port)
    monkeypatch.setattr(settings, "mail_from", "emclm <no-reply@example.org>")
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def client(db_url):
    return TestClient(create_app(db_url), base_url="http://testserver"), db_url


def _token_in(msg) -> str:
    body = msg.get_payload(decode=True).decode()
    found = re.search(r"token=([A-Za-z0-9_\-]+)", body) or re.search(r"^([A-Za-z0-9_\-]{40,})\r?$", body, re.M)
    assert found, body
    return found.group(1)


def _signed_up_and_verified(client, inbox, email="c@example.org"):
    r = client.post("/api/auth/signup", json={"email": email, "password": PASSWORD})
    assert r.status_code == 202, r.text
    link_token = _token_in(inbox.last_for(email))
    r = client.get("/api/auth/verify", params={"token": link_token})
    assert r.status_code == 200, r.text
    return link_token


def test_sign_up_verify_sign_in_and_out(client, inbox):
    client, url = client
    r = client.post("/api/auth/signup", json={"email": "Counsellor@Example.org", "password": PASSWORD})
    assert r.status_code == 202, r.text
    msg = inbox.last_for("counsellor@example.org")
    assert msg["Subject"] == "Confirm your e-mail address" and msg["From"] == "emclm <no-reply@example.org>"
    link = _token_in(msg)
    assert "http://testserver/api/auth/verify?token=" in msg.get_payload(decode=True).decode()
    # not verified yet: no sign-in
    r = client.post("/api/auth/login", json={"email": "counsellor@example.org", "password": PASSWORD})
    assert r.status_code == 403 and "confirm your e-mail" in r.json()["detail"]
    with session_scope(url) as s:
        row = s.scalars(select(LinkToken)).one()
        assert row.token_hash == store.hash_secret(link) and row.purpose == "verify_email"
    assert client.get("/api/auth/verify", params={"token": link}).status_code == 200
    r = client.get("/api/auth/verify", params={"token": link})  # single use
    assert r.status_code == 400 and "already used" in r.json()["detail"]

    r = client.post("/api/auth/login", json={"email": "counsellor@example.org", "password": PASSWORD})
    assert r.status_code == 200, r.text
    set_cookie = r.headers["set-cookie"]
    assert "emclm_session=" in set_cookie and "HttpOnly" in set_cookie and "SameSite=lax" in set_cookie
    assert "Secure" not in set_cookie  # plain http here
    me = client.get("/api/auth/me")
    assert me.status_code == 200 and me.json()["email"] == "counsellor@example.org" and me.json()["via"] == "session"
    assert me.json()["memberships"] == [{"organisation": None, "organisation_type": None, "roles": ["learner"]}]

    r = client.post("/api/auth/logout")  # a cookie-authenticated change without Origin: CSRF refusal
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    assert client.get("/api/auth/me").status_code == 200
    r = client.post("/api/auth/logout", headers=ORIGIN)
    assert r.status_code == 200 and r.json() == {"ended": 1}
    assert client.get("/api/auth/me").status_code == 401


def test_signup_does_not_reveal_registered_addresses_and_names_bad_fields(client, inbox):
    client, _ = client
    _signed_up_and_verified(client, inbox)
    count = len(inbox.messages)
    r = client.post("/api/auth/signup", json={"email": "c@example.org", "password": PASSWORD})
    assert r.status_code == 202 and len(inbox.messages) == count
    r = client.post("/api/auth/signup", json={"email": "nobody", "password": PASSWORD})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "email"]
    r = client.post("/api/auth/signup", json={"email": "d@example.org", "password": "short"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "password"]


def test_login_starts_a_fresh_session_session_fixation(client, inbox):
    client, url = client
    _signed_up_and_verified(client, inbox)
    planted = "attacker-chosen-session-id"
    client.cookies.set("emclm_session", planted)
    r = client.post("/api/auth/login", json={"email": "c@example.org", "password": PASSWORD})
    assert r.status_code == 200
    fresh = r.cookies.get("emclm_session")
    assert fresh and fresh != planted
    # a session id known before sign-in (here: a real one) does not survive the sign-in
    with session_scope(url) as s:
        assert store.principal_from_session(s, fresh) is not None
    client.cookies.set("emclm_session", fresh)
    r = client.post("/api/auth/login", json={"email": "c@example.org", "password": PASSWORD})
    second = r.cookies.get("emclm_session")
    assert second != fresh
    with session_scope(url) as s:
        assert store.principal_from_session(s, fresh) is None
        assert store.principal_from_session(s, second) is not None


def test_sign_out_everywhere(client, inbox):
    client, url = client
    _signed_up_and_verified(client, inbox)
    other = TestClient(client.app, base_url="http://testserver")
    for c in (client, other):
        assert c.post("/api/auth/login", json={"email": "c@example.org", "password": PASSWORD}).status_code == 200
    assert other.get("/api/auth/me").status_code == 200
    r = client.post("/api/auth/logout-everywhere", headers=ORIGIN)
    assert r.status_code == 200 and r.json() == {"ended": 2}
    assert other.get("/api/auth/me").status_code == 401


def test_password_reset_is_single_use_time_limited_and_ends_sessions(client, inbox):
    client, url = client
    _signed_up_and_verified(client, inbox)
    assert client.post("/api/auth/login", json={"email": "c@example.org", "password": PASSWORD}).status_code == 200
    count = len(inbox.messages)
    assert client.post("/api/auth/password-reset", json={"email": "ghost@example.org"}).status_code == 202
    assert len(inbox.messages) == count  # unknown address: same answer, no mail
    assert client.post("/api/auth/password-reset", json={"email": "c@example.org"}).status_code == 202
    reset = _token_in(inbox.last_for("c@example.org"))
    r = client.post("/api/auth/password-reset/confirm", json={"token": reset, "password": "tiny"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "password"]
    r = client.post("/api/auth/password-reset/confirm", json={"token": reset, "password": "a brand new long secret"})
    assert r.status_code == 200, r.text
    assert client.get("/api/auth/me").status_code == 401  # the session before the reset ended
    r = client.post("/api/auth/password-reset/confirm", json={"token": reset, "password": "yet another long secret"})
    assert r.status_code == 400 and "already used" in r.json()["detail"]
    assert client.post("/api/auth/login", json={"email": "c@example.org", "password": PASSWORD}).status_code == 401
    r = client.post("/api/auth/login", json={"email": "c@example.org", "password": "a brand new long secret"})
    assert r.status_code == 200
    # an expired link is refused; a verification link does not reset a password
    assert client.post("/api/auth/password-reset", json={"email": "c@example.org"}).status_code == 202
    late = _token_in(inbox.last_for("c@example.org"))
    with session_scope(url) as s:
        row = s.scalars(select(LinkToken).where(LinkToken.token_hash == store.hash_secret(late))).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
    r = client.post("/api/auth/password-reset/confirm", json={"token": late, "password": "a brand new long secret"})
    assert r.status_code == 400 and "expired" in r.json()["detail"]


def test_failed_logins_are_throttled_per_account_and_per_address(client, inbox, monkeypatch):
    client, url = client
    settings = get_settings()
    monkeypatch.setattr(settings, "login_max_failures", 3)
    monkeypatch.setattr(settings, "login_max_failures_per_address", 5)
    _signed_up_and_verified(client, inbox)
    for _ in range(3):
        r = client.post("/api/auth/login", json={"email": "c@example.org", "password": "wrong password!"})
        assert r.status_code == 401
    # even the right password waits now
    r = client.post("/api/auth/login", json={"email": "c@example.org", "password": PASSWORD})
    assert r.status_code == 429
    assert 0 < int(r.headers["retry-after"]) <= settings.login_window_seconds + 1
    # per address: other addresses guessed from the same client also run into the limit
    for i in range(2):
        client.post("/api/auth/login", json={"email": f"x{i}@example.org", "password": "guess guess guess"})
    r = client.post("/api/auth/login", json={"email": "fresh@example.org", "password": "guess guess guess"})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    # when the window has passed, the account may sign in again
    with session_scope(url) as s:
        assert store.login_retry_after(s, "c@example.org", "10.0.0.9") > 0
        later = utcnow() + timedelta(seconds=settings.login_window_seconds + 1)
        assert store.login_retry_after(s, "c@example.org", "10.0.0.9", now=later) == 0


def test_secure_cookie_over_https(db_url, inbox, monkeypatch):
    https = TestClient(create_app(db_url), base_url="https://testserver")
    _signed_up_and_verified(https, inbox)
    r = https.post("/api/auth/login", json={"email": "c@example.org", "password": PASSWORD})
    assert r.status_code == 200 and "Secure" in r.headers["set-cookie"]


def test_my_tokens_created_from_a_session_shown_once_and_revoked_only_by_their_owner(client, inbox):
    client, url = client
    _signed_up_and_verified(client, inbox)
    assert client.post("/api/auth/login", json={"email": "c@example.org", "password": PASSWORD}).status_code == 200
    r = client.post("/api/auth/tokens", json={"scopes": ["read"], "name": "laptop"}, headers=ORIGIN)
    assert r.status_code == 201, r.text
    created = r.json()
    secret = created["secret"]
    listed = client.get("/api/auth/tokens").json()
    assert [t["name"] for t in listed] == ["laptop"] and "secret" not in listed[0]
    bearer = {"Authorization": f"Bearer {secret}"}
    bare = TestClient(client.app, base_url="http://testserver")
    assert bare.get("/api/auth/me", headers=bearer).json()["via"] == "token"
    # a token cannot mint a token (it could widen its scopes)
    r = bare.post("/api/auth/tokens", json={"scopes": ["workspace"]}, headers=bearer)
    assert r.status_code == 403
    r = client.post("/api/auth/tokens", json={"scopes": ["root"]}, headers=ORIGIN)
    assert r.status_code == 422 and "scope 'root'" in r.json()["detail"][0]["msg"]
    assert r.json()["detail"][0]["loc"] == ["body", "scopes"]
    # another account's token id answers 404, like an unknown id
    with session_scope(url) as s:
        other = store.create_account(s, "other@example.org", verified=True)
        store.add_membership(s, other, ["learner"])
        _, other_secret = store.create_token(s, ["read"], account=other)
    r = bare.delete(f"/api/auth/tokens/{created['id']}", headers={"Authorization": f"Bearer {other_secret}"})
    assert r.status_code == 404
    assert bare.get("/api/auth/me", headers=bearer).status_code == 200
    r = client.delete(f"/api/auth/tokens/{created['id']}", headers=ORIGIN)
    assert r.status_code == 200 and r.json()["revoked_at"]
    assert bare.get("/api/auth/me", headers=bearer).status_code == 401
