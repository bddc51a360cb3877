"""ESCO knowledge base over REST."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel
from sqlalchemy.orm import Session

from emclm.api.deps import get_session
from emclm.api.errors import responses
from emclm.taxonomy import queries

router = APIRouter(prefix="/taxonomy", tags=["taxonomy"])
Lang = Query("en", min_length=2, max_length=8, pattern=r"^[a-z]{2,3}(-[a-z]{2,4})?$", description="ISO 639-1 language")


class ConceptRef(BaseModel):
    uri: str
    type: str | None = None
    label: str | None = None


class SkillRef(BaseModel):
    uri: str
    label: str | None
    skill_type: str | None = None
    reuse_level: str | None = None


class OccupationRef(BaseModel):
    uri: str
    label: str | None
    relation: str
    isco_code: str | None = None


class ConceptOut(BaseModel):
    uri: str
    concept_type: str
    preferred_label: str | None
    lang: str
    skill_type: str | None = None
    reuse_level: str | None = None
    isco_code: str | None = None
    code: str | None = None
    status: str | None = None
    description: str | None = None
    alternative_labels: list[str] = []
    collections: list[str] = []
    broader: list[ConceptRef] = []
    narrower: list[ConceptRef] = []
    labels_by_lang: dict[str, str] = {}


class SkillOut(ConceptOut):
    occupations: list[OccupationRef] = []


class OccupationOut(ConceptOut):
    essential_skills: list[SkillRef] = []
    optional_skills: list[SkillRef] = []


class LabelSearchOut(BaseModel):
    query: str
    lang: str
    results: list[queries.LabelHit]


def _concept(session: Session, concept_type: str, ident: str):
    try:
        return queries.get_concept(session, queries.uri_for(concept_type, ident), concept_type)
    except queries.ConceptNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc


@router.get(
    "/skills/{skill_id:path}",
    response_model=SkillOut,
    summary="An ESCO skill and the occupations that need it",
    responses=responses(404, 422),
)
def get_skill(skill_id: str, lang: str = Lang, session: Session = Depends(get_session, scope="function")) -> SkillOut:
    concept = _concept(session, "skill", skill_id)
    view = asdict(queries.concept_view(session, concept, lang))
    return SkillOut(**view, occupations=queries.occupations_for_skill(session, concept, lang))


@router.get(
    "/occupations/{occupation_id:path}",
    response_model=OccupationOut,
    summary="An ESCO occupation with its essential and optional skills",
    responses=responses(404, 422),
)
def get_occupation(
    occupation_id: str, lang: str = Lang, session: Session = Depends(get_session, scope="function")
) -> OccupationOut:
    concept = _concept(session, "occupation", occupation_id)
    view = asdict(queries.concept_view(session, concept, lang))
    skills = queries.occupation_skills(session, concept, lang)
    return OccupationOut(
        **view, essential_skills=skills.get("essential", []), optional_skills=skills.get("optional", [])
    )


@router.get(
    "/labels",
    response_model=LabelSearchOut,
    summary="Autocomplete ESCO labels (prefix and typo tolerant)",
    responses=responses(422),
)
def search_labels(
    q: str = Query(..., min_length=1, max_length=200),
    lang: str = Lang,
    type: str | None = Query(None, pattern="^(skill|occupation|isco_group|skill_group)$"),
    limit: int = Query(10, ge=1, le=50),
    session: Session = Depends(get_session, scope="function"),
) -> LabelSearchOut:
    hits = queries.search_labels(session, q, lang=lang, concept_type=type, limit=limit)
    return LabelSearchOut(query=q, lang=lang, results=hits)


@router.get("/stats", summary="Counts of concepts, relations and labels per language")
def get_stats(session: Session = Depends(get_session, scope="function")) -> dict:
    return queries.stats(session)
