"""Read-side queries over the catalogue, shared by the CLI and the REST API."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from emclm.catalogue.models import Course, CourseRun, HarvestRun, HarvestState, Provider
from emclm.skills.models import CourseSkill
from emclm.taxonomy.models import Concept, Label

UNDETERMINED = "und"  # ISO 639-2 code for courses whose language is unknown


def course_stats(session: Session) -> dict:
    """Non-withdrawn courses: how many, their active runs, by provider name and by language."""
    active = Course.withdrawn_at.is_(None)
    courses = session.scalar(select(func.count()).select_from(Course).where(active)) or 0
    runs = (
        session.scalar(
            select(func.count())
            .select_from(CourseRun)
            .join(Course, Course.id == CourseRun.course_id)
            .where(active, CourseRun.withdrawn_at.is_(None))
        )
        or 0
    )
    by_provider = dict(
        session.execute(
            select(Provider.name, func.count(Course.id))
            .join(Course, Course.provider_id == Provider.id)
            .where(active)
            .group_by(Provider.name)
            .order_by(func.count(Course.id).desc(), Provider.name)
        )
        .tuples()
        .all()
    )
    by_language: dict[str, int] = {}
    for lang, n in session.execute(
        select(Course.language, func.count(Course.id)).where(active).group_by(Course.language)
    ).tuples():
        key = lang or UNDETERMINED
        by_language[key] = by_language.get(key, 0) + n
    by_language = dict(sorted(by_language.items(), key=lambda kv: (-kv[1], kv[0])))
    return {"courses": courses, "runs": runs, "by_provider": by_provider, "by_language": by_language}


def courses_with_eqf_level(session: Session) -> int:
    """Live courses that state an EQF level (a level filter only means something when some do)."""
    live = Course.withdrawn_at.is_(None)
    return session.scalar(select(func.count()).select_from(Course).where(live, Course.eqf_level.is_not(None))) or 0


def list_courses(
    session: Session,
    *,
    page: int = 1,
    page_size: int = 20,
    provider: str | None = None,
    language: str | None = None,
) -> tuple[list[Course], int]:
    """A page of non-withdrawn courses (by title) and the total matching the filters."""
    query = select(Course).where(Course.withdrawn_at.is_(None))
    if provider:
        query = query.join(Provider, Provider.id == Course.provider_id).where(
            or_(Provider.code == provider.lower(), Provider.name == provider)
        )
    if language:
        query = query.where(Course.language == language.lower())
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.options(joinedload(Course.provider), joinedload(Course.organisation), selectinload(Course.runs))
        .order_by(Course.title, Course.id)
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return list(rows), total


@dataclass
class CourseSkillView:
    uri: str
    label: str | None
    skill_type: str | None
    score: float
    status: str
    evidence: list[dict] = field(default_factory=list)


def get_course(session: Session, course_id: int) -> Course | None:
    return session.scalar(
        select(Course)
        .where(Course.id == course_id)
        .options(
            joinedload(Course.provider),
            joinedload(Course.organisation),
            selectinload(Course.runs),
            selectinload(Course.sources),
        )
    )


def next_run_start(course: Course, today: date | None = None) -> date | None:
    """The first start, today or later, of the course's live runs; None when no run starts in the
    future (a run that started in the past is not the next start)."""
    today = today or date.today()
    upcoming = [r.start_date for r in course.runs if r.start_date and r.withdrawn_at is None and r.start_date >= today]
    return min(upcoming) if upcoming else None


def last_run_start(course: Course, today: date | None = None) -> date | None:
    """The latest start before today of the course's live runs (to say when it last ran)."""
    today = today or date.today()
    past = [r.start_date for r in course.runs if r.start_date and r.withdrawn_at is None and r.start_date < today]
    return max(past) if past else None


