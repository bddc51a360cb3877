"""`GET /api/search`, `/api/search/suggest` and `emclm search … --json` (the evaluation format)."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from emclm.api.app import create_app
from emclm.cli import app as cli_app
from tests.search.conftest import URL


def test_api_search_results_facets_total(search_db):
    url, _, _ = search_db
    client = TestClient(create_app(url))
    r = client.get("/api/search", params={"q": "statistique", "lang": "fr", "language": ["fr", "en"], "per_page": 5})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] >= 2 and len(body["results"]) <= 5
    assert {h["language"] for h in body["results"]} <= {"fr", "en"}
    assert set(body["facets"]) >= {
        "language",
        "provider",
        "organisation",
        "subject",
        "eqf_level",
        "price",
        "certificate_type",
        "ects",
        "pace",
        "starts_within",
        "workload",
    }
    # disjunctive: the chosen languages' counts add up to the total, and the other languages stay listed
    assert sum(f["count"] for f in body["facets"]["language"] if f["value"] in ("fr", "en")) == body["total"]
    assert {f["value"] for f in body["facets"]["language"]} - {"fr", "en"}
    assert client.get("/api/search", params={"q": "x", "sort": "price"}).status_code == 422
    assert client.get("/api/search", params={"q": "x", "price": "cheap"}).status_code == 422
    r = client.get("/api/search/suggest", params={"q": "analista de d", "lang": "es"})
    assert r.status_code == 200 and r.json()[0]["type"] == "occupation"


def test_cli_json_contract(search_db):
    url, _, _ = search_db
    res = CliRunner().invoke(
        cli_app,
        [
            "search",
            "estadistica aplicada",
            "--lang",
            "es",
            "--limit",
            "3",
            "--json",
            "--no-embeddings",
            "--database-url",
            url,
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert set(out) == {"total", "results"} and out["total"] >= 1
    assert set(out["results"][0]) == {"id", "title", "url", "language", "provider", "score"}
    assert out["results"][0]["url"] == URL["estadistica"] and len(out["results"]) <= 3
