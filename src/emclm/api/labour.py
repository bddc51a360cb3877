"""Labour-market demand and the supply–demand gap over REST."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from emclm.api.deps import get_session
from emclm.api.errors import responses, unprocessable_from
from emclm.labour.demand import SKILL_METHODS, DemandQueryError, Filters, demand, gaps

router = APIRouter(prefix="/labour", tags=["labour"])

Region = Query(
    None, pattern=r"^[A-Za-z]{2}[A-Za-z0-9]{0,3}$", description="NUTS 2021 code or prefix: PL, PL9, PL91, SE110"
)
Country = Query(None, pattern=r"^[A-Za-z]{2}$", description="NUTS country code (EL for Greece)")
Month = Query(None, pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")


def _methods(methods: str | None) -> tuple[str, ...]:
    if not methods:
        return SKILL_METHODS
    return tuple(m.strip() for m in methods.split(",") if m.strip())


@router.get(
    "/demand",
    summary="Vacancy counts, shares and growth by skill, occupation, ISCO group, region or month",
    responses=responses(422),
)
def get_demand(
    by: str = Query("skill", pattern="^(skill|occupation|isco|region|month)$"),
    region: str | None = Region,
    country: str | None = Country,
    month_from: str | None = Month,
    month_to: str | None = Month,
    level: int = Query(2, ge=0, le=3, description="NUTS level when by=region"),
    lang: str = Query("en", pattern=r"^[a-z]{2,3}(-[a-z]{2,4})?$", description="Label language"),
    methods: str | None = Query(None, max_length=60, description="Skill evidence: declared,extracted,occupation"),
    weighted: bool = False,
    limit: int = Query(50, ge=1, le=1000),
    session: Session = Depends(get_session, scope="function"),
) -> dict:
    try:
        return demand(
            session,
            by,
            Filters(region, country, month_from, month_to, _methods(methods)),
            level=level,
            lang=lang,
            limit=limit,
            weighted=weighted,
        )
    except DemandQueryError as exc:
        raise unprocessable_from(exc, "query", "by") from exc


@router.get(
    "/gaps", summary="Skills in demand that the catalogue covers poorly or not at all", responses=responses(422)
)
def get_gaps(
    region: str | None = Region,
    lang: str | None = Query(None, pattern=r"^[a-z]{2,3}$", description="Course language; default any"),
    country: str | None = Country,
    month_from: str | None = Month,
    month_to: str | None = Month,
    label_lang: str = Query("en", pattern=r"^[a-z]{2,3}(-[a-z]{2,4})?$"),
    methods: str | None = Query(None, max_length=60),
    poor_below: int = Query(3, ge=1, le=1000),
    min_vacancies: int = Query(1, ge=1),
    limit: int = Query(50, ge=1, le=1000),
    session: Session = Depends(get_session, scope="function"),
) -> dict:
    try:
        return gaps(
            session,
            Filters(region, country, month_from, month_to, _methods(methods)),
            lang=lang,
            label_lang=label_lang,
            limit=limit,
            min_vacancies=min_vacancies,
            poor_below=poor_below,
        )
    except DemandQueryError as exc:
        raise unprocessable_from(exc, "query", "by") from exc


@router.get("/regions", summary="NUTS 2021 regions (code, level, name) for demand filters", responses=responses(422))
def get_regions(
    country: str | None = Country,
    level: int | None = Query(None, ge=0, le=3),
) -> dict:
    from emclm.labour.nuts import nuts_table

    t = nuts_table()
    cc = country.upper() if country else None
    items = [
        {"code": r.code, "level": r.level, "country": r.country, "name": r.name or None}
        for r in sorted(t.regions.values(), key=lambda r: r.code)
        if (cc is None or r.country == cc) and (level is None or r.level == level)
    ]
    return {"country": cc, "level": level, "items": items}
