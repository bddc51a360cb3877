"""Guidance use cases: profile → gap → pathway, and career transitions.

"From what I can do, to the job I want, through which courses?" Each function takes a SQLAlchemy
session and returns plain data; ``to_*`` helpers turn results into JSON-ready dicts for the API and
CLI (the CLI ``pathway --json`` shape is fixed: see ``pathway_cli_json``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict

from sqlalchemy.orm import Session

from emclm.guidance import repository as repo
from emclm.guidance.pathway import GREEDY_THRESHOLD, exclusion_reason, filter_candidates, plan_pathway, solve_cover
from emclm.guidance.types import Constraints, Gap, GapSkill, Pathway, Profile, Transition

# specificity of a skill by ESCO reuse level: a shared transversal skill says little about a job
REUSE_WEIGHT = {
    "transversal": 0.25,
    "cross-sector": 0.5,
    "sector-specific": 1.0,
    "occupation-specific": 1.5,
}


def _skill_extractor(database_url: str):
    """The process's one skill extractor for this database (``emclm.skills.extractor.get_extractor``),
    shared with course tagging and the API, so the model is never loaded twice."""
    from emclm.skills.extractor import get_extractor  # heavy (model): imported on first use

    return get_extractor(database_url)


def _database_url(session: Session) -> str:
    return session.get_bind().url.render_as_string(hide_password=False)


def build_profile(
    session: Session,
    *,
    occupations: Sequence[str] = (),
    skills: Sequence[str] = (),
    text: str | None = None,
    lang: str | None = None,
    k: int = 20,
    min_score: float = 0.0,
    extractor=None,
) -> Profile:
    """A person's skills from occupations held (their essential skills), skills picked from the
    taxonomy (URIs or exact labels) and free text (a CV, a description) through the skill extractor."""
    profile = Profile()
    for item in occupations:
        uri, _ = repo.resolve_occupation(session, item)
        profile.occupations.append(uri)
        for s in repo.essential_skills(session, [uri]).get(uri, []):
            profile.add(s, f"occupation:{uri}")
    found, unknown = repo.resolve_skills(session, list(skills))
    profile.unknown.extend(f"skills: {u}" for u in unknown)
    for uri in found:
        profile.add(uri, "selected")
    if text and text.strip():
        ex = extractor or _skill_extractor(_database_url(session))
        for item in ex.rank(text, lang=lang, k=k):
            score = float(getattr(item, "score", 0.0) or 0.0)
            if score < min_score:
                continue
            evidence = getattr(item, "evidence", None) or []
            if isinstance(evidence, dict):
                evidence = [evidence]
            evidence = [e if isinstance(e, dict) else {"text": str(e)} for e in evidence]
            profile.add(item.uri, "text", score=score, evidence=evidence)
    labels = repo.preferred_labels(session, profile.skills, lang or "en")
    for uri, skill in profile.skills.items():
        skill.label = skill.label or labels.get(uri)
    return profile


def compute_gap(session: Session, profile: Profile, target: str, *, lang: str = "en") -> Gap:
    """Essential and optional skills of the target occupation the profile lacks, each with its top
    ESCO skill group and how many catalogue courses teach it."""
    occ_uri, occ_label = repo.resolve_occupation(session, target)
    related = repo.occupation_skills(session, occ_uri)
    held = profile.uris
    missing = [(info, rel) for info, rel in related if info.uri not in held]
    uris = [info.uri for info, _ in missing]
    labels = repo.preferred_labels(session, uris, lang)
    counts = repo.course_counts(session, uris)
    groups = repo.skill_top_groups(session, uris, lang)
    skills = [
        GapSkill(
            uri=info.uri,
            label=labels.get(info.uri),
            essential=rel == "essential",
            reuse_level=info.reuse_level,
            skill_type=info.skill_type,
            courses_available=counts.get(info.uri, 0),
            group=groups.get(info.uri),
        )
        for info, rel in missing
    ]
    skills.sort(key=lambda s: (not s.essential, (s.label or s.uri).casefold()))
    if lang != "en":
        occ_label = repo.preferred_labels(session, [occ_uri], lang).get(occ_uri, occ_label)
    return Gap(
        occupation_uri=occ_uri,
        occupation_label=occ_label,
        skills=skills,
        held=sorted(info.uri for info, _ in related if info.uri in held),
    )


def compute_pathway(
    session: Session,
    gap: Gap,
    constraints: Constraints,
    *,
    method: str = "auto",
    greedy_threshold: int = GREEDY_THRESHOLD,
) -> Pathway:
    """The cheapest set of courses covering the essential gap (and the optional one when asked)."""
    essential = [s.uri for s in gap.essential]
    optional = [s.uri for s in gap.optional]
    target = essential + (optional if constraints.include_optional else [])
    candidates = repo.load_candidates(session, essential + optional)
    pathway = plan_pathway(
        target,
        candidates,
        constraints,
        essential=set(essential),
        optional_gap=optional,
        method=method,
        greedy_threshold=greedy_threshold,
    )
    gap_uris = set(essential + optional)
    evidence = repo.load_evidence(
        session, [(c.course.course_id, u) for c in pathway.courses for u in c.course.covers if u in gap_uris]
    )
    for chosen in pathway.courses:
        chosen.evidence = {
            u: evidence.get((chosen.course.course_id, u), []) for u in [*chosen.covers, *chosen.also_covers]
        }
    return pathway


def uncovered_explained(session: Session, gap: Gap, pathway: Pathway, constraints: Constraints) -> list[dict]:
    """The skills the pathway leaves uncovered, labelled, each with how many catalogue courses teach
    it and how many of those each constraint excluded (``{"languages": 2, "free_only": 1}``), so an
    answer never says "3 courses" and "no course" without saying why."""
    uncovered = list(pathway.solution.uncovered)
    if not uncovered:
        return []
    wanted = set(uncovered)
    excluded: dict[str, dict[str, int]] = {u: {} for u in uncovered}
    for course in repo.load_candidates(session, uncovered):
        reason = exclusion_reason(course, constraints)
        if reason is None:
            continue
        for uri in course.covers & wanted:
            excluded[uri][reason] = excluded[uri].get(reason, 0) + 1
    by_uri = {s.uri: s for s in gap.skills}
    return [
        {
            "uri": uri,
            "label": by_uri[uri].label if uri in by_uri else None,
            "courses_available": by_uri[uri].courses_available if uri in by_uri else 0,
            "excluded_by": dict(sorted(excluded[uri].items(), key=lambda kv: (-kv[1], kv[0]))),
        }
        for uri in uncovered
    ]


def skill_weights(matrix: repo.OccupationMatrix) -> dict[str, float]:
    """Specificity of each skill: reuse-level weight × IDF over occupations' essential skills."""
    n_occ = max(len(matrix.essential), 1)
    df: dict[str, int] = {}
    for skills in matrix.essential.values():
        for s in set(skills):
            df[s] = df.get(s, 0) + 1
    return {
        s: REUSE_WEIGHT.get(matrix.reuse_level.get(s) or "", 1.0) * (1.0 + math.log(n_occ / d)) for s, d in df.items()
    }


