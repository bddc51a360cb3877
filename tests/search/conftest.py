"""Search fixtures: real ESCO rows (tests/search/fixtures/esco_subset.json, extracted from ESCO v1.1.1
+ v1.0 fr/es + v1.0.8 occupations) and real course listings (fixtures/courses.json, from the shared
Class Central 2019 and edX 2021 files), loaded into a fresh database on each engine."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from emclm.catalogue.models import Course, CourseRun, Organisation, Provider
from emclm.db.session import session_scope
from emclm.taxonomy.models import Concept, Label, OccupationSkill
from emclm.taxonomy.text import fold

FIXTURES = Path(__file__).resolve().parent / "fixtures"
TODAY = date(2026, 11, 28)
STATISTICS = "http://data.europa.eu/esco/skill/7ee4c2ea-b349-4bd2-81a3-ec31475d4833"
DATA_ANALYST = "http://data.europa.eu/esco/occupation/d3edb8f8-3a06-47a0-8fb9-9b212c006aa2"
URL = {
    "stats_r": "https://www.edx.org/course/statistics-and-r",
    "python": "https://www.edx.org/course/analyzing-data-with-python",
    "sql": "https://www.edx.org/course/sql-for-data-science",
    "bigdata": "https://www.edx.org/course/big-data-analytics-2",
    "estadistica": "https://www.edx.org/course/estadistica-aplicada-a-los-negocios",
    "stat_r_fr": "https://www.fun-mooc.fr/courses/course-v1:UPSUD+42001+session12/about",
    "fondamentaux": "https://www.fun-mooc.fr/courses/VirchowVillerme/06002S02/Trimestre_1_2015/about",
    "dibujo": "https://miriadax.net/web/iniciacion-al-dibujo-creativo-2-edicion-/inicio",
    "disegno": "https://platform.europeanmoocs.eu/course_il_disegno_della_luce",
    "graphen": "https://iversity.org/en/courses/einfuhrung-in-die-graphentheorie",
    "homepage": "https://open.hpi.de/courses/homepage2016",
}


def seed_esco(session) -> dict[str, int]:
    data = json.loads((FIXTURES / "esco_subset.json").read_text())
    ids = {}
    for c in data["concepts"]:
        concept = Concept(
            uri=c["uri"],
            concept_type=c["concept_type"],
            skill_type=c["skill_type"],
            reuse_level=c["reuse_level"],
            status="released",
        )
        concept.labels = [
            Label(lang=lb["lang"], kind=lb["kind"], text=lb["text"], norm=lb["norm"]) for lb in c["labels"]
        ]
        session.add(concept)
        session.flush()
        ids[c["uri"]] = concept.id
    for rel in data["occupation_skills"]:
        session.add(
            OccupationSkill(
                occupation_id=ids[rel["occupation"]], skill_id=ids[rel["skill"]], relation_type=rel["relation_type"]
            )
        )
    session.flush()
    return ids


def seed_courses(session) -> dict[str, int]:
    """Courses from the real listings; runs placed relative to TODAY so 'starts within' is testable."""
    records = json.loads((FIXTURES / "courses.json").read_text())
    providers: dict[str, Provider] = {}
    ids = {}
    for i, r in enumerate(records):
        code = fold(r["provider"]).replace(" ", "-")
        prov = providers.setdefault(code, Provider(code=code, name=r["provider"]))
        course = Course(
            key=r["key"],
            provider=prov,
            organisation=Organisation(
                key=fold(r["organisation"] or f"org {i}") + f" {i}", name=r["organisation"] or f"org {i}"
            ),
            title=r["title"],
            description=r["description"],
            keywords=r["keywords"],
            language=r["language"],
            subject_label=r["subject"],
            pace=r["pace"],
            price=Decimal(r["price"]) if r["price"] is not None else None,
            free_audit=r["free_audit"],
            certificate_type=r["certificate_type"],
            workload_hours=r["workload_hours"],
            url=r["url"],
        )
        session.add(course)
        session.flush()
        ids[r["url"]] = course.id
    by = {k: ids[u] for k, u in URL.items()}
    # scheduled runs: the French statistics course starts in 3 weeks, "Fondamentaux" in 10 weeks
    session.add(CourseRun(course_id=by["stat_r_fr"], run_key="next", start_date=TODAY + timedelta(weeks=3)))
    session.add(CourseRun(course_id=by["fondamentaux"], run_key="next", start_date=TODAY + timedelta(weeks=10)))
    session.flush()
    return by


@pytest.fixture
def search_db(db_url):
    """(url, course ids by short name, concept ids by URI) with the index and label keys built."""
    from emclm.search import index_courses
    from emclm.search.concepts import build_label_keys

    with session_scope(db_url) as session:
        concepts = seed_esco(session)
        courses = seed_courses(session)
        build_label_keys(session)
        index_courses(session, None)
    return db_url, courses, concepts
