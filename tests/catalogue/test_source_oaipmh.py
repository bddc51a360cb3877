"""OAI-PMH source (IEEE LOM and Dublin Core) served over local HTTP."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures" / "sources"))
from emclm_testserver import FIXTURES, Request, fast_fetcher, local_server  # noqa: E402,F401

from emclm.catalogue.sources.oaipmh import DeletedItem, OAIPMHSource  # noqa: E402
from emclm.ingest import SourceConfig  # noqa: E402

OAI_DIR = FIXTURES / "oaipmh"
XML_DIR = FIXTURES / "xml"


def _serve(server, pages: dict[str | None, Path]):
    """Route by resumptionToken (None = the first request)."""

    def handler(req: Request):
        q = parse_qs(req.query)
        token = q.get("resumptionToken", [None])[0]
        path = pages.get(token)
        if path is None:
            path = OAI_DIR / "bad_resumption_token.xml"
        return 200, {"Content-Type": "text/xml"}, path.read_bytes()

    server.routes["/oai"] = handler


def _source(server, **options) -> OAIPMHSource:
    options.setdefault("provider_code", "example-mooc")
    return OAIPMHSource(
        SourceConfig(name="oai", kind="oaipmh", url=server.url("/oai"), options=options), fast_fetcher()
    )


def test_list_records_with_resumption_token(local_server):
    _serve(
        local_server, {None: OAI_DIR / "listrecords_page1.xml", "lom|2025-11-20|3": OAI_DIR / "listrecords_page2.xml"}
    )
    source = _source(local_server, language="en", id_catalog="mooc.example.eu")
    items = list(source.items())
    queries = [parse_qs(h.query) for h in local_server.hits("/oai")]
    assert queries == [
        {"verb": ["ListRecords"], "metadataPrefix": ["lom"]},
        {"verb": ["ListRecords"], "resumptionToken": ["lom|2025-11-20|3"]},
    ]
    assert len(items) == 5 and source.complete

    eco = items[0].record
    assert eco.source_record_id == "oai:mooc.example.eu:course/101"
    assert eco.platform_course_id == "ECO-101"
    assert eco.title == "Introduction to the Circular Economy"
    assert eco.title_i18n == {"es": "Introducción a la economía circular", "en": "Introduction to the Circular Economy"}
    assert eco.description_i18n["es"] == "Un curso sobre modelos de economía circular."
    assert eco.languages == ["es", "en"] and eco.language == "es"
    assert eco.keywords == ["sostenibilidad", "sustainability"]
    assert eco.workload_hours == 25
    assert eco.free_audit is True and eco.price == Decimal("0")
    assert eco.url == "https://mooc.example.eu/courses/eco-101"
    assert eco.organisation_name == "Universitat Politècnica de València"  # publisher's vCard ORG
    assert eco.subject_label == "Economics"

    deleted = items[1]
    assert isinstance(deleted, DeletedItem)
    assert deleted.deleted_id == "oai:mooc.example.eu:course/77" and deleted.record is None and deleted.error is None

    no_title = items[2].error
    assert (no_title.source, no_title.record_id, no_title.field_name) == (
        "oai",
        "oai:mooc.example.eu:course/102",
        "general.title",
    )

    dd = items[3].record  # page 2 is ISO-8859-1 encoded, as declared
    assert dd.title == "Développement durable" and dd.title_i18n == {"fr": "Développement durable"}
    assert dd.free_audit is False and dd.price is None and dd.workload_hours is None
    assert ("oai:mooc.example.eu:course/103", "educational.typicalLearningTime") in {
        (w.record_id, w.field_name) for w in source.warnings
    }
    assert items[4].error.field_name == "header.identifier"
    assert items[4].checkpoint == {"token": "lom|2025-11-20|3", "skip": 2}


def test_resume_with_token(local_server):
    _serve(
        local_server, {None: OAI_DIR / "listrecords_page1.xml", "lom|2025-11-20|3": OAI_DIR / "listrecords_page2.xml"}
    )
    source = _source(local_server)
    items = list(source.items({"token": "lom|2025-11-20|3", "skip": 1}))
    assert len(items) == 1 and items[0].error.field_name == "header.identifier"
    assert not source.complete


def test_expired_token_is_an_error_item(local_server):
    _serve(local_server, {None: OAI_DIR / "listrecords_page1.xml"})  # any token → badResumptionToken
    source = _source(local_server)
    items = list(source.items())
    assert len(items) == 4
    assert items[3].error.field_name == "page" and "badResumptionToken" in items[3].error.message
    assert items[3].checkpoint == {"token": "lom|2025-11-20|3", "skip": 0}
    assert not source.complete


def test_no_records_match_is_empty_not_an_error(local_server):
    _serve(local_server, {None: OAI_DIR / "no_records_match.xml"})
    source = _source(local_server, **{"from": "2030-01-01"})
    assert list(source.items()) == []
    assert parse_qs(local_server.hits("/oai")[0].query)["from"] == ["2030-01-01"]
    assert not source.complete  # a from-window never covers the whole repository


def test_dublin_core(local_server):
    _serve(local_server, {None: OAI_DIR / "oai_dc_page.xml"})
    source = _source(local_server, metadataPrefix="oai_dc")
    (item,) = list(source.items())
    rec = item.record
    assert parse_qs(local_server.hits("/oai")[0].query)["metadataPrefix"] == ["oai_dc"]
    assert rec.title == "Fondamenti di programmazione" and rec.title_i18n == {"it": "Fondamenti di programmazione"}
    assert rec.language == "it" and rec.keywords == ["informatica"]
    assert rec.organisation_name == "Politecnico di Milano"
    assert rec.url == "https://mooc.example.eu/courses/fp-201"


def test_xxe_page_is_refused(local_server):
    _serve(local_server, {None: XML_DIR / "xxe.xml"})
    source = _source(local_server)
    (item,) = list(source.items())
    assert item.error.field_name == "page" and "entit" in item.error.message
    assert "root:" not in item.error.message and not source.complete


def test_billion_laughs_page_is_refused(local_server):
    _serve(local_server, {None: XML_DIR / "billion_laughs.xml"})
    source = _source(local_server)
    (item,) = list(source.items())
    assert "entit" in item.error.message and not source.complete


def test_latin1_bytes_declared_utf8(local_server):
    body = (OAI_DIR / "listrecords_page2.xml").read_bytes().replace(b'encoding="ISO-8859-1"', b'encoding="UTF-8"')
    local_server.routes["/oai"] = (200, {"Content-Type": "text/xml"}, body)
    source = _source(local_server)
    (item,) = list(source.items())
    assert item.error.field_name == "page" and "malformed XML" in item.error.message
    assert not source.complete


def test_malformed_xml(local_server):
    local_server.routes["/oai"] = (200, {"Content-Type": "text/xml"}, b"<OAI-PMH><ListRecords><record>")
    source = _source(local_server)
    (item,) = list(source.items())
    assert "malformed XML" in item.error.message and item.error.record_id is None
