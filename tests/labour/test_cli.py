"""`emclm vacancies import`, `emclm demand`, `emclm gaps` end to end on a small ESCO and real fixtures."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from emclm.cli import app
from emclm.db.session import session_scope
from emclm.taxonomy.importer import import_esco

from ..conftest import FIXTURES

LAB = FIXTURES / "labour"


def test_import_then_demand_and_gaps(sqlite_url):
    from emclm.db.migrate import upgrade

    upgrade(sqlite_url)
    with session_scope(sqlite_url) as s:
        import_esco(s, [FIXTURES / "esco-mini"], version="1.1.1")
    runner = CliRunner()
    r = runner.invoke(
        app,
        [
            "vacancies",
            "import",
            str(LAB / "pl-ojalab-slice.csv"),
            "-o",
            "preset=ojalab",
            "--json",
            "--database-url",
            sqlite_url,
        ],
    )
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)[0]
    assert report["source"] == "file:pl-ojalab-slice.csv" and report["created"] == 17 and report["errors"] == 5
    r = runner.invoke(
        app, ["vacancies", "import", str(LAB / "se-jobsearch-v1.json"), "--json", "--database-url", sqlite_url]
    )
    assert r.exit_code == 0 and json.loads(r.stdout)[0]["created"] == 2

    r = runner.invoke(app, ["demand", "--by", "region", "--level", "0", "--json", "--database-url", sqlite_url])
    data = json.loads(r.stdout)
    assert {i["key"]: i["count"] for i in data["items"]} == {"PL": 17, "SE": 2}
    r = runner.invoke(app, ["demand", "--region", "PL22", "--by", "isco", "--json", "--database-url", sqlite_url])
    data = json.loads(r.stdout)
    assert data["filters"]["region"] == "PL22" and data["total_vacancies"] >= 3
    r = runner.invoke(app, ["gaps", "--region", "PL", "--lang", "pl", "--json", "--database-url", sqlite_url])
    gaps = json.loads(r.stdout)
    assert gaps["skills_in_demand"] > 0 and gaps["skills_without_courses"] == gaps["skills_in_demand"]  # no courses yet
    r = runner.invoke(app, ["demand", "--region", "bad code", "--database-url", sqlite_url])
    assert r.exit_code != 0 and "NUTS" in r.output
    r = runner.invoke(app, ["vacancies", "import", "no-such-source", "--database-url", sqlite_url])
    assert r.exit_code != 0 and "no-such-source" in r.output
