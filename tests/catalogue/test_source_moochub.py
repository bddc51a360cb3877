"""MOOChub source: v1-era recorded data, v2.3 and v3 pages served over local HTTP."""

from __future__ import annotations

import json
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures" / "sources"))
from emclm_testserver import FIXTURES, fast_fetcher, local_server  # noqa: E402,F401

from emclm.catalogue.sources.moochub import ACCEPT, MOOChubSource, record_validator  # noqa: E402
from emclm.ingest import SourceConfig  # noqa: E402

MOOCHUB = FIXTURES / "moochub"
V3 = "application/vnd.api+json; moochub-version=3"


def _serve(server, path: str, fixture: str, content_type: str = V3, headers: dict | None = None) -> str:
    body = (MOOCHUB / fixture).read_text(encoding="utf-8").replace("{base}", server.base)
    server.routes[path] = (200, {"Content-Type": content_type, **(headers or {})}, body.encode("utf-8"))
    return server.url(path.split("?")[0])


def _source(url: str, **options) -> MOOChubSource:
    return MOOChubSource(SourceConfig(name="hub", kind="moochub", url=url, options=options), fast_fetcher())


def _serve_v3(server, broken_page2: bool = False) -> str:
    _serve(server, "/bridges/moochub/courses", "v3_page1.json")
    _serve(server, "/bridges/moochub/courses?page=1", "v3_page1.json")
    if broken_page2:
        server.routes["/bridges/moochub/courses?page=2"] = (200, {"Content-Type": V3}, b'{"data": [')
    else:
        _serve(server, "/bridges/moochub/courses?page=2", "v3_page2.json")
    return server.url("/bridges/moochub/courses")


def test_v3_pages_follow_links_next(local_server):
    source = _source(_serve_v3(local_server))
    items = list(source.items())
    assert len(items) == 4
    hits = local_server.hits("/bridges/moochub/courses")
    assert [h.query for h in hits] == ["", "page=2"]
    assert all(h.headers["accept"] == ACCEPT for h in hits)
    assert source.served_versions == {"3"}

    full = items[0].record  # the spec's own complete example
    assert full.source_record_id == "8978f51e-770c-4d0a-a2e3-23fae8f6aa79"
    assert full.platform_course_id == "CourseComplete23"
    assert full.provider_code == "openhpi" and full.provider_name == "openHPI"
    assert full.language == "en" and full.duration_weeks == 2
    assert full.hours_per_week == 3 and full.workload_hours == 6
    assert full.price == Decimal("0") and full.free_audit is True and full.currency == "EUR"
    assert full.certificate_type == "paid" and full.certificate_price == Decimal("50")
    assert full.ects_credits is None  # numberOfCredits 0
    assert full.declared_skills == ["PROTECTING PERSONAL DATA AND PRIVACY"]  # DigComp: a name, not a URI
    assert full.keywords[:2] == ["cyber security", "internet"]
    assert [(r.start_date, r.end_date) for r in full.runs] == [(date(2021, 1, 13), date(2021, 1, 27))]
    assert full.runs[0].enrolment_start == date(2022, 1, 1)
    assert "NOT REAL" in full.description and "<b>" not in full.description

    dl = items[1].record
    assert dl.title == "Data Literacy & Statistik"
    assert dl.declared_skills == [
        "http://data.europa.eu/esco/skill/1f1a5e0a-9b49-4f7b-a6b7-1e0b1b5c8b6a",
        "Daten bewerten",
    ]
    assert dl.languages == ["de", "en"]
    assert dl.hours_per_week == round(12 * 12 / 52, 2)
    assert dl.price == Decimal("120.0") and dl.free_audit is False
    assert dl.certificate_type == "paid" and dl.ects_credits == 2.5
    assert dl.subject == "0542" and dl.subject_label == "Statistics"
    assert dl.organisation_name == "Universität Hamburg" and dl.provider_name == "KI-Campus"
    assert dl.pace == "self_paced"
    assert [r.start_date for r in dl.runs] == [date(2025, 2, 3), date(2025, 9, 1)]
    assert [r.end_date for r in dl.runs] == [date(2025, 3, 17), date(2025, 10, 13)]

    noname, noid = items[2].error, items[3].error
    assert (noname.source, noname.record_id, noname.field_name) == (
        "hub",
        "5e0b7e0e-0000-4000-8000-00000000dead",
        "attributes.name",
    )
    assert noid.field_name == "id" and noid.record_id.endswith("page=2#1")
    assert items[3].checkpoint == {"url": local_server.url("/bridges/moochub/courses?page=2"), "skip": 2}
    assert source.complete


