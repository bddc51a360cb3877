"""Harvest runs: counting, cheap unchanged reruns, withdrawal, errors, resume, not-modified, push."""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harvest_support import ListSource, make_record  # noqa: E402

from emclm.catalogue.harvest import harvest, ingest  # noqa: E402
from emclm.catalogue.models import Course, CourseRun, CourseSource, HarvestRun, HarvestState  # noqa: E402
from emclm.db.session import session_scope  # noqa: E402
from emclm.ingest import SourceItem  # noqa: E402


def _count(url, model, *where) -> int:
    with session_scope(url) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def _snapshot(url):
    with session_scope(url) as s:
        return {c.key: (c.id, c.updated_at, c.title, c.withdrawn_at) for c in s.scalars(select(Course))}


def test_counts_and_an_unchanged_rerun_writes_nothing(db_url):
    records = [make_record(i) for i in range(12)]
    first = harvest(ListSource("t", records), db_url, batch_size=5)
    assert (first.created, first.updated, first.unchanged, first.withdrawn, first.failed) == (12, 0, 0, 0, 0)
    assert first.status == "complete"
    before = _snapshot(db_url)
    with session_scope(db_url) as s:
        runs_before = {r.id: r.updated_at for r in s.scalars(select(CourseRun))}
    second = harvest(ListSource("t", records), db_url, batch_size=5)
    assert (second.created, second.updated, second.unchanged, second.withdrawn) == (0, 0, 12, 0)
    assert _snapshot(db_url) == before
    with session_scope(db_url) as s:
        assert {r.id: r.updated_at for r in s.scalars(select(CourseRun))} == runs_before
        log = s.scalars(select(HarvestRun).order_by(HarvestRun.id)).all()
        assert [(r.status, r.created, r.unchanged) for r in log] == [("complete", 12, 0), ("complete", 0, 12)]


def test_changed_record_updates_in_place(db_url):
    harvest(ListSource("t", [make_record(i) for i in range(3)]), db_url)
    before = _snapshot(db_url)
    report = harvest(ListSource("t", [make_record(0), make_record(1, title="New"), make_record(2)]), db_url)
    assert (report.updated, report.unchanged) == (1, 2)
    after = _snapshot(db_url)
    assert after["testmooc:course-1"][0] == before["testmooc:course-1"][0]
    assert after["testmooc:course-1"][2] == "New"
    assert after["testmooc:course-0"] == before["testmooc:course-0"]


def test_record_gone_from_complete_run_is_withdrawn_then_reappears(db_url):
    harvest(ListSource("t", [make_record(i) for i in range(4)]), db_url)
    report = harvest(ListSource("t", [make_record(i) for i in (0, 1, 3)]), db_url)
    assert report.withdrawn == 1
    snap = _snapshot(db_url)
    assert len(snap) == 4  # never deleted
    assert snap["testmooc:course-2"][3] is not None
    assert [k for k, v in snap.items() if v[3] is not None] == ["testmooc:course-2"]
    back = harvest(ListSource("t", [make_record(i) for i in range(4)]), db_url)
    assert (back.updated, back.unchanged, back.withdrawn) == (1, 3, 0)
    again = _snapshot(db_url)
    assert again["testmooc:course-2"][0] == snap["testmooc:course-2"][0]
    assert again["testmooc:course-2"][3] is None


def test_partial_pass_and_empty_pass_withdraw_nothing(db_url):
    harvest(ListSource("t", [make_record(i) for i in range(3)]), db_url)
    partial = harvest(ListSource("t", [make_record(0)], complete=False), db_url)
    assert (partial.status, partial.withdrawn) == ("partial", 0)
    runs = _count(db_url, HarvestRun)
    empty = harvest(ListSource("t", []), db_url)
    assert (empty.status, empty.withdrawn) == ("empty", 0)
    # a 304 as the protocol sources report it: nothing yielded, pass marked incomplete
    unchanged_feed = harvest(ListSource("t", [], complete=False), db_url)
    assert unchanged_feed.status == "not_modified"
    assert _count(db_url, HarvestRun) == runs  # neither wrote anything
    assert _count(db_url, Course, Course.withdrawn_at.is_not(None)) == 0


def test_killed_after_the_last_batch_the_resume_finishes_the_pass(db_url):
    harvest(ListSource("t", [make_record(i) for i in range(7)]), db_url)
    records = [make_record(i) for i in range(6)]
    cut = harvest(ListSource("t", records, fail_after=6), db_url, batch_size=3)
    assert cut.status == "interrupted" and cut.unchanged == 6
    resumed = harvest(ListSource("t", records), db_url, batch_size=3)
    assert resumed.resumed and (resumed.status, resumed.seen, resumed.withdrawn) == ("complete", 0, 1)


def test_two_sources_one_course_two_provenances(db_url):
    harvest(
        ListSource("aggregator", [make_record(1, platform_course_id=None, source_record_id="agg-1")]),
        db_url,
        priority=0,
    )
    report = harvest(ListSource("platform", [make_record(1)]), db_url, priority=10)
    assert report.updated == 1 and report.created == 0
    assert _count(db_url, Course) == 1
    with session_scope(db_url) as s:
        assert sorted(s.scalars(select(CourseSource.source))) == ["aggregator", "platform"]


