from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from emclm.api.app import create_app

ANALYST = "d3edb8f8-3a06-47a0-8fb9-9b212c006aa2"


@pytest.fixture(scope="module")
def client(esco_db_url):
    return TestClient(create_app(esco_db_url))


def test_occupation_with_essential_and_optional_skills(client):
    r = client.get(f"/api/taxonomy/occupations/{ANALYST}")
    assert r.status_code == 200
    body = r.json()
    assert body["preferred_label"] == "data analyst"
    assert body["isco_code"] == "2511"
    assert len(body["essential_skills"]) > 5 and len(body["optional_skills"]) > 5
    assert {s["label"] for s in body["essential_skills"]} >= {"data analysis"} or any(
        "data" in s["label"] for s in body["essential_skills"]
    )
    fr = client.get(f"/api/taxonomy/occupations/{ANALYST}", params={"lang": "fr"}).json()
    assert fr["lang"] == "fr" and fr["preferred_label"] != "data analyst"


def test_skill_by_full_uri_lists_occupations(client):
    uri = "http://data.europa.eu/esco/skill/0005c151-5b5a-4a66-8aac-60e734beb1ab"
    body = client.get(f"/api/taxonomy/skills/{uri}").json()
    assert body["preferred_label"] == "manage musical staff"
    assert body["occupations"] and body["broader"]


def test_unknown_concept_is_404_with_message(client):
    r = client.get("/api/taxonomy/skills/not-a-skill")
    assert r.status_code == 404
    assert "not-a-skill" in r.json()["detail"]


def test_label_autocomplete(client):
    body = client.get(
        "/api/taxonomy/labels", params={"q": "analyste de donn", "lang": "fr", "type": "occupation"}
    ).json()
    assert body["results"][0]["uri"].endswith(ANALYST)
    assert client.get("/api/taxonomy/labels", params={"q": "x", "lang": "not a lang"}).status_code == 422


def test_home_page_shows_counts_and_api_link(client):
    r = client.get("/")
    assert r.status_code == 200
    assert "13,896" in r.text and "3,007" in r.text
    assert 'href="/api/docs"' in r.text
    assert 'lang="en"' in r.text
    about = client.get("/about").text
    assert "This service uses the ESCO classification of the European Commission" in about


def test_openapi_is_served(client):
    spec = client.get("/api/openapi.json").json()
    assert "/api/taxonomy/occupations/{occupation_id}" in spec["paths"]
    assert client.get("/api/docs").status_code == 200
