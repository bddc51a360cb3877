"""``search()``: one entry point over both engines (full text + ESCO concepts + embeddings, fused)."""

from __future__ import annotations

import logging
import threading
from dataclasses import asdict, dataclass, field
from datetime import date

import numpy as np
from sqlalchemy import bindparam, func, select, text
from sqlalchemy.orm import Session

from emclm.config import get_settings
from emclm.search.analysis import content_tokens
from emclm.search.backends import _raw_rows, backend_for
from emclm.search.columns import NO_START, columns
from emclm.search.facets import FACETS, SORTS, Filters, merge_facets
from emclm.search.postings import posting_match
from emclm.search.query import ParsedQuery, parse, rrf
from emclm.search.state import CONCEPT_COURSES, CONCEPT_TTL_S, EXPANSION_POSITIONS, state_for
from emclm.skills.models import CourseSkill
from emclm.taxonomy.models import OccupationSkill

log = logging.getLogger(__name__)

ROW_COLS = (
    "d.course_id, d.language, d.provider, d.provider_name, d.organisation, d.subject, d.eqf_level, d.is_free,"
    " d.certificate_type, d.ects_credits, d.pace, d.workload_hours, d.run_starts"
)
TEXT_RANK_LIMIT = 1000
CONCEPT_LIMIT = 500
EXPANSION_ROWS = 500
EXPANSION_CACHE_POSITIONS = EXPANSION_POSITIONS  # int32 positions of ranked expansion matches: ≤ 20 MB
EXPANSION_CHECK = 2000  # postings: phrase candidates in the first batch the engine checks
TITLE_CHECK = 200  # full-text matches whose titles are checked for the query's own words
WEIGHTS = {
    "title": 1.0,
    "text": 1.0,
    "expansion": 0.8,
    "occupation_text": 0.6,
    "concept": 1.0,
    "occupation": 2.0,
    "embedding": 0.8,
}


class SearchError(ValueError):
    pass


@dataclass
class SearchRequest:
    q: str = ""
    lang: str | None = None  # the interface language: labels only; the query's language is detected from q
    filters: Filters = field(default_factory=Filters)
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    facets: bool = True
    embeddings: bool | None = None  # None: use them when course vectors exist and the model loads
    typo: bool = True
    today: date | None = None


@dataclass
class Hit:
    id: int
    title: str
    url: str | None
    language: str | None
    provider: str | None
    score: float
    organisation: str | None = None
    provider_name: str | None = None
    next_start: str | None = None
    pace: str | None = None
    workload_hours: float | None = None
    is_free: bool | None = None
    certificate_type: str | None = None
    matched_by: list[str] = field(default_factory=list)
    coverage: float | None = None
    # the same course listed more than once (two aggregators, two providers): every listing, this one
    # first; empty when the course has one
    offers: list[dict] = field(default_factory=list)


@dataclass
class SearchResult:
    total: int
    page: int
    per_page: int
    results: list[Hit]
    facets: dict[str, list[dict]]
    query: dict

    def as_dict(self) -> dict:
        return asdict(self)


def _next_start(run_starts: str | None, today_iso: str) -> date | None:
    """The first run start on or after today (``run_starts`` is sorted ISO dates)."""
    if not run_starts:
        return None
    for d in run_starts.split():
        if d >= today_iso:
            return date.fromisoformat(d)
    return None


CONCEPT_CACHE_TTL_S = CONCEPT_TTL_S  # as the parsed queries: ESCO's occupation-skill relations may change elsewhere
CONCEPT_CACHE_COURSES = CONCEPT_COURSES  # coverage entries held (≈ 12 bytes each)


def cached_concept_ranking(session: Session, pq: ParsedQuery, generation: str):
    """``concept_ranking`` remembered per index generation (skill tags change only through index
    writes, which change it) and for 60 s (ESCO relations): 20-150 ms a query at 100k courses."""
    key = (
        generation,
        tuple(c.concept_id for c in pq.skills),
        tuple(c.concept_id for c in pq.occupations[:3]),
    )

    def make():
        skill_rank, occ_rank, coverage = concept_ranking(session, pq)
        cov_ids = np.fromiter(coverage.keys(), dtype=np.int64, count=len(coverage))
        cov_val = np.fromiter(coverage.values(), dtype=np.float64, count=len(coverage))
        order = np.argsort(cov_ids)
        return skill_rank, occ_rank, cov_ids[order], cov_val[order]

    skill_rank, occ_rank, cov_ids, cov_val = state_for(session).concepts.get_or_put(key, make)
    return skill_rank, occ_rank, _Coverage(cov_ids, cov_val)


