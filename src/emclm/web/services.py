"""What the pages ask of the domain packages, in one thin adapter.

Each function calls the domain package that owns the capability (``emclm.search``,
``emclm.guidance``) when it is installed, and otherwise does the least that keeps the page honest:
a basic title search over the catalogue, a gap computed from ESCO's occupation–skill relations, or a
clear "not yet available" state. Pages never import the domain packages directly, so a capability
that lands later needs no template change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session, selectinload

from emclm.catalogue.models import Course, Provider
from emclm.skills.models import CourseSkill
from emclm.taxonomy.models import Concept, OccupationSkill
from emclm.taxonomy.queries import get_concept, occupation_skills, preferred_labels, search_labels

log = logging.getLogger(__name__)

# facets the search page shows, in this order; names follow emclm.search.Filters
FACETS = ("language", "provider", "price", "certificate_type", "eqf_level", "pace")
LIST_FACETS = ("language", "provider", "certificate_type", "eqf_level", "pace")
PER_PAGE = 10


def _engine(module: str, *names: str):
    """The named attributes of a domain module, or None when that capability is not installed."""
    try:
        mod = __import__(module, fromlist=list(names))
        return tuple(getattr(mod, n) for n in names)
    except (ImportError, AttributeError):
        return None


# --------------------------------------------------------------------------- search


@dataclass
class SearchPage:
    q: str
    filters: dict[str, list[str]]
    total: int
    page: int
    per_page: int
    hits: list[dict]
    facets: dict[str, list[dict]]
    engine: str  # "search" (emclm.search) | "basic" (title/description match in this module)
    error: str | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def parse_filters(params) -> dict[str, list[str]]:
    """Facet selections from query parameters (``MultiDict``-like: ``getlist``)."""
    out: dict[str, list[str]] = {}
    for name in FACETS:
        values = [v.strip() for v in params.getlist(name) if v and v.strip()]
        if name == "price":
            values = [v for v in values if v in ("free", "paid")][:1]
        if name == "eqf_level":
            values = [v for v in values if v.isdigit() and 1 <= int(v) <= 8]
        if values:
            out[name] = list(dict.fromkeys(values))
    return out


def search_courses(session: Session, q: str, filters: dict[str, list[str]], page: int = 1, lang: str = "en",
                   per_page: int = PER_PAGE) -> SearchPage:
    page = max(1, page)
    engine = _engine("emclm.search", "search", "SearchRequest", "Filters", "SearchError")
    if engine is not None:
        search, SearchRequest, Filters, SearchError = engine
        f = Filters(
            language=filters.get("language", []),
            provider=filters.get("provider", []),
            certificate_type=filters.get("certificate_type", []),
            eqf_level=[int(v) for v in filters.get("eqf_level", [])],
            pace=filters.get("pace", []),
            price=(filters.get("price") or [None])[0],
        )
        try:
            res = search(session, SearchRequest(q=q, lang=lang, filters=f, page=page, per_page=per_page))
        except SearchError as exc:
            return SearchPage(q, filters, 0, page, per_page, [], {}, "search", error=str(exc))
        except (OperationalError, ProgrammingError) as exc:  # search index not built in this database
            session.rollback()
            log.warning("search engine unavailable (%s); using the basic search", str(exc).splitlines()[0])
        else:
            hits = [
                {
                    "id": h.id, "title": h.title, "url": h.url, "language": h.language,
                    "provider": h.provider_name or h.provider, "organisation": h.organisation,
                    "next_start": date.fromisoformat(h.next_start) if h.next_start else None,
                    "pace": h.pace, "workload_hours": h.workload_hours, "is_free": h.is_free,
                    "certificate_type": h.certificate_type,
                }
                for h in res.results
            ]
            facets = {name: res.facets.get(name, []) for name in FACETS}
            return SearchPage(q, filters, res.total, page, per_page, hits, facets, "search")
    return _basic_search(session, q, filters, page, per_page)


def is_free(course: Course) -> bool | None:
    if course.free_audit:
        return True
    known = [p for p in [course.price] + [r.price for r in course.runs if r.withdrawn_at is None] if p is not None]
    if not known:
        return None
    return any(Decimal(p) == 0 for p in known)


def _next_start(course: Course, today: date) -> date | None:
    starts = sorted(r.start_date for r in course.runs if r.withdrawn_at is None and r.start_date and r.start_date >= today)
    return starts[0] if starts else None


def _basic_search(session: Session, q: str, filters: dict[str, list[str]], page: int, per_page: int) -> SearchPage:
    """Every word of ``q`` in the title, description or keywords; facets over the filtered set."""
    stmt = (
        select(Course)
        .join(Provider, Provider.id == Course.provider_id)
        .where(Course.withdrawn_at.is_(None))
        .options(selectinload(Course.runs), selectinload(Course.provider), selectinload(Course.organisation))
    )
    for word in q.lower().split()[:8]:
        pattern = f"%{word}%"
        stmt = stmt.where(
            or_(func.lower(Course.title).like(pattern), func.lower(Course.description).like(pattern),
                func.lower(cast(Course.keywords, String)).like(pattern))
        )
    courses = session.execute(stmt.order_by(Course.title, Course.id)).scalars().all()
    today = date.today()

    def values(c: Course) -> dict[str, str | None]:
        free = is_free(c)
        return {
            "language": c.language,
            "provider": c.provider.code,
            "price": None if free is None else ("free" if free else "paid"),
            "certificate_type": c.certificate_type,
            "eqf_level": str(c.eqf_level) if c.eqf_level is not None else None,
            "pace": c.pace,
        }

    rows = [(c, values(c)) for c in courses]
    rows = [(c, v) for c, v in rows if all(v[name] in chosen for name, chosen in filters.items())]
    counts: dict[str, dict[str, int]] = {name: {} for name in FACETS}
    names: dict[str, str] = {}
    for c, v in rows:
        names[c.provider.code] = c.provider.name
        for name in FACETS:
            if v[name] is not None:
                counts[name][v[name]] = counts[name].get(v[name], 0) + 1
    facets = {
        name: [
            {"value": value, "label": names.get(value, value) if name == "provider" else value, "count": n}
            for value, n in sorted(counts[name].items(), key=lambda kv: (-kv[1], kv[0]))
        ]
        for name in FACETS
    }
    start = (page - 1) * per_page
    hits = [
        {
            "id": c.id, "title": c.title, "url": c.url, "language": c.language, "provider": c.provider.name,
            "organisation": c.organisation.name if c.organisation else None, "next_start": _next_start(c, today),
            "pace": c.pace, "workload_hours": c.workload_hours, "is_free": v["price"] == "free" if v["price"] else None,
            "certificate_type": c.certificate_type,
        }
        for c, v in rows[start : start + per_page]
    ]
    return SearchPage(q, filters, len(rows), page, per_page, hits, facets, "basic")


# --------------------------------------------------------------------------- course page


@dataclass
class CoursePage:
    course: Course
    runs: list
    free: bool | None
    skills: list[dict]
    occupations: list[dict]


def course_page(session: Session, course_id: int, lang: str = "en") -> CoursePage | None:
    course = session.execute(
        select(Course)
        .where(Course.id == course_id)
        .options(selectinload(Course.runs), selectinload(Course.provider), selectinload(Course.organisation))
    ).scalar_one_or_none()
    if course is None:
        return None
    tags = session.execute(
        select(CourseSkill, Concept)
        .join(Concept, Concept.id == CourseSkill.skill_id)
        .where(CourseSkill.course_id == course.id, CourseSkill.status != "rejected")
        .order_by(CourseSkill.score.desc(), Concept.id)
    ).all()
    labels = preferred_labels(session, [c.id for _, c in tags], lang)
    skills = [
        {
            "uri": concept.uri, "id": concept.uri.rsplit("/", 1)[-1], "label": labels.get(concept.id) or concept.uri,
            "score": tag.score, "status": tag.status, "evidence": [e for e in (tag.evidence or []) if isinstance(e, dict)],
        }
        for tag, concept in tags
    ]
    return CoursePage(
        course=course,
        runs=[r for r in course.runs if r.withdrawn_at is None],
        free=is_free(course),
        skills=skills,
        occupations=occupations_served(session, [c.id for _, c in tags], lang),
    )


def occupations_served(session: Session, skill_ids: list[int], lang: str, limit: int = 8) -> list[dict]:
    """Occupations for which the course teaches essential skills, most skills first."""
    if not skill_ids:
        return []
    rows = session.execute(
        select(OccupationSkill.occupation_id, func.count())
        .where(OccupationSkill.skill_id.in_(skill_ids), OccupationSkill.relation_type == "essential")
        .group_by(OccupationSkill.occupation_id)
        .order_by(func.count().desc(), OccupationSkill.occupation_id)
        .limit(limit)
    ).all()
    ids = [oid for oid, _ in rows]
    uris = dict(session.execute(select(Concept.id, Concept.uri).where(Concept.id.in_(ids))).all()) if ids else {}
    labels = preferred_labels(session, ids, lang)
    return [
        {"uri": uris[oid], "id": uris[oid].rsplit("/", 1)[-1], "label": labels.get(oid), "skills": n}
        for oid, n in rows
    ]


def courses_for_skills(session: Session, skill_ids: list[int], limit: int = 10) -> list[dict]:
    """Live courses tagged with any of the skills (curator-rejected tags excluded), most skills first."""
    if not skill_ids:
        return []
    rows = session.execute(
        select(Course.id, Course.title, Provider.name, func.count(CourseSkill.id))
        .join(CourseSkill, CourseSkill.course_id == Course.id)
        .join(Provider, Provider.id == Course.provider_id)
        .where(CourseSkill.skill_id.in_(skill_ids), CourseSkill.status != "rejected", Course.withdrawn_at.is_(None))
        .group_by(Course.id, Course.title, Provider.name)
        .order_by(func.count(CourseSkill.id).desc(), Course.id)
        .limit(limit)
    ).all()
    return [{"id": cid, "title": title, "provider": provider, "skills": n} for cid, title, provider, n in rows]


# --------------------------------------------------------------------------- plan my path


@dataclass
class Resolved:
    uri: str
    id: str
    label: str


def resolve_occupation(session: Session, text: str, lang: str) -> tuple[Resolved | None, list[Resolved]]:
    """The occupation a user typed (a label in their language or English, or an ESCO URI): the best
    match, and the next best ones to offer when the match is not exact."""
    text = (text or "").strip()
    if not text:
        return None, []
    if text.startswith("http://data.europa.eu/esco/occupation/"):
        try:
            concept = get_concept(session, text, "occupation")
        except LookupError:
            return None, []
        label = preferred_labels(session, [concept.id], lang).get(concept.id) or text
        return Resolved(concept.uri, concept.uri.rsplit("/", 1)[-1], label), []
    best: dict = {}  # uri -> best hit over the user's language and English
    for lg in dict.fromkeys([lang, "en"]):
        for h in search_labels(session, text, lang=lg, concept_type="occupation", limit=6):
            if h.uri not in best or h.score > best[h.uri].score:
                best[h.uri] = h
    hits = sorted(best.values(), key=lambda h: -h.score)[:6]
    if not hits:
        return None, []
    ids = dict(session.execute(select(Concept.uri, Concept.id).where(Concept.uri.in_([h.uri for h in hits]))).all())
    labels = preferred_labels(session, list(ids.values()), lang)
    found = [Resolved(h.uri, h.uri.rsplit("/", 1)[-1], labels.get(ids[h.uri]) or h.label) for h in hits]
    if hits[0].score >= 80:
        return found[0], found[1:4]
    return None, found[:5]


def suggest_occupations(session: Session, prefix: str, lang: str, limit: int = 8) -> list[str]:
    prefix = (prefix or "").strip()
    if len(prefix) < 2:
        return []
    hits = search_labels(session, prefix, lang=lang, concept_type="occupation", limit=limit)
    return list(dict.fromkeys(h.preferred_label or h.label for h in hits))


@dataclass
class PlanConstraints:
    language: str | None = None  # teaching language of the courses
    free_only: bool = False
    max_hours: float | None = None  # total learning hours of the whole pathway


@dataclass
class Plan:
    state: str  # empty | need_target | not_found | done | error
    current: Resolved | None = None
    target: Resolved | None = None
    suggestions: dict[str, list[Resolved]] = field(default_factory=dict)
    not_found: list[str] = field(default_factory=list)  # form fields whose occupation was not found
    profile_skills: int = 0
    held: int = 0
    essential: list[dict] = field(default_factory=list)  # missing essential skills
    optional: list[dict] = field(default_factory=list)
    pathway: dict | None = None  # None when no pathway could be computed
    pathway_unavailable: bool = False  # emclm.guidance is not installed
    text_unavailable: bool = False  # free-text profiles need the skill extractor
    message: str | None = None


def plan_path(session: Session, *, current: str = "", description: str = "", target: str = "",
              constraints: PlanConstraints | None = None, lang: str = "en") -> Plan:
    constraints = constraints or PlanConstraints()
    plan = Plan(state="empty")
    if not (current.strip() or description.strip() or target.strip()):
        return plan
    cur, cur_alt = resolve_occupation(session, current, lang) if current.strip() else (None, [])
    tgt, tgt_alt = resolve_occupation(session, target, lang) if target.strip() else (None, [])
    plan.current, plan.target = cur, tgt
    if current.strip() and cur is None:
        plan.not_found.append("current")
    if target.strip() and tgt is None:
        plan.not_found.append("target")
    plan.suggestions = {k: v for k, v in (("current", cur_alt), ("target", tgt_alt)) if v}
    if plan.not_found:
        plan.state = "not_found"
        return plan
    if tgt is None:
        plan.state = "need_target"
        return plan

    guidance = _engine("emclm.guidance.service", "build_profile", "compute_gap", "compute_pathway")
    types = _engine("emclm.guidance", "Constraints", "GuidanceError")
    if guidance is None or types is None:
        return _basic_gap(session, plan, cur, description, tgt, lang)
    build_profile, compute_gap, compute_pathway = guidance
    Constraints, GuidanceError = types
    try:
        try:
            profile = build_profile(session, occupations=[cur.uri] if cur else [],
                                    text=description or None, lang=lang)
        except GuidanceError as exc:
            if not description.strip() or "text" not in str(exc):
                raise
            plan.text_unavailable = True
            profile = build_profile(session, occupations=[cur.uri] if cur else [], lang=lang)
        gap = compute_gap(session, profile, tgt.uri, lang=lang)
        pathway = compute_pathway(session, gap, Constraints(
            languages=[constraints.language] if constraints.language else None,
            free_only=constraints.free_only,
            max_total_hours=constraints.max_hours,
        ))
    except GuidanceError as exc:
        plan.state, plan.message = "error", str(exc)
        return plan
    plan.profile_skills = len(profile.skills)
    plan.held = len(gap.held)
    skill = lambda s: {"uri": s.uri, "id": s.uri.rsplit("/", 1)[-1], "label": s.label or s.uri,  # noqa: E731
                       "courses": s.courses_available}
    plan.essential = [skill(s) for s in gap.essential]
    plan.optional = [skill(s) for s in gap.optional]
    labels = {s.uri: s.label for s in gap.skills}
    plan.pathway = {
        "courses": [
            {
                "id": c.course.course_id, "title": c.course.title, "provider": c.course.provider,
                "language": c.course.language, "hours": c.workload_hours, "estimated": c.workload_estimated,
                "next_start": c.next_start, "covers": [labels.get(u) or u for u in c.covers],
            }
            for c in pathway.courses
        ],
        "total_hours": pathway.total_hours,
        "total_money": pathway.total_money,
        "uncovered": [labels.get(u) or u for u in pathway.solution.uncovered],
        "optimal": pathway.solution.optimal,
    }
    plan.state = "done"
    return plan


def _basic_gap(session: Session, plan: Plan, cur: Resolved | None, description: str, tgt: Resolved,
               lang: str) -> Plan:
    """Without emclm.guidance: the target's skills the current occupation does not list; no pathway."""
    plan.pathway_unavailable = True
    plan.text_unavailable = bool(description.strip())
    held: set[str] = set()
    if cur is not None:
        rel = occupation_skills(session, get_concept(session, cur.uri, "occupation"), lang)
        held = {s["uri"] for s in rel["essential"]}
    plan.profile_skills = len(held)
    rel = occupation_skills(session, get_concept(session, tgt.uri, "occupation"), lang)
    ids = dict(session.execute(
        select(Concept.uri, Concept.id).where(Concept.uri.in_([s["uri"] for s in rel["essential"] + rel["optional"]]))
    ).all()) if rel["essential"] or rel["optional"] else {}
    counts = dict(session.execute(
        select(CourseSkill.skill_id, func.count(func.distinct(CourseSkill.course_id)))
        .join(Course, Course.id == CourseSkill.course_id)
        .where(CourseSkill.skill_id.in_(list(ids.values())), CourseSkill.status != "rejected",
               Course.withdrawn_at.is_(None))
        .group_by(CourseSkill.skill_id)
    ).all()) if ids else {}

    def skill(s: dict) -> dict:
        return {"uri": s["uri"], "id": s["uri"].rsplit("/", 1)[-1], "label": s["label"] or s["uri"],
                "courses": counts.get(ids.get(s["uri"]), 0)}

    plan.held = sum(1 for s in rel["essential"] + rel["optional"] if s["uri"] in held)
    plan.essential = [skill(s) for s in rel["essential"] if s["uri"] not in held]
    plan.optional = [skill(s) for s in rel["optional"] if s["uri"] not in held]
    plan.state = "done"
    return plan


def label_fallbacks(session: Session, uris: list[str], lang: str) -> set[str]:
    """The concepts among ``uris`` with no preferred label in ``lang`` (their English label is shown,
    and the page marks it ``lang="en"`` for screen readers)."""
    if lang == "en" or not uris:
        return set()
    from emclm.taxonomy.models import Label

    have: set[str] = set()
    for i in range(0, len(uris), 900):
        chunk = uris[i : i + 900]
        have.update(session.execute(
            select(Concept.uri).join(Label, Label.concept_id == Concept.id)
            .where(Concept.uri.in_(chunk), Label.lang == lang, Label.kind == "preferred")
        ).scalars())
    return set(uris) - have
