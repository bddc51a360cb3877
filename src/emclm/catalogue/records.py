"""Plain records that sources yield: the catalogue's model without the database.

A source turns each raw platform record into a ``CourseRecord`` (with its ``CourseRunRecord``s).
Harvest compares, stores and reports; a source never writes to the database.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date
from decimal import Decimal


@dataclass
class CourseRunRecord:
    run_key: str
    start_date: date | None = None
    end_date: date | None = None
    enrolment_start: date | None = None
    enrolment_end: date | None = None
    pace: str | None = None  # self_paced | scheduled
    language: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    url: str | None = None


@dataclass
class CourseRecord:
    # identity
    source_record_id: str  # the record's id in this source
    provider_code: str  # platform slug: "futurelearn", "fun-mooc", "openhpi", …
    title: str
    provider_name: str | None = None
    provider_url: str | None = None
    platform_course_id: str | None = None  # the platform's own id when known (same across sources)
    # text
    description: str | None = None
    title_i18n: dict[str, str] = field(default_factory=dict)
    description_i18n: dict[str, str] = field(default_factory=dict)
    learning_outcomes: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    # organisation
    organisation_name: str | None = None
    organisation_url: str | None = None
    organisation_country: str | None = None
    # languages, ISO 639-1
    language: str | None = None
    languages: list[str] = field(default_factory=list)
    subtitle_languages: list[str] = field(default_factory=list)
    language_detected: bool = False
    # classification and recognition
    subject: str | None = None  # ISCED-F code
    subject_label: str | None = None
    eqf_level: int | None = None
    workload_hours: float | None = None
    hours_per_week: float | None = None
    duration_weeks: float | None = None
    pace: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    free_audit: bool | None = None
    certificate_type: str | None = None
    certificate_price: Decimal | None = None
    ects_credits: float | None = None
    assessment_type: str | None = None
    identity_verification: bool | None = None
    quality_label: str | None = None
    url: str | None = None
    image_url: str | None = None
    # skills a platform declares itself (MOOChub v3 ``teaches``): ESCO URIs or free names
    declared_skills: list[str] = field(default_factory=list)
    runs: list[CourseRunRecord] = field(default_factory=list)

    def content_hash(self) -> str:
        """Stable hash of everything the record says; equal hashes mean nothing changed.

        The digest of ``json.dumps(dataclasses.asdict(self), sort_keys=True, default=str)``, computed
        without asdict's deep copy (about five times faster: the harvest hashes every record it sees)."""
        data = {f.name: _plain(getattr(self, f.name)) for f in fields(self)}
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()


_ATOMIC = (str, int, float, bool, type(None))


def _plain(value):
    """What ``dataclasses.asdict`` makes of the values a record holds."""
    if type(value) in _ATOMIC:
        return value
    if isinstance(value, list):
        return [v if type(v) in _ATOMIC else _plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    return value
