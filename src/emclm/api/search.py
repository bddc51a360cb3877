"""Course search over REST: ``GET /api/search`` (results, facet counts, total) and ``/api/search/suggest``.

A repeated facet parameter selects any of its values (OR); different facets all apply (AND). Facet
counts are disjunctive: each facet is counted without its own selection (``emclm.search.facets``)."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session

from emclm.api.deps import get_session
from emclm.api.errors import responses, unprocessable
from emclm.search import FACET_TABLE, FACETS, FilterError, Filters, Hit, SearchError, SearchRequest, search, suggest

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


def _facet_parameters() -> list[dict]:
    """The facet query parameters in OpenAPI, from the one facet table (``emclm.search.FACET_TABLE``)."""
    out = []
    for f in FACET_TABLE:
        item: dict = {"type": "integer"} if f.kind == "int" else {"type": "string"}
        if f.choices:
            item["enum"] = list(f.choices)
        if f.lo is not None:
            item["minimum"], item["maximum"] = f.lo, f.hi
        what = "any of the values (repeatable)" if f.many else "the largest value if repeated"
        out.append(
            {
                "name": f.name,
                "in": "query",
                "required": False,
                "description": f"Facet filter {f.name}: {what}",
                "schema": {"type": "array", "items": item},
                "style": "form",
                "explode": True,
            }
        )
    return out


@router.get(
    "/search",
    response_model=SearchOut,
    summary="Search courses in any language, with facet counts",
    openapi_extra={"parameters": _facet_parameters()},
    responses=responses(422, 429),
)
def get_search(
    request: Request,
    q: str = Query("", max_length=500, description="Words in any language, or an ESCO occupation/skill URI"),
    lang: str | None = LangQ,
    sort: str = Query("relevance", pattern="^(relevance|start_date|workload)$"),
    page: int = Query(1, ge=1, le=1000),
    per_page: int = Query(20, ge=1, le=100),
    session: Session = Depends(get_session, scope="function"),
) -> SearchOut:
    try:
        filters = Filters.from_params(request.query_params.getlist)
    except FilterError as exc:
        raise unprocessable(str(exc), ("query", exc.param or "q")) from exc
    req = SearchRequest(q=q, lang=lang, sort=sort, page=page, per_page=per_page, filters=filters)
    try:
        res = search(session, req)
    except SearchError as exc:
        raise unprocessable(str(exc), ("query", "sort" if str(exc).startswith("sort") else "page")) from exc
    out = asdict(res)
    out["facets"] = {k: v for k, v in out["facets"].items() if k in FACETS}
    return SearchOut(**out)


@router.get(
    "/search/suggest",
    response_model=list[SuggestionOut],
    summary="Autocomplete ESCO skills and occupations in the user's language",
    responses=responses(422, 429),
)
def get_suggest(
    q: str = Query(..., min_length=1, max_length=200),
    lang: str = Query("en", min_length=2, max_length=8, pattern=r"^[a-z]{2,3}(-[a-zA-Z]{2,4})?$"),
    limit: int = Query(10, ge=1, le=50),
    session: Session = Depends(get_session, scope="function"),
) -> list[SuggestionOut]:
    return [SuggestionOut(**s) for s in suggest(session, q, lang, limit)]
