"""One facet table (``emclm.search.FACET_TABLE``) drives ``Filters``, the API parameters, the CLI
options and the web filters (issue 14, item 4): every facet is reachable from each of them."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from emclm.api.app import create_app
from emclm.cli import app as cli_app
from emclm.search import FACET_TABLE, FACETS, FilterError, Filters
from tests.search.test_search import run

EXAMPLE = {
    "language": "en",
    "provider": "edx",
    "organisation": "Harvard University",
    "subject": "Data Analysis & Statistics",
    "eqf_level": "6",
    "price": "free",
    "certificate_type": "verified",
    "ects": "any",
    "pace": "self_paced",
    "starts_within": "4",
    "workload": "10-30",
}


def test_every_facet_is_in_the_example():
    assert set(EXAMPLE) == set(FACETS) and len(FACET_TABLE) == 11


@pytest.mark.parametrize("name", FACETS)
def test_filters_from_params_select_each_facet(name):
    f = Filters.from_params(lambda n: [EXAMPLE[n]] if n == name else [])
    assert f.active() and f.selected() == {name: [EXAMPLE[name]]}
    assert not f.without(name).active()


def test_bad_values_name_the_facet_or_are_dropped():
    with pytest.raises(FilterError, match="workload"):
        Filters.from_params(lambda n: ["many"] if n == "workload" else [])
    with pytest.raises(FilterError, match="eqf_level"):
        Filters.from_params(lambda n: ["9"] if n == "eqf_level" else [])
    assert not Filters.from_params(lambda n: ["many"] if n == "workload" else [], strict=False).active()
    # repeated values: OR (a list); starts_within keeps the longest horizon
    f = Filters.from_params(lambda n: {"price": ["free", "paid"], "starts_within": ["2", "8"]}.get(n, []))
    assert f.price == ["free", "paid"] and f.starts_within_weeks == 8


def test_api_documents_and_applies_every_facet(search_db):
    url, _, _ = search_db
    client = TestClient(create_app(url))
    spec = client.get("/api/openapi.json").json()
    params = {p["name"] for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert set(FACETS) <= params
    for name, value in EXAMPLE.items():
        r = client.get("/api/search", params={"q": "data", name: value})
        assert r.status_code == 200, (name, r.text)
        expected = run(
            url, "data", filters=Filters.from_params(lambda n, name=name, value=value: [value] if n == name else [])
        )
        assert r.json()["total"] == expected.total, name
    r = client.get("/api/search", params={"q": "data", "workload": "many"})
    assert r.status_code == 422 and "workload" in r.text


def test_cli_has_an_option_per_facet(search_db):
    url, _, _ = search_db
    for name, value in EXAMPLE.items():
        res = CliRunner().invoke(
            cli_app,
            [
                "search",
                "data",
                "--" + name.replace("_", "-"),
                value,
                "--json",
                "--no-embeddings",
                "--database-url",
                url,
            ],
        )
        assert res.exit_code == 0, (name, res.output)
        expected = run(
            url, "data", filters=Filters.from_params(lambda n, name=name, value=value: [value] if n == name else [])
        )
        assert json.loads(res.stdout)["total"] == expected.total, name


def test_web_page_shows_every_facet_with_values(search_db):
    url, _, _ = search_db
    client = TestClient(create_app(url))
    res = run(url, "data")
    html = client.get("/search", params={"q": "data", "lang": "en"}).text
    shown = set(re.findall(r'<input type="checkbox" id="[^"]+" name="([a-z_]+)"', html))
    assert shown == {name for name, values in res.facets.items() if values}
    assert {"organisation", "subject", "workload"} <= shown
    # several values of one facet stay chosen (OR)
    html = client.get("/search", params=[("q", "data"), ("price", "free"), ("price", "paid")]).text
    assert len(re.findall(r'name="price" value="(?:free|paid)"\s+checked', html)) == len(res.facets["price"])
