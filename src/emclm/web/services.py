"""What the pages ask of the domain packages (``emclm.search``, ``emclm.guidance``, the catalogue and
the taxonomy), in one thin adapter that shapes their answers for the templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from emclm.catalogue import queries as catalogue_queries
from emclm.catalogue.models import Course
from emclm.search.facets import FACETS, Filters
from emclm.skills import queries as skill_queries
from emclm.taxonomy.queries import preferred_labels, search_labels

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
    def by_meaning_only(self) -> bool:
        """Every course shown was found by its meaning alone (course vectors), none by a word of the
        query or an ESCO concept: the page says so, since a string of no language has neighbours too."""
        return bool(self.hits) and all(h.get("matched_by") == ["embedding"] for h in self.hits)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def parse_filters(params) -> dict[str, list[str]]:
    """Facet selections from query parameters (``MultiDict``-like: ``getlist``); values a facet
    cannot have are dropped (a hand-edited link still shows a page)."""
    return Filters.from_params(params.getlist, strict=False).selected()


def search_courses(
    session: Session,
    q: str,
    filters: dict[str, list[str]],
    page: int = 1,
    lang: str = "en",
    per_page: int = PER_PAGE,
    sort: str = "relevance",
) -> SearchPage:
    from emclm.search import SearchError, SearchRequest, search

    page = max(1, page)
    f = Filters.from_params(lambda name: filters.get(name, []), strict=False)
    try:
        res = search(session, SearchRequest(q=q, lang=lang, filters=f, sort=sort, page=page, per_page=per_page))
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
            "matched_by": h.matched_by,
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
    next_start: date | None = None  # the first run starting today or later
    last_start: date | None = None  # the latest run that already started (when no future one)
    recognition: dict | None = None  # ``credentials.store.recognition``: facts, profile, CMF check


def course_page(session: Session, course_id: int, lang: str = "en") -> CoursePage | None:
    """The course with its live runs, its skills (``skills.queries.course_skills``) and the
    occupations it serves (``skills.tagging.course_occupations``): the same functions as the API."""
    from emclm.skills.tagging import course_occupations

    course = catalogue_queries.get_course(session, course_id)
    if course is None:
        return None
    skills = [
        {
            "uri": v.uri,
            "id": v.uri.rsplit("/", 1)[-1],
            "label": v.label or v.uri,
            "score": v.score,
            "status": v.status,
            "evidence": v.evidence,
        }
        for v in skill_queries.course_skills(session, course, lang=lang)
    ]
    occupations = [
        {"uri": o["uri"], "id": o["uri"].rsplit("/", 1)[-1], "label": o["label"], "skills": o["essential_covered"]}
        for o in course_occupations(session, course.id, limit=8, lang=lang)
        if o["uri"]
    ]
    return CoursePage(
        course=course,
        runs=[r for r in course.runs if r.withdrawn_at is None],
        free=is_free(course),
        skills=skills,
        occupations=occupations,
        next_start=catalogue_queries.next_run_start(course),
        last_start=catalogue_queries.last_run_start(course),
        recognition=_recognition(session, course.id),
    )


def _recognition(session: Session, course_id: int) -> dict | None:
    """The course's recognition (as the API serves it); ``None`` on a database without the facts tables."""
    from sqlalchemy import inspect

    from emclm.credentials.store import recognition

    if not inspect(session.get_bind()).has_table("credentials_fact"):
        return None
    return recognition(session, course_id)


def courses_for_skills(session: Session, skill_ids: list[int], limit: int = 10) -> list:
    """Live courses teaching the skills, best first (``skills.queries.courses_for_skills``)."""
    return skill_queries.courses_for_skills(session, skill_ids, limit=limit)


def courses_for_skill_uris(session: Session, uris: list[str], limit: int = 10) -> list:
    from emclm.guidance.repository import concept_ids

    return courses_for_skills(session, list(concept_ids(session, uris, "skill").values()), limit=limit)


def catalogue_counts(session: Session, top: int = 12) -> dict:
    stats = catalogue_queries.course_stats(session)
    return {
        "courses": stats["courses"],
        "providers": len(stats["by_provider"]),
        "by_provider": list(stats["by_provider"].items())[:top],
        "with_level": catalogue_queries.courses_with_eqf_level(session),
    }


# --------------------------------------------------------------------------- occupations


@dataclass
class Resolved:
    uri: str
    id: str
    label: str


def _resolved(session: Session, uris: list[str], lang: str) -> list[Resolved]:
    from emclm.guidance.repository import preferred_labels as occupation_labels

    uris = list(dict.fromkeys(uris))
    labels = occupation_labels(session, uris, lang)
    return [Resolved(u, u.rsplit("/", 1)[-1], labels.get(u) or u) for u in uris]


def resolve_occupation(session: Session, text: str, lang: str) -> tuple[Resolved | None, list[Resolved]]:
    """The occupation a user typed (a label in any ESCO language, or an ESCO URI), through the one
    lookup the API uses (``guidance.repository.resolve_occupation``: exact, then fuzzy, with ambiguity):
    the match, or None and the candidates to offer ("did you mean")."""
    from emclm.guidance.repository import AmbiguousOccupation, OccupationNotFound
    from emclm.guidance.repository import resolve_occupation as lookup

    text = (text or "").strip()
    if not text:
        return None, []
    try:
        uri, _ = lookup(session, text)
    except (AmbiguousOccupation, OccupationNotFound) as exc:
        return None, _resolved(session, [c["uri"] for c in exc.candidates][:5], lang)
    return _resolved(session, [uri], lang)[0], []


