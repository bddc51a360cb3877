"""PostgreSQL: matches and ``ts_rank`` scores computed from the per-process lexeme postings
(``emclm.search.postings``) equal what the engine computes over ``search_document.tsv``, for the
user's words (several configurations, a phrase) and for concept phrase expansions; and the
postings follow index changes."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from emclm.db.session import session_scope
from emclm.search import SearchRequest, index_courses, postings, search
from emclm.search import columns as facet_columns
from emclm.search.backends import Clause, backend_for
from emclm.search.query import parse

QUERIES = [("statistics", "en"), ("data analysis", None), ("análisis de datos", "es"), ("learn python programming", "en"),
           ("courses to become a data analyst", "en"), ("Datenanalyse", "de"), ("dibujo", "es")]


def _engine(session, match) -> dict[int, float]:
    rows = session.execute(
        text(f"SELECT d.course_id, {match.score_sql} FROM {match.from_sql} WHERE {match.where_sql}"), match.params
    ).all()
    return {cid: float(score) for cid, score in rows}


def _from_postings(session, backend, cols, match, clauses) -> dict[int, float]:
    pm = backend.posting_match(session, cols, clauses)
    assert pm is not None
    ids = cols.ids[pm.candidates]
    unknown = ids[~pm.known].tolist()
    checked = dict(backend.check(session, match, unknown))
    out = {}
    for cid, known, score in zip(ids.tolist(), pm.known.tolist(), pm.scores.tolist()):
        if known or cid in checked:
            out[cid] = score if pm.exact_scores else checked[cid]
    # candidates come best first
    assert list(pm.scores) == sorted(pm.scores, reverse=True)
    return out


# postings are the PostgreSQL backend's: these tests take only the PostgreSQL case of ``db_url``
on_postgresql = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


@pytest.fixture
def pg_search_db(search_db):
    url, ids, concepts = search_db
    assert url.startswith("postgresql")
    postings.clear()
    return url, ids, concepts


@on_postgresql
@pytest.mark.parametrize("q,lang", QUERIES)
def test_postings_give_the_engines_matches_and_scores(pg_search_db, q, lang):
    url, _, _ = pg_search_db
    with session_scope(url) as session:
        backend = backend_for(session)
        cols = facet_columns.columns(session)
        pq = parse(session, q, lang, ["en", "fr", "es", "de", "it"])
        compared = 0
        for clauses in (pq.clauses, pq.expansions, pq.skill_expansions):
            match = backend.match_sql(clauses) if clauses else None
            if match is None:
                continue
            want = _engine(session, match)
            got = _from_postings(session, backend, cols, match, clauses)
            assert set(got) == set(want), (q, clauses)
            for cid, score in want.items():
                assert got[cid] == pytest.approx(score, rel=1e-5, abs=1e-7), (q, cid)
            compared += len(want)
        assert compared > 0, q


@on_postgresql
def test_a_phrase_needs_its_words_in_order(pg_search_db):
    """Candidates with both words elsewhere are checked by the engine, and only real phrases stay."""
    url, _, _ = pg_search_db
    with session_scope(url) as session:
        backend = backend_for(session)
        cols = facet_columns.columns(session)
        clauses = [Clause(lang="en", tokens=["data", "science"], phrase=True)]
        match = backend.match_sql(clauses)
        pm = backend.posting_match(session, cols, clauses)
        want = _engine(session, match)
        got = _from_postings(session, backend, cols, match, clauses)
        assert set(got) == set(want) and want
        assert not pm.known.any() and not pm.exact_scores
        assert len(pm.candidates) > len(want)  # courses with both words, not as a phrase, were candidates


@on_postgresql
def test_postings_follow_index_changes(pg_search_db):
    """A word's postings fetched before an index change are not used after it (any process)."""
    url, ids, _ = pg_search_db
    with session_scope(url) as session:
        assert search(session, SearchRequest(q="zyxwv", lang="en", embeddings=False, typo=False)).total == 0
    with session_scope(url) as session:
        session.execute(text("UPDATE catalogue_course SET title = 'Zyxwv kursus' WHERE id = :i"), {"i": ids["stats_r"]})
        index_courses(session, [ids["stats_r"]])
    with session_scope(url) as session:
        hit = search(session, SearchRequest(q="zyxwv", lang="en", embeddings=False, typo=False))
        assert [h.id for h in hit.results] == [ids["stats_r"]]


def test_parse_tsquery():
    assert postings.parse_tsquery("'design' | 'design' | 'data'", False).lexemes == ["design", "data"]
    assert postings.parse_tsquery("'director' <2> 'arte'", True) == postings.Piece(["director", "arte"], True)
    assert postings.parse_tsquery("'it''s'", False).lexemes == ["it's"]
    assert postings.parse_tsquery("'a':* | 'b'", False) is None  # prefix: the engine answers
    assert postings.parse_tsquery("'a' & 'b'", False) is None
    assert postings.parse_tsquery("", False).lexemes == []
