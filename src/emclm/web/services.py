"""What the pages ask of the domain packages (``emclm.search``, ``emclm.guidance``, the catalogue and
the taxonomy), in one thin adapter that shapes their answers for the templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from emclm.catalogue.models import Course, Provider
from emclm.search.facets import FACETS, Filters
from emclm.skills.models import CourseSkill
from emclm.taxonomy.models import Concept, OccupationSkill
from emclm.taxonomy.queries import get_concept, preferred_labels, search_labels

# the search page shows every facet of the one facet table (emclm.search.FACET_TABLE), in its order
PER_PAGE = 10


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
    error: str | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def parse_filters(params) -> dict[str, list[str]]:
    """Facet selections from query parameters (``MultiDict``-like: ``getlist``); values a facet
    cannot have are dropped (a hand-edited link still shows a page)."""
    return Filters.from_params(params.getlist, strict=False).selected()


def search_courses(
    session: Session, q: str, filters: dict[str, list[str]], page: int = 1, lang: str = "en", per_page: int = PER_PAGE
) -> SearchPage:
    from emclm.search import SearchError, SearchRequest, search

    page = max(1, page)
    f = Filters.from_params(lambda name: filters.get(name, []), strict=False)
    try:
        res = search(session, SearchRequest(q=q, lang=lang, filters=f, page=page, per_page=per_page))
    except SearchError as exc:
        return SearchPage(q, filters, 0, page, per_page, [], {}, error=str(exc))
    hits = [
        {
            "id": h.id,
            "title": h.title,
            "url": h.url,
            "language": h.language,
            "provider": h.provider_name or h.provider,
            "organisation": h.organisation,
            "next_start": date.fromisoformat(h.next_start) if h.next_start else None,
            "pace": h.pace,
            "workload_hours": h.workload_hours,
            "is_free": h.is_free,
            "certificate_type": h.certificate_type,
            "offers": h.offers,  # the same course listed more than once: every listing, this one first
        }
        for h in res.results
    ]
    return SearchPage(q, filters, res.total, page, per_page, hits, {name: res.facets.get(name, []) for name in FACETS})


def is_free(course: Course) -> bool | None:
    if course.free_audit:
        return True
    known = [p for p in [course.price] + [r.price for r in course.runs if r.withdrawn_at is None] if p is not None]
    if not known:
        return None
    return any(Decimal(p) == 0 for p in known)


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
            "uri": concept.uri,
            "id": concept.uri.rsplit("/", 1)[-1],
            "label": labels.get(concept.id) or concept.uri,
            "score": tag.score,
            "status": tag.status,
            "evidence": [e for e in (tag.evidence or []) if isinstance(e, dict)],
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
        {"uri": uris[oid], "id": uris[oid].rsplit("/", 1)[-1], "label": labels.get(oid), "skills": n} for oid, n in rows
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
    text_unavailable: bool = False  # the free-text description could not be read
    message: str | None = None


def plan_path(
    session: Session,
    *,
    current: str = "",
    description: str = "",
    target: str = "",
    constraints: PlanConstraints | None = None,
    lang: str = "en",
) -> Plan:
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

    from emclm.guidance import Constraints, GuidanceError
    from emclm.guidance.service import build_profile, compute_gap, compute_pathway

    try:
        try:
            profile = build_profile(session, occupations=[cur.uri] if cur else [], text=description or None, lang=lang)
        except GuidanceError as exc:
            if not description.strip() or "text" not in str(exc):
                raise
            plan.text_unavailable = True
            profile = build_profile(session, occupations=[cur.uri] if cur else [], lang=lang)
        gap = compute_gap(session, profile, tgt.uri, lang=lang)
        pathway = compute_pathway(
            session,
            gap,
            Constraints(
                languages=[constraints.language] if constraints.language else None,
                free_only=constraints.free_only,
                max_total_hours=constraints.max_hours,
            ),
        )
    except GuidanceError as exc:
        plan.state, plan.message = "error", str(exc)
        return plan
    plan.profile_skills = len(profile.skills)
    plan.held = len(gap.held)

    def skill(s):
        return {
            "uri": s.uri,
            "id": s.uri.rsplit("/", 1)[-1],
            "label": s.label or s.uri,
            "courses": s.courses_available,
        }

    plan.essential = [skill(s) for s in gap.essential]
    plan.optional = [skill(s) for s in gap.optional]
    labels = {s.uri: s.label for s in gap.skills}
    plan.pathway = {
        "courses": [
            {
                "id": c.course.course_id,
                "title": c.course.title,
                "provider": c.course.provider,
                "language": c.course.language,
                "hours": c.workload_hours,
                "estimated": c.workload_estimated,
                "next_start": c.next_start,
                "covers": [labels.get(u) or u for u in c.covers],
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


def label_fallbacks(session: Session, uris: list[str], lang: str) -> set[str]:
    """The concepts among ``uris`` with no preferred label in ``lang`` (their English label is shown,
    and the page marks it ``lang="en"`` for screen readers)."""
    if lang == "en" or not uris:
        return set()
    from emclm.taxonomy.models import Label

    have: set[str] = set()
    for i in range(0, len(uris), 900):
        chunk = uris[i : i + 900]
        have.update(
            session.execute(
                select(Concept.uri)
                .join(Label, Label.concept_id == Concept.id)
                .where(Concept.uri.in_(chunk), Label.lang == lang, Label.kind == "preferred")
            ).scalars()
        )
    return set(uris) - have
