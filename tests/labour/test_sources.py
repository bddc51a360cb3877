"""Vacancy sources on real fixtures: every format parses, bad rows come back as errors naming record and field."""

from __future__ import annotations

import gzip
import json
from datetime import date

import pytest

from emclm.ingest import SourceConfig
from emclm.labour.sources import guess_kind, make_source
from emclm.labour.sources.base import BadValue, parse_date

from ..conftest import FIXTURES

LAB = FIXTURES / "labour"


def _run(kind, path, **options):
    src = make_source(SourceConfig(name="t", kind=kind, path=str(path), options=options))
    items = list(src.items())
    return [i.record for i in items if i.record], [i.error for i in items if i.error], items


def test_parse_date_formats():
    assert parse_date("2021-07-19") == date(2021, 7, 19)
    assert parse_date("2019-03-13T00:00:00") == date(2019, 3, 13)
    assert parse_date("2018-10-19 00:00:00") == date(2018, 10, 19)
    assert parse_date("44396") == date(2021, 7, 19)  # Excel serial day
    assert parse_date("44396.0") == date(2021, 7, 19)
    assert parse_date("18843") == date(2021, 8, 4)  # R / Unix day number
    assert parse_date(1566554294366) == date(2019, 8, 23)  # epoch ms
    assert parse_date("NA") is None and parse_date("") is None
    with pytest.raises(BadValue):
        parse_date("31/02/2021")


def test_polish_csv_with_preset():
    records, errors, _ = _run("tabular", LAB / "pl-ojalab-slice.csv", preset="ojalab")
    assert len(records) == 20  # 18 ads + the one abroad + the unknown region (found at normalisation)
    first = records[0]
    assert first.title == "Kierowca ciężarówki w ruchu krajowym / Niemcy"
    assert first.country == "PL" and first.lang == "pl"
    assert first.region_text == "Lublin, lubelskie"
    assert first.occupation_codes == {"kzis": "833203"}
    assert first.date_collected == date(2021, 7, 19)
    assert first.month == "2021-07"
    assert first.text.startswith("Opis ogłoszenia")
    by_field = {e.field_name: e for e in errors}
    assert set(by_field) == {"title", "date_posted"}
    assert by_field["title"].record_id.endswith("#bad-missing-title")
    assert "31/02/2021" in str(by_field["date_posted"])


def test_tabular_checks_its_mapping():
    with pytest.raises(ValueError, match="title"):
        make_source(SourceConfig(name="t", kind="tabular", path=str(LAB), options={"columns": {"text": "x"}}))
    with pytest.raises(ValueError, match="unknown mapped fields"):
        make_source(
            SourceConfig(name="t", kind="tabular", path=str(LAB), options={"columns": {"title": "a", "colour": "b"}})
        )


def test_jobsearch_v1():
    records, errors, _ = _run("jobtech", LAB / "se-jobsearch-v1.json")
    assert not errors and len(records) == 2
    r = records[0]
    assert r.source_record_id == "23174210" and r.title == "Java-utvecklare"
    assert r.region_code == "01" and r.postcode == "13141"
    assert r.occupation_codes == {"ssyk2012": "2512"} and r.occupation_label == "Backend-utvecklare"
    assert r.declared_skills == ["Java", "Javascript"]
    assert r.date_posted == date(2019, 3, 13) and r.lang == "sv" and r.country == "SE"


def test_platsbanken_source_records():
    records, errors, _ = _run("jobtech", LAB / "se-platsbanken-source.json")
    assert not errors and len(records) == 2
    r = records[0]
    assert r.source_record_id == "23483261"
    assert r.region_code == "03" and r.employer == "Norlandia Care AB"
    assert r.date_posted == date(2019, 8, 23)


def test_jobposting_wrapped_jsonl_reports_broken_line():
    records, errors, _ = _run(
        "jobposting", LAB / "se-scraped-jobposting.jsonl", country="SE", lang="sv", region_key="ort"
    )
    assert len(records) == 5 and len(errors) == 1
    assert "not JSON" in str(errors[0])
    assert records[1].region_text == "Uppsala" and records[1].date_posted == date(2020, 4, 21)
    assert records[0].declared_skills == ["Engelska"]


def test_jobposting_json_ld_in_html():
    records, errors, _ = _run("jobposting", LAB / "jobposting-page.html")
    assert not errors and len(records) == 1
    r = records[0]
    assert r.country == "SE" and r.postcode == "83131"
    assert r.region_text == "Östersund, Jämtlands län"
    assert r.occupation_codes == {"isco08": "2221"} and r.employer == "Region Jämtland Härjedalen"


