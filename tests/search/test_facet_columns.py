"""The per-process facet columns (``emclm.search.columns``) give exactly what the SQL over
``search_document`` gives — filters, every facet count, labels — on SQLite and PostgreSQL, and
they follow every committed index change (and ignore rolled-back ones) without any delay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
from sqlalchemy import bindparam, text

from emclm.catalogue.models import Course, CourseRun
from emclm.db.session import session_scope
from emclm.search import Filters, SearchRequest, index_courses, search
from emclm.search import columns as facet_columns
from emclm.search.backends import backend_for
from emclm.search.facets import FACETS, facet_union_sql, filter_sql, merge_facets
from emclm.search.query import parse
from tests.search.conftest import TODAY

FILTERS = [
    Filters(),
    Filters(language=["fr", "es"]),
    Filters(language=["xx"]),
    Filters(provider=["edx"], pace=["self_paced"]),
    Filters(organisation=["Harvard University", "Universidad Carlos III de Madrid"]),
    Filters(subject=["Data Analysis & Statistics"]),
    Filters(eqf_level=[6]),
    Filters(price="free"),
    Filters(price="paid"),
    Filters(certificate_type=["verified"]),
    Filters(ects=["any"]),
    Filters(ects=["lt3", "6plus"]),
    Filters(ects=["any", "3-5"]),
    Filters(workload=["10-30", "100plus"]),
    Filters(workload_max_hours=14),
    Filters(starts_within_weeks=4),
    Filters(starts_within_weeks=12, pace=["scheduled"]),
]
QUERIES = [("", None), ("statistics", "en"), ("datos", "es"), ("data", None), ("disegno", "it")]


@pytest.fixture
def varied_db(search_db):
    """The search corpus with the facet values the fixtures lack: prices, ECTS, EQF levels, more runs."""
    url, ids, concepts = search_db
    with session_scope(url) as session:
        for name, price, ects, eqf in (
            ("python", Decimal(49), 2.0, 6),
            ("sql", Decimal(99), 4.0, 5),
            ("bigdata", None, 10.0, 6),
            ("graphen", None, 0.0, None),
        ):
            course = session.get(Course, ids[name])
            course.price, course.free_audit, course.ects_credits, course.eqf_level = price, False, ects, eqf
        session.add(CourseRun(course_id=ids["sql"], run_key="soon", start_date=TODAY + timedelta(days=5)))
        session.add(CourseRun(course_id=ids["sql"], run_key="past", start_date=TODAY - timedelta(days=30)))
        session.add(
            CourseRun(
                course_id=ids["bigdata"],
                run_key="gone",
                start_date=TODAY + timedelta(days=6),
                withdrawn_at=datetime.now(UTC),
            )
        )
        session.flush()
        index_courses(session, ids.values())
    return url, ids, concepts


def sql_reference(session, q: str, lang: str | None, f: Filters):
    """The former SQL path: ids passing filter_sql, and facet_union_sql over the full-text matches."""
    where, params, expanding = filter_sql(f, TODAY)
    backend = backend_for(session)
    pq = parse(session, q, lang, ["en", "fr", "es", "de", "it"])
    match = backend.match_sql(pq.clauses) if pq.clauses else None
    if match is not None:
        base_from, base_where = match.from_sql, [match.where_sql] + where
        params.update(match.params)
    else:
        base_from, base_where = "search_document d", list(where)
    where_sql = (" WHERE " + " AND ".join(base_where)) if base_where else ""
    cols, union = facet_union_sql(params, TODAY)
    stmt = text(
        "WITH m AS MATERIALIZED (SELECT d.language, d.provider, d.provider_name, d.organisation, d.subject,"
        f" d.eqf_level, d.is_free, d.certificate_type, d.ects_credits, d.pace, d.workload_hours{cols}"
        f" FROM {base_from}{where_sql}) {union}"
    )
    ids_stmt = text(f"SELECT d.course_id FROM {base_from}{where_sql}")
    if expanding:
        stmt, ids_stmt = stmt.bindparams(*expanding), ids_stmt.bindparams(*expanding)
    total, facets = merge_facets(list(session.execute(stmt, params)), {})
    return set(session.execute(ids_stmt, params).scalars()), total, facets, match


@pytest.mark.parametrize("q,lang", QUERIES)
def test_columns_filters_and_facet_counts_equal_the_sql(varied_db, q, lang):
    url, _, _ = varied_db
    with session_scope(url) as session:
        cols = facet_columns.columns(session)
        for f in FILTERS:
            ref_ids, ref_total, ref_facets, match = sql_reference(session, q, lang, f)
            if match is not None:
                src, id_col = match.index_only or (match.from_sql, "d.course_id")
                hit = list(
                    session.execute(text(f"SELECT {id_col} FROM {src} WHERE {match.where_sql}"), match.params).scalars()
                )
                pos = cols.locate(hit)
            else:
                pos = np.arange(len(cols))
            mask = cols.filter_mask(f, TODAY)
            if mask is not None:
                pos = pos[mask[pos]]
            assert set(cols.ids[pos].tolist()) == ref_ids, (q, f)
            total, facets = merge_facets(cols.facet_rows(pos, TODAY), {})
            assert (total, facets) == (ref_total, ref_facets), (q, f)
    # the corpus really exercises the facets compared above
    with session_scope(url) as session:
        _, _, browse, _ = sql_reference(session, "", None, Filters())
    assert {x["value"] for x in browse["price"]} == {"free", "paid"}
    assert {x["value"] for x in browse["ects"]} == {"lt3", "3-5", "6plus"}
    assert {x["value"] for x in browse["eqf_level"]} == {"5", "6"}
    assert browse["provider"][0]["label"] == "edX"


def test_search_total_and_facets_equal_the_sql_for_text_only_queries(varied_db):
    url, _, _ = varied_db
    with session_scope(url) as session:
        for f in FILTERS:
            ref_ids, ref_total, ref_facets, _ = sql_reference(session, "statistics", "en", f)
            res = search(
                session,
                SearchRequest(q="statistics", lang="en", filters=f, embeddings=False, today=TODAY, per_page=100),
            )
            # concept paths may add courses: the full-text ones are all there and counted
            assert ref_ids <= {h.id for h in res.results} and res.total >= ref_total
            # disjunctive counts: a facet with a selection is counted as the SQL counts it without that selection
            for name in FACETS:
                own = f.without(name)
                _, own_total, own_facets, _ = sql_reference(session, "statistics", "en", own)
                own_res = search(
                    session,
                    SearchRequest(q="statistics", lang="en", filters=own, embeddings=False, today=TODAY, facets=False),
                )
                if own_res.total == own_total:
                    assert res.facets[name] == own_facets[name], (f, name)


def test_columns_follow_commits_and_ignore_rollbacks(varied_db):
    url, ids, _ = varied_db

    def browse_facet(name):
        with session_scope(url) as session:
            res = search(session, SearchRequest(q="", embeddings=False, today=TODAY, per_page=100))
            return res.total, {x["value"]: x["count"] for x in res.facets[name]}

    total, langs = browse_facet("language")
    assert (total, langs["it"]) == (11, 1)
    with session_scope(url) as session:  # a committed change: seen by the next search
        session.get(Course, ids["disegno"]).language = "fr"
        session.flush()
        index_courses(session, [ids["disegno"]])
    total, langs = browse_facet("language")
    assert "it" not in langs and langs["fr"] == 3
    with session_scope(url) as session:  # searched inside the writing transaction, then rolled back
        session.get(Course, ids["dibujo"]).language = "it"
        session.flush()
        index_courses(session, [ids["dibujo"]])
        inside = search(session, SearchRequest(q="", embeddings=False, today=TODAY, per_page=100))
        assert {x["value"]: x["count"] for x in inside.facets["language"]}["it"] == 1
        session.rollback()
    total, langs = browse_facet("language")
    assert "it" not in langs and langs["es"] == 2
    with session_scope(url) as session:  # a withdrawal leaves totals and counts at once
        session.get(Course, ids["sql"]).withdrawn_at = datetime.now(UTC)
        session.flush()
        index_courses(session, [ids["sql"]])
    total, prices = browse_facet("price")
    assert total == 10 and prices["paid"] == 1
    with session_scope(url) as session:
        gen = facet_columns.generation(session)
        res = search(session, SearchRequest(q="sql", lang="en", embeddings=False, today=TODAY))
        assert ids["sql"] not in {h.id for h in res.results}
        assert facet_columns.columns(session).generation == gen


def test_filtered_rankings_match_the_sql_order(varied_db):
    """Sorting by start date / workload from the columns gives the SQL ORDER BY of the old path."""
    url, ids, _ = varied_db
    with session_scope(url) as session:
        by_start = search(session, SearchRequest(q="", sort="start_date", embeddings=False, today=TODAY, per_page=100))
        starts = [h.next_start for h in by_start.results]
        dated = [s for s in starts if s]
        assert dated == sorted(dated) and starts[: len(dated)] == dated
        assert by_start.results[0].id == ids["sql"]  # its live run in 5 days; bigdata's withdrawn run ignored
        ids_sql = list(
            session.execute(
                text(
                    "SELECT course_id FROM search_document WHERE course_id IN :ids ORDER BY workload_hours IS NULL,"
                    " workload_hours, course_id"
                ).bindparams(bindparam("ids", expanding=True)),
                {"ids": list(ids.values())},
            ).scalars()
        )
        by_wl = search(session, SearchRequest(q="", sort="workload", embeddings=False, today=TODAY, per_page=100))
        assert [h.id for h in by_wl.results] == ids_sql


def test_remembered_concept_rankings_follow_index_changes(varied_db):
    """The concept-phrase rankings are kept per index generation: a course that gains the Spanish
    label of the skill is found through it at once, with and without filters."""
    url, ids, _ = varied_db

    def found(f=None):
        with session_scope(url) as session:
            res = search(
                session,
                SearchRequest(
                    q="analyse de données",
                    lang="fr",
                    embeddings=False,
                    today=TODAY,
                    per_page=50,
                    filters=f or Filters(),
                ),
            )
            return {h.id: h.matched_by for h in res.results}

    assert ids["dibujo"] not in found() and ids["dibujo"] not in found(Filters(language=["es"]))
    with session_scope(url) as session:
        session.get(Course, ids["dibujo"]).description = "Curso de análisis de datos para artistas."
        session.flush()
        index_courses(session, [ids["dibujo"]])
    assert "concept_text" in found()[ids["dibujo"]]
    assert "concept_text" in found(Filters(language=["es"]))[ids["dibujo"]]


def test_remembered_tag_rankings_follow_index_changes(varied_db):
    """Skill-tag and occupation-coverage rankings are kept per index generation: a course that gets
    the skill's tag is found through it by the next search, its coverage of the occupation too."""
    from emclm.skills.models import CourseSkill
    from tests.search.conftest import STATISTICS

    url, ids, concepts = varied_db

    def tagged(q: str) -> dict[int, list[str]]:
        with session_scope(url) as session:
            res = search(session, SearchRequest(q=q, lang="en", embeddings=False, today=TODAY, per_page=100))
            return {h.id: h.matched_by for h in res.results if "skill" in h.matched_by}

    assert ids["dibujo"] not in tagged("statistics")
    with session_scope(url) as session:
        session.add(CourseSkill(course_id=ids["dibujo"], skill_id=concepts[STATISTICS], score=0.9, status="auto"))
        session.flush()
        index_courses(session, [ids["dibujo"]])
    assert ids["dibujo"] in tagged("statistics")
