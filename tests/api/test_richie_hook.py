"""Richie's signed course-run sync hook, end to end on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from emclm.api.app import create_app
from emclm.catalogue.models import Course, CourseSource
from emclm.config import get_settings
from emclm.db.session import session_scope

from ..conftest import FIXTURES

PAYLOAD = (FIXTURES / "sources/richie/richie_tests_course_run_sync_payload.json").read_bytes()
SECRET = "shared-secret-for-tests"


def _sign(body: bytes, secret: str = SECRET) -> str:
    return "SIG-HMAC-SHA256 " + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@pytest.fixture
def client(db_url, monkeypatch):
    monkeypatch.setattr(get_settings(), "richie_hook_secret", SECRET)
    return TestClient(create_app(db_url))


URL = "/api/sources/richie/course-runs-sync"


def test_signed_run_is_stored_once(client, db_url):
    for _ in range(2):  # a repeated push changes nothing
        r = client.post(
            URL, content=PAYLOAD, headers={"Authorization": _sign(PAYLOAD), "Content-Type": "application/json"}
        )
        assert r.status_code == 200, r.text
        assert r.json() == {"success": True}
    with session_scope(db_url) as s:
        courses = s.execute(select(Course)).scalars().all()
        assert len(courses) == 1
        course = courses[0]
        assert [run.start_date.isoformat() for run in course.runs] == ["2020-12-09"]
        assert {"en", "fr"} <= set(course.languages)
        assert s.execute(select(CourseSource.source)).scalars().all() == ["fun-mooc-sync"]


def test_bad_signature_and_tampered_body_are_refused(client, db_url):
    assert client.post(URL, content=PAYLOAD, headers={"Authorization": _sign(PAYLOAD, "wrong")}).status_code == 401
    tampered = PAYLOAD.replace(b"59.99", b"0.01")
    assert client.post(URL, content=tampered, headers={"Authorization": _sign(PAYLOAD)}).status_code == 401
    assert client.post(URL, content=PAYLOAD).status_code == 401
    with session_scope(db_url) as s:
        assert s.execute(select(Course)).first() is None


def test_invalid_payload_names_the_field(client):
    body = json.dumps({**json.loads(PAYLOAD), "languages": []}).encode()
    r = client.post(URL, content=body, headers={"Authorization": _sign(body)})
    assert r.status_code == 422
    assert "languages" in r.json()["detail"][0]["msg"] and r.json()["detail"][0]["loc"] == ["body"]
    big = b"{" + b" " * 300_000 + b"}"
    assert client.post(URL, content=big, headers={"Authorization": _sign(big)}).status_code == 413


def test_unconfigured_hook_is_unavailable(db_url, monkeypatch):
    monkeypatch.setattr(get_settings(), "richie_hook_secret", "")
    r = TestClient(create_app(db_url)).post(URL, content=PAYLOAD, headers={"Authorization": _sign(PAYLOAD)})
    assert r.status_code == 503
