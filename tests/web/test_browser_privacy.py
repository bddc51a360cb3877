"""Issue 16 in a real browser: axe-core on the privacy page (in two languages), the signed-in "my data"
page (also with its erasure error shown) and the administrators' audit log."""

from __future__ import annotations

import pytest

from emclm.accounts import audit, store
from emclm.db.migrate import upgrade
from emclm.db.session import session_scope
from tests.web.test_browser import run_axe

PASSWORD = "a sufficiently long secret"


@pytest.fixture(scope="module")
def people(web_db) -> dict:
    """A learner and an admin in the portal's database (migrated to head: the audit tables)."""
    upgrade(web_db["url"])
    out = {}
    with session_scope(web_db["url"]) as s:
        for role in ("learner", "admin"):
            email = f"axe-{role}@example.org"
            account = store.get_account(s, email) or store.create_account(s, email, PASSWORD, verified=True)
            org = None
            if role == "admin":
                org = store.get_organisation(s, "Axe Alliance") or store.create_organisation(
                    s, "Axe Alliance", "alliance"
                )
            store.add_membership(s, account, [role], org)
            out[role] = email
        audit.record(s, "cli:axe", "test.axe", ("thing", 1), before={"status": "auto"}, after={"status": "confirmed"})
    return out


def _sign_in(page, email):
    r = page.request.post("/api/auth/login", data={"email": email, "password": PASSWORD})
    assert r.status == 200, r.text()


@pytest.mark.parametrize("lang", ["en", "de"])
def test_the_privacy_page_is_accessible(page, axe_source, tmp_path, people, lang):
    page.goto(f"/privacy?lang={lang}")
    assert page.locator("h1").inner_text() == {"en": "Privacy", "de": "Datenschutz"}[lang]
    run_axe(page, axe_source, tmp_path, f"privacy-{lang}")


def test_my_data_page_is_accessible_and_erasure_needs_the_address(page, axe_source, tmp_path, people, web_db):
    _sign_in(page, people["learner"])
    page.goto("/account/data")
    run_axe(page, axe_source, tmp_path, "account-data")
    page.get_by_label("Type your e-mail address to confirm").fill("not-me@example.org")
    page.get_by_role("button", name="Delete my account").click()
    page.get_by_role("alert").wait_for()
    assert page.get_by_label("Type your e-mail address to confirm").get_attribute("aria-invalid") == "true"
    run_axe(page, axe_source, tmp_path, "account-data-error")
    with session_scope(web_db["url"]) as s:
        assert store.get_account(s, people["learner"]) is not None  # a wrong address erased nothing


def test_the_audit_log_page_is_accessible(page, axe_source, tmp_path, people):
    _sign_in(page, people["admin"])
    page.goto("/admin/audit")
    assert page.locator("code", has_text="test.axe").count() >= 1
    run_axe(page, axe_source, tmp_path, "admin-audit")
