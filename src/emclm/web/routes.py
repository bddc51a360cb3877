"""The portal's pages: server-rendered Jinja2, enhanced with htmx, in six UI languages.

Every page works without JavaScript (plain links and GET forms); with it, htmx swaps only the part
of the page that changed (search results and facets, the plan). Domain capabilities are reached
through ``emclm.web.services`` only.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_decimal
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from emclm import __version__
from emclm.api.deps import get_session
from emclm.catalogue.normalise import UnsafeUrl, http_url
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
from emclm.web import csrf, i18n, services

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


def paragraphs(text: str | None) -> Markup:
    """Harvested plain text as HTML paragraphs: every line escaped first, then a paragraph per block
    separated by a blank line and a line break per single newline (never ``|safe`` on course text)."""
    if not text:
        return Markup("")
    blocks = [b.strip() for b in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").replace("\r", "\n"))]
    return Markup("").join(
        Markup("<p>{}</p>").format(Markup("<br>\n").join(escape(line.strip()) for line in b.split("\n")))
        for b in blocks
        if b
    )


env.filters["paragraphs"] = paragraphs


def identity(request: Request) -> dict | None:
    """Who is signed in, for the header: e-mail and organisation names (None: nobody). Once per request."""
    if hasattr(request.state, "identity"):
        return request.state.identity
    from emclm.accounts.flows import header_identity
    from emclm.api.deps import current_principal

    principal = current_principal(request)
    found = None
    if principal is not None and principal.account_id is not None:
        session = request.app.state.sessionmaker()
        try:
            found = header_identity(session, principal.account_id)
        finally:
            session.close()
    request.state.identity = found
    return found


def safe_url(value: str | None) -> str:
    """A stored link as an ``href``: the link when it is an absolute http(s) URL, else ``''``.

    Harvesting already drops every other link (decision 0022); this is the second line of defence
    for rows stored before that (or written around it): ``javascript:``, ``data:``, ``vbscript:`` or
    a relative path never reach an ``href``. Jinja's autoescape still escapes what is returned."""
    try:
        return http_url(value) or ""
    except UnsafeUrl:
        return ""


env.filters["safe_url"] = safe_url


def render(request: Request, lang: str, name: str, context: dict, status_code: int = 200) -> HTMLResponse:
    i18n.activate(lang)
    response = templates.TemplateResponse(
        request,
        name,
        {
            "lang": lang,
            "version": __version__,
            "language_links": _language_links(request),
            "csrf_token": csrf.token(request),
            "me": identity(request),
            **context,
        },
        status_code=status_code,
    )
    csrf.remember(request, response)
    chosen = request.query_params.get("lang")
    if chosen and chosen.lower() in i18n.LANGUAGES:
        response.set_cookie(i18n.COOKIE, chosen.lower(), max_age=365 * 86400, samesite="lax", httponly=True)
    response.headers["Content-Language"] = lang
    response.headers["Vary"] = "Accept-Language, Cookie"
    return response


def not_found(request: Request, lang: str, what: str, **context) -> HTMLResponse:
    return render(request, lang, "not_found.html", {"what": what, **context}, status_code=404)


def invalid_request(request: Request, errors: list[dict]) -> HTMLResponse:
    """A page's parameters failed validation (``/courses/abc``, ``?page=abc``): an HTML page in the
    user's language instead of FastAPI's JSON 422. A bad path segment names nothing that exists: 404;
    a bad query parameter: 400 naming it and its value."""
    lang = ui_lang(request)
    if any(e.get("loc", ("",))[0] == "path" for e in errors):
        return not_found(request, lang, "page")
    shown = [
        {"name": str(e["loc"][-1]), "value": str(e.get("input", ""))[:100]}
        for e in errors
        if len(e.get("loc", ())) >= 2
    ]
    return render(request, lang, "bad_request.html", {"errors": shown}, status_code=400)


def page_not_found(request: Request) -> HTMLResponse:
    return not_found(request, ui_lang(request), "page")


def page_refused(request: Request, exc) -> HTMLResponse:
    """A page refused by the policy (401: sign in; 403: not allowed) or by the CSRF check: a localised
    HTML page with the same status (and a 401's ``WWW-Authenticate``)."""
    reason = "csrf" if isinstance(exc, csrf.CsrfRefused) else ("signin" if exc.status_code == 401 else "forbidden")
    if reason == "forbidden" and "only from a signed-in browser session" in str(exc.detail):
        reason = "session_only"
    next_url = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    response = render(
        request,
        ui_lang(request),
        "refused.html",
        {"reason": reason, "signin_url": _url("/signin", {"next": next_url})},
        status_code=exc.status_code,
    )
    for name, value in (getattr(exc, "headers", None) or {}).items():
        response.headers[name] = value
    return response