def compute_transitions(
    session: Session,
    profile: Profile,
    *,
    k: int = 10,
    constraints: Constraints | None = None,
    demand: Callable[[list[str]], dict[str, float]] | None = None,
    lang: str = "en",
) -> list[Transition]:
    """Occupations closest to the profile: the share of each occupation's essential skills the profile
    holds, weighted by how specific each skill is (reuse level × IDF). For the best ``k``: the gap size
    and the fewest courses (under ``constraints``) that close what the catalogue can close.

    ``demand`` (optional) maps occupation URIs to a regional demand figure; it is reported, not yet
    mixed into the score.
    """
    matrix = repo.occupation_matrix(session)
    weights = skill_weights(matrix)
    held = profile.uris
    own = set(profile.occupations)
    scored = []
    for occ, skills in matrix.essential.items():
        if occ in own:
            continue
        skills = list(dict.fromkeys(skills))
        total = sum(weights.get(s, 1.0) for s in skills)
        overlap = [s for s in skills if s in held]
        if not overlap or total <= 0:
            continue
        score = sum(weights.get(s, 1.0) for s in overlap) / total
        scored.append((score, len(overlap), occ, skills, overlap))
    scored.sort(key=lambda t: (-t[0], -t[1], t[2]))
    top = scored[:k]
    gaps = {occ: [s for s in skills if s not in held] for _, _, occ, skills, _ in top}
    union = sorted({s for g in gaps.values() for s in g})
    candidates = repo.load_candidates(session, union)
    constraints = constraints or Constraints()
    eligible, _ = filter_candidates(candidates, constraints)
    labels = repo.preferred_labels(session, [t[2] for t in top], lang)
    figures = demand([t[2] for t in top]) if demand else {}
    out = []
    for score, n_overlap, occ, skills, _ in top:
        gap = gaps[occ]
        gap_set = set(gap)
        relevant = [c for c in eligible if c.covers & gap_set]
        solution = solve_cover(gap, [c.covers for c in relevant], [1.0] * len(relevant))
        out.append(
            Transition(
                occupation_uri=occ,
                label=labels.get(occ),
                score=round(score, 4),
                overlap=n_overlap,
                essential_total=len(skills),
                gap_size=len(gap),
                courses_to_close=len(solution.chosen),
                uncoverable=len(solution.unreachable),
                demand=figures.get(occ),
            )
        )
    return out


