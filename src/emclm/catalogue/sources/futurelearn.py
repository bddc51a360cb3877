"""FutureLearn's public course feed (``GET https://www.futurelearn.com/feeds/courses``).

One JSON array of every course, no paging. Each course carries its runs (``start_date``,
``duration_in_weeks``), ``hours_per_week``, ``has_certificates`` and the partner
``organisation``. The feed has no price, skills or level. ``platform_course_id`` is the course
slug from the URL (``/courses/<slug>``); the feed's ``utm_*`` tracking parameters are stripped.

Options: none. ``config.url`` overrides the feed URL. The checkpoint after an item is its index in
the array (resuming skips that many courses).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from emclm.catalogue.normalise import clean_text, language_code
from emclm.catalogue.records import CourseRecord, CourseRunRecord
from emclm.catalogue.sources._protocol_helpers import (
    NOT_MODIFIED,
    as_bool,
    as_float,
    as_str,
    fetch_json,
    page_error,
    run_date,
    strip_tracking,
    warn,
)
from emclm.ingest import Source, SourceConfig, SourceItem

FEED_URL = "https://www.futurelearn.com/feeds/courses"


class FutureLearnSource(Source):
    kind = "futurelearn"
    provider_code = "futurelearn"
    provider_name = "FutureLearn"
    provider_url = "https://www.futurelearn.com"

    def __init__(self, config: SourceConfig, fetch=None):
        super().__init__(config, fetch)
        self.warnings = []

    def items(self, checkpoint: Any = None) -> Iterator[SourceItem]:
        url = self.config.url or FEED_URL
        data, error = fetch_json(self, url)
        if error:
            yield error
            return
        if data is NOT_MODIFIED:
            self.complete = False  # nothing seen does not mean everything withdrawn
            return
        if not isinstance(data, list):
            yield page_error(self, url, ValueError(f"expected a JSON array of courses, got {type(data).__name__}"))
            return
        skip = checkpoint if isinstance(checkpoint, int) else 0
        if skip:
            self.complete = False
        for index, raw in enumerate(data):
            if index < skip:
                continue
            item = self.parse(raw, index)
            item.checkpoint = index + 1
            yield item

    def parse(self, raw: Any, index: int = 0) -> SourceItem:
        if not isinstance(raw, dict):
            return self.error(f"#{index}", None, f"course entry is a {type(raw).__name__}, not an object")
        record_id = as_str(raw.get("uuid"))
        if not record_id:
            return self.error(f"#{index}", "uuid", "missing course uuid")
        title = clean_text(as_str(raw.get("name")))
        if not title:
            return self.error(record_id, "name", "missing course name")

        url = strip_tracking(as_str(raw.get("url")))
        slug = None
        if url:
            path = [p for p in urlsplit(url).path.split("/") if p]
            if len(path) >= 2 and path[0] == "courses":
                slug = path[1]
        language = language_code(raw.get("language"))
        if raw.get("language") and not language:
            warn(self, record_id, "language", f"unknown language {raw.get('language')!r}")

        hours = as_float(raw.get("hours_per_week"))
        if raw.get("hours_per_week") is not None and hours is None:
            warn(self, record_id, "hours_per_week", f"not a number: {raw.get('hours_per_week')!r}")

        runs: list[CourseRunRecord] = []
        weeks: list[float] = []
        for n, run in enumerate(raw.get("runs") or []):
            if not isinstance(run, dict):
                warn(self, record_id, f"runs[{n}]", "run is not an object")
                continue
            start = run_date(run.get("start_date"))
            if run.get("start_date") and start is None:
                warn(self, record_id, f"runs[{n}].start_date", f"not a date: {run.get('start_date')!r}")
            duration = as_float(run.get("duration_in_weeks"))
            if duration:
                weeks.append(duration)
            end = start + timedelta(weeks=duration) if start and duration else None
            run_key = as_str(run.get("uuid")) or (start.isoformat() if start else f"run-{n}")
            runs.append(
                CourseRunRecord(
                    run_key=run_key, start_date=start, end_date=end, pace="scheduled", language=language, url=url
                )
            )
        duration_weeks = weeks[-1] if weeks else None

        org = raw.get("organisation") if isinstance(raw.get("organisation"), dict) else {}
        has_cert = as_bool(raw.get("has_certificates"))
        categories = [c for c in (clean_text(as_str(c)) for c in raw.get("categories") or []) if c]
        description = clean_text(raw.get("description")) or clean_text(raw.get("introduction"))
        return SourceItem(
            record=CourseRecord(
                source_record_id=record_id,
                provider_code=self.provider_code,
                provider_name=self.provider_name,
                provider_url=self.provider_url,
                platform_course_id=slug,
                title=title,
                description=description,
                keywords=categories,
                subject_label=categories[0] if categories else None,
                organisation_name=clean_text(as_str(org.get("name"))),
                organisation_url=as_str(org.get("url")),
                language=language,
                languages=[language] if language else [],
                hours_per_week=hours,
                duration_weeks=duration_weeks,
                workload_hours=hours * duration_weeks if hours and duration_weeks else None,
                pace="scheduled" if runs else None,
                certificate_type=None if has_cert is None else ("paid" if has_cert else "none"),
                url=url,
                image_url=as_str(raw.get("image_url")),
                runs=runs,
            )
        )
