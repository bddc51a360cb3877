"""MOOChub (openHPI/xikolo, iMooX, oncampus/mooin, KI-Campus, openVHB …): JSON:API course lists.

Pages are followed through ``links.next``; the request asks for the newest version
(``Accept: application/vnd.api+json; moochub-version=3``) and the served version is read per
record from its ``type``: ``courses`` → v2.x (and the v1-era payloads still in the wild),
``Course`` → v3. Each record's attributes are validated against the shipped JSON Schema
(``data/schemas/moochub/``); a record that fails validation is still imported when it has what
our model needs (an id and a name), and every validation problem goes to ``self.warnings``.
A record without id or name is an error item.

Real-data quirks handled: oncampus v1 ``abtract`` (typo), ``workload`` in minutes (values above
168 cannot be hours per week: read as total minutes, unless ``options["workload_unit"]`` says
otherwise), string booleans (``isAccessibleForFree: "true"``), image/video as plain strings,
``partnerInstitute`` vs ``partnerInstitutes``, iMooX ``learningobjectives`` in lower case and
HTML entities in names.

v3 mapping: ``teaches`` → ``declared_skills`` (the ESCO URI when the skill is an ESCO node, else
its name); ``offer`` → price / currency / free_audit / certificate_price;
``educationalCredentialsAwarded`` → certificate_type; ``numberOfCredits`` → ects_credits;
parallel ``startDate``/``endDate`` arrays → runs; ``workload {timeValue, timeUnit}`` →
hours_per_week; ``educationalAlignment`` (ISCED-F) → subject; ``educationalLevel`` (EQF) →
eqf_level.

Options: ``provider_code`` (default: slug of the platform name, else the source name),
``provider_name``, ``workload_unit`` ("hours_per_week" | "minutes_total" | "auto", default auto),
``max_pages`` (safety stop, default 10000). Checkpoint: ``{"url": page URL, "skip": n}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema

from emclm.catalogue.http import FetchError
from emclm.catalogue.normalise import clean_text, iso_duration_weeks, language_code, slug
from emclm.catalogue.records import CourseRecord, CourseRunRecord
from emclm.catalogue.sources._protocol_helpers import (
    as_bool,
    as_decimal,
    as_float,
    as_str,
    page_error,
    run_date,
    unique,
    warn,
)
from emclm.config import get_settings
from emclm.ingest import Source, SourceConfig, SourceItem

ACCEPT = "application/vnd.api+json; moochub-version=3"
SCHEMA_FILES = {"2": "moochub-schema-v2.3.json", "3": "moochub-schema-v3.json"}
ESCO_URI = re.compile(r"https?://data\.europa\.eu/esco/[a-z-]+/[0-9a-f-]+")
WEEKS_PER_MONTH = 52 / 12
CREDENTIALS = {
    "certificate": "paid",
    "record of achievement": "record_of_achievement",
    "confirmation of participation": "participation",
}
MAX_WARNINGS_PER_RECORD = 10


def schema_dir() -> Path:
    return get_settings().data_dir / "schemas" / "moochub"


@lru_cache(maxsize=4)
def record_validator(version: str) -> jsonschema.protocols.Validator:
    """A validator for one JSON:API course object (``{id, type, attributes}``) of ``version``."""
    root = json.loads((schema_dir() / SCHEMA_FILES[version]).read_text(encoding="utf-8"))
    item = dict(root["properties"]["data"]["items"])
    if "$defs" in root:
        item["$defs"] = root["$defs"]
    cls = jsonschema.validators.validator_for(root)
    return cls(item)


def _label(value: Any, prefer: str = "en") -> str | None:
    """A MOOChub MultilingualLabel ``[{inLanguage, name}]`` (or a plain string) → one string."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        labels = [(v.get("inLanguage"), v.get("name")) for v in value if isinstance(v, dict) and v.get("name")]
        for lang, name in labels:
            if lang and str(lang).lower().startswith(prefer):
                return clean_text(name)
        if labels:
            return clean_text(labels[0][1])
    return None


def _url_of(value: Any) -> str | None:
    if isinstance(value, str):
        return as_str(value)
    if isinstance(value, dict):
        return as_str(value.get("contentUrl") or value.get("url"))
    return None


def _first_org(*groups: Any) -> dict | None:
    for group in groups:
        entries = group if isinstance(group, list) else [group]
        for entry in entries:
            if isinstance(entry, dict) and entry.get("name") and entry.get("type", "Organization") == "Organization":
                return entry
    return None