class _Coverage:
    """Occupation coverage per course id (sorted arrays; ``get`` as a dict's)."""

    def __init__(self, ids: np.ndarray, values: np.ndarray):
        self.ids, self.values = ids, values

    def get(self, cid: int, default=None):
        i = int(np.searchsorted(self.ids, cid))
        return float(self.values[i]) if i < len(self.ids) and self.ids[i] == cid else default


def concept_ranking(session: Session, pq: ParsedQuery) -> tuple[list[int], list[int], dict[int, float]]:
    """(skill-tag ranking, occupation-coverage ranking, coverage per course)."""
    skill_ids = [c.concept_id for c in pq.skills]
    skill_rank: list[int] = []
    if skill_ids:
        rows = session.execute(
            select(CourseSkill.course_id, func.sum(CourseSkill.score))
            .where(CourseSkill.skill_id.in_(skill_ids), CourseSkill.status != "rejected")
            .group_by(CourseSkill.course_id)
            .order_by(func.sum(CourseSkill.score).desc(), CourseSkill.course_id)
            .limit(CONCEPT_LIMIT)
        ).all()
        skill_rank = [cid for cid, _ in rows]
    occ_rank: list[int] = []
    coverage: dict[int, float] = {}
    occ_ids = [c.concept_id for c in pq.occupations][:3]
    if occ_ids:
        rel = session.execute(
            select(OccupationSkill.skill_id, OccupationSkill.relation_type).where(
                OccupationSkill.occupation_id.in_(occ_ids)
            )
        ).all()
        essential = {s for s, r in rel if r == "essential"}
        optional = {s for s, r in rel if r != "essential"} - essential
        if essential or optional:
            rows = session.execute(
                select(CourseSkill.course_id, CourseSkill.skill_id).where(
                    CourseSkill.skill_id.in_(essential | optional),
                    CourseSkill.status != "rejected",
                )
            ).all()
            ess: dict[int, set] = {}
            opt: dict[int, set] = {}
            for cid, sid in rows:
                (ess if sid in essential else opt).setdefault(cid, set()).add(sid)
            scored = {}
            for cid in set(ess) | set(opt):
                cov = len(ess.get(cid, ())) / max(1, len(essential))
                coverage[cid] = round(cov, 4)
                scored[cid] = cov + 0.25 * len(opt.get(cid, ())) / max(1, len(optional) or 1)
            occ_rank = sorted(scored, key=lambda c: (-scored[c], c))[:CONCEPT_LIMIT]
    return skill_rank, occ_rank, coverage


class _Checked:
    """A concept-phrase ranking from postings (``emclm.search.postings``), checked as far as needed.

    The candidates are in score order; those no plain lexeme decides (phrase-only candidates) are
    checked by the engine in consecutive batches (``EXPANSION_CHECK`` × 1, 2, 4 … candidates) when a
    search needs more matches than the batches so far gave. The scores are the engine's, so the
    matches come in the engine's order whatever the batches (when the query is a single phrase, the
    engine's own score orders the matches within each batch)."""

    def __init__(self, pm):
        self.pm = pm
        self.checked = 0
        self.parts: list[np.ndarray] = []
        self.lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.pm.candidates) + sum(len(p) for p in self.parts)

    def take(self, mask: np.ndarray | None, limit: int, check, cols) -> np.ndarray:
        cand, known = self.pm.candidates, self.pm.known
        with self.lock:
            while True:
                got = np.concatenate(self.parts) if self.parts else np.zeros(0, np.int32)
                if mask is not None:
                    got = got[mask[got]]
                if len(got) >= limit or self.checked >= len(cand):
                    return got[:limit]
                end = self.checked + (EXPANSION_CHECK << len(self.parts))
                chunk, keep = cand[self.checked : end], known[self.checked : end].copy()
                self.checked = end
                unknown = np.flatnonzero(~keep)
                if len(unknown):
                    scores = dict(check(cols.ids[chunk[unknown]].tolist()))
                    ids = cols.ids[chunk].tolist()
                    keep[unknown] = [ids[i] in scores for i in unknown.tolist()]
                    if not self.pm.exact_scores:  # a single phrase: the engine's score orders the batch
                        kept = np.flatnonzero(keep).tolist()
                        kept.sort(key=lambda i: (-scores.get(ids[i], 0.0), ids[i]))
                        self.parts.append(chunk[kept])
                        continue
                self.parts.append(chunk[keep])


