"""``SearchBackend``: the engine-specific part of search (index writes and the full-text match).

Everything else — query parsing, ESCO concepts, embeddings, filters, facets, fusion, paging — is
shared (``emclm.search.service``), so both engines honour the same results contract.

A full-text query is a list of ``Clause``: folded tokens in one language, either any-term (OR)
or a phrase. The backend analyses each clause with that language's stemmer (Snowball on both
engines) and ORs the clauses together; it returns a SQL fragment the shared query builder joins
with ``search_document d``.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import bindparam, delete, insert, text
from sqlalchemy.orm import Session

from emclm.search.analysis import ANY_STOP, pg_config, stem_tokens
from emclm.search.schema import search_document
from emclm.taxonomy.text import fold


@dataclass
class Clause:
    lang: str | None  # analysis language; None = unstemmed folded tokens
    tokens: list[str]
    phrase: bool = False
    origin: str = "query"  # query | typo | concept


@dataclass
class MatchSql:
    """FROM/WHERE pieces for a full-text match joined to ``search_document d``."""

    from_sql: str
    where_sql: str
    score_sql: str
    params: dict = field(default_factory=dict)
    # without filters the ranking needs no join: (FROM, id column) of the index alone, if the engine has one
    index_only: tuple[str, str] | None = None


_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


def _raw_rows(session: Session, sql: str, params: dict) -> list[tuple]:
    """Rows as plain tuples from the driver, in the session's transaction: SQLAlchemy's Row objects
    cost about a microsecond each (30 ms for the 30k matches of a broad query). ``:name``
    parameters only (no expanding ones); they become ``%(name)s`` for psycopg."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        sql = _PARAM.sub(r"%(\1)s", sql.replace("%", "%%"))
    cur = conn.connection.driver_connection.cursor()
    try:
        cur.execute(sql, params)
        return cur.fetchall()
    finally:
        cur.close()


CHECK_CHUNK = 500  # ids per statement in SearchBackend.check


