"""schema.org Course JSON-LD source: course pages and sitemaps served over local HTTP."""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures" / "sources"))
from emclm_testserver import FIXTURES, fast_fetcher, local_server  # noqa: E402,F401

from emclm.catalogue.sources.schemaorg import SchemaOrgSource  # noqa: E402
from emclm.ingest import SourceConfig  # noqa: E402

SCHEMA = FIXTURES / "schemaorg"
XML_DIR = FIXTURES / "xml"
ESCO_PM = "http://data.europa.eu/esco/skill/7111b95d-0ce3-441a-9d92-4c75d05c4388"


def _page(server, path: str, fixture: str, content_type: str = "text/html; charset=utf-8") -> str:
    body = (SCHEMA / fixture).read_text(encoding="utf-8").replace("{base}", server.base)
    server.routes[path] = (200, {"Content-Type": content_type}, body.encode("utf-8"))
    return server.url(path)


def _source(**options) -> SchemaOrgSource:
    options.setdefault("provider_code", "example")
    return SchemaOrgSource(SourceConfig(name="ld", kind="schemaorg", options=options), fast_fetcher(max_retries=0))


def test_course_page_with_instances(local_server):
    url = _page(local_server, "/cours/gestion-de-projet-agile/", "course_fr.html")
    source = _source(urls=[url], language="fr")
    (item,) = list(source.items())
    rec = item.record
    assert rec.source_record_id == "https://mooc.example.fr/cours/gestion-de-projet-agile/"
    assert rec.platform_course_id == "GPA-01"
    assert rec.title == "Gestion de projet agile"
    assert rec.title_i18n == {"fr": "Gestion de projet agile", "en": "Agile project management"}
    assert rec.description == "Apprenez Scrum & Kanban pour piloter vos projets."
    assert rec.organisation_name == "Université Exemple" and rec.organisation_url == "https://www.univ-exemple.fr"
    assert rec.language == "fr"
    assert rec.free_audit is True and rec.price == Decimal("0") and rec.currency == "EUR"
    assert rec.certificate_type == "verified" and rec.certificate_price == Decimal("49.00")
    assert rec.ects_credits == 2 and rec.eqf_level == 5
    assert rec.declared_skills == [ESCO_PM, "méthodes agiles"]
    assert rec.keywords == ["scrum", "kanban", "agilité"]
    assert rec.hours_per_week == 3 and rec.duration_weeks == 6 and rec.workload_hours == 18
    assert rec.pace == "scheduled"
    assert rec.image_url == local_server.url("/media/gpa.jpg")
    assert [(r.start_date, r.end_date) for r in rec.runs] == [
        (date(2025, 3, 3), date(2025, 4, 14)),
        (date(2025, 9, 8), date(2025, 10, 20)),
    ]
    assert rec.runs[1].price == Decimal("29") and rec.runs[0].language == "fr"
    assert item.checkpoint == {"index": 1} and source.complete


def test_graph_with_two_courses_and_a_broken_block(local_server):
    url = _page(local_server, "/kurse/", "graph_two_courses.html")
    source = _source(urls=[url])
    items = list(source.items())
    assert len(items) == 2
    py, sql = items[0].record, items[1].record
    assert py.source_record_id == "https://learn.example.de/kurse/python" and py.url == url
    assert py.languages == ["de", "en"] and py.workload_hours == 20
    assert py.free_audit is True and py.price == Decimal("0")
    assert py.certificate_type == "participation" and py.organisation_name == "TH Beispiel"
    assert sql.duration_weeks == 4 and sql.hours_per_week == 2 and sql.workload_hours == 8
    assert sql.ects_credits is None
    fields = {(w.record_id, w.field_name) for w in source.warnings}
    assert (url, "ld+json[1]") in fields  # the malformed block is reported, the others read
    assert ("https://learn.example.de/kurse/sql", "numberOfCredits") in fields


def test_sitemap_index_pattern_and_bad_pages(local_server):
    _page(local_server, "/sitemap.xml", "sitemap_index.xml", "application/xml")
    _page(local_server, "/sitemap-courses.xml", "sitemap_courses.xml", "application/xml")
    _page(local_server, "/cours/gestion-de-projet-agile/", "course_fr.html")
    _page(local_server, "/kurse/", "graph_two_courses.html")
    _page(local_server, "/cours/sans-cours/", "no_course.html")
    _page(local_server, "/a-propos/", "no_course.html")
    source = _source(sitemap=local_server.url("/sitemap.xml"), url_pattern=r"/(cours|kurse)/")
    items = list(source.items())
    assert local_server.hits("/a-propos/") == []  # filtered out by the pattern
    records = [i.record.title for i in items if i.record]
    assert records == ["Gestion de projet agile", "Python für Einsteiger", "SQL kompakt"]
    errors = [(i.error.record_id, i.error.field_name) for i in items if i.error]
    assert errors == [(local_server.url("/cours/sans-cours/"), "@type"), (local_server.url("/cours/disparu/"), "page")]
    assert "404" in items[-1].error.message
    assert [i.checkpoint for i in items] == [{"index": 1}, {"index": 2}, {"index": 2}, {"index": 3}, {"index": 4}]
    assert not source.complete  # a page could not be read: its course must not be withdrawn


def test_resume_skips_pages(local_server):
    a = _page(local_server, "/a/", "course_fr.html")
    b = _page(local_server, "/b/", "course_no_name.html")
    source = _source(urls=[a, b])
    (item,) = list(source.items({"index": 1}))
    assert (item.error.record_id, item.error.field_name) == ("https://mooc.example.fr/cours/x/", "name")
    assert local_server.hits("/a/") == []


def test_sitemap_with_xxe_is_refused(local_server):
    local_server.routes["/sitemap.xml"] = (
        200,
        {"Content-Type": "application/xml"},
        (XML_DIR / "xxe_parameter.xml").read_bytes(),
    )
    source = _source(sitemap=local_server.url("/sitemap.xml"))
    (item,) = list(source.items())
    assert item.error.field_name == "page" and "entit" in item.error.message and not source.complete


def test_sitemap_latin1_declared_utf8(local_server):
    local_server.routes["/sitemap.xml"] = (
        200,
        {"Content-Type": "application/xml"},
        (XML_DIR / "latin1_declared_utf8.xml").read_bytes(),
    )
    source = _source(sitemap=local_server.url("/sitemap.xml"))
    (item,) = list(source.items())
    assert "malformed XML" in item.error.message


def test_not_a_sitemap(local_server):
    local_server.routes["/sitemap.xml"] = (200, {"Content-Type": "application/xml"}, b"<rss><channel/></rss>")
    source = _source(sitemap=local_server.url("/sitemap.xml"))
    (item,) = list(source.items())
    assert "not a sitemap" in item.error.message


def test_no_urls_configured():
    source = SchemaOrgSource(SourceConfig(name="ld", kind="schemaorg"), fast_fetcher())
    (item,) = list(source.items())
    assert item.error.field_name == "options.sitemap" and not source.complete