def _offer(row: dict) -> dict:
    return {
        "id": row["course_id"],
        "provider": row["provider"],
        "provider_name": row["provider_name"],
        "organisation": row["organisation"],
        "url": row["url"],
        "is_free": None if row["is_free"] is None else bool(row["is_free"]),
    }


def _ranked(ids: np.ndarray, keys: list[np.ndarray], limit: int) -> list[int]:
    """``ids`` ordered by ``keys`` (most significant first, ascending), the first ``limit``."""
    if len(ids) == 0:
        return []
    order = np.lexsort([ids, *reversed(keys)])
    return ids[order[:limit]].tolist()


def search(session: Session, req: SearchRequest) -> SearchResult:
    """Full text (the user's words), concept expansions, skill tags, occupation coverage and
    embeddings, each a ranked list, fused by reciprocal rank; filters apply to every list.

    ``total`` and the facet counts cover every full-text match plus the courses only the other
    paths found; ranking considers the best ``TEXT_RANK_LIMIT`` full-text matches. Filters, sort
    keys and facet counts come from the per-process facet columns (``emclm.search.columns``); the
    engine is asked only for the matches and their scores, and for the page's details.

    Three steps: ``retrieve`` (each channel's ranked candidates), ``fuse`` (weighted reciprocal-rank
    fusion, sort, one result per offer group) and ``page`` (total, facet counts, the page's slice
    and its details).
    """
    if req.sort not in SORTS:
        raise SearchError(f"sort must be one of {', '.join(SORTS)}, not {req.sort!r}")
    if req.page < 1 or not (1 <= req.per_page <= 100):
        raise SearchError("page must be ≥ 1 and per_page between 1 and 100")
    backend = backend_for(session)
    with backend.planning(session):
        plan = _plan(session, req, backend)
        found = retrieve(plan)
        return page(plan, found, fuse(plan, found))


@dataclass
class SearchPlan:
    """A request with its parsed query, over this database's current facet columns."""

    session: Session
    req: SearchRequest
    backend: object  # SearchBackend
    today: date
    cols: object  # emclm.search.columns.Columns
    pq: ParsedQuery
    browse: bool  # no words: every course (that passes the filters) in the sort's order
    mask: np.ndarray | None  # the filters as a mask over column positions; None: no filter
    match: object | None  # the engine's match of the user's words (``backend.match_sql``)
    want_vectors: bool

    @property
    def rank_end(self) -> int:
        # a list cut at the page's end must still give that many courses once second offers fold
        return self.req.page * self.req.per_page + self.cols.duplicates


@dataclass
class Retrieved:
    """Every channel's ranked candidates (course ids, best first) and what totals and facets need."""

    ranked: dict[str, list[int]]  # channel (``matched_by`` name) → course ids, best first
    text_pos: np.ndarray  # positions of the full-text matches passing the filters (all courses to browse)
    text_scores: np.ndarray  # the engine's score per ``text_pos``
    all_pos: np.ndarray | None  # every full-text match before filters (None: no full-text match)
    text_hit: np.ndarray  # bool per position: matched by the user's words, before filters
    extra_pos: np.ndarray  # positions the other channels found, passing the filters
    coverage: object  # occupation coverage per course id (``.get``), or {}


@dataclass
class Fused:
    ids: list[int]  # result course ids in order, one per offer group
    scores: dict[int, float]  # fused score per course id
    offers: dict[int, list[int]]  # a result's course id → every offer of it in the results, best first


