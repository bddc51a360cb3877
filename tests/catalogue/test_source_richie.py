"""Richie (FUN-MOOC) search API source and course-run sync hook helpers."""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures" / "sources"))
from emclm_testserver import FIXTURES, Request, fast_fetcher, local_server  # noqa: E402,F401

from emclm.catalogue.sources.richie import (  # noqa: E402
    RichieSource,
    record_from_sync_payload,
    verify_sync_signature,
)
from emclm.ingest import (
    RecordError,  # noqa: E402
    SourceConfig,  # noqa: E402
)

RICHIE = FIXTURES / "richie"


def _serve_pages(server, broken_offset: int | None = None):
    def api(req: Request):
        q = parse_qs(req.query)
        offset = int(q["offset"][0])
        if offset == broken_offset:
            return 200, {"Content-Type": "application/json"}, b'{"meta": {"count": 2, '
        path = RICHIE / f"courses_offset_{offset}.json"
        if not path.exists():
            return 404, {}, b"{}"
        return 200, {"Content-Type": "application/json"}, path.read_bytes()

    server.routes["/api/v1.0/courses/"] = api


def _source(server, **options):
    options.setdefault("limit", 2)
    return RichieSource(SourceConfig(name="fun", kind="richie", url=server.base, options=options), fast_fetcher())


def test_pages_through_search_api_with_offset(local_server):
    _serve_pages(local_server)
    source = _source(local_server, language="fr")
    items = list(source.items())
    assert len(items) == 4 and source.complete
    queries = [parse_qs(r.query) for r in local_server.hits("/api/v1.0/courses/")]
    assert [(q["limit"], q["offset"], q["lang"]) for q in queries] == [(["2"], ["0"], ["fr"]), (["2"], ["2"], ["fr"])]
    assert local_server.hits("/api/v1.0/courses/")[0].headers["accept-language"] == "fr"
    assert [i.checkpoint for i in items] == [1, 2, 3, 4]

    # Richie's own test object (format_es_object_for_api)
    real = items[0].record
    assert real.source_record_id == "93" and real.title == "Duis eu arcu erat"
    assert real.platform_course_id == "ABC123"
    assert real.url == f"{local_server.base}/campo-qui-format-do"
    assert real.organisation_name == "Org 84"
    assert real.price == Decimal("1337.0") and real.currency == "EUR" and real.free_audit is False
    assert real.certificate_type == "free" and real.certificate_price == Decimal("0")
    assert real.duration_weeks is not None and real.duration_weeks > 20  # "6 months"

    py = items[1].record
    assert py.platform_course_id == "00112"
    assert py.description == "Apprenez les bases de Python & de la data science."
    assert py.free_audit is True and py.price == Decimal("0")
    assert py.certificate_type == "paid" and py.certificate_price == Decimal("49.0")
    assert py.languages == ["fr", "en"] and py.language == "fr"
    assert py.image_url == "/media/filer_public_thumbnails/python.jpg__300x170_q85.jpg"
    run = py.runs[0]
    assert run.run_key == "course-v1:inria+41018+session02"
    assert run.start_date == date(2025, 3, 3) and run.enrolment_start == date(2025, 1, 15)
    assert run.end_date is None and run.enrolment_end is None  # year 9999 = open-ended

    missing_title = items[2].error
    assert (missing_title.source, missing_title.record_id, missing_title.field_name) == ("fun", "125", "title")

    gp = items[3].record
    assert gp.free_audit is False and gp.price == Decimal("19.90") and gp.certificate_type is None
    assert gp.runs[0].run_key == "2024-09-01" and gp.runs[0].enrolment_start is None
    warned = {(w.record_id, w.field_name) for w in source.warnings}
    assert ("126", "certificate_offer") in warned and ("126", "effort") in warned


def test_resume_from_offset(local_server):
    _serve_pages(local_server)
    source = _source(local_server)
    items = list(source.items(checkpoint=2))
    assert [i.checkpoint for i in items] == [3, 4] and not source.complete


def test_broken_page_is_an_error_item(local_server):
    _serve_pages(local_server, broken_offset=2)
    source = _source(local_server)
    items = list(source.items())
    assert [bool(i.record) for i in items[:2]] == [True, True]
    assert items[2].error.field_name == "page" and "malformed JSON" in items[2].error.message
    assert items[2].checkpoint == 2  # resuming retries the failed page
    assert len(items) == 3 and not source.complete


def test_http_error_page(local_server):
    local_server.add("/api/v1.0/courses/", b"{}", status=500)
    source = RichieSource(SourceConfig(name="fun", kind="richie", url=local_server.base), fast_fetcher(max_retries=1))
    items = list(source.items())
    assert len(items) == 1 and "HTTP 500" in items[0].error.message and not source.complete


# -- sync hook ----------------------------------------------------------------------------------

SECRET = "shared secret"


def _sign(body: bytes, secret: str = SECRET) -> str:
    return "SIG-HMAC-SHA256 " + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_signature_correct_wrong_and_malformed():
    body = (RICHIE / "richie_tests_course_run_sync_payload.json").read_bytes()
    good = _sign(body)
    assert verify_sync_signature(body, good, SECRET)
    assert verify_sync_signature(body, "SIG-HMAC-SHA256 " + good.split()[1].upper(), SECRET)  # hex case
    assert not verify_sync_signature(body + b" ", good, SECRET)  # body changed
    assert not verify_sync_signature(body, _sign(body, "other secret"), SECRET)
    assert not verify_sync_signature(body, good.replace("SIG-HMAC-SHA256", "Bearer"), SECRET)
    assert not verify_sync_signature(body, "SIG-HMAC-SHA256", SECRET)
    assert not verify_sync_signature(body, "SIG-HMAC-SHA256 zz" + good[-62:], SECRET)
    assert not verify_sync_signature(body, good[:-2], SECRET)
    assert not verify_sync_signature(body, "", SECRET)
    assert not verify_sync_signature(body, None, SECRET)
    assert not verify_sync_signature(body, good, "")  # an unset secret never verifies


def test_record_from_richie_sync_payload():
    payload = json.loads((RICHIE / "richie_tests_course_run_sync_payload.json").read_text())
    rec = record_from_sync_payload(payload, "fun-hook")
    assert rec.source_record_id == "course-v1:edX+DemoX+01"
    assert rec.platform_course_id == "DEMOX"
    assert rec.languages == ["en", "fr"] and rec.language == "en"
    assert rec.price == Decimal("59.99") and rec.currency == "EUR" and rec.free_audit is False
    assert rec.certificate_type == "paid" and rec.certificate_price == Decimal("19.99")
    (run,) = rec.runs
    assert run.run_key == "course-v1:edX+DemoX+01"
    assert (run.start_date, run.end_date) == (date(2020, 12, 9), date(2021, 3, 14))
    assert (run.enrolment_start, run.enrolment_end) == (date(2020, 11, 9), date(2020, 12, 24))
    assert run.url == payload["resource_link"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"resource_link": None}, "resource_link"),
        ({"resource_link": "http://lms/about"}, "resource_link"),
        ({"languages": []}, "languages"),
        ({"start": "next monday"}, "start"),
        ({"price": "cheap"}, "price"),
    ],
)
def test_bad_sync_payload_names_the_field(change, field):
    payload = json.loads((RICHIE / "richie_tests_course_run_sync_payload.json").read_text())
    payload.update(change)
    with pytest.raises(RecordError) as info:
        record_from_sync_payload(payload, "fun-hook")
    assert info.value.field_name == field and info.value.source == "fun-hook"
