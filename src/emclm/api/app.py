"""The FastAPI application: REST under /api (OpenAPI at /api/docs), the web portal at /."""

from __future__ import annotations

from fastapi import FastAPI

from emclm import __version__


def create_app(database_url: str | None = None) -> FastAPI:
    from fastapi import Depends

    from emclm.api import (
        admin,
        auth,
        catalogue,
        credentials,
        deps,
        guidance,
        labour,
        privacy,
        recognition,
        search,
        skills,
        sources,
        taxonomy,
    )
    from emclm.web import csrf

    app = FastAPI(
        # every route: its policy entry (api/routes_policy.py); every page POST: its CSRF token (web/csrf.py)
        dependencies=[Depends(deps.authorise), Depends(csrf.protect)],
        title="emclm API",
        version=__version__,
        description="European MOOC catalogue aligned with ESCO skills and the labour market.",
        docs_url=None,  # served below with the vendored Swagger UI (no CDN: works offline)
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    deps.configure(app, database_url)
    from emclm.credentials import enable_recognition
    from emclm.search import enable_auto_indexing

    enable_recognition()  # recognition facts after each harvest batch, before the search index
    enable_auto_indexing()  # ORM edits (curation, re-tagging) reach the search index in their transaction
    for module in (
        taxonomy,
        catalogue,
        recognition,
        sources,
        skills,
        search,
        guidance,
        labour,
        auth,
        credentials,
        privacy,
        admin,
    ):
        app.include_router(module.router, prefix="/api")
    from emclm.web import routes as web_routes

    app.include_router(web_routes.router)
    from emclm.web import accounts as web_accounts

    app.include_router(web_accounts.router)
    from emclm.web import verify as web_verify

    app.include_router(web_verify.router)
    from emclm.web import account_data

    app.include_router(account_data.router)
    from emclm.web import oidc as web_oidc

    app.include_router(web_oidc.router)
    web_routes.mount_static(app)
    _html_errors_for_pages(app, web_routes)
    _api_docs(app)
    _hardening(app)
    from emclm.api import observability

    observability.install(app)  # last: /healthz, /readyz, /metrics and the outermost middleware (request ids)
    return app


# Rate-limited routes (issue #16): the searches, skill extraction and sign-in cost the most.
RATE_LIMITED = frozenset(
    {
        ("GET", "/api/search"),
        ("GET", "/api/search/suggest"),
        ("POST", "/api/skills/extract"),
        ("POST", "/api/auth/login"),
        ("GET", "/search"),
    }
)


def _hardening(app: FastAPI) -> None:
    """Body limits, rate limits and security headers (``api/middleware.py``, decision 0021). The headers
    wrap the whole stack, so that even a 500 from Starlette's error middleware carries them."""
    from emclm.api import middleware
    from emclm.config import get_settings

    settings = get_settings()

    def body_limit(path: str) -> int:
        if path == "/api/skills/extract":
            return settings.max_text_body_bytes
        return settings.max_body_bytes

    app.add_middleware(middleware.BodyLimit, limit_for=body_limit)
    if settings.rate_limit_enabled:
        buckets = middleware.TokenBuckets(settings.rate_limit_per_minute, settings.rate_limit_burst)
        app.add_middleware(
            middleware.RateLimit,
            buckets=buckets,
            limited=lambda method, path: ("GET" if method == "HEAD" else method, path) in RATE_LIMITED,
        )
    from emclm.api.errors import declare_middleware_answers

    openapi = app.openapi

    def openapi_with_middleware_answers() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = declare_middleware_answers(openapi(), RATE_LIMITED)
        return app.openapi_schema

    app.openapi = openapi_with_middleware_answers
    build = app.build_middleware_stack
    app.build_middleware_stack = lambda: middleware.SecurityHeaders(
        build(), trust_forwarded_proto=settings.trust_forwarded_proto
    )


def _api_docs(app: FastAPI) -> None:
    """``/api/docs``: Swagger UI from ``web/static/vendor/swagger-ui`` (swagger-ui-dist, Apache-2.0), started
    by the static ``swagger-init.js`` (the Content-Security-Policy allows no inline script)."""
    from html import escape

    from fastapi.responses import HTMLResponse

    @app.get("/api/docs", include_in_schema=False)
    def api_docs():
        vendor = "/static/vendor/swagger-ui"
        return HTMLResponse(
            '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{escape(app.title)} — API</title>"
            f'<link rel="stylesheet" href="{vendor}/swagger-ui.css">'
            f'<link rel="icon" href="{vendor}/favicon-32x32.png">'
            f'</head><body><div id="swagger-ui" data-openapi-url="{escape(app.openapi_url or "")}"></div>'
            f'<script src="{vendor}/swagger-ui-bundle.js"></script>'
            '<script src="/static/swagger-init.js"></script>'
            "</body></html>"
        )


def _html_errors_for_pages(app: FastAPI, web_routes) -> None:
    """Pages answer bad parameters and unknown addresses with a localised HTML page; everything
    under /api keeps FastAPI's JSON errors."""
    from fastapi.exception_handlers import http_exception_handler
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from emclm.api.errors import validation_response

    def is_api(request) -> bool:
        return request.url.path == "/api" or request.url.path.startswith("/api/")

    @app.exception_handler(RequestValidationError)
    async def invalid(request, exc: RequestValidationError):
        if is_api(request):
            return validation_response(exc)  # never echoes the input (may be NaN, or huge)
        return web_routes.invalid_request(request, list(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request, exc: StarletteHTTPException):
        if exc.status_code == 404 and not is_api(request) and not request.url.path.startswith("/static/"):
            return web_routes.page_not_found(request)
        if exc.status_code in (401, 403) and not is_api(request) and not request.url.path.startswith("/static/"):
            return web_routes.page_refused(request, exc)
        return await http_exception_handler(request, exc)