def _plan(session: Session, req: SearchRequest, backend) -> SearchPlan:
    settings = get_settings()
    today = req.today or date.today()
    cols = columns(session)
    browse = not req.q.strip()
    # concept labels are searched in the configured languages that courses are actually in
    langs = [lang for lang in settings.default_languages if lang in cols.languages]
    # the query's languages come from its words; req.lang (the interface language) changes no result
    pq = parse(session, req.q, req.lang, langs, typo=req.typo, candidates=tuple(settings.default_languages))
    want_vectors = not browse and not pq.uri and req.embeddings is not False
    if want_vectors:
        from emclm.search import embeddings

        want_vectors = embeddings.available(session)
        if want_vectors:
            embeddings.prefetch(session, req.q, pq.context)  # the model works while the queries below run
    return SearchPlan(
        session=session,
        req=req,
        backend=backend,
        today=today,
        cols=cols,
        pq=pq,
        browse=browse,
        mask=cols.filter_mask(req.filters, today),
        match=backend.match_sql(pq.clauses) if pq.clauses else None,
        want_vectors=want_vectors,
    )


def _matches(plan: SearchPlan, m) -> tuple[np.ndarray, np.ndarray]:
    """Every indexed course the match finds, as (positions, scores); filters not applied."""
    src, id_col = m.index_only or (m.from_sql, "d.course_id")
    rows = _raw_rows(plan.session, f"SELECT {id_col}, {m.score_sql} FROM {src} WHERE {m.where_sql}", m.params)
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    ids, sc = zip(*rows)
    pos = plan.cols.locate(np.fromiter(ids, dtype=np.int64, count=len(ids)))
    found = pos >= 0
    return pos[found], np.fromiter(sc, dtype=np.float64, count=len(sc))[found]


def _settled(plan: SearchPlan, m, pm) -> tuple[np.ndarray, np.ndarray]:
    """Every match of a posting match (the engine checks the candidates postings cannot decide)."""
    cols = plan.cols
    pos, sc = pm.candidates, pm.scores
    unknown = ~pm.known
    if not unknown.any():
        return pos, sc
    checked = dict(plan.backend.check(plan.session, m, cols.ids[pos[unknown]].tolist()))
    true = np.array([c in checked for c in cols.ids[pos].tolist()]) | pm.known
    sc = sc.copy()
    if not pm.exact_scores:
        sc[unknown] = [checked.get(c, 0.0) for c in cols.ids[pos[unknown]].tolist()]
    return pos[true], sc[true]


def _phrase_ids(plan: SearchPlan, clauses, limit: int, mask: np.ndarray | None) -> list[int]:
    """The best matches of concept phrases that pass the filters. Every match's position, in rank
    order, is remembered per index generation and expression (the same few concepts recur): another
    page, filter or sort is then a mask over it."""
    session, backend, cols = plan.session, plan.backend, plan.cols
    m = backend.match_sql(clauses) if clauses else None
    if m is None:
        return []
    cache = state_for(session).expansions
    key = (cols.generation, m.where_sql, tuple(sorted(m.params.items())))
    entry = cache.get(key)
    if entry is None:
        pm = posting_match(session, backend, cols, clauses)
        if pm is not None:
            entry = pm.candidates if pm.known.all() else _Checked(pm)
            cache.put(key, entry)
    if isinstance(entry, _Checked):
        return cols.ids[entry.take(mask, limit, lambda ids: backend.check(session, m, ids), cols)].tolist()
    ranked = entry
    if ranked is None:
        pos, sc = _matches(plan, m)
        ranked = pos[np.lexsort((cols.ids[pos], -sc))].astype(np.int32) if len(pos) else np.zeros(0, np.int32)
        cache.put(key, ranked)
    if mask is not None:
        ranked = ranked[mask[ranked]]
    return cols.ids[ranked[:limit]].tolist()


def _extra_positions(plan: SearchPlan, ranked: dict[str, list[int]], mask: np.ndarray | None, **override):
    """Positions of the courses the channels other than full text found, passing ``mask``
    (``override``: the two phrase channels under another mask, for disjunctive facet counts)."""
    lists = {**ranked, **override}
    cids = lists["concept_text"] + lists["occupation_text"] + lists["skill"] + lists["occupation"]
    pos = plan.cols.locate(list(dict.fromkeys(cids + lists["embedding"])))
    pos = pos[pos >= 0]
    return pos if mask is None else pos[mask[pos]]


