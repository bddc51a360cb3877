"""The FastAPI application: REST under /api (OpenAPI at /api/docs), the web portal at /."""

from __future__ import annotations

from fastapi import FastAPI

from emclm import __version__


def create_app(database_url: str | None = None) -> FastAPI:
    from emclm.api import catalogue, deps, guidance, labour, search, skills, sources, taxonomy

    app = FastAPI(
        title="emclm API",
        version=__version__,
        description="European MOOC catalogue aligned with ESCO skills and the labour market.",
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    deps.configure(app, database_url)
    from emclm.search import enable_auto_indexing

    enable_auto_indexing()  # ORM edits (curation, re-tagging) reach the search index in their transaction
    for module in (taxonomy, catalogue, sources, skills, search, guidance, labour):
        app.include_router(module.router, prefix="/api")
    from emclm.web import routes as web_routes

    app.include_router(web_routes.router)
    web_routes.mount_static(app)
    return app