def matching_occupations(session: Session, q: str, lang: str, limit: int = 5) -> list[Resolved]:
    """Occupations a search query names ("vendeur"), for the box beside the results: the one the
    lookup resolves to, or the candidates when it is ambiguous; nothing when no occupation matches.
    Only the lookup's exact stage (a label or one gendered form of it, in any ESCO language): it runs
    on every search, and fuzzy matches of course queries are noise."""
    from emclm.guidance.repository import AmbiguousOccupation, OccupationNotFound
    from emclm.guidance.repository import resolve_occupation as lookup

    q = (q or "").strip()
    if len(q) < 3 or len(q) > 100:
        return []
    try:
        uri, _ = lookup(session, q, exact_only=True)
    except AmbiguousOccupation as exc:
        return _resolved(session, [c["uri"] for c in exc.candidates][:limit], lang)
    except OccupationNotFound:
        return []
    return _resolved(session, [uri], lang)


@dataclass
class Transitions:
    state: str  # empty | not_found | done | error
    current: Resolved | None = None
    suggestions: list[Resolved] = field(default_factory=list)
    moves: list[dict] = field(default_factory=list)
    message: str | None = None


def career_transitions(session: Session, current: str, lang: str, k: int = 10) -> Transitions:
    """Occupations closest to the one held (``guidance.service.compute_transitions``, as
    ``POST /api/guidance/transitions``), each with its gap and the courses that would close it."""
    from emclm.guidance import GuidanceError
    from emclm.guidance.service import build_profile, compute_transitions

    if not (current or "").strip():
        return Transitions(state="empty")
    found, alternatives = resolve_occupation(session, current, lang)
    if found is None:
        return Transitions(state="not_found", suggestions=alternatives)
    try:
        profile = build_profile(session, occupations=[found.uri], lang=lang)
        moves = compute_transitions(session, profile, k=k, lang=lang)
    except GuidanceError as exc:
        return Transitions(state="error", current=found, message=str(exc))
    return Transitions(
        state="done",
        current=found,
        moves=[
            {
                "uri": t.occupation_uri,
                "id": t.occupation_uri.rsplit("/", 1)[-1],
                "label": t.label or t.occupation_uri,
                "share": round(100 * t.score),
                "overlap": t.overlap,
                "essential_total": t.essential_total,
                "gap_size": t.gap_size,
                "courses_to_close": t.courses_to_close,
                "uncoverable": t.uncoverable,
            }
            for t in moves
        ],
    )


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
    from emclm.guidance.service import build_profile, compute_gap, compute_pathway, uncovered_explained

    wanted = Constraints(
        languages=[constraints.language] if constraints.language else None,
        free_only=constraints.free_only,
        max_total_hours=constraints.max_hours,
    )
    try:
        try:
            profile = build_profile(session, occupations=[cur.uri] if cur else [], text=description or None, lang=lang)
        except GuidanceError as exc:
            if not description.strip() or "text" not in str(exc):
                raise
            plan.text_unavailable = True
            profile = build_profile(session, occupations=[cur.uri] if cur else [], lang=lang)
        gap = compute_gap(session, profile, tgt.uri, lang=lang)
        pathway = compute_pathway(session, gap, wanted)
        uncovered = uncovered_explained(session, gap, pathway, wanted)
    except GuidanceError as exc:
        plan.state, plan.message = "error", str(exc)
        return plan
    plan.profile_skills = len(profile.skills)
    plan.held = len(gap.held)
    not_covered = {u["uri"] for u in uncovered}

    def skill(s):
        return {
            "uri": s.uri,
            "id": s.uri.rsplit("/", 1)[-1],
            "label": s.label or s.uri,
            "courses": s.courses_available,
            "uncovered": s.uri in not_covered,
        }

    plan.essential = [skill(s) for s in gap.essential]
    plan.optional = [skill(s) for s in gap.optional]
    labels = {s.uri: s.label for s in gap.skills}
    providers = catalogue_queries.provider_names(session, [c.course.provider for c in pathway.courses])
    today = date.today()
    plan.pathway = {
        "courses": [
            {
                "id": c.course.course_id,
                "title": c.course.title,
                "provider": providers.get(c.course.provider) or c.course.provider,
                "language": c.course.language,
                "hours": c.workload_hours,
                "estimated": c.workload_estimated,
                # a run that already started is not the next start
                "next_start": c.next_start if c.next_start and c.next_start >= today else None,
                "covers": [labels.get(u) or u for u in c.covers],
            }
            for c in pathway.courses
        ],
        "total_hours": pathway.total_hours,
        "total_money": pathway.total_money,
        "uncovered": [
            {
                "uri": u["uri"],
                "id": u["uri"].rsplit("/", 1)[-1],
                "label": u["label"] or u["uri"],
                "courses": u["courses_available"],
                "excluded_by": u["excluded_by"],
            }
            for u in uncovered
        ],
        "optimal": pathway.solution.optimal,
    }
    plan.state = "done"
    return plan


def label_fallbacks(session: Session, uris: list[str], lang: str) -> set[str]:
    """The concepts among ``uris`` with no preferred label in ``lang`` (their English label is shown,
    and the page marks it ``lang="en"`` for screen readers)."""
    if lang == "en" or not uris:
        return set()
    from emclm.guidance.repository import concept_ids

    ids = concept_ids(session, uris)
    have = preferred_labels(session, list(ids.values()), lang, fallback=lang)
    return {uri for uri, cid in ids.items() if cid not in have} | (set(uris) - set(ids))
