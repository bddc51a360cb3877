"""Server-side behaviour of the portal pages (no browser): language choice, page content in each
language, the course page's schema.org data, search filters and facet counts, the plan, and the
completeness of the gettext catalogues."""

from __future__ import annotations

import json
import re

import pytest
from babel.messages.extract import extract_from_dir

from emclm.db.session import session_scope
from emclm.web import i18n
from tests.web.helpers import REPO

PAGES = [
    "/",
    "/about",
    "/search",
    "/search?q=support&language=fr",
    "/plan",
    "/labour",
    "/labour?region=PL9",
    "/plan?current=shop+assistant&target=ICT+help+desk+agent",
    "/occupations/aaeec9a7-dc57-4485-890c-86b3eef735f9",
    "/skills/0005c151-5b5a-4a66-8aac-60e734beb1ab",
]


def html_lang(text: str) -> str:
    return re.search(r'<html lang="([a-z]+)"', text).group(1)


@pytest.mark.parametrize(
    "header, expected",
    [
        ("fr-FR,fr;q=0.9,en;q=0.8", "fr"),
        ("pl-PL, de;q=0.7, en;q=0.5", "de"),  # first supported language wins
        ("en;q=0.2, nl;q=0.9", "nl"),  # by weight, not order
        ("ja-JP", "en"),
        ("", "en"),
        ("es;q=0, it", "it"),  # q=0 means "not this one"
    ],
)
def test_accept_language(header, expected):
    assert i18n.choose_language(None, None, header) == expected


def test_choice_beats_cookie_beats_browser():
    assert i18n.choose_language("it", "de", "fr") == "it"
    assert i18n.choose_language(None, "de", "fr") == "de"
    assert i18n.choose_language("xx", "zz", "es-ES") == "es"


@pytest.mark.parametrize("lang", sorted(i18n.LANGUAGES))
def test_every_page_declares_its_language(client, lang):
    client.cookies.clear()
    for path in PAGES:
        r = client.get(path, headers={"Accept-Language": lang})
        assert r.status_code == 200, path
        assert html_lang(r.text) == lang, path
        assert r.headers["content-language"] == lang
    client.cookies.clear()


def test_language_choice_is_remembered(client):
    client.cookies.clear()
    r = client.get("/?lang=es", headers={"Accept-Language": "de"})
    assert html_lang(r.text) == "es" and "Buscar un curso" in r.text
    r = client.get("/about", headers={"Accept-Language": "de"})
    assert html_lang(r.text) == "es"
    client.cookies.clear()
    assert html_lang(client.get("/about", headers={"Accept-Language": "de"}).text) == "de"


def test_home_keeps_counts_api_link_and_attribution(client):
    client.cookies.clear()
    r = client.get("/")
    assert "13,896" in r.text and "3,007" in r.text and 'href="/api/docs"' in r.text
    fr = client.get("/", headers={"Accept-Language": "fr"}).text
    assert "13\u202f896" in fr or "13 896" in fr  # French digit grouping
    about = client.get("/about", headers={"Accept-Language": "nl"}).text
    assert "This service uses the ESCO classification of the European Commission" in about
    assert "Deze dienst gebruikt de ESCO-classificatie van de Europese Commissie" in about


def test_course_page_facts_and_jsonld(client, web_db):
    client.cookies.clear()
    course_id = web_db["course_ids"][1]  # English, self-paced, 3 ECTS, identity checked, verified certificate
    r = client.get(f"/courses/{course_id}")
    assert r.status_code == 200
    text = r.text
    for fact in ("Verified certificate", "ECTS credits", "Identity check", "Self-paced: start whenever you like."):
        assert fact in text
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', text, re.S).group(1))
    assert data["@context"] == "https://schema.org" and data["@type"] == "Course"
    assert data["provider"]["name"] == "FUN MOOC"
    assert data["numberOfCredits"]["value"] == 3.0 and data["educationalLevel"] == "EQF 5"
    assert data["teaches"]
    # self-paced, no dated run: one undated instance that says so
    assert data["hasCourseInstance"] == [
        {
            "@type": "CourseInstance",
            "courseMode": "online",
            "courseSchedule": {"@type": "Schedule", "repeatFrequency": "P1D", "description": "self-paced"},
            "inLanguage": data["inLanguage"],
            "courseWorkload": data["timeRequired"],
        }
    ]
    scheduled = client.get(f"/courses/{web_db['course_ids'][0]}").text
    inst = json.loads(re.search(r'ld\+json">(.*?)</script>', scheduled, re.S).group(1))["hasCourseInstance"]
    assert inst[0]["@type"] == "CourseInstance" and inst[0]["courseMode"] == "online" and inst[0]["startDate"]
    assert 'href="/occupations/aaeec9a7-dc57-4485-890c-86b3eef735f9"' in scheduled


def test_jsonld_cannot_close_the_script_element(client, web_db):
    from emclm.catalogue.models import Course
    from emclm.db.session import session_scope

    course_id = web_db["course_ids"][5]
    with session_scope(web_db["url"]) as s:
        course = s.get(Course, course_id)
        old = course.description
        course.description = "</script><script>alert(1)</script>"
    try:
        text = client.get(f"/courses/{course_id}").text
        assert "<script>alert(1)" not in text
        data = json.loads(re.search(r'ld\+json">(.*?)</script>', text, re.S).group(1))
        assert data["description"] == "</script><script>alert(1)</script>"
    finally:
        with session_scope(web_db["url"]) as s:
            s.get(Course, course_id).description = old


