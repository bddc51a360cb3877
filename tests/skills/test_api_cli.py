"""REST routes and the `emclm skills rank` / `emclm courses tag` commands."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from emclm.api.app import create_app
from emclm.cli import app as cli_app
from emclm.skills import extractor as extractor_module

from .conftest import SKILLS


@pytest.fixture
def tiny_client(tiny_esco, tiny_extractor, monkeypatch):
    url, ids = tiny_esco
    monkeypatch.setitem(extractor_module._shared, url, tiny_extractor)
    return TestClient(create_app(url)), url, ids


def test_extract_endpoint(tiny_client):
    client, _, _ = tiny_client
    r = client.post("/api/skills/extract", json={"text": "Write Python scripts and cook pastry products.", "k": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["lang"] == "en"
    got = [s["uri"] for s in body["skills"]]
    assert SKILLS["python"][0] in got and SKILLS["pastry"][0] in got
    assert all("evidence" in s and "score" in s for s in body["skills"])


@pytest.mark.parametrize("text,status", [("", 422), ("   ", 422), ("\x00\x01" * 10, 422), ("a" * 1_100_000, 413)])
def test_extract_endpoint_rejects_bad_text(tiny_client, text, status):
    client, _, _ = tiny_client
    r = client.post("/api/skills/extract", json={"text": text})
    assert r.status_code == status
    detail = r.json()["detail"]
    if status == 422:  # the validation shape, naming the field (decision 0021)
        assert detail[0]["loc"] == ["body", "text"] and detail[0]["msg"].startswith("text:")
    else:
        assert "text" in detail


def test_course_skills_and_decisions(tiny_client):
    from emclm.skills.tagging import tag_courses

    client, url, ids = tiny_client
    tag_courses(url, extractor_module._shared[url], k=3)
    cid = ids["course_prog"]
    r = client.get(f"/api/courses/{cid}/skills")
    assert r.status_code == 200
    body = r.json()
    assert {ids["python"], ids["java"], ids["sql"]} <= {s["skill_id"] for s in body["skills"]}
    assert body["occupations"][0]["label"] == "software developer"
    assert body["tagging"]["tagger_version"]
    # a curator decides with a real personal access token made through the accounts store
    from emclm.accounts import store
    from emclm.db.session import session_scope

    with session_scope(url) as s:
        ana = store.create_account(s, "ana@example.org", verified=True)
        store.add_membership(s, ana, ["curator"], store.create_organisation(s, "EMC Alliance", "alliance"))
        _, token = store.create_token(s, ["courses:curate"], account=ana)
    auth = {"Authorization": f"Bearer {token}"}
    r = client.post(f"/api/courses/{cid}/skills/{ids['java']}/decision", json={"decision": "reject"}, headers=auth)
    assert r.status_code == 200 and r.json()["status"] == "rejected" and r.json()["curated_by"] == "ana@example.org"
    assert ids["java"] not in {s["skill_id"] for s in client.get(f"/api/courses/{cid}/skills").json()["skills"]}
    decision = f"/api/courses/{cid}/skills/{ids['java']}/decision"
    assert client.post(decision, json={"decision": "maybe"}, headers=auth).status_code == 422
    assert client.post(decision, json={"decision": "confirm"}).status_code == 401  # anonymous
    missing_course = f"/api/courses/999999/skills/{ids['java']}/decision"
    assert client.post(missing_course, json={"decision": "confirm"}, headers=auth).status_code == 404
    not_a_skill = f"/api/courses/{cid}/skills/{ids['developer']}/decision"
    assert client.post(not_a_skill, json={"decision": "confirm"}, headers=auth).status_code == 404
    assert client.get("/api/courses/999999/skills").status_code == 404


def test_cli_rank_reads_and_writes_json_lines(tiny_esco, tiny_extractor, monkeypatch):
    url, _ = tiny_esco
    monkeypatch.setattr(
        extractor_module.SkillExtractor, "from_database", classmethod(lambda cls, *a, **k: tiny_extractor)
    )
    lines = [
        {"id": 1, "text": "Write Python scripts."},
        {"id": "b", "text": ""},
        "not json",
        {"id": 3, "text": "Cook pastry products."},
    ]
    stdin = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n"
    res = CliRunner().invoke(cli_app, ["skills", "rank", "--top", "2", "--database", url], input=stdin)
    assert res.exit_code == 0, res.output
    out = [json.loads(line) for line in res.stdout.splitlines() if line.strip()]
    assert [o["id"] for o in out] == [1, "b", None, 3]  # input order kept
    by_id = {o["id"]: o for o in out}
    assert by_id[1]["skills"][0]["uri"] == SKILLS["python"][0]
    assert set(by_id[1]["skills"][0]) == {"uri", "label", "score"}
    assert len(by_id[3]["skills"]) == 2
    assert "empty" in by_id["b"]["error"] and "not JSON" in by_id[None]["error"]


def test_cli_courses_tag(tiny_esco, tiny_extractor, monkeypatch):
    url, _ = tiny_esco
    monkeypatch.setattr(
        extractor_module.SkillExtractor, "from_database", classmethod(lambda cls, *a, **k: tiny_extractor)
    )
    res = CliRunner().invoke(cli_app, ["courses", "tag", "--database", url])
    assert res.exit_code == 0, res.output
    assert "2 tagged, 0 unchanged" in res.output
    res = CliRunner().invoke(cli_app, ["courses", "tag", "--database", url])
    assert "0 tagged, 2 unchanged" in res.output
