"""FUN-MOOC and other Richie sites: the course search API and the course-run sync hook.

Search API: ``GET {url}/api/v1.0/courses/?limit=&offset=`` → ``{"meta": {"count", "offset",
"total_count"}, "objects": [...]}``. Richie flattens multilingual fields to the language the
request asks for (``options["language"]`` → ``Accept-Language`` and ``?lang``). Offer fields:
``offer`` (free / partially_free / subscription / paid) + ``price`` → price and free_audit;
``certificate_offer`` (free / subscription / paid) + ``certificate_price`` → certificate_type and
certificate_price. Course runs carry ISO dates; a missing end is indexed as year 9999 → None.

``platform_course_id`` is the Richie course ``code`` upper-cased, which is how Richie itself
normalises the code it extracts from an Open edX course key (``course-v1:ORG+CODE+RUN``) when the
LMS pushes a run — so a course seen by search and by the hook gets the same id.

Push hook (the API route is wired by the lead): ``verify_sync_signature`` checks the
``Authorization: SIG-HMAC-SHA256 <hex>`` header, ``record_from_sync_payload`` turns the body
into a one-run ``CourseRecord``. The payload has no title: the record's title is the course key
and harvest should treat it as an update of the runs and offer of an existing course.

Options: ``limit`` (page size, default 50), ``language``, ``provider_code`` (default
"fun-mooc"), ``provider_name``, ``endpoint`` (default ``/api/v1.0/courses/``), ``params``
(extra query filters). The checkpoint is the offset of the next item.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

from emclm.catalogue.normalise import clean_text, language_code, parse_duration_weeks, parse_effort
from emclm.catalogue.records import CourseRecord, CourseRunRecord
from emclm.catalogue.sources._protocol_helpers import (
    NOT_MODIFIED,
    as_decimal,
    as_str,
    fetch_json,
    page_error,
    run_date,
    unique,
    warn,
)
from emclm.ingest import RecordError, Source, SourceConfig, SourceItem

DEFAULT_BASE = "https://www.fun-mooc.fr"
ENDPOINT = "/api/v1.0/courses/"
SIGNATURE_SCHEME = "SIG-HMAC-SHA256"
COURSE_KEY = re.compile(r"(course-v1:[^/+]+\+[^/+]+\+[^/?#]+)")
LEGACY_KEY = re.compile(r"/courses/([^/]+/[^/]+/[^/]+)/")

FREE_OFFERS = {"free": True, "partially_free": True, "subscription": False, "paid": False}
CERTIFICATE_OFFERS = {"free": "free", "subscription": "paid", "paid": "paid"}


def _image(value: Any) -> str | None:
    if isinstance(value, dict):
        return as_str(value.get("src"))
    return as_str(value)


def _offer_fields(data: dict, record_id: str | None, source: Source | None) -> dict[str, Any]:
    """price, currency, free_audit, certificate_type, certificate_price from Richie offer fields."""
    out: dict[str, Any] = {}
    offer = data.get("offer")
    if offer is not None:
        if offer in FREE_OFFERS:
            out["free_audit"] = FREE_OFFERS[offer]
        elif source is not None:
            warn(source, record_id, "offer", f"unknown offer {offer!r}")
    price = as_decimal(data.get("price"))
    if data.get("price") is not None and price is None and source is not None:
        warn(source, record_id, "price", f"not a number: {data.get('price')!r}")
    if offer == "free" and price is None:
        price = as_decimal(0)
    out["price"] = price
    if price is not None or data.get("price_currency"):
        out["currency"] = as_str(data.get("price_currency")) or "EUR"
    cert = data.get("certificate_offer")
    if cert is not None:
        if cert in CERTIFICATE_OFFERS:
            out["certificate_type"] = CERTIFICATE_OFFERS[cert]
        elif source is not None:
            warn(source, record_id, "certificate_offer", f"unknown certificate offer {cert!r}")
    out["certificate_price"] = as_decimal(data.get("certificate_price"))
    if cert == "free" and out["certificate_price"] is None:
        out["certificate_price"] = as_decimal(0)
    return out


def course_key_from_resource_link(resource_link: str) -> str | None:
    """``http://lms/courses/course-v1:edX+DemoX+01/course/`` → ``course-v1:edX+DemoX+01``."""
    match = COURSE_KEY.search(resource_link)
    if match:
        return match.group(1)
    match = LEGACY_KEY.search(resource_link)
    return match.group(1) if match else None