def retrieve(plan: SearchPlan) -> Retrieved:
    """Each channel's ranked candidates: the user's words (full text, and their title matches),
    concept phrases in other languages, an occupation's essential skills as phrases, skill tags,
    occupation coverage and embeddings. Filters apply to every channel."""
    req, cols, pq, mask, browse = plan.req, plan.cols, plan.pq, plan.mask, plan.browse
    session = plan.session

    def filtered(pos: np.ndarray, *rest: np.ndarray):
        if mask is None:
            return (pos, *rest)
        keep = mask[pos]
        return (pos[keep], *(r[keep] for r in rest))

    # 1. the full-text matches: total, ranking and (in ``page``) facet counts
    rank_end = plan.rank_end
    text_hit = np.zeros(len(cols), dtype=bool)  # matched by the user's words, before filters
    ordered = False  # text_pos already in (score desc, id) order
    all_pos = None
    if plan.match is not None:
        pm = posting_match(session, plan.backend, cols, pq.clauses)
        all_pos, scores = _settled(plan, plan.match, pm) if pm is not None else _matches(plan, plan.match)
        ordered = pm is not None and (pm.exact_scores or bool(pm.known.all()))
        text_hit[all_pos] = True
        text_pos, scores = filtered(all_pos, scores)
    elif browse:
        text_pos = np.flatnonzero(mask) if mask is not None else np.arange(len(cols))
        scores = np.zeros(len(text_pos))
    else:  # nothing to match in full text (a URI, or only function words)
        text_pos, scores = np.zeros(0, dtype=np.int64), np.zeros(0)
    text_ids = cols.ids[text_pos]
    if req.sort == "relevance" and ordered:
        text_rank = text_ids[:TEXT_RANK_LIMIT].tolist()
    elif req.sort == "relevance":
        text_rank = _ranked(text_ids, [] if browse else [-scores], rank_end if browse else TEXT_RANK_LIMIT)
    elif req.sort == "start_date":
        ns = cols.next_start(plan.today)[text_pos]
        text_rank = _ranked(text_ids, [ns == NO_START, ns, -scores], rank_end)
    else:
        wl = cols.workload[text_pos]
        text_rank = _ranked(text_ids, [np.isnan(wl), np.nan_to_num(wl), -scores], rank_end)

    # the query's own words in the title, as typed (folded, not stemmed): weighs the title field and
    # tells "logistics" from "Logistic Regression", which share the stem "logist"
    title_rank: list[int] = []
    if pq.clauses and not browse:
        wanted = [set(content_tokens(pq.raw, pq.lang))]
        if pq.compounds:
            wanted.append({p for t in wanted[0] for p in pq.compounds.get(t, [t])})
        wanted = [w for w in wanted if w]
        head = text_rank[:TITLE_CHECK]
        for cid, p in zip(head, cols.locate(head).tolist()):
            if p >= 0 and any(w <= cols.title_words(p) for w in wanted):
                title_rank.append(cid)

    # 2. the other channels
    exp_rank = _phrase_ids(plan, pq.expansions, EXPANSION_ROWS, mask)
    occ_text_rank = _phrase_ids(plan, pq.skill_expansions, EXPANSION_ROWS, mask)
    skill_rank, occ_rank, coverage = (
        cached_concept_ranking(session, pq, cols.generation) if pq.concepts else ([], [], {})
    )
    emb_rank: list[int] = []
    if plan.want_vectors:
        from emclm.search import embeddings

        emb_rank = embeddings.nearest(session, req.q, pq.context)
    ranked = {
        "text": text_rank,
        "title": title_rank,
        "concept_text": exp_rank,
        "occupation_text": occ_text_rank,
        "skill": skill_rank,
        "occupation": occ_rank,
        "embedding": emb_rank,
    }
    return Retrieved(
        ranked=ranked,
        text_pos=text_pos,
        text_scores=scores,
        all_pos=all_pos,
        text_hit=text_hit,
        extra_pos=_extra_positions(plan, ranked, mask),
        coverage=coverage,
    )


