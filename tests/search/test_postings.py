"""Matches and scores computed from the per-process postings (``emclm.search.postings``) equal what
the engine computes, for the user's words (several languages, a phrase) and for concept phrase
expansions: PostgreSQL's ``ts_rank`` over ``search_document.tsv`` to float rounding, SQLite's FTS5
``bm25`` bit for bit. The postings follow index changes; the warm-up fetches the frequent terms."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from emclm.db.session import session_scope
from emclm.search import SearchRequest, index_courses, postings, search
from emclm.search import columns as facet_columns
from emclm.search.backends import Clause, backend_for
from emclm.search.query import parse
from emclm.search.state import state_for

QUERIES = [
    ("statistics", "en"),
    ("data analysis", None),
    ("análisis de datos", "es"),
    ("learn python programming", "en"),
    ("courses to become a data analyst", "en"),
    ("Datenanalyse", "de"),
    ("dibujo", "es"),
]


def _engine(session, match) -> dict[int, float]:
    rows = session.execute(
        text(f"SELECT d.course_id, {match.score_sql} FROM {match.from_sql} WHERE {match.where_sql}"), match.params
    ).all()
    return {cid: float(score) for cid, score in rows}


def _from_postings(session, backend, cols, match, clauses) -> dict[int, float]:
    pm = postings.posting_match(session, backend, cols, clauses)
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


@pytest.fixture
def fresh_search_db(search_db, monkeypatch):
    from emclm.search.backends import SqliteFtsBackend

    postings.clear()
    monkeypatch.setattr(SqliteFtsBackend, "warm_min_docs", 1)  # the small index: every term is rare
    return search_db


@pytest.mark.parametrize("q,lang", QUERIES)
def test_postings_give_the_engines_matches_and_scores(fresh_search_db, q, lang):
    url, _, _ = fresh_search_db
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
            if url.startswith("sqlite"):  # FTS5 sums the phrases' bm25 terms in the same order
                assert got == want, q
            for cid, score in want.items():
                assert got[cid] == pytest.approx(score, rel=1e-5, abs=1e-7), (q, cid)
            compared += len(want)
        assert compared > 0, q


def test_a_phrase_needs_its_words_in_order(fresh_search_db):
    """PostgreSQL: candidates with both words elsewhere are checked by the engine, and only real
    phrases stay. SQLite: a phrase's postings come from the engine, every candidate is a match."""
    url, _, _ = fresh_search_db
    with session_scope(url) as session:
        backend = backend_for(session)
        cols = facet_columns.columns(session)
        clauses = [Clause(lang="en", tokens=["data", "science"], phrase=True)]
        match = backend.match_sql(clauses)
        pm = postings.posting_match(session, backend, cols, clauses)
        want = _engine(session, match)
        got = _from_postings(session, backend, cols, match, clauses)
        assert set(got) == set(want) and want
        both = _engine(session, backend.match_sql([Clause(lang="en", tokens=["data", "science"])]))
        both = {
            c
            for c in both
            if c in _engine(session, backend.match_sql([Clause(lang="en", tokens=["data"])]))
            and c in _engine(session, backend.match_sql([Clause(lang="en", tokens=["science"])]))
        }
        assert len(both) > len(want)  # courses with both words, not as a phrase, exist
        if url.startswith("postgresql"):
            assert not pm.known.any() and not pm.exact_scores
            assert len(pm.candidates) > len(want)  # they were candidates, checked by the engine
        else:
            assert pm.known.all() and pm.exact_scores and len(pm.candidates) == len(want)


def test_postings_follow_index_changes(fresh_search_db):
    """A word's postings fetched before an index change are not used after it (any process)."""
    url, ids, _ = fresh_search_db
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


def _held(url) -> dict[str, tuple]:
    from emclm.db.session import get_engine

    cache = state_for(get_engine(url)).postings
    return {k[1]: cache.get(k, touch=False) for k in cache.keys()}


def _key(url: str, word: str) -> str:
    """A plain word's posting key: the lexeme (PostgreSQL), the FTS5 phrase of one term (SQLite)."""
    return f'"{word}"' if url.startswith("sqlite") else word


def _wait_warm(url) -> postings.Warm:
    w = postings.warm_state(url)
    assert w is not None, "a search starts the warm-up"
    assert w.done.wait(60)
    return w


def test_warm_up_holds_the_postings_a_search_would_fetch(fresh_search_db):
    """After a first search the background warm-up fetches the index's terms, most frequent first
    (all of them here: the small index fits), each posting list equal to a search's own fetch."""
    url, _, _ = fresh_search_db
    with session_scope(url) as session:
        search(session, SearchRequest(q="statistics", lang="en", embeddings=False, typo=False))
    w = _wait_warm(url)
    assert w.ended == "all" and w.lexemes > 0 and w.postings > 0
    held = _held(url)
    with session_scope(url) as session:
        cols = facet_columns.columns(session)
        assert w.generation == cols.generation
        vocabulary = [lx for lx, _ in postings.frequent_terms(session)]
        assert set(held) >= set(vocabulary)
        fresh = postings._fetch(session, cols, vocabulary)
    for lx, (pos, sc) in zip(vocabulary, fresh):
        assert held[lx][0].tolist() == pos.tolist(), lx
        assert held[lx][1].tolist() == sc.tolist(), lx
        assert len(pos) > 0


