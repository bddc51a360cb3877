"""The catalogue store: identity, change detection, provenance, precedence, withdrawal."""

from __future__ import annotations

import dataclasses
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harvest_support import make_record  # noqa: E402

from emclm.catalogue.models import Course, CourseRun, CourseSource, HarvestState, Organisation, Provider  # noqa: E402
from emclm.catalogue.records import CourseRunRecord  # noqa: E402
from emclm.catalogue.store import normalise_url, upsert, withdraw_missing, withdraw_records  # noqa: E402
from emclm.db.base import utcnow  # noqa: E402
from emclm.db.session import session_scope  # noqa: E402
from emclm.ingest import RecordError  # noqa: E402


def _course(session, key: str) -> Course:
    return session.scalars(select(Course).where(Course.key == key)).one()


def test_created_then_unchanged_then_updated_in_place(db_url):
    with session_scope(db_url) as s:
        assert upsert(s, "src", make_record(1)) == "created"
    with session_scope(db_url) as s:
        first = _course(s, "testmooc:course-1")
        course_id, updated_at, changed_at = first.id, first.updated_at, first.last_changed_at
        assert upsert(s, "src", make_record(1)) == "unchanged"
    with session_scope(db_url) as s:
        c = _course(s, "testmooc:course-1")
        assert (c.updated_at, c.last_changed_at) == (updated_at, changed_at)
        assert upsert(s, "src", make_record(1, title="Course 1, second edition")) == "updated"
    with session_scope(db_url) as s:
        c = _course(s, "testmooc:course-1")
        assert c.id == course_id
        assert c.title == "Course 1, second edition"
        assert c.last_changed_at > changed_at
        assert s.scalar(select(func.count()).select_from(Course)) == 1


def test_unchanged_record_only_moves_last_seen(db_url):
    with session_scope(db_url) as s:
        upsert(s, "src", make_record(2))
    with session_scope(db_url) as s:
        before_runs = {r.run_key: r.updated_at for r in s.scalars(select(CourseRun))}
        before_seen = s.scalars(select(CourseSource.last_seen_at)).one()
        before_org = s.scalars(select(Organisation.updated_at)).one()
    with session_scope(db_url) as s:
        assert upsert(s, "src", make_record(2)) == "unchanged"
    with session_scope(db_url) as s:
        assert {r.run_key: r.updated_at for r in s.scalars(select(CourseRun))} == before_runs
        assert s.scalars(select(Organisation.updated_at)).one() == before_org
        assert s.scalars(select(CourseSource.last_seen_at)).one() > before_seen


def test_changed_runs_are_upserted_by_run_key_and_missing_runs_withdrawn(db_url):
    with session_scope(db_url) as s:
        upsert(s, "src", make_record(3, runs=2))
    with session_scope(db_url) as s:
        ids = {r.run_key: r.id for r in s.scalars(select(CourseRun))}
    rec = make_record(3, runs=2)
    rec.runs = [
        dataclasses.replace(rec.runs[1], end_date=date(2026, 6, 30)),
        CourseRunRecord(run_key="3-r9", start_date=date(2027, 1, 1)),
    ]
    with session_scope(db_url) as s:
        assert upsert(s, "src", rec) == "updated"
    with session_scope(db_url) as s:
        runs = {r.run_key: r for r in s.scalars(select(CourseRun))}
        assert set(runs) == {"3-r0", "3-r1", "3-r9"}  # never deleted
        assert runs["3-r0"].withdrawn_at is not None
        assert runs["3-r1"].id == ids["3-r1"] and runs["3-r1"].end_date == date(2026, 6, 30)
        assert runs["3-r1"].withdrawn_at is None and runs["3-r9"].withdrawn_at is None
    # the run comes back: un-withdrawn, same row
    with session_scope(db_url) as s:
        assert upsert(s, "src", make_record(3, runs=2)) == "updated"
    with session_scope(db_url) as s:
        runs = {r.run_key: r for r in s.scalars(select(CourseRun))}
        assert runs["3-r0"].id == ids["3-r0"] and runs["3-r0"].withdrawn_at is None
        assert runs["3-r9"].withdrawn_at is not None


