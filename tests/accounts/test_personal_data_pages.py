"""The privacy page in every UI language, the "my data" page (consents, download, erasure by form) and
the footer link, through the app's own routes."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from emclm.accounts import consent, store
from emclm.api.app import create_app
from emclm.db.session import session_scope
from emclm.web import csrf, i18n

from .conftest import make_account
from .test_personal_data import rows_holding

PASSWORD = "a sufficiently long secret"
ORIGIN = {"Origin": "http://testserver"}
TITLES = {
    "en": "Privacy",
    "fr": "Confidentialité",
    "de": "Datenschutz",
    "es": "Privacidad",
    "it": "Privacy",
    "nl": "Privacy",
}
RIGHTS = {
    "en": "Your rights",
    "fr": "Vos droits",
    "de": "Ihre Rechte",
    "es": "Sus derechos",
    "it": "I tuoi diritti",
    "nl": "Uw rechten",
}


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_the_privacy_page_speaks_every_ui_language(sqlite_world, lang):
    client = TestClient(create_app(sqlite_world.url))
    r = client.get("/privacy", params={"lang": lang})
    assert r.status_code == 200 and r.headers["content-language"] == lang
    assert f"<h1>{TITLES[lang]}</h1>" in r.text and RIGHTS[lang] in r.text
    assert re.search(r"\b730\b", r.text)  # the retention period of the Settings
    assert consent.TEXT_VERSIONS["account"] in r.text
    assert '<a href="/privacy">' in client.get("/", params={"lang": lang}).text  # the footer link, every page


def _browser(url, email="page.user@example.org"):
    with session_scope(url) as s:
        make_account(s, email, "learner", password=PASSWORD)
    client = TestClient(create_app(url))
    assert client.post("/api/auth/login", json={"email": email, "password": PASSWORD}).status_code == 200
    client.get("/privacy")  # the page sets the CSRF cookie; the browser's forms send its token back (web/csrf.py)
    client.headers[csrf.HEADER] = client.cookies.get(csrf.COOKIE)
    return client


def test_my_data_page_gives_and_withdraws_consent_by_form(sqlite_world):
    client = _browser(sqlite_world.url)
    page = client.get("/account/data")
    assert page.status_code == 200
    assert page.text.count('name="csrf_token"') == 5  # three consent forms, the erasure form, the header's sign-out
    assert 'href="/account/data/export"' in page.text
    r = client.post(
        "/account/data/consents", data={"purpose": "alerts", "choice": "give", "csrf_token": ""}, headers=ORIGIN,
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == "/account/data?done=consent"
    with session_scope(sqlite_world.url) as s:
        assert consent.current(s, store.get_account(s, "page.user@example.org"), "alerts") is not None
    assert "Withdraw" in client.get("/account/data").text
    r = client.post("/account/data/consents", data={"purpose": "alerts", "choice": "withdraw"}, headers=ORIGIN)
    assert r.status_code == 200
    with session_scope(sqlite_world.url) as s:
        assert consent.current(s, store.get_account(s, "page.user@example.org"), "alerts") is None
    assert (
        client.post("/account/data/consents", data={"purpose": "x", "choice": "give"}, headers=ORIGIN).status_code
        == 422
    )
    # another site's form is refused (Origin), changing nothing
    r = client.post("/account/data/consents", data={"purpose": "alerts", "choice": "give"},
                    headers={"Origin": "http://evil.example"})  # fmt: skip
    assert r.status_code == 403
    export = client.get("/account/data/export")
    assert export.status_code == 200 and export.json()["account"]["email"] == "page.user@example.org"


def test_my_data_page_erases_the_account_only_with_the_right_address(sqlite_world):
    client = _browser(sqlite_world.url, "gone@example.org")
    r = client.post("/account/data/erase", data={"confirm_email": "other@example.org"}, headers=ORIGIN)
    assert r.status_code == 422 and 'aria-invalid="true"' in r.text and 'role="alert"' in r.text
    assert rows_holding(sqlite_world.url, "gone@example.org")
    r = client.post("/account/data/erase", data={"confirm_email": "gone@example.org"}, headers=ORIGIN)
    assert r.status_code == 200 and "Account deleted" in r.text
    assert rows_holding(sqlite_world.url, "gone@example.org") == []
    assert client.get("/account/data").status_code == 401


def test_my_data_page_needs_an_account(sqlite_world):
    client = TestClient(create_app(sqlite_world.url))
    assert client.get("/account/data").status_code == 401
    assert client.post("/account/data/erase", data={"confirm_email": "x@example.org"}).status_code == 401