def course_skills(session: Session, course: Course, lang: str | None = None) -> list[CourseSkillView]:
    """ESCO skills tagged on a course (not the rejected ones), best score first, with their text
    evidence; labelled in ``lang`` (default: the course's language) where ESCO has it, else in English.
    The one query for a course's skills: the REST API and the course page both use it."""
    rows = session.execute(
        select(CourseSkill, Concept.uri, Concept.skill_type)
        .join(Concept, Concept.id == CourseSkill.skill_id)
        .where(CourseSkill.course_id == course.id, CourseSkill.status != "rejected")
        .order_by(CourseSkill.score.desc(), Concept.uri)
    ).all()
    if not rows:
        return []
    langs = list(dict.fromkeys(lg for lg in (lang or course.language, "en") if lg))
    labels: dict[tuple[int, str], str] = {}
    for concept_id, lg, text in session.execute(
        select(Label.concept_id, Label.lang, Label.text).where(
            Label.concept_id.in_([r[0].skill_id for r in rows]), Label.kind == "preferred", Label.lang.in_(langs)
        )
    ).tuples():
        labels[(concept_id, lg)] = text
    views = []
    for tag, uri, skill_type in rows:
        label = next((labels[(tag.skill_id, lg)] for lg in langs if (tag.skill_id, lg) in labels), None)
        evidence = [dict(e) for e in (tag.evidence or []) if isinstance(e, dict)]
        views.append(
            CourseSkillView(
                uri=uri, label=label, skill_type=skill_type, score=tag.score, status=tag.status, evidence=evidence
            )
        )
    return views


@dataclass
class SkillCourse:
    id: int
    title: str
    provider: str
    skills: int  # how many of the asked skills the course is tagged with
    score: float  # sum of those tags' scores
    evidence: int  # text passages supporting those tags


def courses_for_skills(session: Session, skill_ids: list[int], limit: int = 10) -> list[SkillCourse]:
    """Live courses tagged with any of the skills (curator-rejected tags excluded), ranked by how many
    of the skills they teach, then by the tags' scores, then by how much text evidence supports them."""
    if not skill_ids:
        return []
    ranked: dict[int, list] = {}
    for i in range(0, len(skill_ids), 900):
        chunk = list(skill_ids[i : i + 900])
        for cid, score, evidence in session.execute(
            select(CourseSkill.course_id, CourseSkill.score, CourseSkill.evidence)
            .join(Course, Course.id == CourseSkill.course_id)
            .where(CourseSkill.skill_id.in_(chunk), CourseSkill.status != "rejected", Course.withdrawn_at.is_(None))
        ).tuples():
            entry = ranked.setdefault(cid, [0, 0.0, 0])
            entry[0] += 1
            entry[1] += float(score or 0.0)
            entry[2] += sum(1 for e in (evidence or []) if isinstance(e, dict))
    top = sorted(ranked.items(), key=lambda kv: (-kv[1][0], -kv[1][1], -kv[1][2], kv[0]))[:limit]
    if not top:
        return []
    names = {
        cid: (title, provider)
        for cid, title, provider in session.execute(
            select(Course.id, Course.title, Provider.name)
            .join(Provider, Provider.id == Course.provider_id)
            .where(Course.id.in_([cid for cid, _ in top]))
        ).tuples()
    }
    return [
        SkillCourse(id=cid, title=names[cid][0], provider=names[cid][1], skills=n, score=round(score, 4), evidence=ev)
        for cid, (n, score, ev) in top
    ]


def provider_names(session: Session, codes: list[str]) -> dict[str, str]:
    """Provider code (``edx``) → display name (``edX``)."""
    codes = list(dict.fromkeys(c for c in codes if c))
    if not codes:
        return {}
    return dict(session.execute(select(Provider.code, Provider.name).where(Provider.code.in_(codes))).tuples().all())


def source_overview(session: Session) -> dict[str, dict]:
    """Per source name: its harvest state and last run, for ``emclm sources``."""
    overview: dict[str, dict] = {}
    for state in session.scalars(select(HarvestState)):
        overview[state.source] = {
            "status": state.status,
            "last_run_at": state.last_run_at.isoformat() if state.last_run_at else None,
            "last_complete_at": state.last_complete_at.isoformat() if state.last_complete_at else None,
            "resumable": state.status == "running",
        }
    last_ids = select(func.max(HarvestRun.id)).group_by(HarvestRun.source)
    for run in session.scalars(select(HarvestRun).where(HarvestRun.id.in_(last_ids))):
        overview.setdefault(run.source, {})["last_run"] = {
            "status": run.status,
            "created": run.created,
            "updated": run.updated,
            "unchanged": run.unchanged,
            "withdrawn": run.withdrawn,
            "failed": run.failed,
        }
    return overview