def test_bad_records_are_counted_with_source_record_field_and_the_batch_goes_on(db_url):
    source = ListSource(
        "t",
        [
            make_record(0),
            SourceItem(error=None),
            make_record(1, eqf_level=42),
            make_record(2),
        ],
    )
    source.records[1] = source.error("raw-7", "start_date", "unparseable date '31/31/2020'")
    report = harvest(source, db_url, batch_size=10)
    assert (report.created, report.failed) == (2, 2)
    assert {(e.source, e.record_id, e.field) for e in report.errors} == {
        ("t", "raw-7", "start_date"),
        ("t", "rec-1", "eqf_level"),
    }
    assert _count(db_url, Course) == 2
    with session_scope(db_url) as s:
        run = s.scalars(select(HarvestRun)).one()
        assert run.failed == 2 and {e["field"] for e in run.errors} == {"start_date", "eqf_level"}


def test_record_failing_later_is_not_withdrawn(db_url):
    harvest(ListSource("t", [make_record(0), make_record(1)]), db_url)
    report = harvest(ListSource("t", [make_record(0), make_record(1, pace="sometimes")]), db_url)
    assert (report.failed, report.withdrawn) == (1, 0)
    assert _count(db_url, Course, Course.withdrawn_at.is_not(None)) == 0


def test_source_failing_midway_keeps_committed_batches_and_next_run_resumes(db_url):
    records = [make_record(i) for i in range(10)]
    harvest(ListSource("t", records + [make_record(99)]), db_url)  # an earlier complete pass saw 99 too
    broken = ListSource("t", records, fail_after=7)
    report = harvest(broken, db_url, batch_size=3)
    assert report.status == "interrupted" and "feed went away" in report.errors[-1].message
    assert report.withdrawn == 0
    with session_scope(db_url) as s:
        state = s.get(HarvestState, "t")
        assert (state.status, state.checkpoint) == ("running", 6)  # two batches of 3 committed
    resumed_source = ListSource("t", records)
    resumed = harvest(resumed_source, db_url, batch_size=3)
    assert resumed.resumed and resumed_source.started_from == 6
    assert (resumed.status, resumed.withdrawn) == ("complete", 1)  # only 99; 0–5 were seen before the failure
    with session_scope(db_url) as s:
        withdrawn = s.scalars(select(CourseSource.record_id).where(CourseSource.withdrawn_at.is_not(None))).all()
        assert withdrawn == ["rec-99"]
        assert s.get(HarvestState, "t").status == "complete"


class _Fetcher:
    def __init__(self):
        self.validators: dict = {}


def test_validators_are_kept_and_a_not_modified_feed_writes_nothing(db_url):
    source = ListSource("t", [make_record(0)])
    source.fetch = _Fetcher()
    source.fetch.validators["https://feed.example/courses"] = {"etag": '"v1"'}
    harvest(source, db_url)
    with session_scope(db_url) as s:
        assert s.get(HarvestState, "t").validators == {"https://feed.example/courses": {"etag": '"v1"'}}
        runs_before = s.scalar(select(func.count()).select_from(HarvestRun))
    before = _snapshot(db_url)

    class NotModified(ListSource):
        def items(self, checkpoint=None):
            # the fetcher got the stored validators back and the server answered 304
            assert self.fetch.validators == {"https://feed.example/courses": {"etag": '"v1"'}}
            self.not_modified = True
            return iter(())

    again = NotModified("t", [])
    again.fetch = _Fetcher()
    report = harvest(again, db_url)
    assert report.status == "not_modified"
    assert _snapshot(db_url) == before
    assert _count(db_url, HarvestRun) == runs_before
    assert _count(db_url, Course, Course.withdrawn_at.is_not(None)) == 0


def test_deleted_signal_withdraws_the_record(db_url):
    harvest(ListSource("t", [make_record(0), make_record(1)]), db_url)
    report = harvest(ListSource("t", [make_record(0), SourceItem(deleted_id="rec-1")], complete=False), db_url)
    assert report.withdrawn == 1
    assert _count(db_url, Course, Course.withdrawn_at.is_not(None)) == 1


def test_ingest_pushes_without_withdrawing(db_url):
    harvest(ListSource("richie", [make_record(0), make_record(1)]), db_url)
    report = ingest([make_record(1, title="Pushed"), make_record(2)], "richie", db_url)
    assert (report.created, report.updated, report.withdrawn) == (1, 1, 0)
    assert _count(db_url, Course) == 3 and _count(db_url, Course, Course.withdrawn_at.is_not(None)) == 0


def test_a_record_the_database_refuses_fails_alone(db_url):
    # keywords that cannot be stored as JSON get past validation; the database layer refuses them,
    # the batch is redone record by record and only that record fails
    records = [make_record(0), make_record(1, keywords=[{"a", "set"}]), make_record(2)]
    report = harvest(ListSource("t", records), db_url, batch_size=10)
    assert (report.created, report.failed) == (2, 1)
    assert report.errors[0].record_id == "rec-1" and "database rejected" in report.errors[0].message
    with session_scope(db_url) as s:
        assert sorted(s.scalars(select(Course.key))) == ["testmooc:course-0", "testmooc:course-2"]
        assert s.scalar(select(func.count()).select_from(CourseRun)) == 4
        assert s.scalars(select(HarvestRun.failed)).one() == 1