def test_unknown_pages_are_404_in_the_users_language(client):
    client.cookies.clear()
    for path in ("/courses/999999", "/skills/not-a-skill", "/occupations/not-an-occupation"):
        r = client.get(path, headers={"Accept-Language": "it"})
        assert r.status_code == 404 and "Non trovato" in r.text


def test_search_filters_chips_and_counts(client, web_db):
    client.cookies.clear()
    r = client.get("/search", params=[("q", "Lumorix"), ("language", "fr"), ("price", "free")])
    # the six French free Lumorix fixture courses, plus whatever the shipped course vectors find
    # near the word: the page states the domain's own total for the same request
    from emclm.search import Filters, SearchRequest, search

    with session_scope(web_db["url"]) as s:
        res = search(s, SearchRequest(q="Lumorix", filters=Filters(language=["fr"], price=["free"])))
    titles = [h.title for h in res.results]
    assert res.total >= 6 and all("Lumorix" in t for t in titles[:6]), titles
    assert f"{res.total} courses found" in r.text
    chips = re.findall(r'<a class="chip" href="([^"]+)"', r.text)
    assert len(chips) == 2
    # each chip's link drops exactly its own filter
    assert any("language" not in c and "price=free" in c for c in chips)
    assert any("price" not in c and "language=fr" in c for c in chips)
    found = re.search(r"(\d+) courses found", client.get("/search?q=support").text)
    assert int(found.group(1)) >= 16
    # a string of no language: nothing matches its words; whatever the course vectors find near it
    # is shown under a notice that says so
    page = client.get("/search?q=zzzzqqq").text
    assert "No course matches" in page
    assert ('data-testid="by-meaning"' in page) == ('class="hit"' in page)


def test_plan_shows_gap_in_french(client):
    client.cookies.clear()
    r = client.get(
        "/plan",
        params={"current": "employé de magasin", "target": "agent de service d’assistance informatique", "lang": "fr"},
    )
    assert "Il vous manque" in r.text and "fournir une assistance TIC" in r.text
    # an unknown occupation is said so, with suggestions
    client.cookies.clear()
    r = client.get("/plan", params={"target": "qqqzzzxx"})
    assert "We did not find the target occupation: qqqzzzxx" in r.text
    # a typo is forgiven
    assert "Towards data analyst." in client.get("/plan", params={"target": "data analist"}).text


def test_occupation_suggestions_in_the_users_language(client):
    r = client.get("/suggest/occupations", params={"target": "analyste de don", "lang": "fr"})
    assert '<option value="analyste de données">' in r.text
    client.cookies.clear()


def test_every_ui_string_is_translated_in_every_language():
    method_map = [("src/emclm/web/templates/**.html", "jinja2"), ("src/emclm/web/**.py", "python")]
    options = {"src/emclm/web/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    ids = {
        msg[2] if isinstance(msg[2], str) else msg[2][0]
        for msg in extract_from_dir(str(REPO), method_map, options_map=options)
    }
    assert len(ids) > 100
    for lang in i18n.LANGUAGES:
        if lang == i18n.DEFAULT_LANG:
            continue
        catalog = i18n.translations(lang)
        known = catalog._catalog  # msgid (or (msgid, n) for plurals) -> translation
        missing = sorted(m for m in ids if m not in known and (m, 0) not in known)
        assert not missing, f"{lang}: untranslated UI text {missing[:10]}"


def test_english_fallback_labels_are_marked_for_screen_readers(client):
    client.cookies.clear()
    # the shipped ESCO has skill labels in en/fr/es/de/fi/sv only: an Italian page shows English skill labels
    it = client.get("/occupations/aaeec9a7-dc57-4485-890c-86b3eef735f9", headers={"Accept-Language": "it"}).text
    assert re.search(r'<a href="/skills/[^"]+" lang="en">provide ICT support</a>', it)
    de = client.get("/occupations/aaeec9a7-dc57-4485-890c-86b3eef735f9", headers={"Accept-Language": "de"}).text
    assert re.search(r'<a href="/skills/[^"]+">IKT-Support leisten</a>', de)
    fr = client.get("/occupations/aaeec9a7-dc57-4485-890c-86b3eef735f9", headers={"Accept-Language": "fr"}).text
    assert re.search(r'<a href="/skills/[^"]+">fournir une assistance TIC</a>', fr)


def test_labour_page_figures_come_from_the_vacancies(client, web_db):
    from emclm.db.session import session_scope
    from emclm.labour.demand import Filters, demand

    with session_scope(web_db["url"]) as s:
        expected = demand(s, "skill", Filters(region="SE"), limit=15)
    assert expected["total_vacancies"] > 0 and expected["items"]
    client.cookies.clear()
    text = client.get("/labour", params={"region": "SE", "lang": "en"}).text
    assert f"{int(expected['total_vacancies'])} vacancies." in text
    assert expected["items"][0]["label"] in text
    bad = client.get("/labour", params={"region": "not a region", "lang": "en"})
    assert bad.status_code == 200 and 'role="alert"' in bad.text and "NUTS" in bad.text
