"""Read-side queries over the catalogue, shared by the CLI and the REST API."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from emclm.catalogue.models import Course, CourseRun, HarvestRun, HarvestState, Provider

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
    ects_min: float | None = None,
    eqf_level: int | None = None,
    identity_verified: bool | None = None,
) -> tuple[list[Course], int]:
    """A page of non-withdrawn courses (by title) and the total matching the filters (recognition filters
    read the columns the recognition facts fill, decision 0028)."""
    query = select(Course).where(Course.withdrawn_at.is_(None))
    if provider:
        query = query.join(Provider, Provider.id == Course.provider_id).where(
            or_(Provider.code == provider.lower(), Provider.name == provider)
        )
    if language:
        query = query.where(Course.language == language.lower())
    if ects_min is not None:
        query = query.where(Course.ects_credits >= ects_min)
    if eqf_level is not None:
        query = query.where(Course.eqf_level == eqf_level)
    if identity_verified is not None:
        query = query.where(
            Course.identity_verification.is_(True)
            if identity_verified
            else or_(Course.identity_verification.is_(False), Course.identity_verification.is_(None))
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.options(joinedload(Course.provider), joinedload(Course.organisation), selectinload(Course.runs))
        .order_by(Course.title, Course.id)
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return list(rows), total


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