# --------------------------------------------------------------------------- pages


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: Session = Depends(get_session, scope="function"), lang: str = Depends(ui_lang)):
    return render(
        request,
        lang,
        "home.html",
        {"catalogue": services.catalogue_counts(session), "taxonomy": taxonomy_stats(session)},
    )


@router.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page says: the site's icon."""
    return RedirectResponse("/static/favicon.svg", status_code=301)


@router.get("/about", response_class=HTMLResponse)
def about(request: Request, session: Session = Depends(get_session, scope="function"), lang: str = Depends(ui_lang)):
    return render(request, lang, "about.html", {"coverage": label_languages(session)})


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    q: str = "",
    page: int = 1,
    sort: str = "relevance",
    session: Session = Depends(get_session, scope="function"),
    lang: str = Depends(ui_lang),
):
    from emclm.search.facets import SORTS

    q = q.strip()[:200]
    sort = sort if sort in SORTS else "relevance"
    filters = services.parse_filters(request.query_params)
    result = services.search_courses(session, q, filters, page=max(1, page), lang=lang, sort=sort)

    def params(filters: dict[str, list[str]], page: int = 1) -> list[tuple[str, str]]:
        out = [("q", q)] if q else []
        out += [("sort", sort)] if sort != "relevance" else []
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
    if result.page > result.pages:  # beyond the last page: say so and link the last one
        return not_found(
            request,
            lang,
            "results_page",
            page=result.page,
            pages=result.pages,
            last_url=_url("/search", params(filters, result.pages)),
        )
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
            "occupations": services.matching_occupations(session, q, lang),
            "sort": sort,
            "sorts": SORTS,
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
        "url": safe_url(c.url) or None,
        "inLanguage": c.language,
        "provider": {
            "@type": "Organization",
            "name": c.provider.name,
            **({"url": safe_url(c.provider.url)} if safe_url(c.provider.url) else {}),
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
        if safe_url(r.url):
            inst["url"] = safe_url(r.url)
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
def course(
    request: Request,
    course_id: int,
    session: Session = Depends(get_session, scope="function"),
    lang: str = Depends(ui_lang),
):
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
def skill(
    request: Request,
    ident: str,
    session: Session = Depends(get_session, scope="function"),
    lang: str = Depends(ui_lang),
):
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
def occupation(
    request: Request,
    ident: str,
    session: Session = Depends(get_session, scope="function"),
    lang: str = Depends(ui_lang),
):
    concept = _concept(session, "occupation", ident)
    if concept is None:
        return not_found(request, lang, "occupation")
    view = concept_view(session, concept, lang)
    skills = occupation_skills(session, concept, lang)
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
            "courses": services.courses_for_skill_uris(session, [s["uri"] for s in skills["essential"]]),
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
    session: Session = Depends(get_session, scope="function"),
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


@router.get("/transitions", response_class=HTMLResponse)
def transitions(
    request: Request,
    current: str = "",
    session: Session = Depends(get_session, scope="function"),
    lang: str = Depends(ui_lang),
):
    """Career moves: the occupations closest to the one held, with the skills and courses between."""
    result = services.career_transitions(session, current[:200], lang)
    shown = [m["uri"] for m in result.moves]
    return render(
        request,
        lang,
        "transitions.html",
        {
            "active": "transitions",
            "form": {"current": current},
            "result": result,
            "english": services.label_fallbacks(session, shown, lang),
        },
    )


@router.get("/suggest/occupations", response_class=HTMLResponse)
def suggest_occupations(
    request: Request, session: Session = Depends(get_session, scope="function"), lang: str = Depends(ui_lang)
):
    """``<option>``s for an occupation field's ``<datalist>`` (htmx fills it while the user types)."""
    text = next((v for k in ("q", "current", "target") if (v := request.query_params.get(k))), "")
    options = services.suggest_occupations(session, text[:100], lang)
    i18n.activate(lang)
    return templates.TemplateResponse(request, "_options.html", {"options": options})


@router.get("/labour", response_class=HTMLResponse)
def labour(
    request: Request,
    region: str = "",
    session: Session = Depends(get_session, scope="function"),
    lang: str = Depends(ui_lang),
):
    """What employers ask for (skills in real vacancies) against what the catalogue teaches."""
    from emclm.labour.demand import DemandQueryError, Filters, demand, gaps, vacancy_regions

    regions = vacancy_regions(session)
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
