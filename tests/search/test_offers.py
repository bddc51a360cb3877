"""The same course listed twice (two aggregators, two providers) is one result with both offers
(issue 14, item 6): totals and facets count it once; the API and the web page show both offers."""

from __future__ import annotations

from fastapi.testclient import TestClient

from emclm.catalogue.models import Course, Organisation, Provider
from emclm.db.session import session_scope
from emclm.search import index_courses
from tests.search.test_search import run


def _relist(url, ids, key: str, organisation: str | None) -> int:
    """A second listing of a fixture course: same title and language, another provider."""
    with session_scope(url) as session:
        src = session.get(Course, ids[key])
        prov = Provider(code=f"aggregator-{key}-{organisation}", name="Another Aggregator")
        copy = Course(
            key=f"relisted-{key}-{organisation}",
            provider=prov,
            organisation=Organisation(key=f"org-{organisation}", name=organisation) if organisation else None,
            title="  " + src.title.upper() + " ",  # case and spacing aside, the same title
            description=src.description,
            language=src.language,
            url=f"https://aggregator.example/{key}",
        )
        session.add(copy)
        session.flush()
        index_courses(session, [copy.id])
        return copy.id


def test_a_relisted_course_is_one_result_with_both_offers(search_db):
    url, ids, _ = search_db
    before = run(url, "").total
    copy = _relist(url, ids, "estadistica", None)  # the copy names no organisation: it joins the original
    browse = run(url, "")
    assert browse.total == before
    assert sum(x["count"] for x in browse.facets["language"]) == browse.total
    res = run(url, "estadistica aplicada negocios", per_page=50)
    hits = [h for h in res.results if ids["estadistica"] in {o["id"] for o in h.offers}]
    assert len(hits) == 1, [(h.id, h.offers) for h in res.results]
    assert {o["id"] for o in hits[0].offers} == {ids["estadistica"], copy}
    assert hits[0].offers[0]["id"] == hits[0].id
    assert copy not in [h.id for h in res.results] or hits[0].id == copy
    assert {o["provider_name"] for o in hits[0].offers} >= {"Another Aggregator"}


def test_same_title_from_two_named_organisations_stays_two_results(search_db):
    url, ids, _ = search_db
    before = run(url, "").total
    _relist(url, ids, "estadistica", "Some Other University")
    assert run(url, "").total == before + 1


def test_api_and_web_show_both_offers(search_db):
    from emclm.api.app import create_app

    url, ids, _ = search_db
    copy = _relist(url, ids, "estadistica", None)
    client = TestClient(create_app(url))
    body = client.get("/api/search", params={"q": "estadistica aplicada negocios"}).json()
    grouped = [h for h in body["results"] if len(h["offers"]) > 1]
    assert len(grouped) == 1 and {o["id"] for o in grouped[0]["offers"]} == {ids["estadistica"], copy}
    html = client.get("/search", params={"q": "estadistica aplicada negocios", "lang": "en"}).text
    assert html.count('data-testid="offers"') == 1
    other = copy if grouped[0]["id"] == ids["estadistica"] else ids["estadistica"]
    assert f'href="/courses/{other}"' in html