def test_warm_up_keeps_within_its_share_of_the_cap(fresh_search_db, monkeypatch):
    url, _, _ = fresh_search_db
    with session_scope(url) as session:
        freq = postings.frequent_terms(session)
        size = backend_for(session).posting_bytes
    # room for the three most frequent terms only
    monkeypatch.setattr(postings, "CACHE_BYTES", sum(n for _, n in freq[:3]) * size)
    monkeypatch.setattr(postings, "WARM_SHARE", 1.0)
    with session_scope(url) as session:
        search(session, SearchRequest(q="zyxwv", lang="en", embeddings=False, typo=False))  # holds nothing
    w = _wait_warm(url)
    assert w.ended == "budget"
    assert set(_held(url)) - {_key(url, "zyxwv")} == {lx for lx, _ in freq[:3]}


def test_warm_up_stops_when_the_index_changes_and_restarts_for_the_new_one(fresh_search_db, monkeypatch):
    url, ids, _ = fresh_search_db
    with session_scope(url) as session:
        search(session, SearchRequest(q="statistics", lang="en", embeddings=False, typo=False))
    first = _wait_warm(url)
    # mid-way: the generation changes while a chunk is being fetched → nothing of it is kept, it stops
    monkeypatch.setattr(postings, "WARM_CHUNK", 2)
    real_fetch = postings._fetch
    calls = []

    def fetch_then_change(session, cols, lexemes):
        calls.append(lexemes)
        out = real_fetch(session, cols, lexemes)
        state_for(session).observe("another")
        return out

    monkeypatch.setattr(postings, "_fetch", fetch_then_change)
    with session_scope(url) as session:
        engine, cols = session.get_bind(), facet_columns.columns(session)
    st = state_for(engine)
    postings.clear()  # forget the first warm-up's postings
    st.observe(cols.generation)
    w = postings.Warm(generation=cols.generation, done=postings.threading.Event())
    st.warm = w
    postings._run_warm(engine, st, cols, w)
    assert w.ended == "generation" and w.lexemes == 0 and len(calls) == 1 and not _held(url)
    monkeypatch.setattr(postings, "_fetch", real_fetch)
    # an index change: the next search starts a warm-up of the new generation
    with session_scope(url) as session:
        session.execute(text("UPDATE catalogue_course SET title = 'Zyxwv kursus' WHERE id = :i"), {"i": ids["stats_r"]})
        index_courses(session, [ids["stats_r"]])
    with session_scope(url) as session:
        search(session, SearchRequest(q="statistics", lang="en", embeddings=False, typo=False))
    second = _wait_warm(url)
    assert second is not w and second.generation not in (first.generation, cols.generation)
    assert second.ended == "all" and _key(url, "zyxwv") in _held(url)


def test_search_results_are_the_same_with_and_without_the_warm_up(fresh_search_db, monkeypatch):
    from emclm.config import get_settings

    url, _, _ = fresh_search_db
    reqs = [SearchRequest(q=q, lang=lang, embeddings=False) for q, lang in QUERIES]
    reqs += [SearchRequest(q="data", lang="en", embeddings=False, page=2, per_page=3)]

    def run():
        out = []
        with session_scope(url) as session:
            for req in reqs:
                res = search(session, req)
                out.append((res.total, [(h.id, round(h.score, 9)) for h in res.results], res.facets))
        return out

    monkeypatch.setenv("EMCLM_SEARCH_WARM_POSTINGS", "false")
    get_settings.cache_clear()
    try:
        cold = run()
        assert postings.warm_state(url) is None
    finally:
        monkeypatch.delenv("EMCLM_SEARCH_WARM_POSTINGS")
        get_settings.cache_clear()
    postings.clear()
    with session_scope(url) as session:
        search(session, SearchRequest(q="dibujo", lang="es", embeddings=False, typo=False))
    assert _wait_warm(url).ended == "all"
    assert run() == cold


def test_check_keeps_exactly_the_ids_the_engine_matches_with_its_scores(search_db, monkeypatch):
    """``SearchBackend.check`` on both engines (PostgreSQL's array override and the chunked
    default): the ids it returns are those of the asked ones the match really finds, each with the
    engine's score; chunking does not change the answer."""
    from emclm.search import backends as backends_mod
    from emclm.search.backends import SearchBackend

    url, _, _ = search_db
    with session_scope(url) as session:
        backend = backend_for(session)
        match = backend.match_sql([Clause(lang="en", tokens=["data"]), Clause(lang=None, tokens=["data"])])
        expected = _engine(session, match)
        every = [cid for (cid,) in session.execute(text("SELECT course_id FROM search_document")).all()]
        assert expected and len(expected) < len(every)
        monkeypatch.setattr(backends_mod, "CHECK_CHUNK", 2)
        for check in (backend.check, lambda s, m, ids: SearchBackend.check(backend, s, m, ids)):
            got = dict(check(session, match, every))
            assert got.keys() == expected.keys()
            assert all(abs(got[c] - expected[c]) < 1e-6 for c in got)
            assert check(session, match, []) == []


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sqlite_warm_up_leaves_rare_terms_to_the_searches(search_db, monkeypatch):
    """SQLite fetches one phrase a statement: terms in fewer rows than ``warm_min_docs`` are not
    worth fetching ahead (a search fetches one in well under a millisecond)."""
    from emclm.search.backends import SqliteFtsBackend

    url, _, _ = search_db
    with session_scope(url) as session:
        monkeypatch.setattr(SqliteFtsBackend, "warm_min_docs", 1)
        every = postings.frequent_terms(session)
        threshold = every[2][1]
        assert threshold > every[-1][1]
        monkeypatch.setattr(SqliteFtsBackend, "warm_min_docs", threshold)
        kept = postings.frequent_terms(session)
    assert kept == [(k, n) for k, n in every if n >= threshold] and 3 <= len(kept) < len(every)