def test_v3_resume_from_checkpoint(local_server):
    _serve_v3(local_server)
    source = _source(local_server.url("/bridges/moochub/courses"))
    items = list(source.items({"url": local_server.url("/bridges/moochub/courses?page=2"), "skip": 1}))
    assert len(items) == 1 and items[0].error.field_name == "id" and not source.complete


def test_broken_second_page_keeps_first_page(local_server):
    source = _source(_serve_v3(local_server, broken_page2=True))
    items = list(source.items())
    assert [bool(i.record) for i in items] == [True, True, False]
    assert items[2].error.field_name == "page" and "malformed JSON" in items[2].error.message
    assert not source.complete


def test_real_oncampus_v1_data_with_quirks(local_server):
    url = _serve(
        local_server, "/hub", "mammooc_mooin_oncampus_moochub_v1.json", content_type="application/vnd.api+json"
    )
    source = _source(url, provider_code="oncampus")
    items = list(source.items())
    assert len(items) == 2 and all(i.record for i in items)
    first, second = items[0].record, items[1].record
    assert first.provider_code == "oncampus" and first.provider_name == "oncampus GmbH"
    assert first.platform_course_id == "oncampus-MOOC-oin-2016-002518"
    assert first.languages == ["de", "ar"]
    # workload 1080 is minutes for the whole course: 18 h over 6 weeks
    assert first.workload_hours == 18 and first.duration_weeks == 6 and first.hours_per_week == 3
    assert first.organisation_name == "Fachhochschule Lübeck"
    assert first.image_url.startswith("http://moodalis.oncampus.de/")
    assert first.free_audit is False  # access: ["paid"]
    assert first.runs[0].start_date == date(2016, 10, 15)
    assert second.free_audit is True and second.description.startswith("Was erwartet dich")
    # both fail the v2.3 schema (no courseLicenses …) but are imported; the problems are warnings
    warned = {(w.record_id, w.field_name) for w in source.warnings}
    assert ("7fb8bf5bcccb7560ab56c02b19d9cb97", "attributes.workload") in warned
    assert any(
        w.message.startswith("MOOChub v2 schema") and w.record_id == "04c99073eb53d13bab526141ab872f30"
        for w in source.warnings
    )
    assert source.complete  # empty links.next ends paging


def test_v2_3_imoox_like_quirks(local_server):
    url = _serve(
        local_server,
        "/mooc/local/moochubs/classes/webservice.php",
        "v2_3_imoox_like.json",
        content_type="application/vnd.api+json; moochub-version=2.3",
        headers={"Sunset": "Wed, 31 Dec 2025 23:59:59 GMT"},
    )
    source = _source(url)
    items = list(source.items())
    rec, quirky = items[0].record, items[1].record
    assert source.served_versions == {"2.3"} and source.sunset
    assert rec.title == "Gender & Diversity in der Lehre"
    assert rec.provider_code == "imoox-at"
    assert rec.learning_outcomes == ["Vielfalt erkennen", "Lehre & Inklusion gestalten"]
    assert rec.description == "Ein Kurs über Vielfalt."
    assert rec.hours_per_week == 3 and rec.workload_hours == 24
    assert rec.language == "de" and rec.organisation_name == "TU Graz"
    assert rec.free_audit is True and rec.price == Decimal("0")
    assert quirky.free_audit is False  # string boolean "false"
    assert quirky.languages == [] and quirky.hours_per_week is None and quirky.runs == []
    warned = {(w.record_id, w.field_name) for w in source.warnings}
    assert {("imoox-188", "attributes.languages"), ("imoox-188", "attributes.workload"), (None, "Sunset")} <= warned
    # a schema-valid record gets no schema warning
    assert not [w for w in source.warnings if w.record_id == "imoox-187" and "schema" in w.message]


