"""The FastAPI application: REST under /api (OpenAPI at /api/docs), the web portal at /."""

from __future__ import annotations

from fastapi import FastAPI

from emclm import __version__


def create_app(database_url: str | None = None) -> FastAPI:
    from fastapi import Depends

    from emclm.api import auth, catalogue, deps, guidance, labour, search, skills, sources, taxonomy
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
    from emclm.search import enable_auto_indexing

    enable_auto_indexing()  # ORM edits (curation, re-tagging) reach the search index in their transaction
    for module in (taxonomy, catalogue, sources, skills, search, guidance, labour, auth):
        app.include_router(module.router, prefix="/api")
    from emclm.web import routes as web_routes

    app.include_router(web_routes.router)
    from emclm.web import accounts as web_accounts

    app.include_router(web_accounts.router)
    from emclm.web import oidc as web_oidc

    app.include_router(web_oidc.router)
    web_routes.mount_static(app)
    _html_errors_for_pages(app, web_routes)
    _api_docs(app)
    return app


def _api_docs(app: FastAPI) -> None:
    """``/api/docs``: Swagger UI from ``web/static/vendor/swagger-ui`` (swagger-ui-dist, Apache-2.0)."""
    from fastapi.openapi.docs import get_swagger_ui_html

    @app.get("/api/docs", include_in_schema=False)
    def api_docs():
        return get_swagger_ui_html(
            openapi_url=app.openapi_url,
            title=f"{app.title} — API",
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/vendor/swagger-ui/favicon-32x32.png",
        )


def _html_errors_for_pages(app: FastAPI, web_routes) -> None:
    """Pages answer bad parameters and unknown addresses with a localised HTML page; everything
    under /api keeps FastAPI's JSON errors."""
    from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException as StarletteHTTPException

    def is_api(request) -> bool:
        return request.url.path == "/api" or request.url.path.startswith("/api/")

    @app.exception_handler(RequestValidationError)
    async def invalid(request, exc: RequestValidationError):
        if is_api(request):
            return await request_validation_exception_handler(request, exc)
        return web_routes.invalid_request(request, list(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request, exc: StarletteHTTPException):
        if exc.status_code == 404 and not is_api(request) and not request.url.path.startswith("/static/"):
            return web_routes.page_not_found(request)
        if exc.status_code in (401, 403) and not is_api(request) and not request.url.path.startswith("/static/"):
            return web_routes.page_refused(request, exc)
        return await http_exception_handler(request, exc)