def test_jobposting_array_gz_and_missing_title(tmp_path):
    ads = [
        {
            "@context": "https://schema.org",
            "@type": "JobPosting",
            "identifier": "a1",
            "title": "Data analyst",
            "description": "<p>Analyse <b>data</b></p>",
            "datePosted": "2024-05-02",
            "jobLocation": {
                "@type": "Place",
                "address": {"@type": "PostalAddress", "addressCountry": "PL", "addressRegion": "mazowieckie"},
            },
        },
        {"@type": "JobPosting", "identifier": "a2", "description": "no title here"},
        {"@type": "JobPosting", "identifier": "a3", "title": "Shop assistant", "datePosted": "yesterday"},
    ]
    path = tmp_path / "ads.json.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        json.dump(ads, fh)
    assert guess_kind(path) == "jobposting"
    records, errors, _ = _run("jobposting", path)
    assert [r.source_record_id for r in records] == ["a1"]
    assert records[0].text == "Analyse data"
    assert {(e.record_id, e.field_name) for e in errors} == {("a2", "title"), ("a3", "datePosted")}


def test_checkpoints_resume_where_they_stopped():
    _, _, items = _run("tabular", LAB / "pl-ojalab-slice.csv", preset="ojalab")
    src = make_source(
        SourceConfig(name="t", kind="tabular", path=str(LAB / "pl-ojalab-slice.csv"), options={"preset": "ojalab"})
    )
    rest = list(src.items(items[9].checkpoint))
    assert [i.checkpoint for i in rest] == [i.checkpoint for i in items[10:]]


def test_guess_kind():
    assert guess_kind(LAB / "pl-ojalab-slice.csv") == "tabular"
    assert guess_kind(LAB / "se-jobsearch-v1.json") == "jobtech"
    assert guess_kind(LAB / "se-scraped-jobposting.jsonl") == "jobposting"


def test_xlsx_spreadsheet_with_mapping(tmp_path):
    """The OJALAB originals are XLSX: the same rows read from a workbook give the same records."""
    import csv

    from openpyxl import Workbook

    with (LAB / "pl-ojalab-slice.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    wb = Workbook()
    ws = wb.active
    for row in rows:
        # numbers as numbers, as Excel stores them (KZiS codes, serial dates)
        ws.append([float(v) if v.replace(".", "", 1).isdigit() and len(v) < 12 else v for v in row])
    path = tmp_path / "ads.xlsx"
    wb.save(path)
    assert guess_kind(path) == "tabular"
    from_xlsx, errors_x, _ = _run("tabular", path, preset="ojalab")
    from_csv, errors_c, _ = _run("tabular", LAB / "pl-ojalab-slice.csv", preset="ojalab")
    assert [r.source_record_id for r in from_xlsx] == [r.source_record_id for r in from_csv]
    assert [r.occupation_codes for r in from_xlsx] == [r.occupation_codes for r in from_csv]
    assert [r.date_collected for r in from_xlsx] == [r.date_collected for r in from_csv]
    assert [(e.record_id, e.field_name) for e in errors_x] == [(e.record_id, e.field_name) for e in errors_c]


def test_a_broken_file_is_reported_and_the_next_file_still_read(tmp_path):
    folder = tmp_path / "feed"
    folder.mkdir()
    good = {"@type": "JobPosting", "identifier": "ok", "title": "Magazynier", "datePosted": "2021-07-01"}
    # a JSON array cut off mid-way (a truncated download): two ads readable, then garbage
    (folder / "a-truncated.json").write_text(
        json.dumps([dict(good, identifier="t1"), dict(good, identifier="t2"), dict(good, identifier="t3")])[:-40],
        encoding="utf-8",
    )
    (folder / "b-corrupt.json.gz").write_bytes(b"\x1f\x8b\x08\x00not really gzip")
    (folder / "c-good.jsonl").write_text(json.dumps(good) + "\n", encoding="utf-8")
    records, errors, items = _run("jobposting", folder)
    assert [r.source_record_id for r in records] == ["t1", "t2", "ok"]
    assert len(errors) == 2
    assert "a-truncated.json" in str(errors[0]) and "unreadable" in str(errors[0])
    assert "b-corrupt.json.gz" in str(errors[1])
    # resuming after a broken file starts with the next file
    src = make_source(SourceConfig(name="t", kind="jobposting", path=str(folder)))
    after = list(src.items(items[2].checkpoint))
    assert [i.record.source_record_id for i in after if i.record] == ["ok"]
