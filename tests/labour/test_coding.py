"""Occupation ranking on the full ESCO (27 languages of occupation labels) and the `occupations rank` CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from emclm.cli import app
from emclm.db.session import session_scope
from emclm.labour.coding import OccupationRanker, rank_lines, split_title, stems


@pytest.fixture(scope="module")
def ranker(esco_db_url):
    with session_scope(esco_db_url) as s:
        return OccupationRanker.from_session(s, ["pl", "sv", "de", "en"])


def test_stems_fold_and_keep_prefixes():
    assert stems("Kierowca ciężarówki (m/k)") == ["kierowca", "~kiero", "ciezarowki", "~cieza", "^zarowki"]
    # a long word also gives its tail, the head of a compound
    assert "^hauffor" in stems("Lastbilschaufför") and "^hauffor" in stems("privatchaufför")


@pytest.mark.parametrize(
    "title,lang,isco",
    [
        ("Magazynier", "pl", "4321"),
        ("Pracownik magazynu", "pl", "9333"),
        ("Pomoc kuchenna", "pl", "9412"),
        ("Kierowca samochodu ciężarowego", "pl", "8332"),
        ("Barnmorska", "sv", "2222"),
        ("Lagerarbetare", "sv", "9333"),
        ("Lagerarbeiter (m/w/d)", "de", "9333"),
        ("Software developer", "en", "2512"),
    ],
)
def test_titles_rank_their_unit_group_first(ranker, title, lang, isco):
    top = ranker.rank(title, None, lang, k=5)
    assert top and top[0].isco == isco, [(r.label, r.isco) for r in top]
    assert top[0].score >= top[-1].score


def test_restrictions_by_unit_group_and_candidates(ranker):
    top = ranker.rank("Sprzedawca", "Obsługa klienta w sklepie", "pl", k=3, isco_prefix="5223")
    assert top and all(r.isco == "5223" for r in top)
    only = "http://data.europa.eu/esco/occupation/d7a9f9e0-e2f5-4804-a0e0-b21ebb1403ee"  # magazynier
    assert [r.uri for r in ranker.rank("Kierowca", None, "pl", k=3, candidates={only})] == [only]


def test_rank_lines_format_and_bad_lines(ranker):
    lines = [
        '{"id": 7, "text": "Magazynier\\nPraca w magazynie, obsługa wózka widłowego"}',
        "",
        "[1, 2]",
        '{"id": "x", "title": "Pomoc kuchenna", "text": "", "lang": "pl"}',
    ]
    out = list(rank_lines(ranker, lines, k=3, lang="pl"))
    assert out[0]["id"] == 7 and len(out[0]["occupations"]) == 3
    assert set(out[0]["occupations"][0]) == {"uri", "isco", "label", "score"}
    assert out[0]["occupations"][0]["isco"] == "4321"
    assert out[1]["error"] and out[1]["line"] == 3
    assert out[2]["id"] == "x" and out[2]["occupations"][0]["isco"] == "9412"


def test_split_title():
    assert split_title("Magazynier\nOpis") == ("Magazynier", "Opis")
    title, body = split_title("one two three four five six seven eight nine ten eleven twelve thirteen")
    assert title.split()[-1] == "twelve" and body.endswith("thirteen")


def test_cli_rank_reads_and_writes_json_lines(esco_db_url):
    stdin = '{"id": "a", "text": "Pomoc kuchenna\\nzmywanie naczyń"}\n{"id": "b", "text": "Magazynier"}\n'
    result = CliRunner().invoke(
        app, ["occupations", "rank", "--top", "2", "--lang", "pl", "--database-url", esco_db_url], input=stdin
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert [r["id"] for r in rows] == ["a", "b"]
    assert all(len(r["occupations"]) == 2 for r in rows)
    assert rows[0]["occupations"][0]["isco"] == "9412"