def test_aggregator_and_platform_make_one_course_with_two_provenances(db_url):
    with session_scope(db_url) as s:
        s.add_all(
            [
                HarvestState(source="platform", priority=10, validators={}, status="idle"),
                HarvestState(source="aggregator", priority=0, validators={}, status="idle"),
            ]
        )
    # the aggregator knows only the URL (with tracking noise); the platform knows its own id
    aggregated = make_record(
        4,
        title="Course 4 (as listed)",
        platform_course_id=None,
        source_record_id="cc-4",
        url="HTTP://testmooc.example/courses/4?utm_source=cc",
    )
    own = make_record(4, title="Course 4")
    with session_scope(db_url) as s:
        assert upsert(s, "aggregator", aggregated) == "created"
    with session_scope(db_url) as s:
        assert upsert(s, "platform", own) == "updated"
    with session_scope(db_url) as s:
        course = s.scalars(select(Course)).one()
        assert course.key == "testmooc:course-4"  # the stronger key won
        assert course.title == "Course 4"
        assert {(p.source, p.record_id) for p in course.sources} == {("aggregator", "cc-4"), ("platform", "rec-4")}
    # a later aggregator change does not override the platform's own description
    with session_scope(db_url) as s:
        assert upsert(s, "aggregator", dataclasses.replace(aggregated, title="Course 4 (renamed)")) == "updated"
    with session_scope(db_url) as s:
        assert s.scalars(select(Course.title)).one() == "Course 4"
        assert s.scalar(select(func.count()).select_from(Course)) == 1


def test_platform_first_then_aggregator_keeps_platform_content(db_url):
    with session_scope(db_url) as s:
        upsert(s, "platform", make_record(5, title="Own title"), priority=10)
    with session_scope(db_url) as s:
        upsert(
            s,
            "aggregator",
            make_record(5, title="Listed title", platform_course_id=None, source_record_id="x"),
            priority=0,
        )
    with session_scope(db_url) as s:
        assert s.scalars(select(Course.title)).all() == ["Own title"]
        assert s.scalar(select(func.count()).select_from(CourseSource)) == 2


def test_withdraw_missing_never_deletes_and_reappearance_restores(db_url):
    start = utcnow()
    with session_scope(db_url) as s:
        for n in (6, 7):
            upsert(s, "src", make_record(n))
    pass_start = utcnow()
    with session_scope(db_url) as s:
        upsert(s, "src", make_record(6))  # seen again in the new pass; 7 is not
        assert withdraw_missing(s, "src", None, pass_start) == 1
    with session_scope(db_url) as s:
        seven = _course(s, "testmooc:course-7")
        assert seven.withdrawn_at is not None
        assert seven.sources[0].withdrawn_at is not None
        assert _course(s, "testmooc:course-6").withdrawn_at is None
        seven_id = seven.id
    with session_scope(db_url) as s:
        assert upsert(s, "src", make_record(7)) == "updated"  # same content, but it is back
    with session_scope(db_url) as s:
        seven = _course(s, "testmooc:course-7")
        assert seven.id == seven_id and seven.withdrawn_at is None and seven.sources[0].withdrawn_at is None
    assert start < pass_start


def test_course_stays_while_another_source_still_lists_it(db_url):
    with session_scope(db_url) as s:
        upsert(s, "a", make_record(8))
        upsert(s, "b", make_record(8, source_record_id="b-8"))
    with session_scope(db_url) as s:
        assert withdraw_records(s, "a", ["rec-8"]) == 1
    with session_scope(db_url) as s:
        assert s.scalars(select(Course.withdrawn_at)).one() is None
        withdraw_records(s, "b", ["b-8"])
    with session_scope(db_url) as s:
        assert s.scalars(select(Course.withdrawn_at)).one() is not None


