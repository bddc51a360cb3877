"""Vacancy import on SQLite and PostgreSQL: storage, normalisation, bad rows, idempotence, resume."""

from __future__ import annotations

from sqlalchemy import func, select

from emclm.db.session import session_scope
from emclm.ingest import SourceConfig
from emclm.labour.importer import import_vacancies
from emclm.labour.models import Vacancy, VacancyImport, VacancySkill
from emclm.labour.sources import make_source
from emclm.taxonomy.importer import import_esco

from ..conftest import FIXTURES

LAB = FIXTURES / "labour"
SHOP_ASSISTANT = "http://data.europa.eu/esco/occupation/0b15375e-dfdd-4047-9efb-096e0aaee7d2"


def _esco(url):
    with session_scope(url) as s:
        import_esco(s, [FIXTURES / "esco-mini"], version="1.1.1")


def _pl(name="pl"):
    return make_source(
        SourceConfig(name=name, kind="tabular", path=str(LAB / "pl-ojalab-slice.csv"), options={"preset": "ojalab"})
    )


def _count(url, model=Vacancy, **where):
    with session_scope(url) as s:
        stmt = select(func.count()).select_from(model)
        for k, v in where.items():
            stmt = stmt.where(getattr(model, k) == v)
        return s.execute(stmt).scalar_one()


def test_polish_ads_import_with_regions_dates_and_occupations(db_url):
    _esco(db_url)
    report = import_vacancies(db_url, _pl())
    assert report.status == "done"
    assert report.seen == 22
    # bad rows: missing title, bad date, a job abroad, two places unknown ("Atlantyda", and the
    # village "Miechów" that no ad names with its voivodeship)
    assert report.created == 17 and report.errors == 5
    fields = sorted(line.split("field ")[1].split(":")[0] for line in report.error_samples)
    assert fields == ["date_posted", "region", "region", "region", "title"]
    assert any("Atlantyda" in line for line in report.error_samples)
    assert any("abroad" in line for line in report.error_samples)
    with session_scope(db_url) as s:
        lublin = s.execute(select(Vacancy).where(Vacancy.region_text == "Lublin, lubelskie")).scalar_one()
        assert (lublin.country, lublin.nuts_code, lublin.nuts2, lublin.nuts1) == ("PL", "PL81", "PL81", "PL8")
        assert lublin.month == "2021-07" and lublin.isco_code == "8332"
        assert lublin.occupation_codes == {"kzis": "833203"}
        shop = (
            s.execute(select(Vacancy).where(Vacancy.isco_code == "5223", Vacancy.occupation_id.is_not(None)))
            .scalars()
            .all()
        )
        assert shop, "ads coded 5223xx are placed in ESCO's shop assistant (the only 5223 occupation loaded)"
        assert all(v.occupation_method == "isco" for v in shop)
        # the occupation's essential skills count as demand evidence
        n = s.execute(
            select(func.count())
            .select_from(VacancySkill)
            .where(VacancySkill.vacancy_id == shop[0].id, VacancySkill.method == "occupation")
        ).scalar_one()
        assert n > 5
        every = s.execute(select(Vacancy)).scalars().all()
        assert all(v.country == "PL" for v in every)
        assert all(v.nuts_code is None or v.nuts_code.startswith("PL") for v in every)


def test_swedish_ads_import_with_lan_and_dates(db_url):
    _esco(db_url)
    src = make_source(
        SourceConfig(
            name="se", kind="jobtech", path=[str(LAB / "se-jobsearch-v1.json"), str(LAB / "se-platsbanken-source.json")]
        )
    )
    report = import_vacancies(db_url, src)
    assert (report.created, report.errors) == (4, 0)
    src2 = make_source(
        SourceConfig(
            name="se-scraped",
            kind="jobposting",
            path=str(LAB / "se-scraped-jobposting.jsonl"),
            options={"country": "SE", "lang": "sv", "region_key": "ort"},
        )
    )
    report2 = import_vacancies(db_url, src2)
    assert report2.created == 4 and report2.errors == 2  # the broken JSON line, the job in Norway
    with session_scope(db_url) as s:
        rows = {v.record_id: v for v in s.execute(select(Vacancy)).scalars()}
        assert rows["23174210"].nuts_code == "SE110" and rows["23174210"].month == "2019-03"
        assert rows["23483261"].nuts_code == "SE121"  # Uppsala län, Knivsta
        assert rows["24057200"].nuts_code == "SE322"  # Östersund
        assert rows["23174210"].occupation_codes == {"ssyk2012": "2512"}
        assert all(v.country == "SE" and v.date_posted for v in rows.values())


def test_reimport_is_idempotent_and_changes_are_updates(db_url, tmp_path):
    _esco(db_url)
    first = import_vacancies(db_url, _pl())
    again = import_vacancies(db_url, _pl())
    assert again.created == 0 and again.updated == 0 and again.unchanged == first.created
    assert _count(db_url) == first.created
    # one ad changes its title: one update, its skills replaced, nothing duplicated
    changed = tmp_path / "changed.csv"
    changed.write_text(
        (LAB / "pl-ojalab-slice.csv").read_text(encoding="utf-8").replace("Pracownik magazynu", "Magazynier", 1),
        encoding="utf-8",
    )
    src = make_source(SourceConfig(name="pl", kind="tabular", path=str(changed), options={"preset": "ojalab"}))
    third = import_vacancies(db_url, src)
    assert (third.created, third.updated, third.unchanged) == (0, 1, first.created - 1)
    assert _count(db_url) == first.created
    assert _count(db_url, Vacancy, title="Magazynier") >= 1


def test_interrupted_import_resumes_from_its_checkpoint(db_url):
    _esco(db_url)
    partial = import_vacancies(db_url, _pl(), batch_size=3, limit=8)
    assert partial.status == "partial" and partial.seen == 8
    stored = _count(db_url)
    assert 0 < stored <= 8
    resumed = import_vacancies(db_url, _pl(), batch_size=3)
    assert resumed.resumed_from == {"file": 0, "item": 8}
    assert resumed.status == "done" and resumed.seen == 22  # counts carried over from the interrupted run
    assert resumed.created == 17 and resumed.errors == 5
    assert _count(db_url) == 17
    assert _count(db_url, VacancyImport) == 1
    # a finished run is not resumed: the next import reads everything again (and changes nothing)
    fresh = import_vacancies(db_url, _pl())
    assert fresh.resumed_from is None and fresh.unchanged == 17
    assert _count(db_url, VacancyImport) == 2


def test_a_failing_store_does_not_lose_the_checkpoint(db_url):
    """A crash mid-run leaves the run 'failed' with the last stored checkpoint; the next run resumes there."""
    _esco(db_url)

    class Boom(RuntimeError):
        pass

    src = _pl()
    original = src.items

    def items(checkpoint=None):
        for n, item in enumerate(original(checkpoint), 1):
            if checkpoint is None and n == 7:
                raise Boom("disk full")
            yield item

    src.items = items
    try:
        import_vacancies(db_url, src, batch_size=2)
    except Boom:
        pass
    with session_scope(db_url) as s:
        run = s.execute(select(VacancyImport)).scalar_one()
        assert run.status == "failed" and run.checkpoint == {"file": 0, "item": 6}
    resumed = import_vacancies(db_url, _pl())
    assert resumed.resumed_from == {"file": 0, "item": 6}
    assert _count(db_url) == 17