def course_code_from_key(course_key: str) -> str:
    """Richie's course code for an Open edX key: the course number, upper-cased."""
    body = course_key.split(":", 1)[1] if course_key.startswith("course-v1:") else course_key
    parts = re.split(r"[+/]", body)
    return (parts[1] if len(parts) >= 2 else parts[0]).upper()


class RichieSource(Source):
    kind = "richie"

    def __init__(self, config: SourceConfig, fetch=None):
        super().__init__(config, fetch)
        self.warnings = []
        opts = config.options
        self.base = (config.url or DEFAULT_BASE).rstrip("/")
        self.provider_code = opts.get("provider_code", "fun-mooc")
        self.provider_name = opts.get("provider_name", "FUN-MOOC")
        self.limit = int(opts.get("limit", 50))

    def items(self, checkpoint: Any = None) -> Iterator[SourceItem]:
        endpoint = urljoin(self.base + "/", self.config.options.get("endpoint", ENDPOINT).lstrip("/"))
        offset = checkpoint if isinstance(checkpoint, int) else 0
        if offset:
            self.complete = False
        language = self.config.options.get("language")
        headers = {"Accept": "application/json"}
        if language:
            headers["Accept-Language"] = language
        while True:
            params = {"limit": self.limit, "offset": offset, **self.config.options.get("params", {})}
            if language:
                params["lang"] = language
            data, error = fetch_json(self, endpoint, params=params, headers=headers)
            if error:
                error.checkpoint = offset
                yield error
                return
            if data is NOT_MODIFIED:
                self.complete = False
                return
            objects = data.get("objects") if isinstance(data, dict) else None
            meta = data.get("meta") if isinstance(data, dict) else None
            if not isinstance(objects, list) or not isinstance(meta, dict):
                yield page_error(
                    self, endpoint, ValueError(f"offset {offset}: no 'objects' list / 'meta' in the response"), offset
                )
                return
            for raw in objects:
                offset += 1
                item = self.parse(raw)
                item.checkpoint = offset
                yield item
            total = meta.get("total_count")
            if not objects or not isinstance(total, int) or offset >= total:
                return

    def parse(self, raw: Any) -> SourceItem:
        if not isinstance(raw, dict):
            return self.error(None, None, f"course entry is a {type(raw).__name__}, not an object")
        record_id = as_str(raw.get("id"))
        if not record_id:
            return self.error(None, "id", "missing course id")
        title = clean_text(as_str(raw.get("title")))
        if not title:
            return self.error(record_id, "title", "missing course title")
        url = urljoin(self.base + "/", str(raw["absolute_url"]).lstrip("/")) if raw.get("absolute_url") else None

        runs: list[CourseRunRecord] = []
        languages: list[str] = []
        for n, run in enumerate(raw.get("course_runs") or []):
            if not isinstance(run, dict):
                warn(self, record_id, f"course_runs[{n}]", "run is not an object")
                continue
            run_langs = [language_code(x) for x in run.get("languages") or []]
            languages += [x for x in run_langs if x]
            start = run_date(run.get("start"))
            key = None
            if run.get("resource_link"):
                key = course_key_from_resource_link(str(run["resource_link"]))
            run_key = key or as_str(run.get("id")) or (start.isoformat() if start else f"run-{n}")
            offer = _offer_fields(run, record_id, None)
            runs.append(
                CourseRunRecord(
                    run_key=run_key,
                    start_date=start,
                    end_date=run_date(run.get("end")),
                    enrolment_start=run_date(run.get("enrollment_start")),
                    enrolment_end=run_date(run.get("enrollment_end")),
                    language=run_langs[0] if run_langs and run_langs[0] else None,
                    price=offer.get("price"),
                    currency=offer.get("currency"),
                    url=as_str(run.get("resource_link")),
                )
            )
        languages = unique(languages)

        effort = parse_effort(clean_text(as_str(raw.get("effort")))) if raw.get("effort") else None
        duration = parse_duration_weeks(clean_text(as_str(raw.get("duration")))) if raw.get("duration") else None
        if raw.get("effort") and effort and effort.hours_per_week is None and effort.total_hours is None:
            warn(self, record_id, "effort", f"unreadable effort {raw.get('effort')!r}")
        hours_per_week = effort.hours_per_week if effort else None
        workload = effort.total_hours if effort else None
        if workload is None and hours_per_week and duration:
            workload = hours_per_week * duration
        code = as_str(raw.get("code"))
        offer = _offer_fields(raw, record_id, self)
        return SourceItem(
            record=CourseRecord(
                source_record_id=record_id,
                provider_code=self.provider_code,
                provider_name=self.provider_name,
                provider_url=self.base,
                platform_course_id=code.upper() if code else None,
                title=title,
                description=clean_text(as_str(raw.get("introduction"))),
                organisation_name=clean_text(as_str(raw.get("organization_highlighted"))),
                language=languages[0] if languages else None,
                languages=languages,
                hours_per_week=hours_per_week,
                workload_hours=workload,
                duration_weeks=duration,
                url=url,
                image_url=_image(raw.get("cover_image")),
                runs=runs,
                **offer,
            )
        )


