"""Fixtures of the portal tests: a catalogue inserted into a copy of the built database, the app
served by uvicorn on a free local port, and one headless Debian Chromium for the whole session.

Chromium (/usr/bin/chromium) and axe-core (node_modules/axe-core) are installed by ``make test``;
when one is missing the browser tests skip on a developer machine and FAIL under CI=true.
"""

from __future__ import annotations

import socket
import threading
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from emclm.catalogue.models import Course, CourseRun, Organisation, Provider
from emclm.db.session import session_scope
from emclm.skills.models import CourseSkill
from emclm.taxonomy.models import Concept, OccupationSkill
from tests.conftest import copy_sqlite
from tests.web.helpers import AXE, CHROMIUM, CHROMIUM_ARGS, HELP_DESK, IN_CI, REPO


def _missing(what: str) -> None:
    if IN_CI:
        pytest.fail(f"{what} is required for the browser tests in CI (make test installs it)")
    pytest.skip(f"{what} missing; run `make browser-deps` (required when CI=true)")


def _essential_skills(session, occupation_uri: str) -> list[Concept]:
    occ = session.execute(select(Concept).where(Concept.uri == occupation_uri)).scalar_one()
    return list(
        session.execute(
            select(Concept)
            .join(OccupationSkill, OccupationSkill.skill_id == Concept.id)
            .where(OccupationSkill.occupation_id == occ.id, OccupationSkill.relation_type == "essential")
            .order_by(Concept.uri)
        ).scalars()
    )


def seed_catalogue(url: str) -> dict:
    """A small catalogue: 24 courses over two platforms and three languages, with runs, recognition
    facts and ESCO skill tags (the ICT help desk agent's essential skills) with evidence."""
    today = date.today()
    with session_scope(url) as s:
        # the built database already holds the demo catalogue: reuse its providers and organisations
        def get_or_add(model, column, value, **fields):
            row = s.execute(select(model).where(column == value)).scalar_one_or_none()
            if row is None:
                row = model(**fields)
                s.add(row)
            return row

        fun = get_or_add(
            Provider,
            Provider.code,
            "fun-mooc",
            code="fun-mooc",
            name="FUN MOOC",
            url="https://www.fun-mooc.fr",
            country="FR",
        )
        miriada = get_or_add(
            Provider,
            Provider.code,
            "miriadax",
            code="miriadax",
            name="MiríadaX",
            url="https://miriadax.net",
            country="ES",
        )
        univ = get_or_add(
            Organisation,
            Organisation.key,
            "universite de lille",
            key="universite de lille",
            name="Université de Lille",
            country="FR",
        )
        s.flush()
        skills = _essential_skills(s, HELP_DESK)
        ids = []
        for i in range(24):
            lang = ("fr", "en", "es")[i % 3]
            free = i % 4 != 3
            course = Course(
                key=f"test:{i}",
                provider_id=(fun if lang != "es" else miriada).id,
                organisation_id=univ.id if i % 2 == 0 else None,
                title=(
                    f"Lumorix support informatique {i}: aider les utilisateurs"
                    if lang == "fr"
                    else f"Soporte TIC {i}"
                    if lang == "es"
                    else f"IT support essentials {i}"
                ),
                description="Learn to resolve ICT system problems and to answer customer requests at a help desk.",
                language=lang,
                languages=[lang],
                eqf_level=4 + i % 3,
                workload_hours=float(10 + 5 * (i % 5)),
                hours_per_week=3.0,
                pace="scheduled" if i % 2 == 0 else "self_paced",
                price=Decimal("0") if free else Decimal("49.00"),
                currency="EUR",
                free_audit=free,
                certificate_type=("free", "verified", "record_of_achievement")[i % 3],
                ects_credits=3.0 if i % 3 == 1 else None,
                assessment_type="quizzes and a final exam" if i % 2 == 0 else None,
                identity_verification=i % 3 == 1,
                url=f"https://example.org/courses/{i}",
            )
            s.add(course)
            s.flush()
            if course.pace == "scheduled":
                start = today + timedelta(days=14 + i)
                s.add(
                    CourseRun(
                        course_id=course.id,
                        run_key=f"run-{i}-1",
                        start_date=start,
                        end_date=start + timedelta(weeks=6),
                        enrolment_end=start + timedelta(days=7),
                        pace="scheduled",
                        language=lang,
                    )
                )
            for k, skill in enumerate(skills[i % 4 :: 4][:3]):
                s.add(
                    CourseSkill(
                        course_id=course.id,
                        skill_id=skill.id,
                        score=0.9 - 0.1 * k,
                        status="auto",
                        tagger_version="test",
                        evidence=[
                            {
                                "text": "resolve ICT system problems",
                                "field": "description",
                                "start": 9,
                                "end": 36,
                                "method": "label",
                            }
                        ],
                    )
                )
            ids.append(course.id)
        # as the harvest store does: the new courses are searchable in the same transaction
        from emclm.search import index_courses

        index_courses(s, ids)
    return {"course_ids": ids, "help_desk": HELP_DESK}


@pytest.fixture(scope="session")
def web_db(built_db_path, tmp_path_factory) -> dict:
    target = tmp_path_factory.mktemp("web") / "emclm.sqlite3"
    copy_sqlite(built_db_path, target)
    url = f"sqlite:///{target}"
    return {"url": url, **seed_catalogue(url)}


@pytest.fixture(scope="session")
def client(web_db):
    from fastapi.testclient import TestClient

    from emclm.api.app import create_app

    return TestClient(create_app(web_db["url"]))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(web_db):
    import uvicorn

    from emclm.api.app import create_app

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(web_db["url"]), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the portal did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        _missing(str(CHROMIUM))
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright Python package")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        _missing(str(AXE.relative_to(REPO)))
    return AXE.read_text(encoding="utf-8")


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context per test (no cookie carried over), English unless a test says otherwise."""
    context = browser.new_context(base_url=live_server, locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
