"""The identity journey in a real browser (Debian Chromium driven by Playwright), with axe-core on every
identity page: a counsellor signs up, opens the verification link from the mail caught by a real local
SMTP server (aiosmtpd), signs in, creates a token on /account (shown once), and signs out."""

from __future__ import annotations

import re
import uuid

import pytest

from emclm.accounts import store
from emclm.db.session import session_scope
from tests.mailbox import smtp_inbox
from tests.web.test_browser import run_axe

PASSWORD = "a sufficiently long secret"


@pytest.fixture
def inbox(monkeypatch):
    with smtp_inbox(monkeypatch) as box:  # the live server runs in this process: it reads the same Settings
        yield box


@pytest.fixture
def check(page, axe_source, tmp_path):
    return lambda name: run_axe(page, axe_source, tmp_path, name)


def test_a_counsellor_signs_up_verifies_signs_in_creates_a_token_and_signs_out(page, check, inbox, live_server):
    email = f"counsellor-{uuid.uuid4().hex[:8]}@example.org"
    page.goto("/")
    page.get_by_role("link", name="Sign up", exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text() == "Create an account"
    check("signup")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create an account").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Check your mailbox"
    check("signup-sent")

    link = inbox.link_for(email, "/signup/verify")
    assert link.startswith(live_server + "/signup/verify?token=")
    page.goto(link)
    assert page.get_by_role("heading", level=1).inner_text() == "Address confirmed"
    check("verified")

    page.get_by_role("main").get_by_role("link", name="Sign in").click()
    check("signin")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/account")
    assert f"Signed in as {email}" in page.locator("header").inner_text()
    check("account")

    page.get_by_label("Name of the new token").fill("my laptop")
    page.get_by_role("button", name="Create a token").click()
    secret = page.locator("#new-token-secret").inner_text().strip()
    assert re.fullmatch(r"emclm_[A-Za-z0-9_\-]{43}", secret), secret
    assert "shown only once" in page.get_by_role("status").inner_text()
    check("account-new-token")
    page.goto("/account")  # shown once: the list has the name and the prefix, never the secret
    assert "my laptop" in page.locator("main").inner_text()
    assert secret not in page.content() and secret[:12] in page.content()
    response = page.request.get("/api/auth/me", headers={"Authorization": f"Bearer {secret}"})
    assert response.status == 200 and response.json()["email"] == email

    page.locator("header").get_by_role("button", name="Sign out").click()
    page.wait_for_url(live_server + "/")
    assert page.locator("header").get_by_role("link", name="Sign in").is_visible()
    assert "Signed in as" not in page.locator("header").inner_text()
    assert page.goto("/account").status == 401
    assert page.get_by_role("heading", level=1).inner_text() == "Sign in to see this page"
    check("account-signed-out")


def test_reset_members_and_the_french_sign_in_page_are_accessible(browser, live_server, web_db, axe_source, tmp_path):
    email = f"admin-{uuid.uuid4().hex[:8]}@example.org"
    org_name = f"PES Porto {uuid.uuid4().hex[:6]}"
    with session_scope(web_db["url"]) as s:
        account = store.create_account(s, email, PASSWORD, verified=True)
        org = store.create_organisation(s, org_name, "pes_office")
        store.add_membership(s, account, ["counsellor", "admin"], org)
        org_id = org.id
    context = browser.new_context(base_url=live_server, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto("/signin")
        assert page.locator("html").get_attribute("lang") == "fr"
        assert page.get_by_role("heading", level=1).inner_text() == "Se connecter"
        run_axe(page, axe_source, tmp_path, "signin-fr")
        page.goto("/reset")
        run_axe(page, axe_source, tmp_path, "reset-fr")
        page.goto("/signin")
        page.get_by_label("Adresse e-mail").fill(email)
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("main").get_by_role("button", name="Se connecter").click()
        page.wait_for_url("**/account")
        assert org_name in page.locator("header").inner_text()
        page.get_by_role("link", name=f"Membres de {org_name}").click()
        assert page.get_by_role("heading", level=1).inner_text() == f"Membres de {org_name}"
        assert page.url.endswith(f"/organisations/{org_id}/members")
        run_axe(page, axe_source, tmp_path, "members-fr")
    finally:
        context.close()
