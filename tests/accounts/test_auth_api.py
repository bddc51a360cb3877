"""Authentication in the API (bearer token, session cookie) and the curator-decision hole closed."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from emclm.accounts import store
from emclm.accounts.models import ApiToken
from emclm.api.app import create_app
from emclm.db.session import session_scope
from emclm.skills.models import CourseSkill

from .conftest import make_account


def _decide(client, world, token=None, course_id=None, body=None, **kw):
    headers = kw.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.post(
        f"/api/courses/{course_id or world.course_id}/skills/{world.skill_id}/decision",
        json=body or {"decision": "reject"},
        headers=headers,
        **kw,
    )


def _curated_by(url, course_id, skill_id):
    with session_scope(url) as s:
        row = s.scalars(
            select(CourseSkill).where(CourseSkill.course_id == course_id, CourseSkill.skill_id == skill_id)
        ).first()
        return None if row is None else (row.status, row.curated_by)


def test_curator_is_taken_from_the_token_not_the_body(world):
    client = TestClient(create_app(world.url))
    r = _decide(client, world, world.tokens["curator"], body={"decision": "reject", "curator": "mallory"})
    assert r.status_code == 422 and "curator" in r.text  # the field no longer exists
    assert _curated_by(world.url, world.course_id, world.skill_id) is None
    r = _decide(client, world, world.tokens["curator"])
    assert r.status_code == 200, r.text
    assert r.json()["curated_by"] == "curator@example.org"
    assert _curated_by(world.url, world.course_id, world.skill_id) == ("rejected", "curator@example.org")
    with session_scope(world.url) as s:
        row = s.scalars(select(ApiToken).where(ApiToken.token_hash == store.hash_secret(world.tokens["curator"]))).one()
        assert row.last_used_at is not None


def test_anonymous_and_unentitled_callers_change_nothing(world):
    client = TestClient(create_app(world.url))
    r = _decide(client, world)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert _decide(client, world, "emclm_not-a-real-token").status_code == 401
    assert _decide(client, world, headers={"Authorization": "Basic YTpi"}).status_code == 401
    for role in ("learner", "counsellor", "employer"):
        assert _decide(client, world, world.tokens[role]).status_code == 403, role
    assert _curated_by(world.url, world.course_id, world.skill_id) is None


def test_a_provider_curates_only_its_own_providers_courses(world):
    client = TestClient(create_app(world.url))
    r = _decide(client, world, world.tokens["provider"], course_id=world.other_course_id)
    assert r.status_code == 403 and "own provider" in r.json()["detail"]
    assert _curated_by(world.url, world.other_course_id, world.skill_id) is None
    assert _decide(client, world, world.tokens["provider"]).status_code == 200
    assert _decide(client, world, world.tokens["admin"], course_id=world.other_course_id).status_code == 200


def test_token_scope_revocation_and_expiry_are_enforced(world):
    client = TestClient(create_app(world.url))
    with session_scope(world.url) as s:
        org = store.get_organisation(s, "EMC Alliance")
        _, read_only = make_account(s, "reader@example.org", "curator", org, scopes=["read"])
    r = _decide(client, world, read_only)
    assert r.status_code == 403 and "courses:curate" in r.json()["detail"]
    with session_scope(world.url) as s:
        row = s.scalars(select(ApiToken).where(ApiToken.token_hash == store.hash_secret(world.tokens["curator"]))).one()
        store.revoke_token(s, row.id)
    assert _decide(client, world, world.tokens["curator"]).status_code == 401


@pytest.fixture
def curator_cookie(world):
    with session_scope(world.url) as s:
        _, cookie = store.start_session(s, store.get_account(s, world.emails["curator"]))
    return cookie


def test_session_cookie_authenticates_same_origin_changes_and_csrf_is_refused(world, curator_cookie):
    from emclm.config import get_settings

    client = TestClient(create_app(world.url), base_url="http://testserver")
    client.cookies.set(get_settings().session_cookie_name, curator_cookie)
    # no Origin / Referer: a cross-site form post cannot be told apart, so it is refused
    r = _decide(client, world)
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    r = _decide(client, world, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    assert _curated_by(world.url, world.course_id, world.skill_id) is None
    r = _decide(client, world, headers={"Origin": "http://testserver"})
    assert r.status_code == 200, r.text
    assert r.json()["curated_by"] == "curator@example.org"
    r = _decide(client, world, body={"decision": "confirm"}, headers={"Referer": "http://testserver/courses/1"})
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    # an ended session no longer authenticates
    with session_scope(world.url) as s:
        store.end_session(s, curator_cookie)
    assert _decide(client, world, headers={"Origin": "http://testserver"}).status_code == 401


def test_a_route_without_a_policy_entry_is_refused_at_run_time(world):
    app = create_app(world.url)

    @app.post("/api/unlisted")
    def unlisted() -> dict:
        return {"changed": True}

    client = TestClient(app)
    r = client.post("/api/unlisted", headers={"Authorization": f"Bearer {world.tokens['admin']}"})
    assert r.status_code == 403 and "no authorisation policy" in r.json()["detail"]
