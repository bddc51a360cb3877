"""Labour aggregates precomputed per data generation (decision 0015), on SQLite and PostgreSQL: the
figures equal counts over the vacancy tables, and every write (vacancy import, course tag, curation,
withdrawal) changes the generation, so no answer is stale."""

from __future__ import annotations

import csv

from sqlalchemy import distinct, func, select

from emclm.catalogue.models import Course, Provider
from emclm.db.base import utcnow
from emclm.db.session import session_scope
from emclm.ingest import SourceConfig
from emclm.labour.demand import Filters, demand, gaps
from emclm.labour.importer import import_vacancies
from emclm.labour.models import AggregateState, SkillCell, Vacancy, VacancySkill
from emclm.labour.precompute import ensure_current, fingerprint, stored_generation
from emclm.labour.sources import make_source
from emclm.skills.models import CourseSkill
from emclm.taxonomy.importer import import_esco

from ..conftest import FIXTURES

SLICE = FIXTURES / "labour" / "pl-ojalab-slice.csv"


def _source(name: str, path=SLICE):
    return make_source(SourceConfig(name=name, kind="tabular", path=str(path), options={"preset": "ojalab"}))


def _setup(url, tmp_path):
    """ESCO mini + the first half of the OJALAB slice as source ``pl-a``."""
    with session_scope(url) as s:
        import_esco(s, [FIXTURES / "esco-mini"], version="1.1.1")
    with open(SLICE, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))  # records span lines: split by record, not by line
    half = tmp_path / "half.csv"
    with open(half, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerows(rows[: 1 + (len(rows) - 1) // 2])
    report = import_vacancies(url, _source("pl-a", half))
    assert report.created > 3
    return half


def _direct_skill_counts(s, f: Filters) -> dict[int, int]:
    """The figure the aggregates replace, counted straight from the vacancy tables."""
    stmt = (
        select(VacancySkill.skill_id, func.count(distinct(Vacancy.id)))
        .join(Vacancy, Vacancy.id == VacancySkill.vacancy_id)
        .where(VacancySkill.method.in_(f.methods))
        .group_by(VacancySkill.skill_id)
    )
    return {k: int(v) for k, v in s.execute(f.where(stmt))}


def _by_uri(result, field="count"):
    return {i["uri"]: i[field] for i in result["items"]}


def test_figures_equal_direct_counts_and_a_new_import_changes_them(db_url, tmp_path):
    _setup(db_url, tmp_path)
    with session_scope(db_url) as s:
        before = demand(s, "skill", limit=1000)
        gaps_before = gaps(s, limit=1000)
        gen_before = stored_generation(s)
        assert before["items"], "the imported ads carry skills"
        direct = _direct_skill_counts(s, Filters().check())
        ids = dict(s.execute(select(SkillCell.skill_id, SkillCell.skill_id).distinct()).all())
        assert set(ids) == set(direct)
        assert sorted(i["count"] for i in before["items"]) == sorted(float(v) for v in direct.values())
        assert before["total_vacancies"] == s.execute(select(func.count()).select_from(Vacancy)).scalar_one()
        for f in (Filters(region="PL8"), Filters(country="PL", month_from="2021-07"), Filters(methods=("declared",))):
            expected = sorted(float(v) for v in _direct_skill_counts(s, f.check()).values())
            assert sorted(i["count"] for i in demand(s, "skill", f, limit=1000)["items"]) == expected
    # a second source: the whole slice again, as new vacancies
    report = import_vacancies(db_url, _source("pl-b"))
    assert report.created > 0
    with session_scope(db_url) as s:
        after = demand(s, "skill", limit=1000)
        gaps_after = gaps(s, limit=1000)
        assert stored_generation(s) != gen_before
        assert after["total_vacancies"] == before["total_vacancies"] + report.created
        assert after["total_vacancies"] == s.execute(select(func.count()).select_from(Vacancy)).scalar_one()
        direct = _direct_skill_counts(s, Filters().check())
        assert sorted(i["count"] for i in after["items"]) == sorted(float(v) for v in direct.values())
    assert _by_uri(after) != _by_uri(before)
    assert gaps_after["total_vacancies"] > gaps_before["total_vacancies"]


def test_course_tags_curation_and_withdrawal_change_the_gaps(db_url, tmp_path):
    _setup(db_url, tmp_path)
    with session_scope(db_url) as s:
        top = gaps(s, limit=1)["items"][0]
        assert top["courses"] == 0
        skill_id = s.execute(
            select(SkillCell.skill_id).where(SkillCell.skill_id.in_(_skill_ids(s, top["uri"]))).limit(1)
        ).scalar_one()
        provider = Provider(code="t", name="Test")
        s.add(provider)
        s.flush()
        course = Course(key="t:1", provider_id=provider.id, title="A course", language="pl")
        s.add(course)
        s.flush()
        s.add(CourseSkill(course_id=course.id, skill_id=skill_id, score=1.0))
        course_id = course.id
    with session_scope(db_url) as s:  # a new tag
        assert _courses(s, top["uri"]) == 1
        assert _courses(s, top["uri"], lang="pl") == 1 and _courses(s, top["uri"], lang="en") == 0
    with session_scope(db_url) as s:  # curation: the tag rejected
        tag = s.execute(select(CourseSkill).where(CourseSkill.course_id == course_id)).scalar_one()
        tag.status = "rejected"
    with session_scope(db_url) as s:
        assert _courses(s, top["uri"]) == 0
    with session_scope(db_url) as s:  # accepted again, then the course withdrawn
        s.execute(select(CourseSkill).where(CourseSkill.course_id == course_id)).scalar_one().status = "accepted"
    with session_scope(db_url) as s:
        assert _courses(s, top["uri"]) == 1
        s.get(Course, course_id).withdrawn_at = utcnow()
    with session_scope(db_url) as s:
        assert _courses(s, top["uri"]) == 0


def test_unchanged_data_is_not_recomputed_and_a_write_in_the_same_session_is_seen(db_url, tmp_path):
    _setup(db_url, tmp_path)
    with session_scope(db_url) as s:
        gen = ensure_current(s)
        built = s.get(AggregateState, 1).built_at
    with session_scope(db_url) as s:
        assert ensure_current(s) == gen == fingerprint(s)
        assert s.get(AggregateState, 1).built_at == built
        total = demand(s, "skill")["total_vacancies"]
        v = s.execute(select(Vacancy).limit(1)).scalar_one()
        s.add(
            Vacancy(
                source="x",
                record_id="1",
                content_hash="x",
                title="x",
                country=v.country,
                nuts_code=v.nuts_code,
                month=v.month,
            )
        )
        s.flush()
        assert demand(s, "skill")["total_vacancies"] == total + 1


def _skill_ids(s, uri):
    from emclm.taxonomy.models import Concept

    return list(s.execute(select(Concept.id).where(Concept.uri == uri)).scalars())


def _courses(s, uri, lang=None):
    items = {i["uri"]: i for i in gaps(s, lang=lang, limit=1000)["items"]}
    return items[uri]["courses"]