# -- push hook --------------------------------------------------------------------------------


def verify_sync_signature(body: bytes, authorization_header: str | None, secret: str) -> bool:
    """True when ``authorization_header`` is ``SIG-HMAC-SHA256 <hex HMAC-SHA256 of body>``.

    Constant-time comparison; an empty secret, a missing or malformed header never verifies.
    """
    if not secret or not authorization_header or not isinstance(authorization_header, str):
        return False
    scheme, _, signature = authorization_header.strip().partition(" ")
    signature = signature.strip()
    if scheme != SIGNATURE_SCHEME or not re.fullmatch(r"[0-9a-fA-F]{64}", signature):
        return False
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature.lower())


def record_from_sync_payload(
    payload: dict, source_name: str, provider_code: str = "fun-mooc", provider_name: str = "FUN-MOOC"
) -> CourseRecord:
    """A course-run sync body → a one-run ``CourseRecord``; ``RecordError`` names a bad field."""
    if not isinstance(payload, dict):
        raise RecordError(source_name, None, None, "sync payload is not a JSON object")
    link = payload.get("resource_link")
    if not isinstance(link, str) or not link.strip():
        raise RecordError(source_name, None, "resource_link", "missing resource_link")
    key = course_key_from_resource_link(link)
    if not key:
        raise RecordError(source_name, link, "resource_link", f"no course key in {link!r}")
    langs = payload.get("languages")
    if not isinstance(langs, list) or not langs:
        raise RecordError(source_name, key, "languages", "languages must be a non-empty list")
    languages = unique([language_code(x) for x in langs])
    if not languages:
        raise RecordError(source_name, key, "languages", f"no known language in {langs!r}")
    dates = {}
    for field_name in ("start", "end", "enrollment_start", "enrollment_end"):
        value = payload.get(field_name)
        parsed = run_date(value)
        if value not in (None, "") and parsed is None and not str(value).startswith("9999"):
            raise RecordError(source_name, key, field_name, f"not an ISO 8601 date: {value!r}")
        dates[field_name] = parsed
    for field_name in ("price", "certificate_price", "discounted_price", "certificate_discounted_price"):
        value = payload.get(field_name)
        if value not in (None, "") and as_decimal(value) is None:
            raise RecordError(source_name, key, field_name, f"not a decimal: {value!r}")
    offer = _offer_fields(payload, key, None)
    visibility = payload.get("catalog_visibility")
    parts = urlsplit(link)
    lms = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None
    return CourseRecord(
        source_record_id=key,
        provider_code=provider_code,
        provider_name=provider_name,
        provider_url=lms,
        platform_course_id=course_code_from_key(key),
        title=key,
        language=languages[0],
        languages=languages,
        url=link if visibility != "hidden" else None,
        runs=[
            CourseRunRecord(
                run_key=key,
                start_date=dates["start"],
                end_date=dates["end"],
                enrolment_start=dates["enrollment_start"],
                enrolment_end=dates["enrollment_end"],
                language=languages[0],
                price=offer.get("price"),
                currency=offer.get("currency"),
                url=link,
            )
        ],
        **offer,
    )