@pytest.mark.parametrize(
    "change, field_name",
    [
        ({"eqf_level": 12}, "eqf_level"),
        ({"pace": "whenever"}, "pace"),
        ({"title": "x" * 1025}, "title"),
        ({"title": "  "}, "title"),
        ({"workload_hours": "lots"}, "workload_hours"),
        ({"runs": [CourseRunRecord(run_key="a", start_date="2026-01-01")]}, "runs[0].start_date"),
        ({"runs": [CourseRunRecord(run_key="a"), CourseRunRecord(run_key="a")]}, "runs[1].run_key"),
    ],
)
def test_bad_record_names_source_record_and_field(sqlite_url, change, field_name):
    from emclm.db.migrate import upgrade

    upgrade(sqlite_url)
    with session_scope(sqlite_url) as s:
        with pytest.raises(RecordError) as info:
            upsert(s, "src", make_record(9, **change))
    assert (info.value.source, info.value.record_id, info.value.field_name) == ("src", "rec-9", field_name)
    with session_scope(sqlite_url) as s:
        assert s.scalar(select(func.count()).select_from(Course)) == 0
        assert s.scalar(select(func.count()).select_from(Provider)) == 0


def test_normalise_url_ignores_noise_but_keeps_the_page():
    assert normalise_url("https://www.FutureLearn.com/courses/x/?utm_medium=a#top") == "futurelearn.com/courses/x"
    assert normalise_url("http://futurelearn.com/courses/x") == "futurelearn.com/courses/x"
    assert normalise_url("https://futurelearn.com/courses/y") != normalise_url("https://futurelearn.com/courses/x")
    assert normalise_url("mailto:someone@example.org") is None


def test_one_batch_with_the_same_course_twice_makes_one_course(db_url):
    from emclm.catalogue.store import CatalogueStore

    listed_twice = make_record(10, source_record_id="dup-a", platform_course_id=None)
    again = make_record(10, source_record_id="dup-b", platform_course_id=None, title="Course 10 again")
    same_id = make_record(11)
    with session_scope(db_url) as s:
        outcomes = CatalogueStore(s, "src").upsert_many([listed_twice, same_id, again, same_id])
    assert outcomes == ["created", "created", "updated", "updated"]
    with session_scope(db_url) as s:
        assert s.scalar(select(func.count()).select_from(Course)) == 2
        assert sorted(s.scalars(select(CourseSource.record_id))) == ["dup-a", "dup-b", "rec-11"]
        assert s.scalar(select(func.count()).select_from(CourseRun)) == 4


def test_fast_record_hash_is_the_records_own_content_hash():
    import hashlib
    import json
    from dataclasses import asdict

    def record_hash(record):  # the reference digest: asdict and its deep copy
        return hashlib.sha256(
            json.dumps(asdict(record), sort_keys=True, default=str, ensure_ascii=False).encode()
        ).hexdigest()

    records = [
        make_record(12),
        make_record(
            13,
            title_i18n={"fr": "Cours", "en": "Course"},
            keywords=["a", "b"],
            price=Decimal("49.90"),
            runs=[CourseRunRecord(run_key="x", start_date=date(2026, 1, 1), price=Decimal("10"))],
        ),
        make_record(14, runs=0, description=None, eqf_level=5, free_audit=True, declared_skills=["http://x/1"]),
    ]
    for record in records:
        assert record_hash(record) == record.content_hash()
    assert records[0].content_hash() != make_record(12, title="Other").content_hash()


def test_spellings_of_one_organisation_make_one_organisation(db_url):
    """The store files organisations under ``normalise.organisation_key``: "Univ. of Michigan" and "The
    University of Michigan" (one organisation named two ways by two records) are one organisation."""
    with session_scope(db_url) as s:
        upsert(s, "feed", make_record(1, organisation_name="Univ. of Michigan"))
        upsert(s, "feed", make_record(2, organisation_name="The University of Michigan"))
        upsert(s, "feed", make_record(3, organisation_name="Michigan State University"))
    with session_scope(db_url) as s:
        orgs = {o.key: o for o in s.scalars(select(Organisation))}
        assert set(orgs) == {"university of michigan", "michigan state university"}
        by_course = {c.key: c.organisation_id for c in s.scalars(select(Course))}
        assert by_course["testmooc:course-1"] == by_course["testmooc:course-2"] == orgs["university of michigan"].id
        assert by_course["testmooc:course-3"] == orgs["michigan state university"].id
        assert orgs["university of michigan"].name == "Univ. of Michigan"  # the first spelling seen
