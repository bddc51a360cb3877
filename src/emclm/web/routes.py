"""The portal's pages: server-rendered Jinja2, enhanced with htmx, in six UI languages.

Every page works without JavaScript (plain links and GET forms); with it, htmx swaps only the part
of the page that changed (search results and facets, the plan). Domain capabilities are reached
through ``emclm.web.services`` only.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_decimal
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from emclm import __version__
from emclm.api.deps import get_session
from emclm.catalogue.models import Course, Provider
from emclm.taxonomy.queries import (
    ConceptNotFound,
    concept_view,
    get_concept,
    label_languages,
    occupation_skills,
    occupations_for_skill,
    uri_for,
)
from emclm.taxonomy.queries import stats as taxonomy_stats
from emclm.web import i18n, services

HERE = Path(__file__).resolve().parent
COURSE_LANGUAGES = ("en", "fr", "es", "it", "nl", "de", "pt", "pl")

env = Environment(
    loader=FileSystemLoader(str(HERE / "templates")),
    autoescape=select_autoescape(["html"]),
    extensions=["jinja2.ext.i18n"],
)
env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)
templates = Jinja2Templates(env=env)
router = APIRouter(include_in_schema=False)


def mount_static(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")


# --------------------------------------------------------------------------- language and rendering


def ui_lang(request: Request) -> str:
    return i18n.choose_language(
        request.query_params.get("lang"), request.cookies.get(i18n.COOKIE), request.headers.get("accept-language")
    )


def _url(path: str, params: list[tuple[str, str]] | dict) -> str:
    query = urlencode(params, doseq=True)
    return f"{path}?{query}" if query else path


def _language_links(request: Request) -> list[dict]:
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return [
        {"code": code, "name": name, "url": _url(request.url.path, params + [("lang", code)])}
        for code, name in i18n.LANGUAGES.items()
    ]


def language_name(code: str | None, lang: str) -> str:
    if not code:
        return ""
    try:
        return Locale.parse(code).get_display_name(lang) or code
    except (ValueError, UnknownLocaleError):
        return code


env.filters["num"] = lambda n, lang="en": format_decimal(n, locale=lang) if n is not None else ""
env.filters["date"] = lambda d, lang="en": format_date(d, format="medium", locale=lang) if d else ""
env.filters["langname"] = language_name


def render(request: Request, lang: str, name: str, context: dict, status_code: int = 200) -> HTMLResponse:
    i18n.activate(lang)
    response = templates.TemplateResponse(
        request,
        name,
        {"lang": lang, "version": __version__, "language_links": _language_links(request), **context},
        status_code=status_code,
    )
    chosen = request.query_params.get("lang")
    if chosen and chosen.lower() in i18n.LANGUAGES:
        response.set_cookie(i18n.COOKIE, chosen.lower(), max_age=365 * 86400, samesite="lax", httponly=True)
    response.headers["Content-Language"] = lang
    response.headers["Vary"] = "Accept-Language, Cookie"
    return response


def not_found(request: Request, lang: str, what: str) -> HTMLResponse:
    return render(request, lang, "not_found.html", {"what": what}, status_code=404)


# --------------------------------------------------------------------------- pages


def _catalogue_counts(session: Session) -> dict:
    live = Course.withdrawn_at.is_(None)
    return {
        "courses": session.execute(select(func.count()).select_from(Course).where(live)).scalar_one(),
        "providers": session.execute(select(func.count(func.distinct(Course.provider_id))).where(live)).scalar_one(),
        "by_provider": session.execute(
            select(Provider.name, func.count())
            .join(Course, Course.provider_id == Provider.id)
            .where(live)
            .group_by(Provider.name)
            .order_by(func.count().desc())
            .limit(12)
        ).all(),
    }


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: Session = Depends(get_session), lang: str = Depends(ui_lang)):
    return render(
        request, lang, "home.html", {"catalogue": _catalogue_counts(session), "taxonomy": taxonomy_stats(session)}
    )


@router.get("/about", response_class=HTMLResponse)
def about(request: Request, session: Session = Depends(get_session), lang: str = Depends(ui_lang)):
    return render(request, lang, "about.html", {"coverage": label_languages(session)})


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request, q: str = "", page: int = 1, session: Session = Depends(get_session), lang: str = Depends(ui_lang)
):
    q = q.strip()[:200]
    filters = services.parse_filters(request.query_params)
    result = services.search_courses(session, q, filters, page=max(1, page), lang=lang)

    def params(filters: dict[str, list[str]], page: int = 1) -> list[tuple[str, str]]:
        out = [("q", q)] if q else []
        out += [(name, v) for name, values in filters.items() for v in values]
        return out + ([("page", str(page))] if page > 1 else [])

    chips = [
        {
            "facet": name,
            "value": value,
            "url": _url(
                "/search", params({n: [x for x in vs if not (n == name and x == value)] for n, vs in filters.items()})
            ),
        }
        for name, values in filters.items()
        for value in values
    ]
    pages = {
        "prev": _url("/search", params(filters, result.page - 1)) if result.page > 1 else None,
        "next": _url("/search", params(filters, result.page + 1)) if result.page < result.pages else None,
    }
    provider_names = {v["value"]: v["label"] for v in result.facets.get("provider", [])}
    return render(
        request,
        lang,
        "search.html",
        {
            "result": result,
            "chips": chips,
            "pages": pages,
            "provider_names": provider_names,
            "clear_url": _url("/search", [("q", q)] if q else []),
        },
    )


def course_jsonld(page: services.CoursePage, request: Request) -> str:
    c = page.course
    data: dict = {
        "@context": "https://schema.org",
        "@type": "Course",
        "@id": str(request.url_for("course", course_id=c.id)),
        "name": c.title,
        "description": c.description or c.title,
        "url": c.url,
        "inLanguage": c.language,
        "provider": {
            "@type": "Organization",
            "name": c.provider.name,
            **({"url": c.provider.url} if c.provider.url else {}),
        },
    }
    if c.organisation:
        data["creator"] = {"@type": "Organization", "name": c.organisation.name}
    if c.eqf_level:
        data["educationalLevel"] = f"EQF {c.eqf_level}"
    if c.ects_credits:
        data["numberOfCredits"] = {"@type": "StructuredValue", "value": c.ects_credits, "unitText": "ECTS"}
    if c.certificate_type and c.certificate_type != "none":
        data["educationalCredentialAwarded"] = c.certificate_type
    if c.workload_hours:
        data["timeRequired"] = f"PT{round(c.workload_hours)}H"
    if page.free is not None or c.price is not None:
        data["offers"] = {
            "@type": "Offer",
            "category": "Free" if page.free else "Paid",
            "price": str(c.price if c.price is not None else 0),
            "priceCurrency": c.currency or "EUR",
        }
    if page.skills:
        data["teaches"] = [s["label"] for s in page.skills]
    instances = []
    for r in page.runs:
        inst: dict = {"@type": "CourseInstance", "courseMode": "online"}
        if r.start_date:
            inst["startDate"] = r.start_date.isoformat()
        if r.end_date:
            inst["endDate"] = r.end_date.isoformat()
        if r.language or c.language:
            inst["inLanguage"] = r.language or c.language
        if c.workload_hours:
            inst["courseWorkload"] = f"PT{round(c.workload_hours)}H"
        if r.url:
            inst["url"] = r.url
        instances.append(inst)
    if not instances:
        # no dated run (self-paced, or the platform gives none): still one instance, as schema.org
        # Course consumers expect, saying how it is taken
        inst = {"@type": "CourseInstance", "courseMode": "online"}
        if c.pace == "self_paced":
            inst["courseSchedule"] = {"@type": "Schedule", "repeatFrequency": "P1D", "description": "self-paced"}
        if c.language:
            inst["inLanguage"] = c.language
        if c.workload_hours:
            inst["courseWorkload"] = f"PT{round(c.workload_hours)}H"
        instances.append(inst)
    if instances:
        data["hasCourseInstance"] = instances
    text = json.dumps({k: v for k, v in data.items() if v is not None}, ensure_ascii=False, indent=1)
    # never let course text close the <script> element
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@router.get("/courses/{course_id}", response_class=HTMLResponse, name="course")
def course(request: Request, course_id: int, session: Session = Depends(get_session), lang: str = Depends(ui_lang)):
    page = services.course_page(session, course_id, lang)
    if page is None:
        return not_found(request, lang, "course")
    c = page.course
    title = (c.title_i18n or {}).get(lang) or c.title
    description = (c.description_i18n or {}).get(lang) or c.description
    return render(
        request,
        lang,
        "course.html",
        {
            "english": services.label_fallbacks(
                session, [s["uri"] for s in page.skills] + [o["uri"] for o in page.occupations], lang
            ),
            "page": page,
            "c": c,
            "title": title,
            "description": description,
            "jsonld": course_jsonld(page, request),
            "today": date.today(),
        },
    )


def _concept(session: Session, kind: str, ident: str):
    try:
        return get_concept(session, uri_for(kind, ident), kind)
    except ConceptNotFound:
        return None


@router.get("/skills/{ident}", response_class=HTMLResponse)
def skill(request: Request, ident: str, session: Session = Depends(get_session), lang: str = Depends(ui_lang)):
    concept = _concept(session, "skill", ident)
    if concept is None:
        return not_found(request, lang, "skill")
    view = concept_view(session, concept, lang)
    occupations = occupations_for_skill(session, concept, lang)
    return render(
        request,
        lang,
        "skill.html",
        {
            "view": view,
            "english": services.label_fallbacks(session, [o["uri"] for o in occupations[:80]], lang),
            "essential_for": [o for o in occupations if o["relation"] == "essential"][:40],
            "optional_for": [o for o in occupations if o["relation"] != "essential"][:40],
            "n_essential": sum(1 for o in occupations if o["relation"] == "essential"),
            "n_optional": sum(1 for o in occupations if o["relation"] != "essential"),
            "courses": services.courses_for_skills(session, [concept.id]),
        },
    )


@router.get("/occupations/{ident}", response_class=HTMLResponse)
def occupation(request: Request, ident: str, session: Session = Depends(get_session), lang: str = Depends(ui_lang)):
    concept = _concept(session, "occupation", ident)
    if concept is None:
        return not_found(request, lang, "occupation")
    view = concept_view(session, concept, lang)
    skills = occupation_skills(session, concept, lang)
    from emclm.taxonomy.models import Concept

    essential_ids = (
        list(
            session.execute(
                select(Concept.id).where(Concept.uri.in_([s["uri"] for s in skills["essential"]]))
            ).scalars()
        )
        if skills["essential"]
        else []
    )
    shown = [s["uri"] for s in skills["essential"] + skills.get("optional", [])]
    return render(
        request,
        lang,
        "occupation.html",
        {
            "view": view,
            "essential": skills["essential"],
            "optional": skills.get("optional", []),
            "english": services.label_fallbacks(session, shown, lang),
            "courses": services.courses_for_skills(session, essential_ids),
        },
    )


def _hours(value: str) -> float | None:
    try:
        hours = float(value.replace(",", "."))
    except ValueError:
        return None
    return hours if hours > 0 else None


@router.get("/plan", response_class=HTMLResponse)
def plan(
    request: Request,
    current: str = "",
    description: str = "",
    target: str = "",
    language: str = "",
    free: str = "",
    hours: str = "",
    session: Session = Depends(get_session),
    lang: str = Depends(ui_lang),
):
    constraints = services.PlanConstraints(
        language=language if language in COURSE_LANGUAGES else None,
        free_only=bool(free),
        max_hours=_hours(hours),
    )
    result = services.plan_path(
        session,
        current=current[:200],
        description=description[:5000],
        target=target[:200],
        constraints=constraints,
        lang=lang,
    )
    shown = [s["uri"] for s in result.essential + result.optional]
    return render(
        request,
        lang,
        "plan.html",
        {
            "english": services.label_fallbacks(session, shown, lang),
            "form": {
                "current": current,
                "description": description,
                "target": target,
                "language": language,
                "free": bool(free),
                "hours": hours,
            },
            "plan": result,
            "course_languages": COURSE_LANGUAGES,
        },
    )


@router.get("/suggest/occupations", response_class=HTMLResponse)
def suggest_occupations(request: Request, session: Session = Depends(get_session), lang: str = Depends(ui_lang)):
    """``<option>``s for an occupation field's ``<datalist>`` (htmx fills it while the user types)."""
    text = next((v for k in ("q", "current", "target") if (v := request.query_params.get(k))), "")
    options = services.suggest_occupations(session, text[:100], lang)
    i18n.activate(lang)
    return templates.TemplateResponse(request, "_options.html", {"options": options})


