"""REST routes for the catalogue: ``GET /api/courses`` and ``GET /api/courses/{id}``."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from emclm.api.deps import get_session
from emclm.api.errors import responses
from emclm.api.types import DbId, PageNo, UtcDateTime
from emclm.catalogue import queries
from emclm.catalogue.models import Course
from emclm.skills.queries import course_skills

router = APIRouter(tags=["catalogue"])


class ProviderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    name: str
    url: str | None = None
    country: str | None = None


class OrganisationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    name: str
    url: str | None = None
    country: str | None = None


class CourseRunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    run_key: str
    start_date: date | None = None
    end_date: date | None = None
    enrolment_start: date | None = None
    enrolment_end: date | None = None
    pace: str | None = None
    language: str | None = None
    price: float | None = None
    currency: str | None = None
    url: str | None = None
    withdrawn_at: UtcDateTime | None = None


class ProvenanceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    source: str
    record_id: str
    record_url: str | None = None
    first_seen_at: UtcDateTime
    last_seen_at: UtcDateTime
    withdrawn_at: UtcDateTime | None = None


class SkillOut(BaseModel):
    uri: str
    label: str | None = None
    skill_type: str | None = None
    score: float
    status: str
    evidence: list[dict] = []


class CourseSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    key: str
    title: str
    provider: ProviderOut
    organisation: OrganisationOut | None = None
    language: str | None = None
    languages: list[str] = []
    workload_hours: float | None = None
    duration_weeks: float | None = None
    pace: str | None = None
    eqf_level: int | None = None
    price: float | None = None
    currency: str | None = None
    free_audit: bool | None = None
    certificate_type: str | None = None
    url: str | None = None
    image_url: str | None = None
    next_run_start: date | None = None


class CoursePage(BaseModel):
    items: list[CourseSummary]
    total: int
    page: int
    page_size: int


class CourseDetail(CourseSummary):
    description: str | None = None
    title_i18n: dict[str, str] = {}
    description_i18n: dict[str, str] = {}
    learning_outcomes: list[str] = []
    keywords: list[str] = []
    subtitle_languages: list[str] = []
    subject: str | None = None
    subject_label: str | None = None
    hours_per_week: float | None = None
    certificate_price: float | None = None
    ects_credits: float | None = None
    assessment_type: str | None = None
    identity_verification: bool | None = None
    quality_label: str | None = None
    first_seen_at: UtcDateTime
    last_changed_at: UtcDateTime
    withdrawn_at: UtcDateTime | None = None
    runs: list[CourseRunOut] = []
    provenances: list[ProvenanceOut] = []
    skills: list[SkillOut] = []


def _next_run_start(course: Course) -> date | None:
    return queries.next_run_start(course)


def _summary(course: Course) -> CourseSummary:
    out = CourseSummary.model_validate(course)
    out.next_run_start = _next_run_start(course)
    return out


@router.get("/courses", response_model=CoursePage, summary="Courses, a page at a time", responses=responses(422))
def list_courses(
    page: PageNo = 1,
    page_size: int = Query(20, ge=1, le=100),
    provider: str | None = Query(None, description="Provider code (e.g. futurelearn) or name"),
    language: str | None = Query(None, min_length=2, max_length=8, description="ISO 639-1 teaching language"),
    ects_min: float | None = Query(None, gt=0, le=1000, description="At least this many ECTS credits"),
    eqf_level: int | None = Query(None, ge=1, le=8, description="EQF level (declared, extracted or corrected)"),
    identity_verified: bool | None = Query(None, description="Identity verified at assessment (true / false)"),
    session: Session = Depends(get_session, scope="function"),
) -> CoursePage:
    items, total = queries.list_courses(
        session,
        page=page,
        page_size=page_size,
        provider=provider,
        language=language,
        ects_min=ects_min,
        eqf_level=eqf_level,
        identity_verified=identity_verified,
    )
    return CoursePage(items=[_summary(c) for c in items], total=total, page=page, page_size=page_size)


@router.get(
    "/courses/{course_id}",
    response_model=CourseDetail,
    summary="One course with its runs, provider, organisation, provenances and ESCO skills",
    responses=responses(404, 422),
)
def get_course(course_id: DbId, session: Session = Depends(get_session, scope="function")) -> CourseDetail:
    course = queries.get_course(session, course_id)
    if course is None:
        raise HTTPException(status_code=404, detail=f"No course with id {course_id}")
    out = CourseDetail.model_validate(
        {
            **{
                name: getattr(course, name)
                for name in CourseDetail.model_fields
                if hasattr(course, name) and name not in ("provider", "organisation", "runs")
            },
            "provider": ProviderOut.model_validate(course.provider),
            "organisation": OrganisationOut.model_validate(course.organisation) if course.organisation else None,
            "runs": [CourseRunOut.model_validate(r) for r in course.runs],
            "provenances": [ProvenanceOut.model_validate(p) for p in course.sources],
            "skills": [SkillOut(**vars(s)) for s in course_skills(session, course)],
            "next_run_start": _next_run_start(course),
        }
    )
    return out
