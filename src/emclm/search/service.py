"""``search()``: one entry point over both engines (full text + ESCO concepts + embeddings, fused)."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import date

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from emclm.config import get_settings
from emclm.search.backends import backend_for
from emclm.search.facets import FACETS, SORTS, Filters, count_facets, filter_sql
from emclm.search.query import ParsedQuery, parse, rrf
from emclm.search.schema import search_document
from emclm.skills.models import CourseSkill
from emclm.taxonomy.models import OccupationSkill

log = logging.getLogger(__name__)

ROW_COLS = (
    "d.course_id, d.language, d.provider, d.provider_name, d.organisation, d.subject, d.eqf_level, d.is_free,"
    " d.certificate_type, d.ects_credits, d.pace, d.workload_hours,"
    " (SELECT min(r.start_date) FROM catalogue_course_run r WHERE r.course_id = d.course_id"
    " AND r.withdrawn_at IS NULL AND r.start_date >= :today) AS next_start"
)
MAX_TEXT_ROWS = 20_000
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


def _as_date(v) -> date | None:
    if v is None or isinstance(v, date):
        return v
    return date.fromisoformat(str(v)[:10])


def _rows(session: Session, sql: str, params: dict, expanding: list) -> list[dict]:
    stmt = text(sql)
    if expanding:
        stmt = stmt.bindparams(*expanding)
    out = []
    for r in session.execute(stmt, params).mappings():
        row = dict(r)
        row["next_start"] = _as_date(row.get("next_start"))
        out.append(row)
    return out


def concept_ranking(session: Session, pq: ParsedQuery) -> tuple[list[int], list[int], dict[int, float]]:
    """(skill-tag ranking, occupation-coverage ranking, coverage per course)."""
    skill_ids = [c.concept_id for c in pq.skills]
    skill_rank: list[int] = []
    live = select(search_document.c.course_id)
    if skill_ids:
        rows = session.execute(
            select(CourseSkill.course_id, func.sum(CourseSkill.score))
            .where(CourseSkill.skill_id.in_(skill_ids), CourseSkill.status != "rejected", CourseSkill.course_id.in_(live))
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
                    CourseSkill.course_id.in_(live),
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
    if req.sort not in SORTS:
        raise SearchError(f"sort must be one of {', '.join(SORTS)}, not {req.sort!r}")
    if req.page < 1 or not (1 <= req.per_page <= 100):
        raise SearchError("page must be ≥ 1 and per_page between 1 and 100")
    today = req.today or date.today()
    settings = get_settings()
    backend = backend_for(session)
    pq = parse(session, req.q, req.lang, settings.default_languages, typo=req.typo)

    where, params, expanding = filter_sql(req.filters, today)
    params["today"] = today
    rows_by_id: dict[int, dict] = {}

    def text_list(clauses, limit: int) -> list[int]:
        match = backend.match_sql(clauses) if clauses else None
        if match is None:
            return []
        sql = (
            f"SELECT {ROW_COLS}, {match.score_sql} AS score FROM {match.from_sql} WHERE "
            + " AND ".join([match.where_sql] + where)
            + f" ORDER BY score DESC, d.course_id LIMIT {int(limit)}"
        )
        ranked = []
        for row in _rows(session, sql, {**params, **match.params}, expanding):
            rows_by_id.setdefault(row["course_id"], row)
            ranked.append(row["course_id"])
        return ranked

    text_rank = text_list(pq.clauses, MAX_TEXT_ROWS)
    exp_rank = text_list(pq.expansions, EXPANSION_ROWS)
    occ_text_rank = text_list(pq.skill_expansions, EXPANSION_ROWS)

    skill_rank, occ_rank, coverage = concept_ranking(session, pq) if pq.concepts else ([], [], {})
    emb_rank: list[int] = []
    if req.q and not pq.uri:
        from emclm.search import embeddings

        if req.embeddings is not False and embeddings.available(session):
            emb_rank = embeddings.nearest(session, req.q)

    browse = not req.q.strip()
    if browse:
        sql = f"SELECT {ROW_COLS}, 0.0 AS score FROM search_document d" + (" WHERE " + " AND ".join(where) if where else "")
        for row in _rows(session, sql, params, expanding):
            rows_by_id[row["course_id"]] = row
    # concept and embedding candidates must pass the filters too
    extra = [c for c in set(skill_rank) | set(occ_rank) | set(emb_rank) if c not in rows_by_id]
    if extra:
        from sqlalchemy import bindparam

        sql = f"SELECT {ROW_COLS}, 0.0 AS score FROM search_document d WHERE " + " AND ".join(
            ["d.course_id IN :extra_ids"] + where
        )
        for row in _rows(session, sql, {**params, "extra_ids": extra}, [*expanding, bindparam("extra_ids", expanding=True)]):
            rows_by_id[row["course_id"]] = row
    keep = rows_by_id.keys()
    lists = [(text_rank, WEIGHTS["text"]),
             (exp_rank, WEIGHTS["expansion"]),
             (occ_text_rank, WEIGHTS["occupation_text"]),
             ([c for c in skill_rank if c in keep], WEIGHTS["concept"]),
             ([c for c in occ_rank if c in keep], WEIGHTS["occupation"]),
             ([c for c in emb_rank if c in keep], WEIGHTS["embedding"])]
    fused = rrf(lists) if not browse else {cid: 0.0 for cid in rows_by_id}
    paths = {cid: [] for cid in fused}
    for name, ids in (("text", text_rank), ("concept_text", exp_rank), ("occupation_text", occ_text_rank), ("skill", skill_rank), ("occupation", occ_rank), ("embedding", emb_rank)):
        for cid in ids:
            if cid in paths:
                paths[cid].append(name)

    ids = list(fused)
    if req.sort == "start_date":
        far = date.max
        ids.sort(key=lambda c: (rows_by_id[c]["next_start"] or far, -fused[c], c))
    elif req.sort == "workload":
        ids.sort(key=lambda c: (rows_by_id[c]["workload_hours"] is None, rows_by_id[c]["workload_hours"] or 0, -fused[c], c))
    elif browse:
        ids.sort()
    else:
        ids.sort(key=lambda c: (-fused[c], c))
    total = len(ids)
    page_ids = ids[(req.page - 1) * req.per_page : req.page * req.per_page]
    facets = count_facets([rows_by_id[c] for c in ids], today, FACETS) if req.facets else {}

    titles = {}
    if page_ids:
        titles = {
            r.course_id: (r.title, r.url)
            for r in session.execute(
                select(search_document.c.course_id, search_document.c.title, search_document.c.url).where(
                    search_document.c.course_id.in_(page_ids)
                )
            )
        }
    from emclm.catalogue.models import Course

    course_titles = dict(session.execute(select(Course.id, Course.title).where(Course.id.in_(page_ids))).all()) if page_ids else {}
    hits = []
    for cid in page_ids:
        row = rows_by_id[cid]
        ns = row["next_start"]
        hits.append(
            Hit(
                id=cid,
                title=course_titles.get(cid) or titles.get(cid, ("", None))[0],
                url=titles.get(cid, ("", None))[1],
                language=row["language"],
                provider=row["provider"],
                score=round(fused[cid], 6),
                organisation=row["organisation"],
                provider_name=row["provider_name"],
                next_start=ns.isoformat() if ns else None,
                pace=row["pace"],
                workload_hours=row["workload_hours"],
                is_free=row["is_free"],
                certificate_type=row["certificate_type"],
                matched_by=paths.get(cid, []),
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
