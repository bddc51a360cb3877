"""The query's language comes from the query, not from the interface (issue 14, item 1): the same
words give the same total and the same courses under every interface language, in the domain
function, in ``GET /api/search?lang=…`` and on the web search page. Over the built demo database."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from emclm.db.session import session_scope
from emclm.search import Filters, SearchRequest, search
from emclm.search.language import detect_query_languages

UI_LANGS = ("en", "fr", "es", "it", "nl", "de")
QUERIES = [
    ("cybersecurity", {}),
    ("analyse de données", {"price": "free"}),
    ("Datenanalyse", {}),
    ("aprendizaje automático", {}),
    ("logistiek planner", {}),
    ("python", {}),
]


@pytest.fixture(scope="module")
def demo_client(esco_db_url):
    from emclm.api.app import create_app

    return TestClient(create_app(esco_db_url))


def _domain(url: str, q: str, lang: str, filters: dict) -> tuple[int, list[int]]:
    with session_scope(url) as session:
        res = search(session, SearchRequest(q=q, lang=lang, filters=Filters(**filters), per_page=20, embeddings=False))
    return res.total, [h.id for h in res.results]


@pytest.mark.parametrize(("q", "filters"), QUERIES)
def test_domain_search_is_the_same_under_every_ui_language(esco_db_url, q, filters):
    got = {lang: _domain(esco_db_url, q, lang, filters) for lang in UI_LANGS}
    assert got["en"][0] > 0, f"{q!r} finds nothing"
    for lang in UI_LANGS:
        assert got[lang] == got["en"], f"{q!r} under ui lang {lang}: {got[lang][0]} vs {got['en'][0]} (en)"


def test_english_word_is_found_with_any_ui_language(esco_db_url):
    # the example: 14 courses with the English UI, 0 with fr/de/nl/es/it
    for lang in UI_LANGS:
        total, ids = _domain(esco_db_url, "cybersecurity", lang, {})
        assert total >= 10 and ids


@pytest.mark.parametrize(("q", "filters"), QUERIES[:4])
def test_api_search_is_the_same_for_every_lang_parameter(demo_client, q, filters):
    seen = {}
    for lang in UI_LANGS:
        r = demo_client.get("/api/search", params={"q": q, "lang": lang, "per_page": 20, **filters})
        assert r.status_code == 200, r.text
        body = r.json()
        seen[lang] = (body["total"], [h["id"] for h in body["results"]])
        assert body["query"]["ui_lang"] == lang
    assert seen["en"][0] > 0
    assert all(v == seen["en"] for v in seen.values()), seen


def _page(client, q: str, lang: str, filters: dict) -> tuple[int, list[int]]:
    r = client.get("/search", params={"q": q, "lang": lang, **filters})
    assert r.status_code == 200, r.text
    html = r.text
    assert f'lang="{lang}"' in html  # the page is in that language
    count = re.search(r'data-testid="result-count">\s*([^<]*?)\s*<', html).group(1)
    total = int(re.sub(r"\D", "", re.search(r"\d[\d\s.,\u202f\u00a0]*", count).group(0)))  # "1 234", "1.234"
    ids = [int(i) for i in re.findall(r'<h3><a href="/courses/(\d+)">', html)]
    return total, ids


@pytest.mark.parametrize(("q", "filters"), QUERIES[:3])
def test_web_search_page_is_the_same_under_every_ui_language(demo_client, q, filters):
    seen = {lang: _page(demo_client, q, lang, filters) for lang in UI_LANGS}
    assert seen["en"][0] > 0 and seen["en"][1]
    assert all(v == seen["en"] for v in seen.values()), seen


@pytest.mark.parametrize(
    ("q", "lang"),
    [("analyse de données", "fr"), ("Projektmanagement", "de"), ("estadística", "es"), ("cybersecurity", "en")],
)
def test_detector_reads_the_language_of_the_words(q, lang):
    assert detect_query_languages(q, ("en", "fr", "es", "de", "it", "nl", "pl", "pt"))[0] == lang


def test_unsure_short_query_is_analysed_in_several_languages():
    langs = detect_query_languages("python", ("en", "fr", "es", "de", "it", "nl", "pl", "pt"))
    assert len(langs) > 1 and "en" in langs