def test_single_object_data_and_schema_warning_for_invalid_v3(local_server):
    doc = json.loads((MOOCHUB / "MOOChub_schema_v3_yml_example_openHPI.json").read_text())
    doc["links"] = {"self": "x", "first": "x", "last": "x"}
    doc["data"]["attributes"]["inLanguage"] = "en"  # should be an array
    local_server.routes["/one"] = (200, {"Content-Type": V3}, json.dumps(doc).encode())
    source = _source(local_server.url("/one"))
    (item,) = list(source.items())
    assert item.record.language == "en"
    fields = [w.field_name for w in source.warnings if "schema" in w.message]
    assert "attributes.inLanguage" in fields


def test_shipped_schema_checks_the_spec_example():
    # The v3 spec's own "complete example" does not validate against the v3 schema: exactly these
    # five places (a missing educationalFrameworkVersion and url, competencyRequired shapes).
    doc = json.loads((MOOCHUB / "MOOChub_schema_v3_yml_example_openHPI.json").read_text())
    paths = sorted(".".join(map(str, e.absolute_path)) for e in record_validator("3").iter_errors(doc["data"]))
    assert paths == [
        "attributes.competencyRequired.0",
        "attributes.competencyRequired.1",
        "attributes.educationalAlignment.0",
        "attributes.hasPart.0.competencyRequired.0",
        "attributes.isPartOf.0",
    ]
    missing = {e.message for e in record_validator("3").iter_errors({"id": "x", "type": "Course", "attributes": {}})}
    assert "'name' is a required property" in missing and "'license' is a required property" in missing


def test_paging_loop_is_stopped(local_server):
    body = {
        "links": {"self": "a", "first": "a", "last": "a", "next": local_server.url("/loop")},
        "data": [{"id": "1", "type": "courses", "attributes": {"name": "Loop"}}],
    }
    local_server.routes["/loop"] = (200, {"Content-Type": V3}, json.dumps(body).encode())
    source = _source(local_server.url("/loop"))
    assert len(list(source.items())) == 1
    assert any(w.field_name == "links.next" for w in source.warnings)


def test_unsupported_version_406_is_a_page_error(local_server):
    problem = b'{"type": "about:blank", "title": "Not Acceptable", "status": 406}'
    local_server.routes["/hub"] = (406, {"Content-Type": "application/problem+json"}, problem)
    source = _source(local_server.url("/hub"))
    items = list(source.items())
    assert len(items) == 1 and "HTTP 406" in items[0].error.message and not source.complete


def test_records_read_as_latin1_but_declared_utf8(local_server):
    body = '{"links": {}, "data": [{"id": "1", "type": "courses", "attributes": {"name": "Café"}}]}'
    local_server.routes["/hub"] = (
        200,
        {"Content-Type": "application/vnd.api+json; charset=utf-8"},
        body.encode("latin-1"),
    )
    source = _source(local_server.url("/hub"))
    items = list(source.items())
    assert len(items) == 1 and "UTF-8" in items[0].error.message and not source.complete


def test_request_header_and_no_url():
    source = MOOChubSource(SourceConfig(name="hub", kind="moochub"), fast_fetcher())
    (item,) = list(source.items())
    assert item.error.field_name == "url"
