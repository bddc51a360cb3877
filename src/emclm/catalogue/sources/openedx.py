"""Open edX sites: the LMS Course API or the Course Discovery API (``options["api"]``).

``lms`` (default): ``GET {url}/api/courses/v1/courses/?page_size=`` → ``{"results": [...],
"pagination": {"next", "count", "num_pages", …}}``, anonymous. Every result is one course *run*
(``course-v1:ORG+NUMBER+RUN``); runs of one catalogue course (``ORG+NUMBER``) are grouped into
one ``CourseRecord`` after all pages are read (the newest run supplies title, description,
effort and pace). Hidden runs are skipped. No price, language or certificate info exists here.
Grouping means the LMS flavour has no mid-run checkpoint: a resumed run starts again.

``discovery``: ``GET {url}/api/v1/courses/?page_size=`` → DRF ``{"count", "next", "previous",
"results"}``. One result per course with its ``course_runs`` (pacing_type, seats,
weeks_to_complete, min/max_effort, content_language, transcript_languages). Seats: an ``audit``
seat means free audit; ``verified`` / ``professional`` seats give the certificate type and price
(a course with only a professional seat has that as its price). ``skill_names`` go to
``declared_skills`` as free names. Unpublished runs are skipped. Checkpoint:
``{"url": page URL, "skip": n}``.

Options: ``api`` ("lms" | "discovery"), ``page_size`` (default 100), ``params`` (extra query,
e.g. ``{"org": "UPValenciaX"}``), ``endpoint`` (override the path), ``provider_code``
(default: the site's host name as a slug), ``provider_name``, ``course_url`` (template for
course page URLs in the LMS flavour, default ``{base}/courses/{run_key}/about``).
Authentication (JWT for most Discovery installs) is not handled here: it needs a secret in
Settings first.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from lxml import etree

from emclm.catalogue.normalise import clean_text, language_code, parse_effort, slug
from emclm.catalogue.records import CourseRecord, CourseRunRecord
from emclm.catalogue.sources._protocol_helpers import (
    NOT_MODIFIED,
    as_decimal,
    as_float,
    as_str,
    fetch_json,
    page_error,
    run_date,
    unique,
    warn,
)
from emclm.catalogue.xmlsafe import XMLError, parse_html
from emclm.ingest import Source, SourceConfig, SourceItem

LMS_ENDPOINT = "/api/courses/v1/courses/"
DISCOVERY_ENDPOINT = "/api/v1/courses/"
PACING = {"self": "self_paced", "self_paced": "self_paced", "instructor": "scheduled", "instructor_paced": "scheduled"}
CERT_SEATS = ("verified", "professional", "no-id-professional", "credit")


def catalogue_key(run_key: str) -> str:
    """``course-v1:ORG+NUM+RUN`` (or legacy ``ORG/NUM/RUN``) → ``ORG+NUM``."""
    body = run_key.split(":", 1)[1] if run_key.startswith("course-v1:") else run_key
    parts = body.replace("/", "+").split("+")
    return "+".join(parts[:2]) if len(parts) >= 2 else body


def _list_items(html_text: str | None) -> list[str]:
    """An HTML "what you'll learn" block → its list items (or the whole text as one item)."""
    if not html_text or not str(html_text).strip():
        return []
    try:
        root = parse_html(str(html_text).encode("utf-8"))
        items = [clean_text(li.text_content()) for li in root.iter("li")]
    except (XMLError, etree.LxmlError):
        items = []
    items = [i for i in items if i]
    if items:
        return items
    text = clean_text(html_text)
    return [text] if text else []


class OpenEdXSource(Source):
    kind = "openedx"

    def __init__(self, config: SourceConfig, fetch=None):
        super().__init__(config, fetch)
        self.warnings = []
        opts = config.options
        self.api = opts.get("api", "lms")
        self.base = (config.url or "").rstrip("/")
        host = urlsplit(self.base).hostname or config.name
        self.provider_code = opts.get("provider_code") or slug(host.removeprefix("www.").removeprefix("courses."))
        self.provider_name = opts.get("provider_name")
        self.page_size = int(opts.get("page_size", 100))

    def _abs(self, url: Any) -> str | None:
        url = as_str(url)
        return urljoin(self.base + "/", url) if url else None

    def items(self, checkpoint: Any = None) -> Iterator[SourceItem]:
        if not self.base:
            self.complete = False
            yield self.error(None, "url", "Open edX source needs the site url")
            return
        if self.api == "discovery":
            yield from self._discovery(checkpoint)
        elif self.api == "lms":
            yield from self._lms()
        else:
            self.complete = False
            yield self.error(None, "options.api", f"unknown api {self.api!r} (lms | discovery)")

    def _pages(self, endpoint: str, start_url: str | None, results_key: str = "results"):
        """Yield (page_url, results | None, error item | None) following DRF ``next`` links."""
        url = start_url
        if not url:
            first = urljoin(self.base + "/", self.config.options.get("endpoint", endpoint).lstrip("/"))
            params = {"page_size": self.page_size, **self.config.options.get("params", {})}
            url = str(httpx.URL(first, params=params))
        seen: set[str] = set()
        while url and url not in seen:
            seen.add(url)
            data, error = fetch_json(self, url)
            if error:
                yield url, None, error
                return
            if data is NOT_MODIFIED:
                self.complete = False
                return
            results = data.get(results_key) if isinstance(data, dict) else None
            if not isinstance(results, list):
                yield url, None, page_error(self, url, ValueError(f"no '{results_key}' list in the response"))
                return
            yield url, results, None
            nxt = data.get("next")
            if nxt is None and isinstance(data.get("pagination"), dict):
                nxt = data["pagination"].get("next")
            url = as_str(nxt)

    # -- LMS Course API -----------------------------------------------------------------------

    def _lms(self) -> Iterator[SourceItem]:
        groups: dict[str, list[dict]] = {}
        for _page_url, results, error in self._pages(LMS_ENDPOINT, None):
            if error:
                yield error
                break
            for n, raw in enumerate(results):
                if not isinstance(raw, dict):
                    yield self.error(f"{_page_url}#{n}", None, "course run is not an object")
                    continue
                run_key = as_str(raw.get("id") or raw.get("course_id"))
                if not run_key:
                    yield self.error(f"{_page_url}#{n}", "id", "missing course run id")
                    continue
                if raw.get("hidden") is True:
                    continue
                if not clean_text(as_str(raw.get("name"))):
                    yield self.error(run_key, "name", "missing course name")
                    continue
                groups.setdefault(catalogue_key(run_key), []).append(raw)
        for key, runs in groups.items():
            yield SourceItem(record=self._lms_record(key, runs))

    def _lms_record(self, key: str, raws: list[dict]) -> CourseRecord:
        raws = sorted(raws, key=lambda r: run_date(r.get("start")) or date.min)
        latest = raws[-1]
        runs = []
        for raw in raws:
            run_key = as_str(raw.get("id") or raw.get("course_id"))
            runs.append(
                CourseRunRecord(
                    run_key=run_key,
                    start_date=run_date(raw.get("start")),
                    end_date=run_date(raw.get("end")),
                    enrolment_start=run_date(raw.get("enrollment_start")),
                    enrolment_end=run_date(raw.get("enrollment_end")),
                    pace=PACING.get(str(raw.get("pacing") or "")),
                    url=self._course_url(run_key),
                )
            )
        effort_text = as_str(latest.get("effort"))
        effort = parse_effort(effort_text) if effort_text else None
        if effort_text and effort and effort.hours_per_week is None and effort.total_hours is None:
            warn(self, key, "effort", f"unreadable effort {effort_text!r}")
        media = latest.get("media") if isinstance(latest.get("media"), dict) else {}
        image = None
        if isinstance(media.get("image"), dict):
            image = media["image"].get("raw") or media["image"].get("large")
        if not image and isinstance(media.get("course_image"), dict):
            image = media["course_image"].get("uri")
        return CourseRecord(
            source_record_id=key,
            provider_code=self.provider_code,
            provider_name=self.provider_name,
            provider_url=self.base,
            platform_course_id=key,
            title=clean_text(as_str(latest.get("name"))),
            description=clean_text(latest.get("overview")) or clean_text(as_str(latest.get("short_description"))),
            organisation_name=as_str(latest.get("org")),
            hours_per_week=effort.hours_per_week if effort else None,
            workload_hours=effort.total_hours if effort else None,
            pace=PACING.get(str(latest.get("pacing") or "")),
            url=runs[-1].url,
            image_url=self._abs(image),
            runs=runs,
        )

    def _course_url(self, run_key: str) -> str:
        template = self.config.options.get("course_url", "{base}/courses/{run_key}/about")
        return template.format(base=self.base, run_key=run_key, course_key=catalogue_key(run_key))

    # -- Course Discovery ---------------------------------------------------------------------

    def _discovery(self, checkpoint: Any) -> Iterator[SourceItem]:
        start_url, skip = None, 0
        if isinstance(checkpoint, dict) and checkpoint.get("url"):
            start_url, skip = checkpoint["url"], int(checkpoint.get("skip") or 0)
            self.complete = False
        for page_url, results, error in self._pages(DISCOVERY_ENDPOINT, start_url):
            if error:
                error.checkpoint = {"url": page_url, "skip": skip}
                yield error
                return
            for n, raw in enumerate(results):
                if n < skip:
                    continue
                item = self._discovery_item(raw, f"{page_url}#{n}")
                item.checkpoint = {"url": page_url, "skip": n + 1}
                yield item
            skip = 0

    def _discovery_item(self, raw: Any, where: str) -> SourceItem:
        if not isinstance(raw, dict):
            return self.error(where, None, "course is not an object")
        key = as_str(raw.get("key")) or as_str(raw.get("uuid"))
        if not key:
            return self.error(where, "key", "missing course key")
        title = clean_text(as_str(raw.get("title")))
        if not title:
            return self.error(key, "title", "missing course title")

        runs: list[CourseRunRecord] = []
        run_info: list[tuple[dict, CourseRunRecord]] = []
        seats_all: list[dict] = []
        for n, run in enumerate(raw.get("course_runs") or []):
            if not isinstance(run, dict):
                warn(self, key, f"course_runs[{n}]", "run is not an object")
                continue
            status = run.get("status")
            if status is not None and status != "published":
                continue
            seats = [s for s in run.get("seats") or [] if isinstance(s, dict)]
            seats_all += seats
            paid = [as_decimal(s.get("price")) for s in seats if s.get("type") in CERT_SEATS]
            paid = [p for p in paid if p is not None]
            currency = next((as_str(s.get("currency")) for s in seats if s.get("currency")), None)
            audit = any(s.get("type") == "audit" for s in seats)
            record = CourseRunRecord(
                run_key=as_str(run.get("key")) or as_str(run.get("uuid")) or f"{key}-{n}",
                start_date=run_date(run.get("start")),
                end_date=run_date(run.get("end")),
                enrolment_start=run_date(run.get("enrollment_start")),
                enrolment_end=run_date(run.get("enrollment_end")),
                pace=PACING.get(str(run.get("pacing_type") or "")),
                language=language_code(run.get("content_language")),
                price=Decimal("0") if audit else (min(paid) if paid else None),
                currency=currency,
                url=as_str(run.get("marketing_url")),
            )
            runs.append(record)
            run_info.append((run, record))
        runs.sort(key=lambda r: r.start_date or date.min)
        current = self._current_run(run_info)
        raw_run = current[0] if current else {}

        lo, hi = as_float(raw_run.get("min_effort")), as_float(raw_run.get("max_effort"))
        hours = (lo + hi) / 2 if lo is not None and hi is not None else (hi if hi is not None else lo)
        weeks = as_float(raw_run.get("weeks_to_complete"))
        estimated = as_float(raw_run.get("estimated_hours"))
        seat_types = {s.get("type") for s in seats_all}
        cert_prices = {s.get("type"): as_decimal(s.get("price")) for s in seats_all if s.get("type") in CERT_SEATS}
        certificate_type = next((t for t in ("verified", "professional") if t in seat_types), None)
        if certificate_type is None and "no-id-professional" in seat_types:
            certificate_type = "professional"
        if certificate_type is None and seat_types == {"audit"}:
            certificate_type = "none"
        certificate_price = cert_prices.get(certificate_type) if certificate_type not in (None, "none") else None
        if certificate_price is None and certificate_type == "professional":
            certificate_price = cert_prices.get("no-id-professional")
        if certificate_price is None:
            for ent in raw.get("entitlements") or []:
                if isinstance(ent, dict) and ent.get("mode") in ("verified", "professional"):
                    certificate_price = as_decimal(ent.get("price"))
                    break
        free_audit = "audit" in seat_types if seat_types else None
        price = Decimal("0") if free_audit else (certificate_price if seat_types else None)
        currency = next((as_str(s.get("currency")) for s in seats_all if s.get("currency")), None)
        languages = unique([r.language for r in runs if r.language])
        if current and current[1].language in languages:
            languages.remove(current[1].language)
            languages.insert(0, current[1].language)
        subtitles = unique([language_code(x) for x in raw_run.get("transcript_languages") or []])
        owners = [o for o in raw.get("owners") or raw.get("sponsors") or [] if isinstance(o, dict)]
        subjects = [clean_text(as_str(s.get("name"))) for s in raw.get("subjects") or [] if isinstance(s, dict)]
        subjects = [s for s in subjects if s]
        topics = [clean_text(as_str(t)) for t in raw.get("topics") or []]
        image = raw.get("image")
        image_url = image.get("src") if isinstance(image, dict) else as_str(image)
        return SourceItem(
            record=CourseRecord(
                source_record_id=key,
                provider_code=self.provider_code,
                provider_name=self.provider_name,
                provider_url=self.base,
                platform_course_id=as_str(raw.get("key")) or key,
                title=title,
                description=clean_text(raw.get("full_description")) or clean_text(raw.get("short_description")),
                learning_outcomes=_list_items(raw.get("outcome")),
                keywords=unique(subjects + [t for t in topics if t]),
                subject_label=subjects[0] if subjects else None,
                organisation_name=clean_text(as_str(owners[0].get("name"))) if owners else None,
                organisation_url=as_str(owners[0].get("homepage_url") or owners[0].get("marketing_url"))
                if owners
                else None,
                language=languages[0] if languages else None,
                languages=languages,
                subtitle_languages=[s for s in subtitles if s],
                hours_per_week=hours,
                duration_weeks=weeks,
                workload_hours=estimated or (hours * weeks if hours is not None and weeks else None),
                pace=current[1].pace if current else None,
                price=price,
                currency=currency,
                free_audit=free_audit,
                certificate_type=certificate_type,
                certificate_price=certificate_price,
                identity_verification=True if certificate_type == "verified" else None,
                url=as_str(raw.get("marketing_url")) or (current[1].url if current else None),
                image_url=self._abs(image_url),
                declared_skills=unique([clean_text(as_str(s)) for s in raw.get("skill_names") or [] if as_str(s)]),
                runs=runs,
            )
        )

    @staticmethod
    def _current_run(run_info: list[tuple[dict, CourseRunRecord]]):
        if not run_info:
            return None
        open_runs = [ri for ri in run_info if ri[0].get("availability") in ("Current", "Starting Soon", "Upcoming")]
        pool = open_runs or run_info
        return max(pool, key=lambda ri: ri[1].start_date or date.min)
