"""REST routes for guidance: skills gap, optimal learning pathway, career transitions.

    POST /api/guidance/gap          profile + target occupation → missing skills by ESCO group
    POST /api/guidance/pathway      ... + constraints → courses covering the essential gap at least cost
    POST /api/guidance/transitions  profile → closest occupations with gap sizes

Anonymous: a profile lives in the request only.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException
from pydantic import Field
from sqlalchemy.orm import Session

from emclm.api.deps import get_session
from emclm.api.errors import responses, unprocessable
from emclm.api.types import ApiModel
from emclm.guidance import service
from emclm.guidance.repository import AmbiguousOccupation, GuidanceError, OccupationNotFound
from emclm.guidance.types import Constraints

router = APIRouter(prefix="/guidance", tags=["guidance"])

MAX_TEXT_CHARS = 50_000
# one URI or label of a list (ESCO URIs are < 100 characters; labels < 250)
Item = Annotated[str, Field(max_length=512)]
Code = Annotated[str, Field(max_length=16)]


class ProfileIn(ApiModel):
    occupations: list[Item] = Field(default_factory=list, max_length=20, description="ESCO URIs or labels held")
    skills: list[Item] = Field(default_factory=list, max_length=500, description="ESCO skill URIs or exact labels")
    text: str | None = Field(default=None, max_length=MAX_TEXT_CHARS, description="CV or description")
    lang: str | None = Field(default=None, max_length=8, description="Language of the text (auto when absent)")


class ConstraintsIn(ApiModel):
    languages: list[Code] | None = Field(default=None, max_length=30)
    free_only: bool = False
    certificate_required: bool = False
    max_total_hours: float | None = Field(default=None, gt=0)
    max_weekly_hours: float | None = Field(default=None, gt=0)
    start_before: date | None = None
    start_after: date | None = None
    providers: list[Item] | None = Field(default=None, max_length=100)
    eqf_min: int | None = Field(default=None, ge=1, le=8)
    eqf_max: int | None = Field(default=None, ge=1, le=8)
    include_optional: bool = False
    cost: Literal["hours", "money", "mix"] = "hours"
    money_weight: float = Field(default=1.0, ge=0)

    def to_constraints(self) -> Constraints:
        return Constraints(**self.model_dump())


class GapIn(ApiModel):
    profile: ProfileIn = Field(default_factory=ProfileIn)
    target: str = Field(..., min_length=1, max_length=512, description="ESCO occupation URI or label")
    lang: str = Field(default="en", max_length=8, description="Language of labels in the answer")


class PathwayIn(GapIn):
    constraints: ConstraintsIn = Field(default_factory=ConstraintsIn)
    method: Literal["auto", "milp", "greedy"] = "auto"


class TransitionsIn(ApiModel):
    profile: ProfileIn
    k: int = Field(default=10, ge=1, le=100)
    constraints: ConstraintsIn = Field(default_factory=ConstraintsIn)
    lang: str = Field(default="en", max_length=8)


def _profile(session: Session, p: ProfileIn):
    return service.build_profile(session, occupations=p.occupations, skills=p.skills, text=p.text, lang=p.lang)


def _http_error(exc: GuidanceError) -> HTTPException:
    if isinstance(exc, AmbiguousOccupation):
        return HTTPException(409, detail={"error": str(exc), "candidates": exc.candidates})
    if isinstance(exc, OccupationNotFound):
        return HTTPException(404, detail={"error": str(exc)})
    return unprocessable(str(exc), ("body", "target"))


@router.post("/gap", responses=responses(404, 409, 422))
def gap(body: GapIn, session: Session = Depends(get_session, scope="function")) -> dict:
    """The target occupation's essential and optional skills the profile lacks, grouped by the ESCO
    skill hierarchy, each with how many catalogue courses teach it."""
    try:
        profile = _profile(session, body.profile)
        result = service.compute_gap(session, profile, body.target, lang=body.lang)
    except GuidanceError as exc:
        raise _http_error(exc) from exc
    return {"profile": service.profile_json(profile), **service.gap_json(result)}


@router.post("/pathway", responses=responses(404, 409, 422))
def pathway(body: PathwayIn, session: Session = Depends(get_session, scope="function")) -> dict:
    """Courses covering the essential gap at least cost under the constraints; whether the answer is
    proven optimal; the skills no eligible course covers (``uncovered``: URIs; ``uncovered_skills``: with
    labels, the courses teaching each and how many of them each constraint excluded); each course
    explained with its evidence."""
    try:
        profile = _profile(session, body.profile)
        result = service.compute_gap(session, profile, body.target, lang=body.lang)
        constraints = body.constraints.to_constraints()
        path = service.compute_pathway(session, result, constraints, method=body.method)
        uncovered = service.uncovered_explained(session, result, path, constraints)
    except GuidanceError as exc:
        raise _http_error(exc) from exc
    return {"profile": service.profile_json(profile), **service.pathway_json(result, path, uncovered)}


@router.post("/transitions", responses=responses(404, 409, 422))
def transitions(body: TransitionsIn, session: Session = Depends(get_session, scope="function")) -> dict:
    """Occupations closest to the profile (essential-skill overlap weighted by specificity), each with
    its gap size and how many courses would close it."""
    try:
        profile = _profile(session, body.profile)
        found = service.compute_transitions(
            session, profile, k=body.k, constraints=body.constraints.to_constraints(), lang=body.lang
        )
    except GuidanceError as exc:
        raise _http_error(exc) from exc
    return service.transitions_json(profile, found)
