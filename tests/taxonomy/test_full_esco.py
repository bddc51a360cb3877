"""The shipped ESCO v1.1.1 release as built by `emclm db build` (the embedded default)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from emclm.cli import app

runner = CliRunner()


def _cli(*args):
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_stats_match_the_official_release(esco_db_url):
    data = json.loads(_cli("taxonomy", "stats", "--json", "--database-url", esco_db_url))
    assert data["skills"] == 13896
    assert data["occupations"] == 3007
    assert data["relations"] == 123855
    assert data["languages"] >= 27
    assert data["collections"]["green"] == 570


def test_french_skill_label_resolves(esco_db_url):
    out = json.loads(
        _cli(
            "taxonomy", "lookup", "gérer le personnel musical", "--lang", "fr", "--json", "--database-url", esco_db_url
        )
    )
    assert out["results"][0]["uri"] == "http://data.europa.eu/esco/skill/0005c151-5b5a-4a66-8aac-60e734beb1ab"


def test_polish_occupation_label_resolves(esco_db_url):
    import csv
    import gzip

    from emclm.config import get_settings

    with gzip.open(get_settings().esco_dir / "i18n/occupations_pl.csv.gz", "rt", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["preferredLabel"] == "analityk danych"]
    assert rows, "fixture label missing from the Polish file"
    out = json.loads(
        _cli(
            "taxonomy",
            "lookup",
            "analityk danych",
            "--lang",
            "pl",
            "--type",
            "occupation",
            "--json",
            "--database-url",
            esco_db_url,
        )
    )
    assert out["results"][0]["uri"] == rows[0]["conceptUri"]


def test_lookup_tolerates_typos_and_prefixes(esco_db_url):
    typo = json.loads(
        _cli("taxonomy", "lookup", "dta analyst", "--type", "occupation", "--json", "--database-url", esco_db_url)
    )
    assert "http://data.europa.eu/esco/occupation/d3edb8f8-3a06-47a0-8fb9-9b212c006aa2" in [
        r["uri"] for r in typo["results"]
    ]
    prefix = json.loads(
        _cli("taxonomy", "lookup", "help desk", "--type", "occupation", "--json", "--database-url", esco_db_url)
    )
    assert any(r["preferred_label"] == "ICT help desk agent" for r in prefix["results"])
    nothing = json.loads(_cli("taxonomy", "lookup", "qqqqxxxzzz", "--json", "--database-url", esco_db_url))
    assert nothing["results"] == []


def test_accents_are_optional_in_lookup(esco_db_url):
    out = json.loads(
        _cli(
            "taxonomy", "lookup", "gerer le personnel musical", "--lang", "fr", "--json", "--database-url", esco_db_url
        )
    )
    assert out["results"][0]["label"] == "gérer le personnel musical"
