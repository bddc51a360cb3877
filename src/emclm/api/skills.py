"""REST routes for skill extraction and course skill tags.

- ``POST /api/skills/extract``                      text → ranked ESCO skills with evidence
- ``GET  /api/courses/{id}/skills``                  a course's stored tags and derived occupations
- ``POST /api/courses/{id}/skills/{skill_id}/decision``  a curator confirms or rejects a tag
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import ConfigDict, Field
from sqlalchemy.orm import Session

from emclm.accounts.store import Principal
from emclm.api.deps import current_principal, get_session, require
from emclm.api.errors import responses, unprocessable
from emclm.api.types import ApiModel, DbId, utc_iso

router = APIRouter(tags=["skills"])

MAX_BODY_CHARS = 1_000_000


class ExtractRequest(ApiModel):
    text: str = Field(..., description="Text in any EU language (≤ 1 MB)")
    lang: str | None = Field(None, max_length=8, description="ISO 639-1 code; guessed when absent")
    k: int = Field(20, ge=1, le=200)
    evidence: bool = True


class DecisionRequest(ApiModel):
    """The curator is the signed-in caller (session or bearer token), never a field of the body."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    decision: Literal["confirm", "reject"]


def _extractor(request: Request):
    from emclm.skills.extractor import get_extractor

    return get_extractor(request.app.state.database_url)


@router.post("/skills/extract", responses=responses(413, 422, 429))
def extract(body: ExtractRequest, request: Request) -> dict:
    from emclm.skills.text import MAX_TEXT_BYTES, SkillInputError, check_text, guess_language

    if len(body.text) > MAX_TEXT_BYTES:
        raise HTTPException(413, detail=f"text: more than {MAX_TEXT_BYTES} characters")
    try:
        text = check_text(body.text, field="text")
    except SkillInputError as exc:
        if "exceeds" in str(exc):
            raise HTTPException(413, detail=str(exc)) from None
        raise unprocessable(str(exc), ("body", "text")) from None
    ex = _extractor(request)
    lang = body.lang or guess_language(text)
    matches = ex.rank(text, lang=lang, k=body.k)
    return {
        "lang": lang,
        "tagger_version": ex.version,
        "skills": [m.as_dict(with_evidence=body.evidence) for m in matches],
    }


def _course_or_404(session: Session, course_id: int):
    from emclm.catalogue.models import Course

    course = session.get(Course, course_id)
    if course is None:
        raise HTTPException(404, detail=f"course {course_id} not found")
    return course


@router.get("/courses/{course_id}/skills", responses=responses(404, 422))
def course_skills(
    course_id: DbId,
    include_rejected: bool = False,
    lang: str | None = Query(
        None,
        min_length=2,
        max_length=8,
        description="Language of the skill and occupation labels (English where ESCO has none); "
        "default: the course's language",
    ),
    session: Session = Depends(get_session, scope="function"),
) -> dict:
    from emclm.skills.tagging import course_occupations, course_skills, tagging_state

    course = _course_or_404(session, course_id)
    # as the course page does with the UI language: one language for skills and occupations alike
    lang = (lang or course.language or "en").lower()
    return {
        "course_id": course_id,
        "lang": lang,
        "tagging": tagging_state(session, course_id),
        "skills": course_skills(session, course_id, include_rejected=include_rejected, lang=lang),
        "occupations": course_occupations(session, course_id, lang=lang),
    }


@router.post("/courses/{course_id}/skills/{skill_id}/decision", responses=responses(401, 403, 404, 422))
def decide(
    course_id: DbId,
    skill_id: DbId,
    body: DecisionRequest,
    session: Session = Depends(get_session, scope="function"),
    principal: Principal | None = Depends(current_principal),
) -> dict:
    """Requires ``curator`` or ``admin``, or ``provider`` in an organisation linked to the course's provider;
    a token needs the ``courses:curate`` scope. Recorded as curated by the caller's e-mail."""
    from emclm.skills.tagging import decide as record
    from emclm.taxonomy.models import Concept

    course = _course_or_404(session, course_id)
    require(principal, "course_tags:decide", provider_id=course.provider_id)
    concept = session.get(Concept, skill_id)
    if concept is None or concept.concept_type != "skill":
        raise HTTPException(404, detail=f"skill {skill_id} not found")
    from sqlalchemy import select

    from emclm.accounts import audit
    from emclm.skills.models import CourseSkill

    old = session.scalars(
        select(CourseSkill).where(CourseSkill.course_id == course_id, CourseSkill.skill_id == skill_id)
    ).first()
    before = None if old is None else {"status": old.status, "curated_by": old.curated_by}
    row = record(session, course_id, skill_id, body.decision, principal.name)
    audit.record(
        session,
        principal,
        "course_tag.decide",
        ("course_skill", f"{course_id}:{skill_id}"),
        before=before,
        after={"status": row.status, "curated_by": row.curated_by},
    )
    return {
        "course_id": course_id,
        "skill_id": skill_id,
        "uri": concept.uri,
        "status": row.status,
        "curated_by": row.curated_by,
        "curated_at": utc_iso(row.curated_at),
    }