def fuse(plan: SearchPlan, found: Retrieved) -> Fused:
    """Weighted reciprocal-rank fusion of the channels (those other than full text only for the
    courses that pass the filters), ordered by the sort key, one result per offer group."""
    keep = set(found.ranked["text"]) | set(plan.cols.ids[found.extra_pos].tolist())
    ids, scores, offers = _fuse(found.ranked, keep, plan.browse, plan.req.sort, plan.cols, plan.today)
    return Fused(ids=ids, scores=scores, offers=offers)


def page(plan: SearchPlan, found: Retrieved, fused: Fused) -> SearchResult:
    """The total and facet counts (every course of the results, one per offer group), the
    requested slice of the fused order and its courses' details."""
    req, cols, pq, today = plan.req, plan.cols, plan.pq, plan.today
    only_extra_pos = found.extra_pos[~found.text_hit[found.extra_pos]]
    # totals and facets count courses, a course with several offers once (``columns.offer_groups``)
    result_pos = cols.distinct(np.concatenate([found.text_pos, only_extra_pos]))
    facets = _facet_counts(plan, found, result_pos) if req.facets else {}
    page_ids = fused.ids[(req.page - 1) * req.per_page : req.page * req.per_page]
    coverage = found.coverage if pq.occupations else None
    hits = _hydrate(plan.session, page_ids, fused.offers, fused.scores, found.ranked, coverage, today)
    query_info = {
        "q": req.q,
        "lang": pq.lang,
        "detected_langs": pq.detected,
        "ui_lang": req.lang,
        "backend": plan.backend.name,
        "concepts": [{"uri": c.uri, "type": c.concept_type, "matched": c.span, "lang": c.lang} for c in pq.concepts],
        "corrections": pq.corrections,
        "compounds": pq.compounds,
        "embeddings": bool(found.ranked["embedding"]),
    }
    return SearchResult(
        total=len(result_pos), page=req.page, per_page=req.per_page, results=hits, facets=facets, query=query_info
    )


def _facet_counts(plan: SearchPlan, found: Retrieved, result_pos: np.ndarray) -> dict[str, list[dict]]:
    """Facet counts over the results; disjunctive: a facet with a selection is counted without its
    own filter."""
    req, cols, pq, today = plan.req, plan.cols, plan.pq, plan.today
    rows = cols.facet_rows(result_pos, today)
    for name in FACETS:
        own = req.filters.without(name)
        if own == req.filters:
            continue
        m = cols.filter_mask(own, today)
        if found.all_pos is not None:
            tpos = found.all_pos if m is None else found.all_pos[m[found.all_pos]]
        elif plan.browse:
            tpos = np.flatnonzero(m) if m is not None else np.arange(len(cols))
        else:
            tpos = np.zeros(0, dtype=np.int64)
        epos = _extra_positions(
            plan,
            found.ranked,
            m,
            concept_text=_phrase_ids(plan, pq.expansions, EXPANSION_ROWS, m),
            occupation_text=_phrase_ids(plan, pq.skill_expansions, EXPANSION_ROWS, m),
        )
        epos = epos[~found.text_hit[epos]]
        rows = [r for r in rows if r[0] != name] + cols.facet_rows(
            cols.distinct(np.concatenate([tpos, epos])), today, [name]
        )[1:]
    _, facets = merge_facets(rows, {})
    return facets


# the retrieval lists (as ``matched_by`` names them) and their fusion weights
PATH_WEIGHTS = {
    "text": "text",
    "title": "title",
    "concept_text": "expansion",
    "occupation_text": "occupation_text",
    "skill": "concept",
    "occupation": "occupation",
    "embedding": "embedding",
}


