"""OAI-PMH repositories: ``ListRecords`` with IEEE LOM (default) or Dublin Core metadata.

Requests ``{url}?verb=ListRecords&metadataPrefix=lom`` (plus ``set``, ``from``, ``until`` from
the options) and then ``?verb=ListRecords&resumptionToken=…`` until the token is empty. XML is
parsed with ``emclm.catalogue.xmlsafe`` (no entities, no network).

Withdrawn records: a ``<header status="deleted">`` is yielded as a ``DeletedItem`` — a
``SourceItem`` with ``record=None``, ``error=None`` and ``deleted_id`` = the OAI identifier —
so harvest can mark exactly that record withdrawn even in an incremental (``from``) run. Until
``SourceItem`` itself carries ``deleted_id``, harvest should test ``getattr(item, "deleted_id",
None)``.

LOM mapping (element names matched by local name, so LOM-DE / LOM-ES namespaces work too):
``general/title`` and ``general/description`` langstrings → ``title_i18n`` /
``description_i18n`` (title/description in ``options["language"]`` when present, else the
first); ``general/language`` → languages; ``general/keyword`` → keywords;
``educational/typicalLearningTime/duration`` (ISO 8601) → workload_hours; ``rights/cost`` →
free_audit and price 0; ``technical/location`` → url; ``lifeCycle/contribute`` vCard ``ORG``
(publisher first) → organisation; ``classification`` (purpose discipline) taxon entry →
subject_label. Dublin Core (``oai_dc``): title, description, language, subject, identifier (URL),
publisher.

OAI errors: ``noRecordsMatch`` is an empty result (not an error); ``badResumptionToken`` and
the others are one error item and ``complete = False``.

Options: ``metadataPrefix`` (default "lom"), ``set``, ``from``, ``until`` (a window makes the
run incomplete), ``language``, ``provider_code`` (default: host slug), ``provider_name``,
``id_catalog`` (LOM identifier catalog whose entry is the platform course id).
Checkpoint: ``{"token": resumption token of the page or None, "skip": n}``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from emclm.catalogue.normalise import clean_text, language_code, slug
from emclm.catalogue.records import CourseRecord
from emclm.catalogue.sources._protocol_helpers import (
    NOT_MODIFIED,
    fetch_bytes,
    iso_duration_hours,
    page_error,
    unique,
    warn,
)
from emclm.catalogue.xmlsafe import XMLError, parse_xml
from emclm.ingest import Source, SourceConfig, SourceItem

OAI = "http://www.openarchives.org/OAI/2.0/"
DC = "http://purl.org/dc/elements/1.1/"
NS = {"oai": OAI, "dc": DC}


@dataclass
class DeletedItem(SourceItem):
    """The repository withdrew this record (OAI ``header status="deleted"``)."""

    deleted_id: str | None = None


def _local(el: etree._Element, *path: str) -> list[etree._Element]:
    """Descendants along ``path`` by local name (namespace-agnostic, direct children each step)."""
    nodes = [el]
    for name in path:
        nodes = [c for n in nodes for c in n if isinstance(c.tag, str) and etree.QName(c).localname == name]
    return nodes


def _text(el: etree._Element) -> str | None:
    return clean_text("".join(el.itertext())) if el is not None else None


def _langstrings(nodes: list[etree._Element]) -> list[tuple[str | None, str]]:
    """LOM ``<title><string language="fr">…</string></title>`` → [(lang, text)]."""
    out = []
    for node in nodes:
        strings = _local(node, "string") or _local(node, "langstring")
        if not strings and _text(node):
            out.append((None, _text(node)))
        for s in strings:
            text = _text(s)
            if text:
                out.append(
                    (language_code(s.get("language") or s.get("{http://www.w3.org/XML/1998/namespace}lang")), text)
                )
    return out


def _vcard_org(vcard: str) -> str | None:
    unfolded = re.sub(r"\r?\n[ \t]", "", vcard)
    for line in unfolded.splitlines():
        key, _, value = line.partition(":")
        if key.split(";")[0].strip().upper() == "ORG" and value.strip():
            return clean_text(value.split(";")[0].replace("\\,", ","))
    for line in unfolded.splitlines():
        key, _, value = line.partition(":")
        if key.split(";")[0].strip().upper() == "FN" and value.strip():
            return clean_text(value.replace("\\,", ","))
    return None


class OAIPMHSource(Source):
    kind = "oaipmh"

    def __init__(self, config: SourceConfig, fetch=None):
        super().__init__(config, fetch)
        self.warnings = []
        opts = config.options
        self.prefix = opts.get("metadataPrefix", "lom")
        host = urlsplit(config.url or "").hostname or config.name
        self.provider_code = opts.get("provider_code") or slug(host)
        self.provider_name = opts.get("provider_name")
        self.language = language_code(opts.get("language")) if opts.get("language") else None

    def items(self, checkpoint: Any = None) -> Iterator[SourceItem]:
        if not self.config.url:
            self.complete = False
            yield self.error(None, "url", "OAI-PMH source needs the base url")
            return
        opts = self.config.options
        if opts.get("from") or opts.get("until") or opts.get("set"):
            self.complete = False  # a window or a set is not the whole repository
        token, skip = None, 0
        if isinstance(checkpoint, dict):
            token, skip = checkpoint.get("token"), int(checkpoint.get("skip") or 0)
            if token or skip:
                self.complete = False
        seen_tokens: set[str] = set()
        while True:
            if token:
                params = {"verb": "ListRecords", "resumptionToken": token}
            else:
                params = {"verb": "ListRecords", "metadataPrefix": self.prefix}
                for key in ("set", "from", "until"):
                    if opts.get(key):
                        params[key] = str(opts[key])
            where = {"token": token, "skip": skip}
            body, error = fetch_bytes(self, self.config.url, params=params)
            if error:
                error.checkpoint = where
                yield error
                return
            if body is NOT_MODIFIED:
                self.complete = False
                return
            try:
                root = parse_xml(body, source=self.config.url)
            except XMLError as exc:
                yield page_error(self, self.config.url, exc, where)
                return
            oai_error = root.find("oai:error", NS)
            if oai_error is not None:
                code = oai_error.get("code", "")
                if code == "noRecordsMatch":
                    return
                yield page_error(
                    self, self.config.url, ValueError(f"OAI-PMH error {code}: {_text(oai_error) or ''}".strip()), where
                )
                return
            listing = root.find("oai:ListRecords", NS)
            if listing is None:
                yield page_error(self, self.config.url, ValueError("no ListRecords element in the response"), where)
                return
            for index, record in enumerate(listing.findall("oai:record", NS)):
                if index < skip:
                    continue
                item = self.parse(record, index)
                item.checkpoint = {"token": token, "skip": index + 1}
                yield item
            skip = 0
            token_el = listing.find("oai:resumptionToken", NS)
            token = (token_el.text or "").strip() if token_el is not None else ""
            if not token:
                return
            if token in seen_tokens:
                warn(self, None, "resumptionToken", f"token {token!r} repeated; stopped")
                self.complete = False
                return
            seen_tokens.add(token)

    def parse(self, record: etree._Element, index: int = 0) -> SourceItem:
        header = record.find("oai:header", NS)
        identifier = (
            _text(header.find("oai:identifier", NS))
            if header is not None and header.find("oai:identifier", NS) is not None
            else None
        )
        if not identifier:
            return self.error(f"#{index}", "header.identifier", "record without an OAI identifier")
        if header.get("status") == "deleted":
            return DeletedItem(deleted_id=identifier)
        metadata = record.find("oai:metadata", NS)
        payload = next((c for c in metadata if isinstance(c.tag, str)), None) if metadata is not None else None
        if payload is None:
            return self.error(identifier, "metadata", "record without metadata")
        local = etree.QName(payload).localname
        if local == "lom":
            return self._lom(identifier, payload)
        if local == "dc":
            return self._dc(identifier, payload)
        return self.error(identifier, "metadata", f"unsupported metadata format <{local}>")

    def _pick(self, pairs: list[tuple[str | None, str]]) -> tuple[str | None, dict[str, str]]:
        i18n: dict[str, str] = {}
        for lang, text in pairs:
            if lang and lang not in i18n:
                i18n[lang] = text
        if self.language and self.language in i18n:
            return i18n[self.language], i18n
        return (pairs[0][1] if pairs else None), i18n

    def _lom(self, identifier: str, lom: etree._Element) -> SourceItem:
        general = (_local(lom, "general") or [None])[0]
        if general is None:
            return self.error(identifier, "general", "LOM record without <general>")
        title, title_i18n = self._pick(_langstrings(_local(general, "title")))
        if not title:
            return self.error(identifier, "general.title", "LOM record without a title")
        description, description_i18n = self._pick(_langstrings(_local(general, "description")))
        languages = []
        for el in _local(general, "language"):
            code = language_code(_text(el))
            if code:
                languages.append(code)
            elif _text(el):
                warn(self, identifier, "general.language", f"unknown language {_text(el)!r}")
        languages = unique(languages)
        keywords = unique([text for _, text in _langstrings(_local(general, "keyword"))])

        platform_id = None
        wanted = self.config.options.get("id_catalog")
        for ident in _local(general, "identifier"):
            catalog = _text((_local(ident, "catalog") or [None])[0])
            entry = _text((_local(ident, "entry") or [None])[0])
            if entry and (wanted is None or catalog == wanted):
                platform_id = entry
                break

        workload = None
        for dur in _local(lom, "educational", "typicalLearningTime", "duration"):
            text = _text(dur)
            hours = iso_duration_hours(text) if text else None
            if hours is not None:
                workload = hours
                break
            if text:
                warn(self, identifier, "educational.typicalLearningTime", f"not an ISO 8601 duration: {text!r}")

        free_audit = price = None
        for cost in _local(lom, "rights", "cost", "value") + _local(lom, "rights", "cost"):
            value = (_text(cost) or "").lower()
            if value in ("no", "yes"):
                free_audit = value == "no"
                price = Decimal("0") if free_audit else None
                break

        url = next((t for t in (_text(e) for e in _local(lom, "technical", "location")) if t), None)

        organisation = None
        contributions = _local(lom, "lifeCycle", "contribute")
        contributions.sort(
            key=lambda c: 0 if "publisher" in (_text((_local(c, "role", "value") or [None])[0]) or "") else 1
        )
        for contribute in contributions:
            for entity in _local(contribute, "entity"):
                org = _vcard_org("".join(entity.itertext()))
                if org:
                    organisation = organisation or org
            if organisation:
                break

        subject_label = None
        for classification in _local(lom, "classification"):
            purpose = _text((_local(classification, "purpose", "value") or [None])[0]) or ""
            if purpose and purpose != "discipline":
                continue
            entries = _langstrings(_local(classification, "taxonPath", "taxon", "entry"))
            if entries:
                subject_label = entries[-1][1]
                break

        return SourceItem(
            record=CourseRecord(
                source_record_id=identifier,
                provider_code=self.provider_code,
                provider_name=self.provider_name,
                provider_url=None,
                platform_course_id=platform_id,
                title=title,
                title_i18n=title_i18n,
                description=description,
                description_i18n=description_i18n,
                keywords=keywords,
                organisation_name=organisation,
                language=languages[0] if languages else None,
                languages=languages,
                subject_label=subject_label,
                workload_hours=workload,
                price=price,
                free_audit=free_audit,
                url=url,
            )
        )

    def _dc(self, identifier: str, dc: etree._Element) -> SourceItem:
        def texts(name: str) -> list[tuple[str | None, str]]:
            out = []
            for el in dc.findall(f"dc:{name}", NS):
                text = _text(el)
                if text:
                    out.append((language_code(el.get("{http://www.w3.org/XML/1998/namespace}lang")), text))
            return out

        title, title_i18n = self._pick(texts("title"))
        if not title:
            return self.error(identifier, "dc:title", "Dublin Core record without a title")
        description, description_i18n = self._pick(texts("description"))
        languages = unique([language_code(t) for _, t in texts("language")])
        urls = [t for _, t in texts("identifier") if t.startswith(("http://", "https://"))]
        publishers = [t for _, t in texts("publisher")]
        return SourceItem(
            record=CourseRecord(
                source_record_id=identifier,
                provider_code=self.provider_code,
                provider_name=self.provider_name,
                title=title,
                title_i18n=title_i18n,
                description=description,
                description_i18n=description_i18n,
                keywords=unique([t for _, t in texts("subject")]),
                organisation_name=publishers[0] if publishers else None,
                language=languages[0] if languages else None,
                languages=[x for x in languages if x],
                url=urls[0] if urls else None,
            )
        )
