"""REST routes for course recognition (decision 0028).

- ``GET /api/courses/{id}/recognition``  the course's recognition facts (evidence, provenance), its
  micro-credential profile (the Council Recommendation's elements: known, from where, or missing) and
  the CMF check with reasons
- ``PUT /api/courses/{id}/recognition``  a curator, an admin or the course's provider confirms or
  corrects one element; the correction survives re-harvest
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from emclm.accounts.store import Principal
from emclm.api.deps import current_principal, get_session, require
from emclm.api.errors import responses, unprocessable
from emclm.credentials.recognition import FACT_KINDS

router = APIRouter(tags=["recognition"])


class CorrectionRequest(BaseModel):
    """The corrector is the signed-in caller (session or bearer token), never a field of the body."""

    model_config = ConfigDict(extra="forbid")

    element: str = Field(..., description="One of: " + ", ".join(FACT_KINDS))
    value: Any = Field(
        None,
        description="The element's value (number, EQF level, true/false, list of choices, certificate object "
        "or text); null: the course does not state it",
    )
    note: str | None = Field(None, max_length=1000)


def _course_or_404(session: Session, course_id: int):
    from emclm.catalogue.models import Course

    course = session.get(Course, course_id)
    if course is None:
        raise HTTPException(404, detail=f"course {course_id} not found")
    return course


@router.get(
    "/courses/{course_id}/recognition",
    responses=responses(401, 403, 404, 422),
    summary="A course's recognition facts, profile and CMF check",
)
def get_recognition(course_id: int, session: Session = Depends(get_session, scope="function")) -> dict:
    from emclm.credentials.store import recognition

    _course_or_404(session, course_id)
    return recognition(session, course_id)


@router.put(
    "/courses/{course_id}/recognition",
    responses=responses(401, 403, 404, 422),
    summary="Confirm or correct one recognition element of a course",
)
def put_recognition(
    course_id: int,
    body: CorrectionRequest,
    session: Session = Depends(get_session, scope="function"),
    principal: Principal | None = Depends(current_principal),
) -> dict:
    """Requires ``curator`` or ``admin``, or ``provider`` in an organisation linked to the course's provider;
    a token needs the ``courses:curate`` scope. Recorded as corrected by the caller."""
    from emclm.credentials.store import CorrectionError, correct, recognition

    course = _course_or_404(session, course_id)
    require(principal, "course_recognition:correct", provider_id=course.provider_id)
    try:
        correct(session, course_id, body.element, body.value, principal.name, note=body.note)
    except CorrectionError as exc:
        raise unprocessable(str(exc), ("body", "value")) from None
    return recognition(session, course_id)
