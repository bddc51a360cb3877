"""Safe XML parsing: attack payloads are refused, declared encodings honoured."""

from __future__ import annotations

from pathlib import Path

import pytest

from emclm.catalogue.xmlsafe import XMLError, XMLSecurityError, parse_html, parse_xml

XML = Path(__file__).resolve().parents[1] / "fixtures" / "sources" / "xml"


def test_billion_laughs_is_refused_without_expansion():
    with pytest.raises(XMLSecurityError, match="lol") as info:
        parse_xml((XML / "billion_laughs.xml").read_bytes(), source="oai-test")
    assert str(info.value).startswith("oai-test: ")


def test_external_entity_is_refused_and_not_read():
    with pytest.raises(XMLSecurityError, match="xxe"):
        parse_xml((XML / "xxe.xml").read_bytes())


def test_external_parameter_entity_is_refused():
    with pytest.raises(XMLSecurityError, match="remote"):
        parse_xml((XML / "xxe_parameter.xml").read_bytes())


def test_reference_to_external_dtd_entity_is_refused():
    data = b'<?xml version="1.0"?><!DOCTYPE a SYSTEM "http://127.0.0.1:9/a.dtd"><a>&secret;</a>'
    with pytest.raises(XMLSecurityError, match="secret"):
        parse_xml(data)


def test_plain_doctype_without_entities_is_accepted():
    root = parse_xml(b'<?xml version="1.0"?><!DOCTYPE a><a>x</a>')
    assert root.text == "x"


def test_latin1_bytes_declared_utf8_are_an_error_with_line():
    with pytest.raises(XMLError, match="line 2"):
        parse_xml((XML / "latin1_declared_utf8.xml").read_bytes())


def test_declared_latin1_is_decoded():
    root = parse_xml((XML / "latin1_declared_latin1.xml").read_bytes())
    loc = root.find(".//{http://www.sitemaps.org/schemas/sitemap/0.9}loc")
    assert loc.text == "http://example.org/cours-été"


def test_utf16_with_bom():
    root = parse_xml('<?xml version="1.0" encoding="UTF-16"?><a>Łódź</a>'.encode("utf-16"))
    assert root.text == "Łódź"


def test_leading_whitespace_and_malformed():
    assert parse_xml(b"\n  <?xml version='1.0'?><a/>").tag == "a"
    with pytest.raises(XMLError, match="malformed XML at line 1"):
        parse_xml(b"<a><b></a>")
    with pytest.raises(XMLError, match="empty"):
        parse_xml(b"   ")


def test_html_parsing_does_not_expand_entities():
    page = b"""<!DOCTYPE html [<!ENTITY x SYSTEM "file:///etc/passwd">]>
    <html><body><p>&x;</p><script type="application/ld+json">{"a": 1}</script></body></html>"""
    root = parse_html(page)
    assert "root:" not in root.text_content()
    assert root.xpath("//script/text()") == ['{"a": 1}']
