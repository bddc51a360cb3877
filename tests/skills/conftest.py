"""Fixtures for skill extraction tests.

- ``extractor``: the real extractor over the full built ESCO database (session-wide; the index
  cache under var/ makes later sessions start fast).
- ``tiny_esco``: a migrated database (SQLite and PostgreSQL) holding a handful of real ESCO skills
  (real URIs and labels, so the shipped label embeddings apply), one occupation and its essential
  skills, and courses inserted directly with the models.
"""

from __future__ import annotations

import pytest

from emclm.catalogue.models import Course, Provider
from emclm.db.session import session_scope
from emclm.taxonomy.models import Concept, Label, OccupationSkill

S = "http://data.europa.eu/esco/skill/"
SKILLS = {
    "python": (
        S + "ccd0a1d9-afda-43d9-b901-96344886e14d",
        "Python (computer programming)",
        "knowledge",
        "sector-specific",
    ),
    "java": (S + "19a8293b-8e95-4de3-983f-77484079c389", "Java (computer programming)", "knowledge", "sector-specific"),
    "sql": (S + "598de5b0-5b58-4ea7-8058-a4bc4d18c742", "SQL", "knowledge", "sector-specific"),
    "javascript": (S + "3cd569a2-4f88-4c1e-9995-8dce8c5e51a7", "JavaScript", "knowledge", "sector-specific"),
    "budgets": (S + "21c5790c-0930-4d74-b3b0-84caf5af12ea", "manage budgets", "skill/competence", "cross-sector"),
    "pastry": (
        S + "15d5041a-4ff3-4527-ba5c-2445a4fd044a",
        "cook pastry products",
        "skill/competence",
        "sector-specific",
    ),
    "teams": (S + "60c78287-22eb-4103-9c8c-28deaa460da0", "work in teams", "skill/competence", "transversal"),
}
DEVELOPER = "http://data.europa.eu/esco/occupation/f2b15a0e-e65a-438a-affb-29b9d50b77d1"


@pytest.fixture(scope="session")
def extractor(esco_db_url):
    from emclm.skills.extractor import SkillExtractor

    return SkillExtractor.from_database(esco_db_url)


def _norm(text: str) -> str:
    from emclm.skills.text import fold

    return " ".join(fold(text).split())


@pytest.fixture
def tiny_esco(db_url):
    """db_url with a few real ESCO skills, the occupation 'software developer' and two courses."""
    ids = {}
    with session_scope(db_url) as s:
        for key, (uri, label, stype, reuse) in SKILLS.items():
            c = Concept(uri=uri, concept_type="skill", skill_type=stype, reuse_level=reuse, status="released")
            c.labels.append(Label(lang="en", kind="preferred", text=label, norm=_norm(label)))
            s.add(c)
            s.flush()
            ids[key] = c.id
        occ = Concept(uri=DEVELOPER, concept_type="occupation", status="released")
        occ.labels.append(Label(lang="en", kind="preferred", text="software developer", norm="software developer"))
        s.add(occ)
        s.flush()
        ids["developer"] = occ.id
        for key in ("python", "java", "sql", "javascript"):
            s.add(OccupationSkill(occupation_id=occ.id, skill_id=ids[key], relation_type="essential"))
        s.add(OccupationSkill(occupation_id=occ.id, skill_id=ids["teams"], relation_type="optional"))
        p = Provider(code="test", name="Test platform")
        s.add(p)
        s.flush()
        c1 = Course(
            key="test:prog",
            provider_id=p.id,
            title="Programming for data work",
            description="Write Python scripts, query databases with SQL and build small Java programs.",
            language="en",
        )
        c2 = Course(
            key="test:pastry",
            provider_id=p.id,
            title="Pâtisserie",
            description="Cook pastry products: tarts, choux and croissants.",
            language="en",
        )
        s.add_all([c1, c2])
        s.flush()
        ids["course_prog"], ids["course_pastry"] = c1.id, c2.id
    return db_url, ids


@pytest.fixture
def tiny_extractor(tiny_esco, tmp_path):
    from emclm.skills.extractor import SkillExtractor

    url, _ = tiny_esco
    return SkillExtractor.from_database(url, cache_dir=tmp_path / "cache")