class SearchBackend(ABC):
    """One engine's index: implemented by ``SqliteFtsBackend`` and ``PostgresFtsBackend``."""

    name = "base"
    posting_bytes = 8  # memory of one cached posting (``emclm.search.postings``): position + score

    @abstractmethod
    def clear(self, session: Session) -> None: ...

    @abstractmethod
    def delete(self, session: Session, course_ids: list[int]) -> None: ...

    @abstractmethod
    def write(self, session: Session, docs: list[dict]) -> None: ...

    @abstractmethod
    def match_sql(self, clauses: list[Clause]) -> MatchSql | None: ...

    @abstractmethod
    def bare_match(self, session: Session, q: str, lang: str | None, limit: int = 20) -> list[int]:
        """The plain engine query (FTS5 MATCH / tsquery) the benchmark compares against."""

    @abstractmethod
    def term_exists(self, session: Session, word: str, lang: str | None) -> bool:
        """Is this folded word (stemmed for ``lang``) in any indexed document?"""

    @abstractmethod
    def posting_lists(self, session: Session, keys: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per posting key (a lexeme or phrase as ``emclm.search.postings`` keys them on this
        engine): (course ids, the engine's score for that key alone), in the keys' order."""

    @abstractmethod
    def frequent_keys(self, session: Session) -> list[tuple[str, int]]:
        """(posting key, number of documents) of the indexed terms worth fetching ahead (the
        warm-up's list), most frequent first."""

    def check(self, session: Session, match: MatchSql, ids: list[int]) -> list[tuple[int, float]]:
        """(id, score) of those of ``ids`` that ``match`` really matches, in chunks that keep under
        every engine's bound-parameter limit (PostgreSQL overrides it with one array parameter)."""
        stmt = text(
            f"SELECT d.course_id, {match.score_sql} FROM {match.from_sql}"
            f" WHERE d.course_id IN :check_ids AND {match.where_sql}"
        ).bindparams(bindparam("check_ids", expanding=True))
        out: list[tuple[int, float]] = []
        for s in range(0, len(ids), CHECK_CHUNK):
            out.extend(tuple(r) for r in session.execute(stmt, {**match.params, "check_ids": ids[s : s + CHECK_CHUNK]}))
        return out

    @contextmanager
    def planning(self, session: Session) -> Iterator[None]:
        """Engine settings for the statements of one search (none by default)."""
        yield


def _fts5_token(tok: str) -> str:
    return '"' + tok.replace('"', '""') + '"'


class SqliteFtsBackend(SearchBackend):
    """SQLite FTS5 over text folded and stemmed in Python; bm25 with titles weighted 3×."""

    name = "sqlite-fts5"
    posting_bytes = 12  # bm25 is a double
    warm_min_docs = 200

    def clear(self, session: Session) -> None:
        session.execute(text("DELETE FROM search_fts"))
        session.execute(delete(search_document))

    def delete(self, session: Session, course_ids: list[int]) -> None:
        if not course_ids:
            return
        for start in range(0, len(course_ids), 900):
            chunk = course_ids[start : start + 900]
            marks = ",".join(str(int(i)) for i in chunk)  # integers only
            session.execute(text(f"DELETE FROM search_fts WHERE rowid IN ({marks})"))
            session.execute(delete(search_document).where(search_document.c.course_id.in_(chunk)))

    def write(self, session: Session, docs: list[dict]) -> None:
        if not docs:
            return
        session.execute(insert(search_document), docs)
        session.execute(
            text("INSERT INTO search_fts(rowid, title, body) VALUES (:course_id, :title_terms, :body_terms)"),
            [
                {"course_id": d["course_id"], "title_terms": d["title_terms"], "body_terms": d["body_terms"]}
                for d in docs
            ],
        )

    @staticmethod
    def expression(clauses: list[Clause]) -> str:
        return " OR ".join(SqliteFtsBackend.phrases(clauses))

    @staticmethod
    def phrases(clauses: list[Clause]) -> list[str]:
        """The distinct FTS5 phrases (``"stem"`` or ``"stem stem …"``) the clauses OR together, in order."""
        parts: list[str] = []
        seen: set[str] = set()
        for cl in clauses:
            stems = stem_tokens(cl.tokens, cl.lang) if cl.lang else list(cl.tokens)
            stems = [s for s in stems if s]
            if not stems:
                continue
            if cl.phrase and len(stems) > 1:
                piece = '"' + " ".join(s.replace('"', '""') for s in stems) + '"'
                if piece not in seen:
                    seen.add(piece)
                    parts.append(piece)
            else:
                for s in stems:
                    piece = _fts5_token(s)
                    if piece not in seen:
                        seen.add(piece)
                        parts.append(piece)
        return parts

    def match_sql(self, clauses: list[Clause]) -> MatchSql | None:
        expr = self.expression(clauses)
        if not expr:
            return None
        return MatchSql(
            from_sql="search_fts JOIN search_document d ON d.course_id = search_fts.rowid",
            where_sql="search_fts MATCH :fts_q",
            score_sql="-bm25(search_fts, 3.0, 1.0)",
            params={"fts_q": expr},
            index_only=("search_fts", "search_fts.rowid"),
        )

    def posting_lists(self, session: Session, keys: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        out = []
        for key in keys:  # one FTS5 cursor a phrase: rows come in rowid order
            rows = _raw_rows(
                session,
                "SELECT rowid, bm25(search_fts, 3.0, 1.0) FROM search_fts WHERE search_fts MATCH :q",
                {"q": key},
            )
            ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            # FTS5 returns -1.0 * score: negating gives the phrase's term of the sum bit for bit
            out.append((ids, -np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows))))
        return out

    def frequent_keys(self, session: Session) -> list[tuple[str, int]]:
        # fts5vocab reads the index's term dictionary; a temp table is private to this connection
        _raw_rows(
            session,
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_fts_terms USING fts5vocab(main, search_fts, row)",
            {},
        )
        # terms in fewer than ``warm_min_docs`` rows cost a search well under a millisecond to fetch:
        # on a small index, fetching each of them ahead (one statement a phrase here) only takes CPU
        rows = _raw_rows(
            session,
            "SELECT term, doc FROM temp.search_fts_terms WHERE doc >= :m ORDER BY doc DESC, term",
            {"m": self.warm_min_docs},
        )
        # the index keeps function words (phrases need them); the user's words never include them alone
        return [(_fts5_token(t), int(n)) for t, n in rows if t not in ANY_STOP]

    def bare_match(self, session: Session, q: str, lang: str | None, limit: int = 20) -> list[int]:
        from emclm.search.analysis import tokens

        expr = " OR ".join(_fts5_token(s) for s in stem_tokens(tokens(q), lang) if s)
        if not expr:
            return []
        rows = session.execute(
            text("SELECT rowid FROM search_fts WHERE search_fts MATCH :q ORDER BY bm25(search_fts, 3.0, 1.0) LIMIT :n"),
            {"q": expr, "n": limit},
        )
        return [r[0] for r in rows]

    def term_exists(self, session: Session, word: str, lang: str | None) -> bool:
        stems = {word, *stem_tokens([word], lang)}
        expr = " OR ".join(_fts5_token(s) for s in stems)
        return (
            session.execute(text("SELECT 1 FROM search_fts WHERE search_fts MATCH :q LIMIT 1"), {"q": expr}).first()
            is not None
        )


_DOC_COLUMNS = [c.name for c in search_document.columns]
_INSERT_SQL = (
    f"INSERT INTO search_document ({', '.join(_DOC_COLUMNS)}, tsv) VALUES ({', '.join(':' + c for c in _DOC_COLUMNS)},"
    " setweight(to_tsvector(CAST(:cfg AS regconfig), :t), 'A') || setweight(to_tsvector(CAST(:cfg AS regconfig), :b), 'B'))"
)


class PostgresFtsBackend(SearchBackend):
    """PostgreSQL ``tsvector`` per course language (weights: title A, body B); ``ts_rank`` scores."""

    name = "postgres-fts"

    def clear(self, session: Session) -> None:
        session.execute(delete(search_document))

    def delete(self, session: Session, course_ids: list[int]) -> None:
        if course_ids:
            session.execute(delete(search_document).where(search_document.c.course_id.in_(course_ids)))

    def write(self, session: Session, docs: list[dict]) -> None:
        """One INSERT per document, tsvector included (not INSERT + UPDATE: no dead row per document)."""
        if not docs:
            return
        rows = []
        for d in docs:
            cfg, python_stem = pg_config(d["lang"])
            rows.append(
                {
                    **{c: d.get(c) for c in _DOC_COLUMNS},
                    "cfg": cfg,
                    "t": d["title_terms"] if python_stem else fold(d["title"]),
                    "b": d["body_terms"] if python_stem else fold(d["body"]),
                }
            )
        session.execute(text(_INSERT_SQL), rows)

    @staticmethod
    def tsquery_pieces(clauses: list[Clause], prefix: str = "q") -> list[tuple[str, dict, bool]]:
        """Each distinct clause as (tsquery SQL, its parameters, is a phrase)."""
        pieces: list[tuple[str, dict, bool]] = []
        seen: set[tuple] = set()
        for i, cl in enumerate(clauses):
            toks = [t for t in cl.tokens if t]
            if not toks:
                continue
            if cl.lang is None:
                cfg, python_stem = "simple", False
            else:
                cfg, python_stem = pg_config(cl.lang)
            if python_stem:
                toks = stem_tokens(toks, cl.lang)
            key = (cfg, tuple(toks), cl.phrase)
            if key in seen:
                continue
            seen.add(key)
            phrase = cl.phrase and len(toks) > 1
            c, t = f"{prefix}c{i}", f"{prefix}t{i}"
            if phrase and not python_stem:
                # phraseto_tsquery keeps the distance of the configuration's stop words ("análisis de datos")
                pieces.append((f"phraseto_tsquery(CAST(:{c} AS regconfig), :{t})", {c: cfg, t: " ".join(toks)}, True))
                continue
            op = " <-> " if phrase else " | "
            pieces.append((f"to_tsquery(CAST(:{c} AS regconfig), :{t})", {c: cfg, t: op.join(toks)}, phrase))
        return pieces

    @classmethod
    def tsquery_sql(cls, clauses: list[Clause], prefix: str = "q") -> tuple[str, dict]:
        pieces = cls.tsquery_pieces(clauses, prefix)
        if not pieces:
            return "", {}
        params: dict = {}
        for _, p, _ in pieces:
            params.update(p)
        return "(" + " || ".join(sql for sql, _, _ in pieces) + ")", params

    def match_sql(self, clauses: list[Clause]) -> MatchSql | None:
        tsq, params = self.tsquery_sql(clauses)
        if not tsq:
            return None
        return MatchSql(
            from_sql=f"search_document d CROSS JOIN (SELECT {tsq} AS q) AS qq",
            where_sql="d.tsv @@ qq.q",
            score_sql="ts_rank(d.tsv, qq.q, 1)",
            params=params,
        )

    def posting_lists(self, session: Session, keys: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Every lexeme's postings in one statement, one row per lexeme with its postings as text
        (not one Python tuple per posting: 5-10x cheaper here); ``ts_rank`` is a float4."""
        rows = _raw_rows(
            session,
            "SELECT l.i, string_agg(CAST(d.course_id AS text), ' '), string_agg(CAST(ts_rank(d.tsv, l.q, 1) AS text), ' ')"
            " FROM (SELECT u.i, CAST(u.lit AS tsquery) AS q FROM unnest(CAST(:lits AS text[])) WITH ORDINALITY AS u(lit, i)) AS l"
            " JOIN search_document d ON d.tsv @@ l.q GROUP BY l.i",
            {"lits": [_tsquery_literal(lx) for lx in keys]},
        )
        found = {int(i) - 1: (ids, sc) for i, ids, sc in rows}
        empty = (np.zeros(0, np.int64), np.zeros(0, np.float32))
        return [
            (np.fromstring(found[i][0], dtype=np.int64, sep=" "), np.fromstring(found[i][1], dtype=np.float32, sep=" "))
            if i in found
            else empty
            for i in range(len(keys))
        ]

    def frequent_keys(self, session: Session) -> list[tuple[str, int]]:
        return [
            (w, int(n))
            for w, n in _raw_rows(
                session,
                "SELECT word, ndoc FROM ts_stat('SELECT tsv FROM search_document') ORDER BY ndoc DESC, word",
                {},
            )
        ]

    def check(self, session: Session, match: MatchSql, ids: list[int]) -> list[tuple[int, float]]:
        if not ids:
            return []
        sql = (
            f"SELECT d.course_id, {match.score_sql} FROM {match.from_sql}"
            f" WHERE d.course_id = ANY(:check_ids) AND {match.where_sql}"
        )
        return _raw_rows(session, sql, {**match.params, "check_ids": list(ids)})

    def bare_match(self, session: Session, q: str, lang: str | None, limit: int = 20) -> list[int]:
        from emclm.search.analysis import tokens

        cfg, python_stem = pg_config(lang)
        toks = tokens(q)
        if python_stem:
            toks = stem_tokens(toks, lang)
        if not toks:
            return []
        rows = session.execute(
            text(
                "SELECT course_id FROM search_document, to_tsquery(CAST(:cfg AS regconfig), :q) AS q"
                " WHERE tsv @@ q ORDER BY ts_rank(tsv, q, 1) DESC LIMIT :n"
            ),
            {"cfg": cfg, "q": " | ".join(toks), "n": limit},
        )
        return [r[0] for r in rows]

    @contextmanager
    def planning(self, session: Session) -> Iterator[None]:
        """No sequential scans during a search. The planner prices ``tsv @@ q`` on a sequential scan
        at one operator call per row, but each call detoasts that row's tsvector: for a query
        matching a quarter of 100k courses it picks a 500-600 ms sequential scan over a 30-60 ms
        GIN bitmap scan. ``SET LOCAL`` lasts until the transaction ends, so the previous value
        is put back afterwards. No JIT either: a statement priced with the sequential-scan penalty
        (10^10) would be compiled (tens of ms) on every run."""
        prev = session.execute(
            text(
                "SELECT current_setting('enable_seqscan'), set_config('enable_seqscan', 'off', true),"
                " current_setting('jit'), set_config('jit', 'off', true)"
            )
        ).first()
        yield
        session.execute(
            text("SELECT set_config('enable_seqscan', :seq, true), set_config('jit', :jit, true)"),
            {"seq": prev[0], "jit": prev[2]},
        )

    def term_exists(self, session: Session, word: str, lang: str | None) -> bool:
        tsq, params = self.tsquery_sql([Clause(lang=lang, tokens=[word]), Clause(lang=None, tokens=[word])])
        if not tsq:
            return False
        return (
            session.execute(text(f"SELECT 1 FROM search_document WHERE tsv @@ {tsq} LIMIT 1"), params).first()
            is not None
        )


def _tsquery_literal(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def backend_for(session: Session) -> SearchBackend:
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        return SqliteFtsBackend()
    if dialect == "postgresql":
        return PostgresFtsBackend()
    raise ValueError(f"no search backend for database dialect {dialect!r}")
