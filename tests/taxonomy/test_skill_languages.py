"""Skill labels beyond en/fr/es: German (ESCO v1.2.0, preferred + alternative), Finnish and Swedish
(v1.1.1, preferred), shipped in data/esco/i18n/ and loaded by default; and the coverage the UI states."""

from __future__ import annotations

import csv
import gzip
import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from emclm.cli import app
from emclm.config import get_settings
from emclm.db.session import session_scope
from emclm.taxonomy.importer import default_paths, import_esco, iter_members
from emclm.taxonomy.queries import label_languages, stats

from ..conftest import FIXTURES

REPO = Path(__file__).resolve().parents[2]
MANAGE_PROJECT = "http://data.europa.eu/esco/skill/cd5efa8c-e44d-4cbc-91c6-796018dbed68"  # en: "manage projects"
runner = CliRunner()


def _shipped(lang: str) -> dict[str, dict]:
    path = get_settings().esco_dir / "i18n" / f"skills_{lang}.csv.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return {r["conceptUri"]: r for r in csv.DictReader(fh)}


def _cli(*args) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_build_imports_german_finnish_and_swedish_skill_files_by_default():
    names = {m.name for m in iter_members(default_paths(get_settings().esco_dir))}
    assert {"skills_de.csv", "skills_fi.csv", "skills_sv.csv"} <= names


def test_built_database_has_the_new_skill_labels(esco_db_url):
    with session_scope(esco_db_url) as s:
        data = stats(s)
    assert {"de", "fi", "sv", "en", "fr", "es"} <= set(data["label_languages"]["skill"])
    # every v1.1.1 skill the German file names gets its German preferred label; alternatives come too
    assert data["labels_by_language"]["de"] > data["labels_by_language"]["fi"]


def test_german_label_lookup_finds_the_skill(esco_db_url):
    german = _shipped("de")[MANAGE_PROJECT]["preferredLabel"]
    assert german and german != "manage projects"
    out = json.loads(_cli("taxonomy", "lookup", german, "--lang", "de", "--json", "--database-url", esco_db_url))
    assert out["results"][0]["uri"] == MANAGE_PROJECT
    assert out["results"][0]["preferred_label"] == german


def test_german_alternative_label_lookup_finds_its_skill(esco_db_url):
    row = next(r for r in _shipped("de").values() if r["altLabels"] and r["conceptType"] == "KnowledgeSkillCompetence")
    alt = row["altLabels"].split(" | ")[0].strip()
    out = json.loads(
        _cli("taxonomy", "lookup", alt, "--lang", "de", "--type", "skill", "--json", "--database-url", esco_db_url)
    )
    assert row["conceptUri"] in [h["uri"] for h in out["results"][:3]]


def test_swedish_and_finnish_preferred_labels_resolve(esco_db_url):
    for lang in ("sv", "fi"):
        label = _shipped(lang)[MANAGE_PROJECT]["preferredLabel"]
        out = json.loads(_cli("taxonomy", "lookup", label, "--lang", lang, "--json", "--database-url", esco_db_url))
        assert out["results"][0]["uri"] == MANAGE_PROJECT, lang


def test_german_skill_page_shows_the_german_label(esco_db_url):
    from emclm.api.app import create_app

    german = _shipped("de")[MANAGE_PROJECT]["preferredLabel"]
    client = TestClient(create_app(esco_db_url))
    html = client.get(f"/skills/{MANAGE_PROJECT.rsplit('/', 1)[-1]}?lang=de").text
    h1 = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S).group(1)
    assert german in h1
    assert "manage projects" not in h1


@pytest.fixture(scope="module")
def matcher(esco_db_url):
    from emclm.skills.lexical import LabelMatcher
    from emclm.skills.taxonomy import SkillTaxonomy

    tax = SkillTaxonomy.from_database(esco_db_url)
    return tax, LabelMatcher.build(tax.labels)


def test_label_matcher_finds_a_german_label_in_german_text(matcher):
    tax, m = matcher
    assert {"de", "fi", "sv"} <= set(m.languages)
    german = _shipped("de")[MANAGE_PROJECT]["preferredLabel"]  # "Projekte managen"
    text = f"Wir suchen eine Teamleitung. Sie werden {german} und Budgets planen."
    hits = m.match(text, "de")
    found = {tax.uris[h.skill] for h in hits}
    assert MANAGE_PROJECT in found
    hit = next(h for h in hits if tax.uris[h.skill] == MANAGE_PROJECT)
    assert text[hit.start : hit.end] == german
    # the English automaton does not see it: the German labels are what matched
    assert MANAGE_PROJECT not in {tax.uris[h.skill] for h in m.match(text, "en")}


def test_label_matcher_finds_a_swedish_label_in_swedish_text(matcher):
    tax, m = matcher
    swedish = _shipped("sv")[MANAGE_PROJECT]["preferredLabel"]
    text = f"Vi söker en erfaren kollega som kan {swedish} i vårt team."
    assert MANAGE_PROJECT in {tax.uris[h.skill] for h in m.match(text, "sv")}


def test_label_languages_follow_the_imported_data(db_url, tmp_path):
    mini = FIXTURES / "esco-mini"
    with session_scope(db_url) as s:
        import_esco(s, [mini], version="1.1.1")
    with session_scope(db_url) as s:
        before = label_languages(s)
    assert before["skill"] == ["en", "fr"]
    with open(mini / "skills_en.csv", encoding="utf-8") as fh:
        uri = next(csv.DictReader(fh))["conceptUri"]
    extra = tmp_path / "skills_de.csv"
    extra.write_text(f"conceptUri,preferredLabel,altLabels\n{uri},Kundenzufriedenheit garantieren,\n", encoding="utf-8")
    with session_scope(db_url) as s:
        import_esco(s, [extra], version="1.1.1")
    with session_scope(db_url) as s:
        after = stats(s)
    assert after["label_languages"]["skill"] == ["de", "en", "fr"]
    assert after["skill_languages"] == 3
    assert after["label_languages"]["occupation"] == before["occupation"]


def _coverage(esco_db_url):
    with session_scope(esco_db_url) as s:
        return label_languages(s)


def test_home_and_about_state_the_coverage_of_the_data(esco_db_url):
    from emclm.api.app import create_app

    cov = _coverage(esco_db_url)
    occ, skills = len(cov["occupation"]), len(cov["skill"])
    assert occ > skills  # the old "labels in 27 languages" claim is true of occupations only
    client = TestClient(create_app(esco_db_url))
    for path in ("/?lang=en", "/about?lang=en"):
        html = client.get(path).text
        stated = re.search(r'data-testid="label-coverage">(.*?)</', html, re.S).group(1)
        assert f"occupation labels in {occ} languages" in stated, path
        assert f"skill labels in {skills} languages" in stated, path
        assert "German" in stated and "Swedish" in stated and "Finnish" in stated
    german = client.get("/about?lang=de").text
    stated = re.search(r'data-testid="label-coverage">(.*?)</', german, re.S).group(1)
    assert f"Kompetenzbezeichnungen in {skills} Sprachen" in stated
    assert "Deutsch" in stated


def test_readme_states_the_coverage_of_the_data(esco_db_url):
    cov = _coverage(esco_db_url)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    m = re.search(r"occupation labels in (\d+) languages, skill labels in (\d+) — ([a-z, ]+) —", readme)
    assert m, "README no longer states the label coverage in the form this test checks"
    assert int(m.group(1)) == len(cov["occupation"])
    assert int(m.group(2)) == len(cov["skill"])
    assert sorted(c.strip() for c in m.group(3).split(",")) == cov["skill"]