class MOOChubSource(Source):
    kind = "moochub"

    def __init__(self, config: SourceConfig, fetch=None):
        super().__init__(config, fetch)
        self.warnings = []
        self.served_versions: set[str] = set()
        self.sunset: str | None = None

    # -- paging ---------------------------------------------------------------------------------

    def items(self, checkpoint: Any = None) -> Iterator[SourceItem]:
        if not self.config.url:
            yield self.error(None, "url", "MOOChub source needs a url")
            self.complete = False
            return
        url = self.config.url
        skip = 0
        if isinstance(checkpoint, dict) and checkpoint.get("url"):
            url, skip = checkpoint["url"], int(checkpoint.get("skip") or 0)
            self.complete = False
        seen: set[str] = set()
        max_pages = int(self.config.options.get("max_pages", 10000))
        while url and url not in seen and len(seen) < max_pages:
            seen.add(url)
            try:
                resp = self.fetch(url, headers={"Accept": ACCEPT})
                if getattr(resp, "not_modified", False):
                    self.complete = False
                    return
                self._note_version(resp)
                data = resp.json()
            except (FetchError, ValueError) as exc:
                yield page_error(self, url, exc, {"url": url, "skip": skip})
                return
            if not isinstance(data, dict) or "data" not in data:
                yield page_error(
                    self, url, ValueError("not a JSON:API document (no 'data')"), {"url": url, "skip": skip}
                )
                return
            records = data["data"]
            if isinstance(records, dict):
                records = [records]
            if not isinstance(records, list):
                yield page_error(
                    self, url, ValueError("'data' is neither a list nor an object"), {"url": url, "skip": skip}
                )
                return
            for index, raw in enumerate(records):
                if index < skip:
                    continue
                item = self.parse(raw, f"{url}#{index}")
                item.checkpoint = {"url": url, "skip": index + 1}
                yield item
            skip = 0
            links = data.get("links") if isinstance(data.get("links"), dict) else {}
            url = as_str(links.get("next"))
        if url and url in seen:
            warn(self, None, "links.next", f"paging loops back to {url}; stopped")

    def _note_version(self, resp: Any) -> None:
        headers = getattr(resp, "headers", {}) or {}
        ctype = headers.get("content-type", "")
        match = re.search(r"moochub-version=([0-9.]+)", ctype)
        if match:
            self.served_versions.add(match.group(1))
        if headers.get("sunset"):
            self.sunset = headers["sunset"]
            warn(self, None, "Sunset", f"the served MOOChub version is deprecated (Sunset: {headers['sunset']})")

    # -- one record -----------------------------------------------------------------------------

    def parse(self, raw: Any, where: str = "?") -> SourceItem:
        if not isinstance(raw, dict):
            return self.error(where, None, f"course entry is a {type(raw).__name__}, not an object")
        record_id = as_str(raw.get("id"))
        if not record_id:
            return self.error(where, "id", "missing course id")
        attrs = raw.get("attributes")
        if not isinstance(attrs, dict):
            return self.error(record_id, "attributes", "missing attributes object")
        name = clean_text(as_str(attrs.get("name")))
        if not name:
            return self.error(record_id, "attributes.name", "missing course name")
        version = "3" if raw.get("type") == "Course" else "2"
        if raw.get("type") not in ("Course", "courses"):
            warn(self, record_id, "type", f"unknown JSON:API type {raw.get('type')!r}; read as MOOChub v2")
        self._validate(raw, version, record_id)
        if version == "3":
            return SourceItem(record=self._record_v3(record_id, name, attrs))
        return SourceItem(record=self._record_v2(record_id, name, attrs))

    def _validate(self, raw: dict, version: str, record_id: str) -> None:
        errors = sorted(record_validator(version).iter_errors(raw), key=lambda e: list(e.absolute_path))
        for err in errors[:MAX_WARNINGS_PER_RECORD]:
            path = ".".join(str(p) for p in err.absolute_path) or "(record)"
            warn(self, record_id, path, f"MOOChub v{version} schema: {err.message[:300]}")
        if len(errors) > MAX_WARNINGS_PER_RECORD:
            warn(self, record_id, "(record)", f"{len(errors) - MAX_WARNINGS_PER_RECORD} more schema problems")

    def _provider(self, platform: dict | None) -> tuple[str, str | None, str | None]:
        opts = self.config.options
        name = opts.get("provider_name") or (clean_text(as_str(platform.get("name"))) if platform else None)
        code = opts.get("provider_code") or (slug(name) if name else None) or self.name
        url = opts.get("provider_url") or (as_str(platform.get("url")) if platform else None)
        return code, name, url

    def _languages(self, record_id: str, values: Any, field_name: str) -> list[str]:
        out = []
        for value in values if isinstance(values, list) else [values] if values else []:
            code = language_code(value)
            if code:
                out.append(code)
            else:
                warn(self, record_id, field_name, f"unknown language {value!r}")
        return unique(out)

    def _record_v2(self, record_id: str, name: str, a: dict) -> CourseRecord:
        languages = self._languages(record_id, a.get("languages"), "attributes.languages")
        duration = iso_duration_weeks(a.get("duration")) if a.get("duration") else None
        hours_per_week, workload_hours = self._v2_workload(record_id, a.get("workload"), duration)
        start, end = run_date(a.get("startDate")), run_date(a.get("endDate"))
        runs = []
        if start or end:
            runs.append(
                CourseRunRecord(
                    run_key=start.isoformat() if start else record_id,
                    start_date=start,
                    end_date=end,
                    language=languages[0] if languages else None,
                    url=as_str(a.get("url")),
                    pace="scheduled",
                )
            )
        partner = _first_org(a.get("partnerInstitutes"), a.get("partnerInstitute"))
        code, provider_name, provider_url = self._provider(
            a.get("moocProvider") if isinstance(a.get("moocProvider"), dict) else None
        )
        objectives = a.get("learningObjectives") or a.get("learningobjectives") or []
        access = [str(x).lower() for x in a.get("access") or [] if isinstance(x, str)]
        free = as_bool(a.get("isAccessibleForFree"))
        if free is None and access:
            free = "free" in access
        return CourseRecord(
            source_record_id=record_id,
            provider_code=code,
            provider_name=provider_name,
            provider_url=provider_url,
            platform_course_id=as_str(a.get("courseCode")) or record_id,
            title=name,
            description=clean_text(a.get("description")) or clean_text(a.get("abstract") or a.get("abtract")),
            learning_outcomes=[t for t in (clean_text(o) for o in objectives if isinstance(o, str)) if t],
            organisation_name=clean_text(as_str(partner.get("name"))) if partner else None,
            organisation_url=as_str(partner.get("url")) if partner else None,
            language=languages[0] if languages else None,
            languages=languages,
            duration_weeks=duration,
            hours_per_week=hours_per_week,
            workload_hours=workload_hours,
            pace="scheduled" if start else None,
            free_audit=free,
            price=as_decimal(0) if free else None,
            url=as_str(a.get("url")),
            image_url=_url_of(a.get("image")),
            runs=runs,
        )

    def _v2_workload(self, record_id: str, value: Any, duration: float | None) -> tuple[float | None, float | None]:
        number = as_float(value)
        if value is not None and number is None:
            warn(self, record_id, "attributes.workload", f"not a number: {value!r}")
            return None, None
        if number is None:
            return None, None
        unit = self.config.options.get("workload_unit", "auto")
        if unit == "minutes_total" or (unit == "auto" and number > 168):
            total = number / 60
            if unit == "auto":
                warn(
                    self,
                    record_id,
                    "attributes.workload",
                    f"{value} cannot be hours per week; read as total minutes ({total:g} h)",
                )
            return (total / duration if duration else None), total
        return number, number * duration if duration else None

    def _record_v3(self, record_id: str, name: str, a: dict) -> CourseRecord:
        languages = self._languages(record_id, a.get("inLanguage"), "attributes.inLanguage")
        duration = iso_duration_weeks(a.get("duration")) if a.get("duration") else None
        hours_per_week = self._v3_workload(record_id, a.get("workload"))
        starts = (
            a.get("startDate")
            if isinstance(a.get("startDate"), list)
            else [a.get("startDate")]
            if a.get("startDate")
            else []
        )
        ends = (
            a.get("endDate") if isinstance(a.get("endDate"), list) else [a.get("endDate")] if a.get("endDate") else []
        )
        modes = [str(m).lower() for m in a.get("courseMode") or [] if isinstance(m, str)]
        pace = (
            "self_paced"
            if "asynchronous" in modes and "synchronous" not in modes
            else ("scheduled" if starts or "synchronous" in modes else None)
        )
        enrol_start, enrol_end = run_date(a.get("applicationStartDate")), run_date(a.get("applicationDeadline"))
        runs = []
        for i in range(max(len(starts), len(ends))):
            start = run_date(starts[i]) if i < len(starts) else None
            end = run_date(ends[i]) if i < len(ends) else None
            runs.append(
                CourseRunRecord(
                    run_key=start.isoformat() if start else f"{record_id}-{i}",
                    start_date=start,
                    end_date=end,
                    enrolment_start=enrol_start,
                    enrolment_end=enrol_end,
                    pace=pace,
                    language=languages[0] if languages else None,
                    url=as_str(a.get("url")),
                )
            )

        publisher = a.get("publisher") if isinstance(a.get("publisher"), dict) else None
        code, provider_name, provider_url = self._provider(publisher)
        instructors = a.get("instructor") if isinstance(a.get("instructor"), list) else []
        org = _first_org(
            a.get("creator"),
            a.get("contributor"),
            publisher,
            [p.get("affiliation") for p in instructors if isinstance(p, dict)],
        )

        offers = [o for o in a.get("offer") or [] if isinstance(o, dict)]
        course_offers = [o for o in offers if o.get("category") in ("course", "complete", None)]
        cert_offers = [o for o in offers if o.get("category") == "certificate"]
        course_prices = [p for p in (as_decimal(o.get("price")) for o in course_offers) if p is not None]
        cert_prices = [p for p in (as_decimal(o.get("price")) for o in cert_offers) if p is not None]
        access = [str(x).lower() for x in a.get("access") or [] if isinstance(x, str)]
        price = min(course_prices) if course_prices else None
        free_audit = (price == 0) if price is not None else ("free" in access if access else None)
        currency = next((as_str(o.get("priceCurrency")) for o in offers if o.get("priceCurrency")), None)
        cert_price = min(cert_prices) if cert_prices else None

        credentials = [str(c).lower() for c in a.get("educationalCredentialsAwarded") or [] if isinstance(c, str)]
        certificate_type = None
        for credential in ("certificate", "record of achievement", "confirmation of participation"):
            if credential in credentials:
                certificate_type = CREDENTIALS[credential]
                if credential == "certificate" and cert_price is not None and cert_price == 0:
                    certificate_type = "free"
                break
        if (
            a.get("educationalCredentialsAwarded") is not None
            and not credentials
            and isinstance(a.get("educationalCredentialsAwarded"), list)
        ):
            certificate_type = "none"

        credits = as_float(a.get("numberOfCredits"))
        subject = subject_label = None
        for alignment in a.get("educationalAlignment") or []:
            if isinstance(alignment, dict) and alignment.get("educationalFramework") == "ISCED-F":
                subject = as_str(alignment.get("shortCode"))
                subject_label = _label(alignment.get("name"))
                break
        eqf = None
        for level in a.get("educationalLevel") or []:
            if isinstance(level, dict) and str(level.get("educationalFramework", "")).upper() == "EQF":
                eqf = int(as_float(level.get("shortCode")) or 0) or None

        skills: list[str] = []
        for skill in a.get("teaches") or []:
            if not isinstance(skill, dict):
                continue
            uri = None
            for key in ("targetUrl", "url", "identifier"):
                match = ESCO_URI.search(str(skill.get(key) or ""))
                if match:
                    uri = match.group(0).replace("https://", "http://")
                    break
            label = _label(skill.get("name"))
            if uri:
                skills.append(uri)
            elif label:
                skills.append(label)
        keywords = [k for k in (clean_text(x) for x in a.get("keywords") or [] if isinstance(x, str)) if k]
        return CourseRecord(
            source_record_id=record_id,
            provider_code=code,
            provider_name=provider_name,
            provider_url=provider_url,
            platform_course_id=as_str(a.get("courseCode")) or record_id,
            title=name,
            description=clean_text(a.get("description")),
            keywords=keywords,
            organisation_name=clean_text(as_str(org.get("name"))) if org else None,
            organisation_url=as_str(org.get("url") or org.get("identifier")) if org else None,
            language=languages[0] if languages else None,
            languages=languages,
            subject=subject,
            subject_label=subject_label,
            eqf_level=eqf,
            duration_weeks=duration,
            hours_per_week=hours_per_week,
            workload_hours=hours_per_week * duration if hours_per_week is not None and duration else None,
            pace=pace,
            price=price,
            currency=currency,
            free_audit=free_audit,
            certificate_type=certificate_type,
            certificate_price=cert_price,
            ects_credits=credits if credits else None,
            url=as_str(a.get("url")),
            image_url=_url_of(a.get("image")),
            declared_skills=unique(skills),
            runs=runs,
        )

    def _v3_workload(self, record_id: str, value: Any) -> float | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            warn(self, record_id, "attributes.workload", f"expected {{timeValue, timeUnit}}, got {value!r}")
            return None
        amount, unit = as_float(value.get("timeValue")), value.get("timeUnit")
        if amount is None:
            return None
        factor = {"h/week": 1.0, "h/month": 1 / WEEKS_PER_MONTH, "h/day": 7.0}.get(unit)
        if factor is None:
            warn(self, record_id, "attributes.workload.timeUnit", f"unknown unit {unit!r}")
            return None
        return round(amount * factor, 2)
