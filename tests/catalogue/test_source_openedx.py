"""Open edX source: LMS Course API and Course Discovery API pages served over local HTTP."""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures" / "sources"))
from emclm_testserver import FIXTURES, Request, fast_fetcher, local_server  # noqa: E402,F401

from emclm.catalogue.sources.openedx import OpenEdXSource, catalogue_key  # noqa: E402
from emclm.ingest import SourceConfig  # noqa: E402

OPENEDX = FIXTURES / "openedx"


def _serve_paged(server, path: str, prefix: str, broken_page: int | None = None):
    def handler(req: Request):
        page = int(parse_qs(req.query).get("page", ["1"])[0])
        if page == broken_page:
            return 200, {"Content-Type": "application/json"}, b"<html>Server error</html>"
        body = (OPENEDX / f"{prefix}_page{page}.json").read_text(encoding="utf-8").replace("{base}", server.base)
        return 200, {"Content-Type": "application/json"}, body.encode("utf-8")

    server.routes[path] = handler


def _source(server, **options) -> OpenEdXSource:
    options.setdefault("provider_code", "test-edx")
    return OpenEdXSource(SourceConfig(name="edx", kind="openedx", url=server.base, options=options), fast_fetcher())


def test_catalogue_key():
    assert catalogue_key("course-v1:UPValenciaX+IE101x+1T2024") == "UPValenciaX+IE101x"
    assert catalogue_key("MITx/6.002x/2012_Fall") == "MITx+6.002x"


def test_lms_runs_grouped_into_courses(local_server):
    _serve_paged(local_server, "/api/courses/v1/courses/", "lms_courses")
    source = _source(local_server, api="lms", page_size=3)
    items = list(source.items())
    hits = local_server.hits("/api/courses/v1/courses/")
    assert [parse_qs(h.query) for h in hits] == [{"page_size": ["3"]}, {"page": ["2"], "page_size": ["3"]}]
    errors = [i.error for i in items if i.error]
    records = {i.record.source_record_id: i.record for i in items if i.record}
    assert {(e.record_id, e.field_name) for e in errors} == {
        ("course-v1:PolimiX+NONAME+2024", "name"),
        (local_server.url("/api/courses/v1/courses/?page=2&page_size=3") + "#2", "id"),
    }
    assert set(records) == {"UPValenciaX+IE101x", "PolimiX+DIG01"}  # hidden run skipped
    eco = records["UPValenciaX+IE101x"]
    assert eco.platform_course_id == "UPValenciaX+IE101x" and eco.provider_code == "test-edx"
    assert [r.run_key for r in eco.runs] == [
        "course-v1:UPValenciaX+IE101x+1T2024",
        "course-v1:UPValenciaX+IE101x+1T2025",
    ]
    assert eco.title == "Introducción a la economía (2025)"  # the newest run names the course
    assert eco.pace == "self_paced" and eco.runs[0].pace == "scheduled"
    assert eco.runs[0].enrolment_start == date(2024, 1, 1) and eco.runs[1].end_date is None
    assert eco.hours_per_week == 4
    assert eco.organisation_name == "UPValenciaX"
    assert eco.url == local_server.url("/courses/course-v1:UPValenciaX+IE101x+1T2025/about")
    assert eco.image_url == local_server.url("/asset-v1:UPValenciaX+IE101x+type@asset+block@course_image.jpg")
    assert source.complete


def test_lms_broken_second_page(local_server):
    _serve_paged(local_server, "/api/courses/v1/courses/", "lms_courses", broken_page=2)
    source = _source(local_server, api="lms", page_size=3)
    items = list(source.items())
    assert [i.error.field_name for i in items if i.error] == ["page"]
    assert len([i for i in items if i.record]) == 2  # page 1 still delivered
    assert not source.complete


def test_discovery_courses(local_server):
    _serve_paged(local_server, "/api/v1/courses/", "discovery_courses")
    source = _source(local_server, api="discovery", page_size=2)
    items = list(source.items())
    assert len(items) == 4 and source.complete
    water, pm = items[0].record, items[1].record
    assert water.source_record_id == "DelftX+CTB3365DWx"
    assert water.description == "This course treats the processes of drinking water treatment & distribution."
    assert water.learning_outcomes == ["Explain aeration and gas transfer", "Design a rapid sand filter"]
    assert water.organisation_name == "Delft University of Technology"
    assert water.keywords == ["Environmental Studies", "water"] and water.subject_label == "Environmental Studies"
    # unpublished run skipped; the current run (self-paced 3T2025) drives course-level fields
    assert [r.run_key for r in water.runs] == [
        "course-v1:DelftX+CTB3365DWx+1T2023",
        "course-v1:DelftX+CTB3365DWx+3T2025",
    ]
    assert water.pace == "self_paced" and water.hours_per_week == 4 and water.duration_weeks == 10
    assert water.workload_hours == 40
    assert water.free_audit is True and water.price == Decimal("0") and water.currency == "EUR"
    assert water.certificate_type == "verified" and water.certificate_price == Decimal("149.00")
    assert water.identity_verification is True
    assert water.language == "en" and water.subtitle_languages == ["en"]
    assert water.declared_skills == ["Water Treatment", "Sanitary Engineering"]
    assert water.image_url == local_server.url("/media/course/image/ctb3365.jpg")
    assert water.runs[0].start_date == date(2023, 1, 10) and water.runs[0].pace == "scheduled"

    assert pm.free_audit is False and pm.price == Decimal("299.00")
    assert pm.certificate_type == "professional" and pm.certificate_price == Decimal("299.00")
    assert pm.language == "es" and pm.subtitle_languages == ["es", "en"]
    assert pm.learning_outcomes == ["Gestionar proyectos complejos."]
    assert pm.url == local_server.url("/course/pm.1x")

    e1, e2 = items[2].error, items[3].error
    assert (e1.source, e1.record_id, e1.field_name) == ("edx", "MISSING+TITLE", "title")
    assert e2.field_name == "key"
    assert items[3].checkpoint == {"url": local_server.url("/api/v1/courses/?page=2&page_size=2"), "skip": 2}


def test_discovery_resume_and_broken_page(local_server):
    _serve_paged(local_server, "/api/v1/courses/", "discovery_courses", broken_page=2)
    source = _source(local_server, api="discovery", page_size=2)
    items = list(source.items({"url": local_server.url("/api/v1/courses/?page=1&page_size=2"), "skip": 1}))
    assert items[0].record.source_record_id == "UC3Mx+PM.1x"
    assert items[1].error.field_name == "page" and "malformed JSON" in items[1].error.message
    assert items[1].checkpoint == {"url": local_server.url("/api/v1/courses/?page=2&page_size=2"), "skip": 0}
    assert not source.complete


def test_unknown_api_option(local_server):
    source = _source(local_server, api="graphql")
    (item,) = list(source.items())
    assert item.error.field_name == "options.api" and not source.complete
