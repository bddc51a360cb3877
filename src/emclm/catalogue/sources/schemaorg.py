"""Course pages that describe themselves with schema.org ``Course`` JSON-LD.

The source reads ``<script type="application/ld+json">`` blocks from course pages — listed in
``options["urls"]`` or found in a sitemap (``options["sitemap"]``, ``urlset`` or
``sitemapindex``, parsed with ``xmlsafe``; ``options["url_pattern"]`` (a regex) keeps only
course pages). JSON-LD may be one object, an array, or an ``@graph``; every node whose
``@type`` is ``Course`` becomes a record (types may be written ``schema:Course`` or as URLs).

Mapping: name / description (plain or ``{"@language", "@value"}`` lists → ``title_i18n``),
``provider`` (the organisation behind the course), ``offers`` (category Free / Partially Free
/ Paid / Subscription, price, priceCurrency), ``hasCourseInstance`` → runs (startDate, endDate,
inLanguage, courseMode, ``courseSchedule`` {duration, repeatFrequency, repeatCount} → hours per
week and weeks, ``courseWorkload``), ``inLanguage`` / ``availableLanguage``,
``educationalCredentialAwarded`` (text or EducationalOccupationalCredential with offers),
``timeRequired`` (ISO 8601 → workload_hours), ``numberOfCredits`` → ects_credits,
``educationalLevel`` (an "EQF n" level → eqf_level), ``teaches`` (ESCO URIs kept as URIs, else
names → declared_skills), ``coursePrerequisites`` (noted only as keywords are not the place:
ignored), ``keywords`` / ``about`` → keywords, ``courseCode`` → platform_course_id, ``image``, ``url``.

One page is one unit: a page that cannot be fetched or has no Course is an error item naming
the page URL (``complete`` becomes False, the other pages go on). A sitemap that cannot be read
is a page error and stops the run.

Options: ``urls`` | ``sitemap``, ``url_pattern``, ``max_pages`` (default 5000),
``provider_code`` (default: host slug), ``provider_name``, ``language`` (preferred language for
multilingual values). Checkpoint: ``{"index": n}`` into the page list.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree

from emclm.catalogue.normalise import clean_text, iso_duration_weeks, language_code, parse_effort, parse_price, slug
from emclm.catalogue.records import CourseRecord, CourseRunRecord
from emclm.catalogue.sources._protocol_helpers import (
    NOT_MODIFIED,
    as_decimal,
    as_float,
    as_str,
    fetch_bytes,
    iso_duration_hours,
    page_error,
    run_date,
    unique,
    warn,
)
from emclm.catalogue.xmlsafe import XMLError, parse_html, parse_xml
from emclm.ingest import JsonTooDeep, Source, SourceConfig, SourceItem, json_loads

ESCO_URI = re.compile(r"https?://data\.europa\.eu/esco/[a-z-]+/[0-9a-f-]+")
EQF = re.compile(r"\bEQF\D{0,12}([1-8])\b|\bEQF([1-8])\b", re.I)
FREE_CATEGORIES = {
    "free": (True, True),
    "partially free": (True, False),
    "paid": (False, False),
    "subscription": (False, False),
}  # category → (free_audit, price is 0)
SITEMAP_DEPTH = 2


def _types(node: dict) -> set[str]:
    raw = node.get("@type")
    values = raw if isinstance(raw, list) else [raw]
    out = set()
    for v in values:
        if isinstance(v, str):
            out.add(re.split(r"[/#:]", v)[-1])
    return out


def _nodes(data: Any) -> Iterator[dict]:
    """Every JSON-LD object in ``data`` (arrays, ``@graph``, nested values), depth-first."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            yield item
            for key, value in item.items():
                if key != "@context" and isinstance(value, (list, dict)):
                    stack.append(value)


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class SchemaOrgSource(Source):
    kind = "schemaorg"

    def __init__(self, config: SourceConfig, fetch=None):
        super().__init__(config, fetch)
        self.warnings = []
        opts = config.options
        first = (opts.get("urls") or [opts.get("sitemap") or config.url or ""])[0]
        self.provider_code = opts.get("provider_code") or slug(
            (urlsplit(first).hostname or config.name).removeprefix("www.")
        )
        self.provider_name = opts.get("provider_name")
        self.language = language_code(opts.get("language")) if opts.get("language") else None

    # -- page list ------------------------------------------------------------------------------

    def _page_urls(self) -> tuple[list[str], SourceItem | None]:
        opts = self.config.options
        if opts.get("urls"):
            return [str(u) for u in opts["urls"]], None
        sitemap = opts.get("sitemap") or self.config.url
        if not sitemap:
            self.complete = False
            return [], self.error(None, "options.sitemap", "schema.org source needs options.urls or options.sitemap")
        urls: list[str] = []
        error = self._read_sitemap(sitemap, urls, 0)
        pattern = opts.get("url_pattern")
        if pattern:
            regex = re.compile(pattern)
            urls = [u for u in urls if regex.search(u)]
        return unique(urls)[: int(opts.get("max_pages", 5000))], error

    def _read_sitemap(self, url: str, out: list[str], depth: int) -> SourceItem | None:
        body, error = fetch_bytes(self, url)
        if error:
            return error
        if body is NOT_MODIFIED:
            self.complete = False
            return None
        try:
            root = parse_xml(body, source=url)
        except XMLError as exc:
            return page_error(self, url, exc)
        kind = etree.QName(root).localname
        locs = [
            (el.text or "").strip()
            for el in root.iter()
            if isinstance(el.tag, str) and etree.QName(el).localname == "loc"
        ]
        if kind == "sitemapindex":
            if depth >= SITEMAP_DEPTH:
                warn(self, None, "sitemap", f"{url}: nested sitemap index deeper than {SITEMAP_DEPTH}; skipped")
                return None
            for loc in locs:
                error = self._read_sitemap(urljoin(url, loc), out, depth + 1)
                if error:
                    return error
            return None
        if kind != "urlset":
            return page_error(self, url, ValueError(f"not a sitemap (root element <{kind}>)"))
        out.extend(urljoin(url, loc) for loc in locs if loc)
        return None

    # -- items ----------------------------------------------------------------------------------

    def items(self, checkpoint: Any = None) -> Iterator[SourceItem]:
        urls, error = self._page_urls()
        if error:
            yield error
            return
        start = int(checkpoint.get("index", 0)) if isinstance(checkpoint, dict) else 0
        if start:
            self.complete = False
        for index in range(start, len(urls)):
            for item in self._page(urls[index]):
                item.checkpoint = {"index": index + 1}
                yield item

    def _page(self, url: str) -> Iterator[SourceItem]:
        body, error = fetch_bytes(self, url)
        if error:
            error.error.record_id = url  # the page is the record here
            yield error
            return
        if body is NOT_MODIFIED:
            self.complete = False
            return
        try:
            root = parse_html(body, source=url)
        except XMLError as exc:
            self.complete = False
            yield self.error(url, "page", str(exc))
            return
        blocks = [
            s
            for s in root.iter("script")
            if (s.get("type") or "").split(";")[0].strip().lower() == "application/ld+json"
        ]
        courses: list[dict] = []
        for n, block in enumerate(blocks):
            text = (block.text or "").strip()
            if not text:
                continue
            try:
                data = json_loads(text)
            except JsonTooDeep as exc:
                warn(self, url, f"ld+json[{n}]", f"malformed JSON-LD: {exc}")
                continue
            except json.JSONDecodeError as exc:
                warn(
                    self, url, f"ld+json[{n}]", f"malformed JSON-LD at line {exc.lineno} column {exc.colno}: {exc.msg}"
                )
                continue
            courses += [node for node in _nodes(data) if "Course" in _types(node)]
        if not courses:
            self.complete = False
            yield self.error(url, "@type", "no schema.org Course in the page's JSON-LD")
            return
        for n, course in enumerate(courses):
            yield self.parse(course, url, n if len(courses) > 1 else None)

    # -- one Course node ------------------------------------------------------------------------

    def _text(self, value: Any) -> tuple[str | None, dict[str, str]]:
        """A plain string, a ``{"@value", "@language"}`` object or a list of them."""
        pairs: list[tuple[str | None, str]] = []
        for v in _as_list(value):
            if isinstance(v, dict):
                text = clean_text(as_str(v.get("@value")))
                lang = language_code(v.get("@language"))
            else:
                text, lang = clean_text(as_str(v)), None
            if text:
                pairs.append((lang, text))
        i18n: dict[str, str] = {}
        for lang, text in pairs:
            if lang and lang not in i18n:
                i18n[lang] = text
        if self.language and self.language in i18n:
            return i18n[self.language], i18n
        return (pairs[0][1] if pairs else None), i18n

    @staticmethod
    def _languages(*values: Any) -> list[str]:
        out = []
        for value in values:
            for v in _as_list(value):
                if isinstance(v, dict):
                    v = v.get("alternateName") or v.get("name")
                code = language_code(as_str(v)) if v else None
                if code:
                    out.append(code)
        return unique(out)

    def parse(self, node: dict, page_url: str, n: int | None = None) -> SourceItem:
        own_url = as_str(node.get("url"))
        record_id = own_url or as_str(node.get("@id")) or (page_url if n is None else f"{page_url}#{n}")
        title, title_i18n = self._text(node.get("name"))
        if not title:
            return self.error(record_id, "name", "Course without a name")
        description, description_i18n = self._text(node.get("description"))

        provider = next((p for p in _as_list(node.get("provider")) if isinstance(p, dict)), None)
        org_name = clean_text(as_str(provider.get("name"))) if provider else None
        org_url = None
        if provider:
            same = _as_list(provider.get("sameAs"))
            org_url = as_str(provider.get("url")) or (as_str(same[0]) if same else None)

        price, currency, free_audit = self._offers(node.get("offers"), record_id)

        runs: list[CourseRunRecord] = []
        hours_per_week = duration_weeks = workload = None
        pace = None
        for i, inst in enumerate(_as_list(node.get("hasCourseInstance"))):
            if not isinstance(inst, dict):
                continue
            start, end = run_date(inst.get("startDate")), run_date(inst.get("endDate"))
            inst_langs = self._languages(inst.get("inLanguage"), inst.get("availableLanguage"))
            run_price, run_currency, _ = self._offers(inst.get("offers"), record_id)
            mode = " ".join(str(m) for m in _as_list(inst.get("courseMode"))).lower()
            schedule = next((s for s in _as_list(inst.get("courseSchedule")) if isinstance(s, dict)), None)
            run_pace = "scheduled" if (start or schedule) else ("self_paced" if "self" in mode else None)
            if schedule:
                per = iso_duration_hours(as_str(schedule.get("duration")))
                freq = str(schedule.get("repeatFrequency") or "").lower()
                count = as_float(schedule.get("repeatCount"))
                if freq in ("weekly", "p1w", "https://schema.org/weekly") and per:
                    hours_per_week = hours_per_week or per
                    if count:
                        duration_weeks = duration_weeks or count
                elif freq in ("daily", "p1d") and per:
                    hours_per_week = hours_per_week or per * 7
            workload_text = as_str(inst.get("courseWorkload"))
            if workload_text:
                hours = iso_duration_hours(workload_text)
                if hours is not None:
                    workload = workload or hours
                else:
                    effort = parse_effort(workload_text)
                    hours_per_week = hours_per_week or effort.hours_per_week
                    workload = workload or effort.total_hours
            runs.append(
                CourseRunRecord(
                    run_key=as_str(inst.get("@id")) or (start.isoformat() if start else f"{record_id}#{i}"),
                    start_date=start,
                    end_date=end,
                    pace=run_pace,
                    language=inst_langs[0] if inst_langs else None,
                    price=run_price,
                    currency=run_currency,
                    url=as_str(inst.get("url")),
                )
            )
            pace = pace or run_pace
            if start and end and duration_weeks is None:
                duration_weeks = round((end - start).days / 7, 2) or None

        languages = self._languages(node.get("inLanguage"), node.get("availableLanguage"))
        if not languages:
            languages = unique([r.language for r in runs if r.language])

        required = as_str(node.get("timeRequired"))
        if required:
            hours = iso_duration_hours(required)
            weeks = iso_duration_weeks(required)
            if hours is not None and weeks is None:
                workload = workload or hours  # "PT20H": an effort
            elif weeks is not None:
                duration_weeks = duration_weeks or weeks  # "P6W": a length
            else:
                warn(self, record_id, "timeRequired", f"not an ISO 8601 duration: {required!r}")
        if workload is None and hours_per_week and duration_weeks:
            workload = round(hours_per_week * duration_weeks, 2)

        certificate_type, certificate_price = self._credential(node.get("educationalCredentialAwarded"), record_id)

        credits = None
        for c in _as_list(node.get("numberOfCredits")):
            credits = as_float(c.get("value")) if isinstance(c, dict) else as_float(c)
            if credits is None:
                warn(self, record_id, "numberOfCredits", f"not a number: {c!r}")
            break

        eqf = None
        for level in _as_list(node.get("educationalLevel")):
            text = (
                " ".join(str(level.get(k, "")) for k in ("name", "termCode", "inDefinedTermSet"))
                if isinstance(level, dict)
                else str(level)
            )
            match = EQF.search(text)
            if match:
                eqf = int(match.group(1) or match.group(2))
                break

        skills = []
        for skill in _as_list(node.get("teaches")):
            if isinstance(skill, dict):
                uri = next(
                    (
                        m.group(0)
                        for m in (ESCO_URI.search(str(skill.get(k) or "")) for k in ("@id", "url", "sameAs"))
                        if m
                    ),
                    None,
                )
                name = clean_text(as_str(skill.get("name")))
                skills.append(uri.replace("https://", "http://") if uri else name)
            else:
                text = as_str(skill)
                match = ESCO_URI.search(text or "")
                skills.append(match.group(0).replace("https://", "http://") if match else clean_text(text))

        keywords: list[str] = []
        raw_keywords = node.get("keywords")
        if isinstance(raw_keywords, str):
            keywords += [k.strip() for k in raw_keywords.split(",")]
        else:
            for k in _as_list(raw_keywords):
                keywords.append(as_str(k.get("name")) if isinstance(k, dict) else as_str(k))
        for about in _as_list(node.get("about")):
            keywords.append(as_str(about.get("name")) if isinstance(about, dict) else as_str(about))

        image = next(iter(_as_list(node.get("image"))), None)
        image_url = as_str(image.get("url") or image.get("contentUrl")) if isinstance(image, dict) else as_str(image)
        return SourceItem(
            record=CourseRecord(
                source_record_id=record_id,
                provider_code=self.provider_code,
                provider_name=self.provider_name,
                platform_course_id=as_str(node.get("courseCode")),
                title=title,
                title_i18n=title_i18n,
                description=description,
                description_i18n=description_i18n,
                keywords=unique([clean_text(k) for k in keywords if k]),
                organisation_name=org_name,
                organisation_url=org_url,
                language=languages[0] if languages else None,
                languages=languages,
                eqf_level=eqf,
                workload_hours=workload,
                hours_per_week=hours_per_week,
                duration_weeks=duration_weeks,
                pace=pace,
                price=price,
                currency=currency,
                free_audit=free_audit,
                certificate_type=certificate_type,
                certificate_price=certificate_price,
                ects_credits=credits,
                url=urljoin(page_url, own_url) if own_url else page_url,
                image_url=urljoin(page_url, image_url) if image_url else None,
                declared_skills=unique([s for s in skills if s]),
                runs=runs,
            )
        )

    def _offers(self, offers: Any, record_id: str) -> tuple[Decimal | None, str | None, bool | None]:
        price = currency = free_audit = None
        for offer in _as_list(offers):
            if not isinstance(offer, dict):
                continue
            category = str(offer.get("category") or "").strip().lower()
            amount = as_decimal(offer.get("price"))
            if offer.get("price") not in (None, "") and amount is None:
                parsed = parse_price(str(offer.get("price")))
                amount = parsed.price
                if amount is None:
                    warn(self, record_id, "offers.price", f"not a price: {offer.get('price')!r}")
            currency = currency or as_str(offer.get("priceCurrency"))
            if category in FREE_CATEGORIES:
                free, zero = FREE_CATEGORIES[category]
                free_audit = free if free_audit is None else (free_audit or free)
                if zero and amount is None:
                    amount = Decimal("0")
            elif amount is not None and free_audit is None:
                free_audit = amount == 0
            if amount is not None and (price is None or amount < price):
                price = amount
        return price, currency, free_audit

    def _credential(self, value: Any, record_id: str) -> tuple[str | None, Decimal | None]:
        for cred in _as_list(value):
            if isinstance(cred, dict):
                text = " ".join(str(cred.get(k) or "") for k in ("name", "credentialCategory", "description"))
                price, _, free = self._offers(cred.get("offers"), record_id)
            else:
                text, price, free = str(cred), None, None
            kind = parse_price(text).certificate_type if text.strip() else None
            if kind is None:
                kind = "free" if price == 0 else ("paid" if price else None)
                if kind is None and re.search(r"certific|zertifikat|diplom", text, re.I):
                    kind = "paid" if free is False else None
            if kind is not None or price is not None:
                return kind, price
        return None, None
