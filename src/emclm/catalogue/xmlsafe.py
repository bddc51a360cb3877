"""Parsing untrusted XML (and HTML) from harvested platforms, safely.

``parse_xml`` uses lxml with entity resolution, DTD loading and network access switched off and
lxml's own size guards on (``huge_tree=False``), and then refuses any document whose DOCTYPE
declares entities: that is how billion-laughs (entity expansion) and XXE (external entities)
payloads are built, and no catalogue format needs them. The declared encoding (XML declaration
or BOM) is honoured; bytes that do not match it are a parse error, not silently replaced.

``parse_html`` does the same for course pages (lxml's HTML parser never expands DTD entities).
Both raise ``XMLError`` (a ``ValueError``) with the line and the reason.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml import html as lxml_html


class XMLError(ValueError):
    """The document is not well-formed, or not acceptable."""


class XMLSecurityError(XMLError):
    """The document declares entities (entity expansion / external entity attack surface)."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
        recover=False,
    )


_INTERNAL_SUBSET = re.compile(rb"<!DOCTYPE[^\[>]*\[(.*?)\]\s*>", re.S)
_ENTITY_DECL = re.compile(rb"<!ENTITY\s+(%\s+)?([^\s>]+)")


def _declared_entities(data: bytes) -> list[str]:
    """Entity names declared in the DOCTYPE's internal subset, found before any parsing."""
    names: list[str] = []
    for text in _candidates(data):
        match = _INTERNAL_SUBSET.search(text)
        if match:
            names += [m.group(2).decode("utf-8", "replace") for m in _ENTITY_DECL.finditer(match.group(1))]
    return names


def _candidates(data: bytes) -> list[bytes]:
    head = data[:1_000_000]
    out = [head]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00<" in head[:4] or b"<\x00" in head[:4]:
        for enc in ("utf-16", "utf-16-le", "utf-16-be"):
            try:
                out.append(head.decode(enc).encode("utf-8"))
                break
            except UnicodeDecodeError:
                continue
    return out


def _where(source: str | None) -> str:
    return f"{source}: " if source else ""


def parse_xml(data: bytes, *, source: str | None = None) -> etree._Element:
    """Parse ``data`` and return the root element; ``source`` (a URL or name) goes into errors."""
    if isinstance(data, str):  # tolerate text, but an encoding declaration must then be dropped
        data = data.encode("utf-8")
        if data.lstrip().startswith(b"<?xml"):
            end = data.find(b"?>")
            data = data[end + 2 :]
    # Leading whitespace before the XML declaration is common in real feeds and harmless.
    stripped = data.lstrip(b" \t\r\n")
    if not stripped:
        raise XMLError(f"{_where(source)}empty XML document")
    declared = _declared_entities(stripped)
    if declared:
        raise XMLSecurityError(
            f"{_where(source)}XML declares DTD entities ({', '.join(declared[:5])}); "
            "entity declarations are refused (entity expansion / external entity risk)"
        )
    try:
        root = etree.fromstring(stripped, parser=_parser())
    except etree.XMLSyntaxError as exc:
        if "amplification" in str(exc.msg).lower():
            raise XMLSecurityError(f"{_where(source)}XML entity expansion refused: {exc.msg}") from exc
        raise XMLError(f"{_where(source)}malformed XML at line {exc.lineno}: {exc.msg}") from exc
    if root is None:
        raise XMLError(f"{_where(source)}no root element")
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None:
        entities = [e.name for e in dtd.iterentities()]
        if entities:
            raise XMLSecurityError(
                f"{_where(source)}XML declares DTD entities ({', '.join(entities[:5])}); "
                "entity declarations are refused (entity expansion / external entity risk)"
            )
    # An entity reference left unresolved means the document relies on entities we refuse.
    for node in root.iter(etree.Entity):
        raise XMLSecurityError(f"{_where(source)}XML uses the undeclared or refused entity &{node.name};")
    return root


def parse_html(data: bytes, *, source: str | None = None) -> lxml_html.HtmlElement:
    """Parse an HTML page (course pages carrying JSON-LD) without network or entity expansion."""
    if not data or not data.strip():
        raise XMLError(f"{_where(source)}empty HTML document")
    parser = lxml_html.HTMLParser(no_network=True, remove_comments=True, huge_tree=False)
    try:
        root = lxml_html.fromstring(data, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise XMLError(f"{_where(source)}unparseable HTML: {exc}") from exc
    return root