def _fuse(ranked: dict[str, list[int]], keep: set[int], browse: bool, sort: str, cols, today: date):
    """(result ids in order, fused score per id, offers per shown id): weighted reciprocal-rank
    fusion of the retrieval lists (the paths other than full text only for ``keep``: the courses
    that pass the filters), ordered by the sort key, one result per offer group."""
    lists = [
        (lst if name in ("text", "title") else [c for c in lst if c in keep], WEIGHTS[PATH_WEIGHTS[name]])
        for name, lst in ranked.items()
    ]
    fused = rrf(lists) if not browse else {cid: 0.0 for cid in ranked["text"]}
    ids = list(fused)
    if sort != "relevance" and ids:
        pos = cols.locate(ids)
        ns_all, wl_all = cols.next_start(today)[pos], cols.workload[pos]
        sort_keys = {
            cid: (None if n == NO_START else date.fromordinal(int(n)), None if np.isnan(w) else float(w))
            for cid, n, w in zip(ids, ns_all.tolist(), wl_all.tolist())
        }
    if sort == "start_date":
        ids.sort(key=lambda c: (sort_keys[c][0] is None, sort_keys[c][0] or date.max, -fused[c], c))
    elif sort == "workload":
        ids.sort(key=lambda c: (sort_keys[c][1] is None, sort_keys[c][1] or 0.0, -fused[c], c))
    elif not browse:
        ids.sort(key=lambda c: (-fused[c], c))
    offers: dict[int, list[int]] = {}  # a result's course id → every offer of it in the results, best first
    if cols.duplicates and ids:
        members: dict[int, list[int]] = {}
        for cid, g in zip(ids, cols.group[cols.locate(ids)].tolist()):
            members.setdefault(g, []).append(cid)
        ids = [m[0] for m in members.values()]  # dicts keep insertion order: each group at its best rank
        offers = {m[0]: m for m in members.values() if len(m) > 1}
    return ids, fused, offers


def _hydrate(session: Session, page_ids: list[int], offers, fused, ranked, coverage, today: date) -> list[Hit]:
    """The page's hits: details of its courses and of their other offers, in one statement."""
    paths: dict[int, list[str]] = {cid: [] for cid in page_ids}
    for name, lst in ranked.items():
        for cid in lst:
            if cid in paths:
                paths[cid].append(name)
    details: dict[int, dict] = {}
    if page_ids:
        sql = (
            f"SELECT {ROW_COLS}, c.title AS course_title, d.url FROM search_document d JOIN catalogue_course c"
            " ON c.id = d.course_id WHERE d.course_id IN :page_ids"  # and the page's other offers
        )
        result = session.execute(
            text(sql).bindparams(bindparam("page_ids", expanding=True)),
            {"page_ids": page_ids + [o for c in page_ids for o in offers.get(c, [])[1:]]},
        )
        keys = list(result.keys())
        for r in result:
            row = dict(zip(keys, r))
            row["next_start"] = _next_start(row.pop("run_starts"), today.isoformat())
            details[row["course_id"]] = row
    hits = []
    for cid in page_ids:
        row = details.get(cid)
        if row is None:
            continue
        ns = row["next_start"]
        hits.append(
            Hit(
                id=cid,
                title=row["course_title"],
                url=row["url"],
                language=row["language"],
                provider=row["provider"],
                score=round(fused.get(cid, 0.0), 6),
                organisation=row["organisation"],
                provider_name=row["provider_name"],
                next_start=ns.isoformat() if ns else None,
                pace=row["pace"],
                workload_hours=row["workload_hours"],
                is_free=None if row["is_free"] is None else bool(row["is_free"]),
                certificate_type=row["certificate_type"],
                matched_by=paths.get(cid, []),
                coverage=coverage.get(cid) if coverage is not None else None,
                offers=[_offer(details[o]) for o in offers.get(cid, []) if o in details],
            )
        )
    return hits


def suggest(session: Session, prefix: str, lang: str = "en", limit: int = 10) -> list[dict]:
    """Autocomplete for skills and occupations in the user's language (ESCO labels)."""
    from emclm.taxonomy.queries import search_labels

    hits = [
        h
        for h in search_labels(session, prefix, lang=lang, limit=limit * 2)
        if h.concept_type in ("skill", "occupation")
    ]
    return [
        {
            "uri": h.uri,
            "type": h.concept_type,
            "label": h.label,
            "preferred_label": h.preferred_label,
            "lang": h.lang,
            "score": h.score,
        }
        for h in hits[:limit]
    ]