@router.get("/labour", response_class=HTMLResponse)
def labour(request: Request, region: str = "", session: Session = Depends(get_session), lang: str = Depends(ui_lang)):
    """What employers ask for (skills in real vacancies) against what the catalogue teaches."""
    from sqlalchemy import distinct

    from emclm.labour.demand import DemandQueryError, Filters, demand, gaps
    from emclm.labour.models import Vacancy
    from emclm.labour.nuts import nuts_table

    table = nuts_table()
    codes = {c for c in session.execute(select(distinct(Vacancy.nuts_code))).scalars() if c}
    wanted = sorted({c[:n] for c in codes for n in (2, 4) if len(c) >= n})  # countries and NUTS 2 regions
    regions = [{"code": c, "name": (table.regions.get(c).name if table.regions.get(c) else None) or c} for c in wanted]
    error = None
    try:
        filters = Filters(region=region or None)
        in_demand = demand(session, "skill", filters, lang=lang, limit=15)
        gap = gaps(session, Filters(region=region or None), label_lang=lang, limit=15)
    except DemandQueryError as exc:
        error, in_demand, gap = str(exc), None, None
    return render(
        request,
        lang,
        "labour.html",
        {
            "active": "labour",
            "regions": regions,
            "region": region,
            "error": error,
            "demand": in_demand,
            "gaps": gap,
        },
    )
