"""``search()``: one entry point over both engines (full text + ESCO concepts + embeddings, fused)."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import date

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.orm import Session

from emclm.config import get_settings
from emclm.search.backends import backend_for
from emclm.search.facets import SORTS, Filters, count_facets, facet_union_sql, filter_sql, merge_facets
from emclm.search.query import ParsedQuery, parse, rrf
from emclm.skills.models import CourseSkill
from emclm.taxonomy.models import OccupationSkill

log = logging.getLogger(__name__)

ROW_COLS = (
    "d.course_id, d.language, d.provider, d.provider_name, d.organisation, d.subject, d.eqf_level, d.is_free,"
    " d.certificate_type, d.ects_credits, d.pace, d.workload_hours, d.run_starts"
)
TEXT_RANK_LIMIT = 1000
NEXT_START_SQL = (
    "(SELECT min(r.start_date) FROM catalogue_course_run r WHERE r.course_id = d.course_id"
    " AND r.withdrawn_at IS NULL AND r.start_date >= :today)"
)
CONCEPT_LIMIT = 500
EXPANSION_ROWS = 500
WEIGHTS = {"text": 1.0, "expansion": 0.8, "occupation_text": 0.6, "concept": 1.0, "occupation": 2.0, "embedding": 0.8}


class SearchError(ValueError):
    pass


@dataclass
class SearchRequest:
    q: str = ""
    lang: str | None = None
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


def _as_date(v) -> date | None:
    if v is None or isinstance(v, date):
        return v
    return date.fromisoformat(str(v)[:10])


def _rows(session: Session, sql: str, params: dict, expanding: list) -> list[dict]:
    stmt = text(sql)
    if expanding:
        stmt = stmt.bindparams(*expanding)
    today_iso = params["today"].isoformat()
    result = session.execute(stmt, params)
    keys = list(result.keys())
    out = []
    for r in result:
        row = dict(zip(keys, r))
        row["next_start"] = _next_start(row.pop("run_starts"), today_iso)
        out.append(row)
    return out


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
            select(OccupationSkill.skill_id, OccupationSkill.relation_type).where(OccupationSkill.occupation_id.in_(occ_ids))
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


def search(session: Session, req: SearchRequest) -> SearchResult:
    """Full text (the user's words), concept expansions, skill tags, occupation coverage and
    embeddings, each a ranked list, fused by reciprocal rank; filters apply to every list.

    ``total`` and the facet counts cover every full-text match plus the courses only the other
    paths found; ranking considers the best ``TEXT_RANK_LIMIT`` full-text matches.
    """
    if req.sort not in SORTS:
        raise SearchError(f"sort must be one of {', '.join(SORTS)}, not {req.sort!r}")
    if req.page < 1 or not (1 <= req.per_page <= 100):
        raise SearchError("page must be ≥ 1 and per_page between 1 and 100")
    today = req.today or date.today()
    settings = get_settings()
    backend = backend_for(session)
    browse = not req.q.strip()
    pq = parse(session, req.q, req.lang, settings.default_languages, typo=req.typo)

    where, params, expanding = filter_sql(req.filters, today)
    params["today"] = today
    match = backend.match_sql(pq.clauses) if pq.clauses else None
    if match is not None:
        base_from, base_where, score = match.from_sql, [match.where_sql] + where, match.score_sql
        params.update(match.params)
    elif browse:
        base_from, base_where, score = "search_document d", list(where), "0.0"
    else:
        base_from = None  # nothing to match in full text (a URI, or only function words)
    where_sql = (" WHERE " + " AND ".join(base_where)) if base_from and base_where else ""

    def execute(sql: str, p: dict, extra_bind: list | None = None):
        stmt = text(sql)
        binds = [*expanding, *(extra_bind or [])]
        if binds:
            stmt = stmt.bindparams(*binds)
        return session.execute(stmt, p)

    # 1. the full-text ranking (ids and sort keys only)
    page_end = req.page * req.per_page
    text_rank: list[int] = []
    sort_keys: dict[int, tuple] = {}
    if base_from:
        if req.sort == "relevance":
            order, limit = "score DESC, d.course_id", TEXT_RANK_LIMIT if not browse else page_end
            if browse:
                order = "d.course_id"
        elif req.sort == "start_date":
            order, limit = f"{NEXT_START_SQL} IS NULL, {NEXT_START_SQL}, score DESC, d.course_id", page_end
        else:
            order, limit = "d.workload_hours IS NULL, d.workload_hours, score DESC, d.course_id", page_end
        if req.sort == "relevance" and not where and match is not None and match.index_only:
            idx_from, idx_id = match.index_only  # no filters: rank on the full-text index alone
            sql = (f"SELECT {idx_id} AS course_id, {score} AS score FROM {idx_from} WHERE {match.where_sql}"
                   f" ORDER BY score DESC, course_id LIMIT {int(limit)}")
            for cid, _score in execute(sql, params):
                text_rank.append(cid)
        else:
            ns_sql = NEXT_START_SQL if req.sort == "start_date" else "NULL"
            sql = (
                f"SELECT d.course_id, {score} AS score, d.workload_hours, {ns_sql} AS next_start"
                f" FROM {base_from}{where_sql} ORDER BY {order} LIMIT {int(limit)}"
            )
            for cid, _score, wl, ns in execute(sql, params):
                text_rank.append(cid)
                sort_keys[cid] = (_as_date(ns), wl)

    # 2. total and facet counts of the full-text set, computed by the engine
    sql_facets = []
    total_text = 0
    if base_from:
        if req.facets:
            cols, union = facet_union_sql(params, today)
            sql = (
                f"WITH m AS MATERIALIZED (SELECT d.language, d.provider, d.provider_name, d.organisation, d.subject,"
                f" d.eqf_level, d.is_free, d.certificate_type, d.ects_credits, d.pace, d.workload_hours{cols}"
                f" FROM {base_from}{where_sql}) {union}"
            )
            sql_facets = list(execute(sql, params))
        else:
            total_text = execute(f"SELECT count(*) FROM {base_from}{where_sql}", params).scalar_one()

    # 3. the other retrieval paths
    def ids_only(clauses, limit: int) -> list[int]:
        m = backend.match_sql(clauses) if clauses else None
        if m is None:
            return []
        if not where and m.index_only:
            sql = (f"SELECT {m.index_only[1]} FROM {m.index_only[0]} WHERE {m.where_sql}"
                   f" ORDER BY {m.score_sql} DESC, {m.index_only[1]} LIMIT {int(limit)}")
        else:
            sql = (f"SELECT d.course_id FROM {m.from_sql} WHERE " + " AND ".join([m.where_sql] + where)
                   + f" ORDER BY {m.score_sql} DESC, d.course_id LIMIT {int(limit)}")
        return [r[0] for r in execute(sql, {**params, **m.params})]

    exp_rank = ids_only(pq.expansions, EXPANSION_ROWS)
    occ_text_rank = ids_only(pq.skill_expansions, EXPANSION_ROWS)
    skill_rank, occ_rank, coverage = concept_ranking(session, pq) if pq.concepts else ([], [], {})
    emb_rank: list[int] = []
    if not browse and not pq.uri and req.embeddings is not False:
        from emclm.search import embeddings

        if embeddings.available(session):
            emb_rank = embeddings.nearest(session, req.q)

    # 4. candidates found by those paths only: filter them, and learn whether full text matched them too
    in_text = set(text_rank)
    extra_ids = list(dict.fromkeys(c for c in exp_rank + occ_text_rank + skill_rank + occ_rank + emb_rank if c not in in_text))
    extra_rows: dict[int, dict] = {}
    if extra_ids:
        flag = match.predicate_sql if match is not None else "1=0"
        sql = (f"SELECT {ROW_COLS}, CASE WHEN {flag} THEN 1 ELSE 0 END AS in_text FROM search_document d WHERE "
               + " AND ".join(["d.course_id IN :extra_ids"] + where))
        result = execute(sql, {**params, "extra_ids": extra_ids}, [bindparam("extra_ids", expanding=True)])
        keys = list(result.keys())
        today_iso = today.isoformat()
        for r in result:
            row = dict(zip(keys, r))
            row["next_start"] = _next_start(row.pop("run_starts"), today_iso)
            extra_rows[row["course_id"]] = row
    only_extra = [r for cid, r in extra_rows.items() if not r["in_text"]]
    if req.facets:
        total_text, facets = merge_facets(sql_facets, count_facets(only_extra, today) if only_extra else {})
    else:
        facets = {}
    total = total_text + len(only_extra)

    # 5. fusion and order
    keep = in_text | extra_rows.keys()
    lists = [(text_rank, WEIGHTS["text"]),
             ([c for c in exp_rank if c in keep], WEIGHTS["expansion"]),
             ([c for c in occ_text_rank if c in keep], WEIGHTS["occupation_text"]),
             ([c for c in skill_rank if c in keep], WEIGHTS["concept"]),
             ([c for c in occ_rank if c in keep], WEIGHTS["occupation"]),
             ([c for c in emb_rank if c in keep], WEIGHTS["embedding"])]
    fused = rrf(lists) if not browse else {cid: 0.0 for cid in text_rank}
    for cid, row in extra_rows.items():
        sort_keys.setdefault(cid, (row["next_start"], row["workload_hours"]))
    ids = list(fused)
    if req.sort == "start_date":
        ids.sort(key=lambda c: (sort_keys[c][0] is None, sort_keys[c][0] or date.max, -fused[c], c))
    elif req.sort == "workload":
        ids.sort(key=lambda c: (sort_keys[c][1] is None, sort_keys[c][1] or 0.0, -fused[c], c))
    elif not browse:
        ids.sort(key=lambda c: (-fused[c], c))
    page_ids = ids[(req.page - 1) * req.per_page : page_end]
    paths: dict[int, list[str]] = {cid: [] for cid in page_ids}
    for name, lst in (("text", text_rank), ("concept_text", exp_rank), ("occupation_text", occ_text_rank),
                      ("skill", skill_rank), ("occupation", occ_rank), ("embedding", emb_rank)):
        for cid in lst:
            if cid in paths:
                paths[cid].append(name)

    # 6. the page
    details: dict[int, dict] = {}
    if page_ids:
        sql = f"SELECT {ROW_COLS}, c.title AS course_title, d.url FROM search_document d JOIN catalogue_course c" \
              " ON c.id = d.course_id WHERE d.course_id IN :page_ids"
        result = session.execute(text(sql).bindparams(bindparam("page_ids", expanding=True)), {"page_ids": page_ids})
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
                id=cid, title=row["course_title"], url=row["url"], language=row["language"], provider=row["provider"],
                score=round(fused.get(cid, 0.0), 6), organisation=row["organisation"],
                provider_name=row["provider_name"], next_start=ns.isoformat() if ns else None, pace=row["pace"],
                workload_hours=row["workload_hours"], is_free=None if row["is_free"] is None else bool(row["is_free"]),
                certificate_type=row["certificate_type"], matched_by=paths.get(cid, []),
                coverage=coverage.get(cid) if pq.occupations else None,
            )
        )
    query_info = {
        "q": req.q,
        "lang": pq.lang,
        "backend": backend.name,
        "concepts": [{"uri": c.uri, "type": c.concept_type, "matched": c.span, "lang": c.lang} for c in pq.concepts],
        "corrections": pq.corrections,
        "embeddings": bool(emb_rank),
    }
    return SearchResult(total=total, page=req.page, per_page=req.per_page, results=hits, facets=facets, query=query_info)


def suggest(session: Session, prefix: str, lang: str = "en", limit: int = 10) -> list[dict]:
    """Autocomplete for skills and occupations in the user's language (ESCO labels)."""
    from emclm.taxonomy.queries import search_labels

    hits = [h for h in search_labels(session, prefix, lang=lang, limit=limit * 2) if h.concept_type in ("skill", "occupation")]
    return [
        {"uri": h.uri, "type": h.concept_type, "label": h.label, "preferred_label": h.preferred_label, "lang": h.lang,
         "score": h.score}
        for h in hits[:limit]
    ]
