"""``GET/PUT /api/courses/{id}/recognition``, the recognition filters of ``GET /api/courses`` and
``emclm courses recognition``: through the app and the CLI, on a migrated database with accounts."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from emclm.api.app import create_app
from emclm.catalogue.models import Course
from emclm.cli import app as cli_app
from emclm.credentials import refresh
from emclm.db.session import session_scope
from tests.accounts.conftest import build_world

TEXT = "Programming in Python for 5 ECTS, EQF level 6. Final project and a proctored exam."


@pytest.fixture
def world_client(db_url):
    world = build_world(db_url)
    client = TestClient(create_app(db_url))  # enables recognition and search hooks
    with session_scope(db_url) as s:
        s.get(Course, world.course_id).description = TEXT
        s.flush()
        refresh(s, [world.course_id, world.other_course_id])
    return world, client


def _auth(world, role):
    return {"Authorization": f"Bearer {world.tokens[role]}"}


def test_get_recognition_and_the_course_filters(world_client):
    world, client = world_client
    r = client.get(f"/api/courses/{world.course_id}/recognition")
    assert r.status_code == 200, r.text
    body = r.json()
    facts = {f["element"]: f for f in body["facts"]}
    assert facts["ects"]["value"] == 5.0 and facts["ects"]["evidence"] == "5 ECTS"
    assert TEXT[facts["eqf_level"]["start"] : facts["eqf_level"]["end"]] == "EQF level 6"
    assert facts["identity_verified"]["note"] == "a proctored exam verifies identity"
    assert {c["criterion"]: c["status"] for c in body["cmf"]["criteria"]}["workload"] == "met"
    assert len([p for p in body["profile"] if p["mandatory"]]) == 11
    ids = lambda q: [c["id"] for c in client.get(f"/api/courses?{q}").json()["items"]]  # noqa: E731
    assert ids("ects_min=4") == [world.course_id]
    assert ids("ects_min=6") == []
    assert ids("eqf_level=6") == [world.course_id]
    assert ids("identity_verified=true") == [world.course_id]
    assert ids("identity_verified=false") == [world.other_course_id]
    assert client.get("/api/courses?eqf_level=9").status_code == 422
    assert client.get("/api/courses/999999/recognition").status_code == 404


def test_put_recognition_by_role(world_client):
    world, client = world_client
    url = f"/api/courses/{world.course_id}/recognition"
    body = {"element": "eqf_level", "value": 7, "note": "handbook"}
    assert client.put(url, json=body).status_code == 401
    r = client.put(url, json=body, headers=_auth(world, "curator"))
    assert r.status_code == 200, r.text
    fact = {f["element"]: f for f in r.json()["facts"]}["eqf_level"]
    assert (fact["value"], fact["provenance"]) == (7, "corrected") and "curator@example.org" in fact["note"]
    assert [c["id"] for c in client.get("/api/courses?eqf_level=7").json()["items"]] == [world.course_id]
    # the course's provider may correct its own course, not another provider's
    assert client.put(url, json={"element": "ects", "value": 4}, headers=_auth(world, "provider")).status_code == 200
    foreign = f"/api/courses/{world.other_course_id}/recognition"
    assert (
        client.put(foreign, json={"element": "ects", "value": 4}, headers=_auth(world, "provider")).status_code == 403
    )
    bad = client.put(url, json={"element": "eqf_level", "value": "six"}, headers=_auth(world, "curator"))
    assert bad.status_code == 422
    assert bad.json()["detail"] == [
        {
            "loc": ["body", "value"],
            "msg": f"course {world.course_id}, element 'eqf_level': expected an EQF level 1–8, got 'six'",
            "type": "value_error",
        }
    ]


def test_cli_recognition(world_client, db_url):
    world, _ = world_client
    runner = CliRunner()
    r = runner.invoke(cli_app, ["courses", "recognition", str(world.course_id), "--json", "--database-url", db_url])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert {f["element"]: f["value"] for f in out["facts"]}["ects"] == 5.0
    r = runner.invoke(cli_app, ["courses", "recognition", str(world.course_id), "--database-url", db_url])
    assert r.exit_code == 0 and "5 ECTS" in r.output and "CMF" in r.output
    r = runner.invoke(cli_app, ["courses", "recognition", "999999", "--database-url", db_url])
    assert r.exit_code == 1


@pytest.mark.parametrize(
    "lang,heading,proctored,met",
    [
        ("en", "What we know, and from where", "Proctored exam", "met"),
        ("fr", "Ce que nous savons, et d'où", "Examen surveillé", "rempli"),
    ],
)
def test_course_page_shows_facts_with_evidence_and_the_cmf_check(world_client, lang, heading, proctored, met):
    import html

    world, client = world_client
    page = html.unescape(client.get(f"/courses/{world.course_id}", params={"lang": lang}).text)
    facts = page[page.index('data-testid="recognition-facts"') : page.index('data-testid="recognition-missing"')]
    assert heading in page
    assert '<q lang="en">5 ECTS</q>' in facts and '<q lang="en">EQF level 6</q>' in facts
    assert proctored in facts
    cmf = page[page.index('data-testid="cmf"') :]
    assert f'class="cmf-met">{met}<' in cmf  # workload 5 ECTS and EQF 6 are met