# --------------------------------------------------------------------------- JSON shapes


def gap_json(gap: Gap) -> dict:
    def skill(s: GapSkill) -> dict:
        return {
            "uri": s.uri,
            "label": s.label,
            "essential": s.essential,
            "reuse_level": s.reuse_level,
            "skill_type": s.skill_type,
            "courses_available": s.courses_available,
            "no_course": s.courses_available == 0,
        }

    return {
        "occupation": {"uri": gap.occupation_uri, "label": gap.occupation_label},
        "held": gap.held,
        "essential_missing": len(gap.essential),
        "optional_missing": len(gap.optional),
        "groups": [
            {
                "uri": g["uri"],
                "label": g["label"],
                "code": g["code"],
                "skills": [skill(s) for s in g["skills"]],
            }
            for g in gap.groups()
        ],
        "gap": [skill(s) for s in gap.skills],
    }


def pathway_json(gap: Gap, pathway: Pathway, uncovered: list[dict] | None = None) -> dict:
    """The rich answer of ``POST /api/guidance/pathway``. ``uncovered`` (from ``uncovered_explained``)
    adds ``uncovered_skills``: each uncovered URI with its label and what the constraints excluded."""
    labels = {s.uri: s.label for s in gap.skills}
    sol = pathway.solution
    return {
        **pathway_cli_json(gap, pathway),
        "uncovered_skills": uncovered
        if uncovered is not None
        else [{"uri": u, "label": labels.get(u)} for u in sol.uncovered],
        "occupation": {"uri": gap.occupation_uri, "label": gap.occupation_label},
        "method": sol.method,
        "status": sol.status,
        "bound": sol.bound,
        "unreachable": sol.unreachable,
        "candidates": sol.candidates,
        "excluded": pathway.excluded,
        "total_hours": pathway.total_hours,
        "total_money": pathway.total_money,
        "weeks": pathway.weeks,
        "explanations": [
            {
                "course_id": c.course.course_id,
                "provider": c.course.provider,
                "language": c.course.language,
                "eqf_level": c.course.eqf_level,
                "next_start": c.next_start.isoformat() if c.next_start else None,
                "workload_estimated": c.workload_estimated,
                "cost": round(c.cost, 4),
                "covers": [{"uri": u, "label": labels.get(u), "evidence": c.evidence.get(u, [])} for u in c.covers],
                "also_covers": [
                    {"uri": u, "label": labels.get(u), "evidence": c.evidence.get(u, [])} for u in c.also_covers
                ],
            }
            for c in pathway.courses
        ],
    }


def pathway_cli_json(gap: Gap, pathway: Pathway) -> dict:
    """The fixed shape of ``emclm pathway --json`` (used for evaluation: keep it)."""
    return {
        "gap": [
            {"uri": s.uri, "label": s.label, "essential": s.essential, "courses_available": s.courses_available}
            for s in gap.skills
        ],
        "pathway": [
            {
                "course_id": c.course.course_id,
                "title": c.course.title,
                "url": c.course.url,
                "covers": c.covers,
                "workload_hours": c.workload_hours,
            }
            for c in pathway.courses
        ],
        "uncovered": pathway.solution.uncovered,
        "optimal": pathway.solution.optimal,
        "objective": pathway.solution.objective,
    }


def profile_json(profile: Profile) -> dict:
    return {
        "occupations": profile.occupations,
        "skills": [asdict(s) for s in profile.skills.values()],
        "unknown": profile.unknown,
    }


def transitions_json(profile: Profile, transitions: list[Transition]) -> dict:
    return {
        "profile_skills": len(profile.skills),
        "transitions": [asdict(t) for t in transitions],
    }
