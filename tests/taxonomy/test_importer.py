"""ESCO import on SQLite and PostgreSQL: counts, idempotence, changed files, unknown and unlisted URIs."""

from __future__ import annotations

import shutil
import zipfile

from sqlalchemy import func, select

from emclm.db.session import session_scope
from emclm.taxonomy.importer import classify, import_esco
from emclm.taxonomy.models import Concept, Label, OccupationSkill
from emclm.taxonomy.queries import get_concept, occupation_skills, stats

from ..conftest import FIXTURES

MINI = FIXTURES / "esco-mini"
DATA_ANALYST = "http://data.europa.eu/esco/occupation/d3edb8f8-3a06-47a0-8fb9-9b212c006aa2"


def _import(url, *paths):
    with session_scope(url) as s:
        return import_esco(s, paths or [MINI], version="1.1.1")


def test_classify_recognises_esco_file_names():
    assert classify("skills_en.csv") == ("concepts", "skills", "en")
    assert classify("occupations_en-us.csv") == ("concepts", "occupations", "en-us")
    assert classify("occupationSkillRelations.csv")[0] == "relations"
    assert classify("occupationSkillRelations_de.csv")[0] == "relations"  # newer releases add a language
    assert classify("greenSkillsCollection_en.csv") == ("collection", "greenSkills", "en")
    assert classify("conceptSchemes_en.csv")[0] == "ignored"


def test_import_counts_labels_and_relations(db_url):
    report = _import(db_url)
    with session_scope(db_url) as s:
        data = stats(s)
        assert data["occupations"] == 3
        assert data["skills"] == 117
        # 118 relations of the three occupations + 3 of the occupation v1.1.1's occupation file omits
        assert data["relations"] == 121
        assert data["unlisted_concepts"] == 1
        assert set(data["labels_by_language"]) == {"en", "fr", "pl"}
        analyst = get_concept(s, DATA_ANALYST, "occupation")
        skills = occupation_skills(s, analyst)
        assert skills["essential"] and all(item["label"] for item in skills["essential"])
        assert s.execute(select(Concept.isco_code).where(Concept.uri == DATA_ANALYST)).scalar_one() == "2511"
    fr = next(f for f in report.files if f.name == "skills_fr.csv")
    assert fr.unknown_uris == 1  # the URI that no longer exists is counted, not created
    assert fr.concepts_created == 0


def test_reimport_is_idempotent_and_changed_file_replaces_its_labels(db_url, tmp_path):
    _import(db_url)
    with session_scope(db_url) as s:
        before = s.execute(select(func.count()).select_from(Label)).scalar_one()
        ids_before = dict(s.execute(select(Concept.uri, Concept.id)).all())
    again = _import(db_url)
    assert all(f.unchanged for f in again.files if f.kind != "ignored")
    with session_scope(db_url) as s:
        assert s.execute(select(func.count()).select_from(Label)).scalar_one() == before
        assert dict(s.execute(select(Concept.uri, Concept.id)).all()) == ids_before

    # a new release of the Polish file: one label changed
    folder = tmp_path / "esco"
    shutil.copytree(MINI, folder)
    pl = folder / "occupations_pl.csv"
    text = pl.read_text(encoding="utf-8")
    first_label = text.splitlines()[1].split(",")[3]
    pl.write_text(text.replace(first_label, "zmieniona etykieta", 1), encoding="utf-8")
    _import(db_url, folder / "occupations_pl.csv")
    with session_scope(db_url) as s:
        pl_labels = set(s.execute(select(Label.text).where(Label.lang == "pl", Label.kind == "preferred")).scalars())
        assert "zmieniona etykieta" in pl_labels
        assert first_label not in pl_labels
        assert dict(s.execute(select(Concept.uri, Concept.id)).all()) == ids_before


def test_import_reads_zip_files(sqlite_url, tmp_path):
    from emclm.db.migrate import upgrade

    upgrade(sqlite_url)
    archive = tmp_path / "esco-mini.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in MINI.glob("*.csv"):
            zf.write(f, f"some/folder/{f.name}")
    _import(sqlite_url, archive)
    with session_scope(sqlite_url) as s:
        assert s.execute(select(func.count()).select_from(OccupationSkill)).scalar_one() == 121
