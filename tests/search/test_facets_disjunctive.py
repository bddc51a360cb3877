"""Disjunctive facets (issue 14, item 3), on both engines: values of one facet are ORed, facets are
ANDed, and each facet is counted without its own selection, so choosing a value keeps the facet's
other values, each with the number of results that choosing it would give."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient

from emclm.catalogue.models import Course
from emclm.db.session import session_scope
from emclm.search import Filters, index_courses
from tests.search.test_search import run


def counts(res, facet: str) -> dict[str, int]:
    return {x["value"]: x["count"] for x in res.facets[facet]}


def test_choosing_a_value_keeps_the_other_values_and_their_counts(search_db):
    url, _, _ = search_db
    base = run(url, "data", per_page=100)
    langs = counts(base, "language")
    assert len(langs) >= 2
    first = max(langs, key=lambda v: (langs[v], v))
    one = run(url, "data", filters=Filters(language=[first]))
    assert one.total == langs[first]
    assert counts(one, "language") == langs  # the facet's other values stay, counted as before
    for v, n in langs.items():  # each count is what choosing that value gives
        assert run(url, "data", filters=Filters(language=[v])).total == n


def test_or_within_a_facet_and_across_facets(search_db):
    url, _, _ = search_db
    langs = counts(run(url, "data"), "language")
    two = sorted(langs, key=lambda v: (-langs[v], v))[:2]
    both = run(url, "data", filters=Filters(language=two))
    assert both.total == langs[two[0]] + langs[two[1]]
    # another facet is counted under the language selection (AND across facets) ...
    prov = counts(both, "provider")
    assert prov and sum(prov.values()) == both.total
    chosen = max(prov, key=lambda v: (prov[v], v))
    narrowed = run(url, "data", filters=Filters(language=two, provider=[chosen]))
    assert narrowed.total == prov[chosen]
    # ... and keeps its own values once one of them is chosen
    assert counts(narrowed, "provider") == prov
    assert counts(narrowed, "language") == counts(run(url, "data", filters=Filters(provider=[chosen])), "language")


def test_price_values_are_ored(search_db):
    url, ids, _ = search_db
    with session_scope(url) as session:  # the fixtures list no paid course: make two paid
        for key in ("sql", "bigdata"):
            course = session.get(Course, ids[key])
            course.price, course.free_audit = Decimal("49"), False
        index_courses(session, [ids["sql"], ids["bigdata"]])
    prices = counts(run(url, ""), "price")
    assert prices.get("free") and prices.get("paid")
    assert run(url, "", filters=Filters(price=["free", "paid"])).total == prices["free"] + prices["paid"]
    free = run(url, "", filters=Filters(price=["free"]))
    assert free.total == prices["free"] and counts(free, "price") == prices


def test_api_repeated_parameter_is_or_and_counts_are_disjunctive(search_db):
    from emclm.api.app import create_app

    url, _, _ = search_db
    client = TestClient(create_app(url))
    base = client.get("/api/search", params={"q": "data"}).json()
    langs = {x["value"]: x["count"] for x in base["facets"]["language"]}
    two = sorted(langs, key=lambda v: (-langs[v], v))[:2]
    r = client.get("/api/search", params=[("q", "data")] + [("language", v) for v in two])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == langs[two[0]] + langs[two[1]]
    assert {x["value"]: x["count"] for x in body["facets"]["language"]} == langs
    r = client.get("/api/search", params=[("q", "data"), ("price", "free"), ("price", "paid")])
    assert r.status_code == 200, r.text
    assert client.get("/api/search", params={"q": "data", "price": "cheap"}).status_code == 422
