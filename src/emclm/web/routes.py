"""Server-rendered portal pages (Jinja2). The full portal is its own issue; this is the home and about page."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from emclm import __version__
from emclm.api.deps import get_session
from emclm.catalogue.models import Course, Provider
from emclm.taxonomy.queries import stats as taxonomy_stats

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
router = APIRouter(include_in_schema=False)


def mount_static(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")


def _catalogue_counts(session: Session) -> dict:
    live = Course.withdrawn_at.is_(None)
    return {
        "courses": session.execute(select(func.count()).select_from(Course).where(live)).scalar_one(),
        "providers": session.execute(
            select(func.count(func.distinct(Course.provider_id))).where(live)
        ).scalar_one(),
        "by_provider": session.execute(
            select(Provider.name, func.count()).join(Course, Course.provider_id == Provider.id).where(live)
            .group_by(Provider.name).order_by(func.count().desc()).limit(12)
        ).all(),
    }


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: Session = Depends(get_session)):
    return templates.TemplateResponse(
        request,
        "home.html",
        {"catalogue": _catalogue_counts(session), "taxonomy": taxonomy_stats(session), "version": __version__, "lang": "en"},
    )


@router.get("/about", response_class=HTMLResponse)
def about(request: Request):
    return templates.TemplateResponse(request, "about.html", {"version": __version__, "lang": "en"})
