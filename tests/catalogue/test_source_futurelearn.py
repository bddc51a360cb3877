"""FutureLearn feed source: the real recorded feed and broken feeds, served over local HTTP."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures" / "sources"))
from emclm_testserver import Request, fast_fetcher, local_server  # noqa: E402,F401

from emclm.catalogue.sources.futurelearn import FutureLearnSource  # noqa: E402
from emclm.ingest import SourceConfig  # noqa: E402


def _source(server, fixture: str, **fetch_kwargs):
    url = server.add_file("/feeds/courses", f"futurelearn/{fixture}")
    return FutureLearnSource(SourceConfig(name="fl", kind="futurelearn", url=url), fast_fetcher(**fetch_kwargs))


def test_real_recorded_feed(local_server):
    source = _source(local_server, "mammooc_future_learn_feeds_courses.json")
    items = list(source.items())
    assert len(items) == 1 and items[0].error is None
    rec = items[0].record
    assert source.kind == "futurelearn" and source.complete
    assert rec.source_record_id == "d3995b4d-3aa4-469b-abe8-3de3bfa43657"
    assert rec.provider_code == "futurelearn"
    assert rec.platform_course_id == "begin-programming"
    assert rec.url == "http://www.futurelearn.com/courses/begin-programming"
    assert rec.title == "Begin Programming: Build Your First Mobile Game"
    assert rec.description.startswith("Programming is everywhere") and "<p>" not in rec.description
    assert rec.language == "en" and rec.languages == ["en"]
    assert rec.hours_per_week == 4 and rec.duration_weeks == 7 and rec.workload_hours == 28
    assert rec.certificate_type == "paid"
    assert rec.organisation_name == "University of Reading"
    assert rec.organisation_url == "http://www.reading.ac.uk"
    assert rec.keywords == ["Online & Digital"]
    assert [r.run_key for r in rec.runs] == [
        "6f24cc01-d18f-42f8-b679-ed0830db5d32",
        "2b3b6da3-6da7-4ae2-84fe-9ddf08f91327",
        "ed6a9426-6518-453f-9a13-6e6b1b8779ca",
    ]
    assert rec.runs[0].start_date == date(2013, 10, 28)
    assert rec.runs[0].end_date == date(2013, 12, 16)
    assert items[0].checkpoint == 1


def test_broken_records_are_error_items_and_the_batch_goes_on(local_server):
    source = _source(local_server, "feed_with_broken_records.json")
    items = list(source.items())
    assert len(items) == 5
    good, no_title, no_uuid, not_object, quirky = items
    assert good.record.platform_course_id == "digital-skills-social-media"
    assert good.record.url == "https://www.futurelearn.com/courses/digital-skills-social-media"
    assert good.record.certificate_type == "none"
    assert good.record.runs[0].start_date is None and good.record.runs[0].end_date is None
    assert good.record.description == "Learn how to use social media & build an online presence."

    err = no_title.error
    assert (err.source, err.record_id, err.field_name) == ("fl", "0a7e7b2c-5f1e-4b4e-9a55-1d7b2c6f9e02", "name")
    assert no_uuid.error.field_name == "uuid" and no_uuid.error.record_id == "#2"
    assert not_object.error.record_id == "#3"

    rec = quirky.record
    assert rec.title == "Apprendre l'anglais"
    assert rec.hours_per_week is None and rec.language == "fr"
    # impossible date: run kept without a start, reported as a warning
    assert rec.runs[0].start_date is None and rec.runs[1].start_date == date(2024, 3, 4)
    fields = {(w.record_id, w.field_name) for w in source.warnings}
    assert ("0a7e7b2c-5f1e-4b4e-9a55-1d7b2c6f9e05", "hours_per_week") in fields
    assert ("0a7e7b2c-5f1e-4b4e-9a55-1d7b2c6f9e05", "runs[0].start_date") in fields


def test_resume_from_checkpoint(local_server):
    source = _source(local_server, "feed_with_broken_records.json")
    items = list(source.items(checkpoint=4))
    assert [i.record.source_record_id for i in items] == ["0a7e7b2c-5f1e-4b4e-9a55-1d7b2c6f9e05"]
    assert not source.complete  # a resumed run did not see the whole feed


def test_malformed_feed_is_one_error_item(local_server):
    source = _source(local_server, "truncated.json")
    items = list(source.items())
    assert len(items) == 1
    assert items[0].error.field_name == "page" and "malformed JSON" in items[0].error.message
    assert not source.complete


def test_not_a_list_is_one_error_item(local_server):
    url = local_server.add("/feeds/courses", b'{"courses": []}')
    source = FutureLearnSource(SourceConfig(name="fl", kind="futurelearn", url=url), fast_fetcher())
    items = list(source.items())
    assert len(items) == 1 and "JSON array" in items[0].error.message and not source.complete


def test_unchanged_feed_yields_nothing_and_is_incomplete(local_server):
    def feed(req: Request):
        if req.headers.get("if-none-match") == '"f1"':
            return 304, {}, b""
        body = (
            Path(__file__).resolve().parents[1] / "fixtures/sources/futurelearn/mammooc_future_learn_feeds_courses.json"
        ).read_bytes()
        return 200, {"ETag": '"f1"', "Content-Type": "application/json"}, body

    local_server.routes["/feeds/courses"] = feed
    fetcher = fast_fetcher()
    config = SourceConfig(name="fl", kind="futurelearn", url=local_server.url("/feeds/courses"))
    first = FutureLearnSource(config, fetcher)
    assert len(list(first.items())) == 1 and first.complete
    second = FutureLearnSource(config, fetcher)
    assert list(second.items()) == [] and not second.complete
