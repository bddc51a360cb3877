"""Cross-lingual retrieval, ESCO concepts, occupations, facets, filters, paging and consistency,
on SQLite (FTS5) and PostgreSQL (tsvector) alike."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from emclm.catalogue.models import Course
from emclm.db.session import session_scope
from emclm.search import Filters, SearchError, SearchRequest, enable_auto_indexing, index_courses, search, suggest
from emclm.skills.models import CourseSkill
from tests.search.conftest import DATA_ANALYST, STATISTICS, TODAY, URL


def run(url, q="", lang=None, **kw):
    kw.setdefault("embeddings", False)
    kw.setdefault("today", TODAY)
    with session_scope(url) as session:
        return search(session, SearchRequest(q=q, lang=lang, **kw))


def urls(res) -> list[str]:
    return [h.url for h in res.results]


def test_same_language_stemming_and_accents(search_db):
    url, ids, _ = search_db
    # "statistiques" (plural, no accent issue) finds the French statistics courses through the French stemmer
    res = run(url, "statistiques", lang="fr")
    assert {URL["stat_r_fr"], URL["fondamentaux"]} <= set(urls(res))
    assert URL["dibujo"] not in urls(res)
    # typed without accents: "estadistica aplicada" still finds "Estadística Aplicada a los Negocios" first
    res = run(url, "estadistica aplicada", lang="es")
    assert urls(res)[0] == URL["estadistica"]


def test_french_query_finds_english_and_spanish_data_analysis(search_db):
    url, _, _ = search_db
    res = run(url, "analyse de données", lang="fr", per_page=50)
    found = urls(res)
    assert URL["estadistica"] in found  # Spanish: "análisis de datos" (ESCO es label of the same skill)
    assert URL["bigdata"] in found  # English: "data analytics" (ESCO en label)
    assert URL["dibujo"] not in found and URL["disegno"] not in found
    assert any(c["type"] == "skill" for c in res.query["concepts"])


def test_german_compound_query_goes_through_the_occupation(search_db):
    url, _, _ = search_db
    res = run(url, "Datenanalyse", lang="de", per_page=50)
    found = urls(res)
    assert DATA_ANALYST in [c["uri"] for c in res.query["concepts"]]
    assert URL["stats_r"] in found and URL["estadistica"] in found  # "statistics" / "estadística": essential skill
    assert URL["dibujo"] not in found


def test_occupation_query_ranks_by_essential_skill_coverage(search_db):
    url, ids, concepts = search_db
    with session_scope(url) as session:
        # the SQL course covers two essential skills of "data analyst", the R course one
        essential = [cid for uri, cid in concepts.items() if uri not in (DATA_ANALYST,) and "/skill/" in uri]
        for skill_id in essential[:2]:
            session.add(CourseSkill(course_id=ids["sql"], skill_id=skill_id, score=0.9))
        session.add(CourseSkill(course_id=ids["graphen"], skill_id=essential[0], score=0.9))
        index_courses(session, [ids["sql"], ids["graphen"]])
    for q in (DATA_ANALYST, "courses to become a data analyst"):
        res = run(url, q, lang="en", per_page=50)
        by_url = {h.url: h for h in res.results}
        assert by_url[URL["sql"]].coverage > by_url[URL["graphen"]].coverage > 0
        assert urls(res).index(URL["sql"]) < urls(res).index(URL["graphen"])
        assert "occupation" in by_url[URL["sql"]].matched_by


def test_skill_tags_are_a_retrieval_path(search_db):
    url, ids, concepts = search_db
    with session_scope(url) as session:
        session.add(CourseSkill(course_id=ids["homepage"], skill_id=concepts[STATISTICS], score=1.0))
        rejected = CourseSkill(course_id=ids["disegno"], skill_id=concepts[STATISTICS], score=1.0, status="rejected")
        session.add(rejected)
    res = run(url, STATISTICS, per_page=50)
    assert URL["homepage"] in urls(res)  # tagged, although its text never says "statistics"
    assert URL["disegno"] not in urls(res)  # a curator rejected that tag


def test_typo_tolerance(search_db):
    url, _, _ = search_db
    res = run(url, "statistcs", lang="en")
    assert res.query["corrections"] == {"statistcs": "statistics"}
    assert URL["stats_r"] in urls(res)


def test_facet_counts_and_filters_combine(search_db):
    url, ids, _ = search_db
    res = run(url, "")  # browse everything
    assert res.total == 11
    langs = {f["value"]: f["count"] for f in res.facets["language"]}
    assert langs == {"en": 4, "es": 2, "fr": 2, "de": 2, "it": 1}
    assert sum(f["count"] for f in res.facets["pace"]) == 11
    providers = {f["value"]: f["label"] for f in res.facets["provider"]}
    assert providers["edx"] == "edX"
    starts = {f["value"]: f["count"] for f in res.facets["starts_within"]}
    self_paced = {f["value"]: f["count"] for f in res.facets["pace"]}["self_paced"]
    assert starts["4"] == self_paced + 1 and starts["12"] == self_paced + 2

    res = run(url, "statistics", filters=Filters(language=["fr", "es"]), per_page=50)
    assert res.results and {h.language for h in res.results} <= {"fr", "es"}
    res2 = run(url, "statistics", filters=Filters(language=["fr", "es"], pace=["scheduled"]), per_page=50)
    assert {h.url for h in res2.results} == {URL["stat_r_fr"], URL["fondamentaux"]}
    assert {f["value"]: f["count"] for f in res2.facets["language"]} == {"fr": 2}
    res3 = run(url, "statistics", filters=Filters(pace=["scheduled"], starts_within_weeks=4), per_page=50)
    assert urls(res3) == [URL["stat_r_fr"]]
    res4 = run(url, "", filters=Filters(workload=["10-30"]), per_page=50)
    assert res4.total > 0 and all(10 <= h.workload_hours < 30 for h in res4.results)
    assert run(url, "", filters=Filters(price="paid")).total == 0


def test_sort_and_pagination(search_db):
    url, _, _ = search_db
    full = run(url, "", per_page=100, sort="workload")
    hours = [h.workload_hours for h in full.results if h.workload_hours is not None]
    assert hours == sorted(hours) and full.results[-1].workload_hours is None
    pages = [run(url, "", per_page=4, page=p, sort="workload") for p in (1, 2, 3)]
    assert [h.id for p in pages for h in p.results] == [h.id for h in full.results]
    assert all(p.total == 11 for p in pages)
    by_start = run(url, "statistique", lang="fr", sort="start_date")
    assert urls(by_start)[:2] == [URL["stat_r_fr"], URL["fondamentaux"]]
    with pytest.raises(SearchError):
        run(url, "x", sort="price")


def test_changed_course_is_searchable_and_withdrawn_disappears(search_db):
    url, ids, _ = search_db
    enable_auto_indexing()
    assert run(url, "acquerelli", lang="it").total == 0
    with session_scope(url) as session:  # a harvest changes the (Italian) course: no explicit index call
        course = session.get(Course, ids["disegno"])
        course.title = "Acquerello e luce"
    assert urls(run(url, "acquerelli", lang="it")) == [URL["disegno"]]
    with session_scope(url) as session:
        session.get(Course, ids["disegno"]).withdrawn_at = datetime.now(UTC)
    assert run(url, "acquerelli", lang="it").total == 0
    assert URL["disegno"] not in urls(run(url, "", per_page=100))
    with session_scope(url) as session:  # a rolled-back change never reaches the index
        session.get(Course, ids["dibujo"]).title = "Zzyzx"
        session.rollback()
    assert run(url, "zzyzx").total == 0


def test_suggest_skills_and_occupations_in_the_users_language(search_db):
    url, _, _ = search_db
    with session_scope(url) as session:
        hits = suggest(session, "analyste de donn", "fr")
        assert hits and hits[0]["uri"] == DATA_ANALYST and hits[0]["type"] == "occupation"
        de = suggest(session, "Datenanal", "de")
        assert DATA_ANALYST in [h["uri"] for h in de]
