"""Course search over REST: ``GET /api/search`` (results, facet counts, total) and ``/api/search/suggest``.

A repeated facet parameter selects any of its values (OR); different facets all apply (AND). Facet
counts are disjunctive: each facet is counted without its own selection (``emclm.search.facets``)."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel
from sqlalchemy.orm import Session

from emclm.api.deps import get_session
from emclm.search import FACETS, Filters, Hit, SearchError, SearchRequest, search, suggest

router = APIRouter(tags=["search"])
LangQ = Query(
    None,
    min_length=2,
    max_length=8,
    pattern=r"^[a-z]{2,3}(-[a-zA-Z]{2,4})?$",
    description="The interface language (ISO 639-1), reported back; the query's language is detected from its words",
)


class FacetValue(BaseModel):
    value: str
    label: str
    count: int


class SearchOut(BaseModel):
    total: int
    page: int
    per_page: int
    results: list[Hit]  # the domain's dataclass, serialised as it is
    facets: dict[str, list[FacetValue]]
    query: dict


class SuggestionOut(BaseModel):
    uri: str
    type: str
    label: str
    preferred_label: str | None
    lang: str
    score: float


@router.get("/search", response_model=SearchOut, summary="Search courses in any language, with facet counts")
def get_search(
    q: str = Query("", max_length=500, description="Words in any language, or an ESCO occupation/skill URI"),
    lang: str | None = LangQ,
    language: list[str] = Query([], description="Course language facet (repeatable)"),
    provider: list[str] = Query([]),
    organisation: list[str] = Query([]),
    subject: list[str] = Query([]),
    eqf_level: list[int] = Query([], ge=1, le=8),
    price: list[str] = Query([], description="free | paid (repeatable: any of them)"),
    certificate_type: list[str] = Query([]),
    ects: list[str] = Query([], description="any | lt3 | 3-5 | 6plus"),
    pace: list[str] = Query([]),
    starts_within: list[int] = Query(
        [], description="Starts within N weeks (self-paced counts; repeated: the longest)"
    ),
    workload: list[str] = Query([], description="lt10 | 10-30 | 30-100 | 100plus (hours)"),
    sort: str = Query("relevance", pattern="^(relevance|start_date|workload)$"),
    page: int = Query(1, ge=1, le=1000),
    per_page: int = Query(20, ge=1, le=100),
    session: Session = Depends(get_session),
) -> SearchOut:
    bad = [p for p in price if p not in ("free", "paid")]
    if bad:
        raise HTTPException(status_code=422, detail=f"price must be free or paid, not {bad[0]!r}")
    if any(not 0 <= w <= 520 for w in starts_within):
        raise HTTPException(status_code=422, detail="starts_within must be between 0 and 520 weeks")
    req = SearchRequest(
        q=q,
        lang=lang,
        sort=sort,
        page=page,
        per_page=per_page,
        filters=Filters(
            language=language,
            provider=provider,
            organisation=organisation,
            subject=subject,
            eqf_level=eqf_level,
            price=list(dict.fromkeys(price)) or None,
            certificate_type=certificate_type,
            ects=ects,
            pace=pace,
            starts_within_weeks=max(starts_within) if starts_within else None,
            workload=workload,
        ),
    )
    try:
        res = search(session, req)
    except SearchError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    out = asdict(res)
    out["facets"] = {k: v for k, v in out["facets"].items() if k in FACETS}
    return SearchOut(**out)


@router.get(
    "/search/suggest",
    response_model=list[SuggestionOut],
    summary="Autocomplete ESCO skills and occupations in the user's language",
)
def get_suggest(
    q: str = Query(..., min_length=1, max_length=200),
    lang: str = Query("en", min_length=2, max_length=8, pattern=r"^[a-z]{2,3}(-[a-zA-Z]{2,4})?$"),
    limit: int = Query(10, ge=1, le=50),
    session: Session = Depends(get_session),
) -> list[SuggestionOut]:
    return [SuggestionOut(**s) for s in suggest(session, q, lang, limit)]
