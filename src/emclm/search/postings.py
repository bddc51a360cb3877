"""Full-text matches and scores from per-process postings, on both engines.

A search's full-text query is an OR of clauses (the user's words in several languages, concept
phrases). The engine answers it by visiting and scoring every match: at 100k courses a broad query
(20-60k matches) costs 100-500 ms, a concept expansion with 30-70 phrases up to 1.5 s, and the same
words come back query after query. So each *posting key* is looked up once per index generation
and kept: its postings, as (course position, the engine's score for that key alone).

PostgreSQL (keys: lexemes):
- Matches of an OR of lexemes: the union of their postings.
- A phrase ("data analysis"): the intersection of its lexemes' postings is a superset of its
  matches; the candidates that no plain lexeme of the query matches already are checked by
  PostgreSQL (``tsv @@ query`` by primary key: positions are only read for those).
- Scores: for a query whose top operator is OR (or a single lexeme), ``ts_rank(tsv, q, 1)`` is
  ``sum over the query's distinct lexemes u of ts_rank(tsv, u, 1) / their number`` (``calc_rank_or``
  scores each distinct operand independently and ignores the operators; normalisation 1 divides
  by the same document length for every term), so the scores are the engine's own, to float
  rounding. A query that is a single phrase is ranked ``calc_rank_and`` by the engine: its checked
  matches get the engine's score and are only *ordered for checking* by the sum.

SQLite FTS5 (keys: FTS5 phrases, ``"stem"`` or ``"stem stem"``; ``evaluate_sum``):
- FTS5's ``bm25`` of an OR of phrases is ``-(sum over the phrases of idf(p) * f(p, d) * (k1 + 1) /
  (f(p, d) + k1 * (1 - b + b * |d| / avgdl)))``, summed in the query's phrase order, where a phrase
  absent from the document adds exactly 0; each phrase's IDF counts the rows matching that
  phrase. A phrase queried alone gives the same term, so the union of the phrases' postings is
  the match set and their sum, in the same order, is the engine's score bit for bit. No check.

Consistency: postings are kept in the database's ``SearchState`` (``emclm.search.state``) and
keyed by the index generation (``search_state``), like the facet columns: an index write in any
process makes every process fetch anew. Memory: 8 bytes a posting on PostgreSQL (float4 ranks), 12
on SQLite (bm25 is a double), at most ``CACHE_BYTES``, least recently used dropped first.

Warm-up (setting ``search_warm_postings``): after a process's first search on a database, and after
each index change, one background thread fetches the most frequent terms' postings (see below).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from emclm.search.backends import PostgresFtsBackend, SearchBackend, SqliteFtsBackend, _raw_rows, backend_for
from emclm.search.state import POSTINGS_BYTES, all_states, state_for

CACHE_BYTES = POSTINGS_BYTES
_TOKEN = re.compile(r"'((?:[^'\\]|''|\\.)*)'(:[*A-D]+)?|(<->|<\d+>|\||&|!|\(|\))|(\s+)")


@dataclass
class Piece:
    lexemes: list[str]
    phrase: bool  # every lexeme, in order (positions checked by the engine); else any of them


def parse_tsquery(text: str, phrase: bool) -> Piece | None:
    """A tsquery's text (as PostgreSQL prints it) as a Piece, or None if it is anything but a plain
    OR of lexemes (``phrase=False``) or a plain phrase (``phrase=True``: ``<->`` / ``<N>`` only)."""
    lexemes: list[str] = []
    ops: set[str] = set()
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            return None
        pos = m.end()
        if m.group(4):
            continue
        if m.group(1) is not None or m.group(0).startswith("'"):
            if m.group(2):  # prefix or weight-restricted operand
                return None
            lexemes.append(re.sub(r"\\(.)", r"\1", m.group(1).replace("''", "'")))
        else:
            ops.add("phrase" if m.group(3).startswith("<") else m.group(3))
    if not lexemes:
        return Piece([], False)
    if len(lexemes) == 1 and not ops:
        return Piece(lexemes, False)
    if not phrase and ops == {"|"}:
        return Piece(list(dict.fromkeys(lexemes)), False)
    if phrase and ops == {"phrase"}:
        return Piece(lexemes, True)
    return None


def query_pieces(session: Session, pieces_sql: list[tuple[str, dict, bool]]) -> list[Piece] | None:
    """The analysed lexemes of each clause (the engine's own parser and dictionaries), cached per
    process (analysis does not depend on the index). None: not a query postings can answer."""
    key = tuple((sql, tuple(sorted(p.items())), ph) for sql, p, ph in pieces_sql)
    cache = state_for(session).pieces
    if key in cache:
        return cache.get(key)
    params: dict = {}
    for _, p, _ in pieces_sql:
        params.update(p)
    row = _raw_rows(session, "SELECT " + ", ".join(f"CAST({sql} AS text)" for sql, _, _ in pieces_sql), params)[0]
    out: list[Piece] | None = []
    for text, (_, _, phrase) in zip(row, pieces_sql):
        piece = parse_tsquery(text or "", phrase)
        if piece is None:
            out = None
            break
        if piece.lexemes:
            out.append(piece)
    cache.put(key, out)
    return out


def postings(session: Session, cols, lexemes: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """posting key → (course positions ascending, the engine's score for the key alone: ``ts_rank``
    as float32 on PostgreSQL, ``-bm25`` as float64 on SQLite), fetching the ones this process does
    not hold for the current index generation."""
    st = state_for(session)
    st.observe(cols.generation)  # the columns' generation: postings of older ones are dropped
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    missing: list[str] = []
    for lx in dict.fromkeys(lexemes):
        hit = st.postings.get((cols.generation, lx))
        if hit is None:
            missing.append(lx)
        else:
            out[lx] = hit
    _start_warm(session, cols)
    if missing:
        entries = _fetch(session, cols, missing)
        for lx, entry in zip(missing, entries):
            out[lx] = entry
            st.postings.put((cols.generation, lx), entry)
    return out


def _fetch(session: Session, cols, keys: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
    """The postings of these keys, in their order, as course positions (ascending) and scores."""
    entries = []
    for ids, sc in backend_for(session).posting_lists(session, keys):
        pos = cols.locate(ids)
        keep = pos >= 0
        pos, sc = pos[keep], sc[keep]
        order = np.argsort(pos, kind="stable")
        entries.append((pos[order].astype(np.int32), sc[order]))
    return entries


# --- warm-up -------------------------------------------------------------------------------------
# A process's first look-ups of broad terms cost 2-3 us a posting (row visits and scores): most of a
# fresh process's slow searches. After its first search on a database, and after every index change,
# one daemon thread (its own connection) fetches the postings of the index's most frequent terms
# (PostgreSQL's ``ts_stat``, SQLite's ``fts5vocab``), most frequent first, WARM_CHUNK terms at a time,
# until the cache holds WARM_SHARE of CACHE_BYTES (headroom for the searches' own look-ups);
# searches proceed meanwhile (the lock is only held to store a chunk). It stops when the index
# generation changes.

WARM_SHARE = 0.75
WARM_CHUNK = 40


@dataclass
class Warm:
    generation: str
    done: threading.Event
    thread: threading.Thread | None = None
    lexemes: int = 0  # fetched by the warm-up (those a search had fetched already are skipped)
    postings: int = 0
    seconds: float = 0.0
    ended: str = ""  # "budget", "all", "generation", "error: …"


def _start_warm(session: Session, cols) -> None:
    st = state_for(session)
    w = st.warm
    if w is not None and w.generation == cols.generation:
        return
    from emclm.config import get_settings

    if not get_settings().search_warm_postings:
        return
    with st.lock:
        w = st.warm
        if (w is not None and w.generation == cols.generation) or st.generation != cols.generation:
            return
        w = Warm(generation=cols.generation, done=threading.Event())
        w.thread = threading.Thread(
            target=_run_warm, args=(session.get_bind(), st, cols, w), daemon=True, name="emclm-postings-warm"
        )
        st.warm = w
    w.thread.start()


def warm_state(url: str) -> Warm | None:
    """The warm-up of this database's current (last seen) index generation, if one started."""
    from emclm.db.session import get_engine

    return state_for(get_engine(url)).warm


def frequent_terms(session: Session) -> list[tuple[str, int]]:
    """(posting key, number of documents) of the indexed terms the warm-up fetches, most frequent first."""
    return backend_for(session).frequent_keys(session)


def _lowest_priority() -> None:
    """Run this thread at nice 19 (Linux: a thread's nice value is its own): the warm-up takes
    the cores the searches leave idle instead of competing with them on a small machine."""
    import os

    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    except (AttributeError, OSError):  # not Linux, or not allowed: the warm-up runs at normal priority
        pass


def _run_warm(engine, st, cols, w: Warm) -> None:
    import logging
    import time

    t0 = time.perf_counter()
    budget = int(CACHE_BYTES * WARM_SHARE)
    _lowest_priority()
    try:
        with Session(engine) as session:
            backend = backend_for(session)
            todo = frequent_terms(session)
            session.rollback()  # no long-lived snapshot while fetching
            i = 0
            while i < len(todo):
                with st.lock:
                    if st.generation != w.generation or st.warm is not w:
                        w.ended = "generation"
                        return
                    chunk, planned = [], st.postings.held
                    while i < len(todo) and len(chunk) < WARM_CHUNK:
                        lx, ndoc = todo[i]
                        if planned + ndoc * backend.posting_bytes > budget:
                            break
                        i += 1
                        if (w.generation, lx) not in st.postings:
                            chunk.append(lx)
                            planned += ndoc * backend.posting_bytes
                    if not chunk and (i >= len(todo) or planned + todo[i][1] * backend.posting_bytes > budget):
                        w.ended = "all" if i >= len(todo) else "budget"
                        return
                if not chunk:
                    continue
                entries = _fetch(session, cols, chunk)
                session.rollback()
                with st.lock:
                    if st.generation != w.generation or st.warm is not w:
                        w.ended = "generation"
                        return
                    for lx, entry in zip(chunk, entries):
                        key = (w.generation, lx)
                        if key not in st.postings:  # a search may have fetched it meanwhile
                            st.postings.put(key, entry)
                            w.lexemes += 1
                            w.postings += len(entry[0])
            w.ended = "all"
    except Exception as exc:  # noqa: BLE001 - a warm-up is an optimisation: searches fetch what they need
        w.ended = f"error: {exc.__class__.__name__}"
        logging.getLogger(__name__).debug("postings warm-up stopped", exc_info=True)
    finally:
        w.seconds = time.perf_counter() - t0
        w.done.set()


def clear() -> None:
    """Forget every database's postings (a running warm-up stops at its next chunk)."""
    for st in all_states():
        with st.lock:
            st.warm = None
            st.postings.clear()
            st.pieces.clear()
            st.generation = None


@dataclass
class PostingMatch:
    """Candidates of a query with their scores; ``known`` marks the ones that certainly match."""

    n: int  # courses in the columns
    candidates: np.ndarray  # int32 positions, best score first (then course id)
    known: np.ndarray  # bool per candidate
    scores: np.ndarray  # float64 per candidate
    exact_scores: bool  # the scores are the engine's ts_rank (top operator OR / one lexeme)


def evaluate(session: Session, cols, pieces: list[Piece]) -> PostingMatch:
    lexemes = list(dict.fromkeys(lx for p in pieces for lx in p.lexemes))
    post = postings(session, cols, lexemes)
    n = len(cols)
    if lexemes:
        all_pos = np.concatenate([post[lx][0] for lx in lexemes])
        all_sc = np.concatenate([post[lx][1] for lx in lexemes]).astype(np.float64)
        score = np.bincount(all_pos, weights=all_sc, minlength=n) / len(lexemes)
    else:
        score = np.zeros(n)
    known = np.zeros(n, dtype=bool)
    for p in pieces:
        if not p.phrase:
            for lx in p.lexemes:
                known[post[lx][0]] = True
    cand = known.copy()
    for p in pieces:
        if p.phrase:
            arrays = sorted((post[lx][0] for lx in dict.fromkeys(p.lexemes)), key=len)
            inter = arrays[0]
            for a in arrays[1:]:
                if len(inter) == 0:
                    break
                inter = np.intersect1d(inter, a, assume_unique=True)
            cand[inter] = True
    pos = np.flatnonzero(cand)
    sc = score[pos]
    order = np.lexsort((cols.ids[pos], -sc))
    pos = pos[order]
    exact = len(pieces) > 1 or not pieces[0].phrase
    return PostingMatch(n=n, candidates=pos.astype(np.int32), known=known[pos], scores=sc[order], exact_scores=exact)


def evaluate_sum(session: Session, cols, keys: list[str]) -> PostingMatch:
    """SQLite: the matches of an OR of distinct FTS5 phrases (``keys``, in the query's order) and
    their ``-bm25``: each match's score is the sum of its phrases' scores, added in the keys' order
    as FTS5 adds them, so equal to the engine's bit for bit. Every candidate is a match."""
    post = postings(session, cols, keys)
    n = len(cols)
    all_pos = np.concatenate([post[k][0] for k in keys])
    score = np.bincount(all_pos, weights=np.concatenate([post[k][1] for k in keys]), minlength=n)
    hit = np.zeros(n, dtype=bool)
    hit[all_pos] = True
    pos = np.flatnonzero(hit)
    sc = score[pos]
    order = np.lexsort((cols.ids[pos], -sc))
    return PostingMatch(
        n=n,
        candidates=pos[order].astype(np.int32),
        known=np.ones(len(pos), dtype=bool),
        scores=sc[order],
        exact_scores=True,
    )


def posting_match(session: Session, backend: SearchBackend, cols, clauses) -> PostingMatch | None:
    """The clauses' candidates and scores from per-process postings, or None: the engine answers
    ``backend.match_sql`` itself. (Here, above the engine layer, not a backend method: the backends
    are what postings are fetched through, so they do not call back up into this module.)

    - SQLite: bm25 of an OR of phrases is the sum of each phrase's bm25 alone (FTS5 adds one term per
      phrase, zero where a phrase does not occur, with the phrase's own IDF and frequency): every
      candidate is a match and its score is exactly the engine's.
    - PostgreSQL: the tsquery's pieces, analysed by the engine, evaluated over their lexemes' postings.
    """
    if isinstance(backend, SqliteFtsBackend):
        keys = backend.phrases(clauses)
        return evaluate_sum(session, cols, keys) if keys else None
    if isinstance(backend, PostgresFtsBackend):
        pieces = query_pieces(session, backend.tsquery_pieces(clauses))
        return evaluate(session, cols, pieces) if pieces else None
    return None
