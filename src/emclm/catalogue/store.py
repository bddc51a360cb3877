"""Storing ``CourseRecord``s: identity, change detection, provenance and withdrawal.

Identity
    Every (source, record id) is one ``CourseSource`` row (provenance). The course it belongs to is
    found through identity keys (``CourseKey``), strongest first:

    1. ``<provider code>:<platform course id>`` when the record carries the platform's own id,
    2. ``<provider code>:url:<normalised URL>`` when it has a course URL,
    3. ``<provider code>:rec:<source>:<record id>`` otherwise.

    A course keeps every key any of its records offered, so an aggregator that only knows the URL
    and the platform's own feed that knows id and URL meet on the same ``Course``: one course, two
    provenances. ``Course.key`` is the strongest key seen.

Precedence
    When two sources describe the same course, the content of the source with the higher
    ``priority`` (settings file, persisted in ``catalogue_harvest_state``) wins; a platform's own
    feed is configured above an aggregator. A lower-priority source still records its provenance
    but does not overwrite the course while a higher-priority provenance is active. Equal
    priorities: the last writer wins.

Change detection
    ``CourseRecord.content_hash()`` per provenance. An unchanged hash touches nothing but
    ``CourseSource.last_seen_at``, and that in one bulk UPDATE per batch, so an unchanged rerun is
    cheap. A changed hash updates the course in place (same id), upserts runs by ``run_key`` and
    marks runs gone from the record withdrawn.

Withdrawal
    Never a delete. A provenance not seen by a complete pass, or signalled deleted by its source,
    gets ``withdrawn_at``; a course whose every provenance is withdrawn gets ``withdrawn_at``; a
    record that reappears clears both.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields as dc_fields
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import and_, exists, insert, select, update
from sqlalchemy.orm import Session, selectinload

from emclm.catalogue.models import (
    CERTIFICATE_TYPES,
    PACES,
    Course,
    CourseKey,
    CourseRun,
    CourseSource,
    HarvestState,
    Organisation,
    Provider,
)
from emclm.catalogue.normalise import organisation_key
from emclm.catalogue.records import CourseRecord, CourseRunRecord
from emclm.db.base import utcnow
from emclm.ingest import RecordError

Outcome = Literal["created", "updated", "unchanged"]

# Course columns copied from the record as they are.
COURSE_FIELDS = (
    "title",
    "description",
    "title_i18n",
    "description_i18n",
    "learning_outcomes",
    "keywords",
    "language",
    "languages",
    "subtitle_languages",
    "language_detected",
    "subject",
    "subject_label",
    "eqf_level",
    "workload_hours",
    "hours_per_week",
    "duration_weeks",
    "pace",
    "price",
    "currency",
    "free_audit",
    "certificate_type",
    "certificate_price",
    "ects_credits",
    "assessment_type",
    "identity_verification",
    "quality_label",
    "url",
    "image_url",
)
RUN_FIELDS = tuple(f.name for f in dc_fields(CourseRunRecord))
_FLOAT_FIELDS = ("workload_hours", "hours_per_week", "duration_weeks", "ects_credits")
_MONEY_FIELDS = ("price", "certificate_price")
_DICT_FIELDS = ("title_i18n", "description_i18n")
_LIST_FIELDS = ("learning_outcomes", "keywords", "languages", "subtitle_languages")
_BOOL_FIELDS = ("language_detected", "free_audit", "identity_verification")
_KEY_MAX = 512
_IN_CHUNK = 500  # ids per IN (…) list

_TRACKING_PARAMS = re.compile(r"^(utm_.*|fbclid|gclid|mc_cid|mc_eid|ref|referrer|source)$", re.I)


def normalise_url(url: str | None) -> str | None:
    """A URL reduced to what identifies the page: lower-case host without ``www.``, no scheme,
    fragment, tracking parameters or trailing slash. ``None`` for anything that is not http(s)."""
    if not url:
        return None
    url = url.strip()
    if "://" not in url and re.match(r"^[a-z][a-z0-9+.-]*:(?!\d)", url, re.I):
        return None  # mailto:, javascript:, urn: …
    try:
        parts = urlsplit(url if "://" in url else "https://" + url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if host.startswith("www."):
        host = host[4:]
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    path = re.sub(r"/{2,}", "/", parts.path or "").rstrip("/")
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query) if not _TRACKING_PARAMS.match(k)))
    return urlunsplit(("", host, path, query, "")).lstrip("/")


def _bounded_key(key: str) -> str:
    if len(key) <= _KEY_MAX:
        return key
    head, _, rest = key.partition(":")
    return f"{head}:sha1:{hashlib.sha1(rest.encode()).hexdigest()}"


def course_keys(source_name: str, record: CourseRecord) -> list[str]:
    """The identity keys of a record, strongest first (see the module docstring)."""
    provider = record.provider_code.strip().lower()
    keys = []
    if record.platform_course_id:
        keys.append(_bounded_key(f"{provider}:{record.platform_course_id.strip()}"))
    url = normalise_url(record.url)
    if url:
        keys.append(_bounded_key(f"{provider}:url:{url}"))
    if not keys:
        keys.append(_bounded_key(f"{provider}:rec:{source_name}:{record.source_record_id}"))
    return keys


def _key_rank(key: str) -> int:
    """0 for a platform id key, 1 for a URL key, 2 for a record key."""
    marker = key.split(":", 2)[1] if key.count(":") >= 2 else ""
    return {"url": 1, "rec": 2}.get(marker, 0)


# --------------------------------------------------------------------------------------------------
# validation: everything the database would reject, reported with the record and the field


_LENGTHS: dict[tuple[str, str], int | None] = {}


def _col_len(model, name: str) -> int | None:
    key = (model.__tablename__, name)
    if key not in _LENGTHS:
        _LENGTHS[key] = getattr(model.__table__.c[name].type, "length", None)
    return _LENGTHS[key]


def validate(source_name: str, record: CourseRecord) -> None:
    """Raise ``RecordError`` naming the field when a record cannot be stored as it is."""
    rid = getattr(record, "source_record_id", None)

    def fail(field_name: str, message: str) -> None:
        raise RecordError(source_name, str(rid) if rid else None, field_name, message)

    if not isinstance(record, CourseRecord):
        fail("record", f"expected a CourseRecord, got {type(record).__name__}")
    if not isinstance(rid, str) or not rid.strip():
        fail("source_record_id", "missing")
    if len(rid) > 512:
        fail("source_record_id", "longer than 512 characters")
    if not isinstance(record.provider_code, str) or not record.provider_code.strip():
        fail("provider_code", "missing")
    if len(record.provider_code) > 80:
        fail("provider_code", "longer than 80 characters")
    if not isinstance(record.title, str) or not record.title.strip():
        fail("title", "missing")
    if record.provider_name is not None and len(str(record.provider_name)) > 255:
        fail("provider_name", "longer than 255 characters")
    if record.organisation_name is not None and len(str(record.organisation_name)) > 512:
        fail("organisation_name", "longer than 512 characters")
    for name, limit in (("provider_url", 1024), ("organisation_url", 1024)):
        value = getattr(record, name)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            fail(name, f"expected a URL of at most {limit} characters")
    if record.organisation_country is not None and len(str(record.organisation_country)) > 2:
        fail("organisation_country", "not an ISO 3166-1 alpha-2 code")
    for name in COURSE_FIELDS:
        value = getattr(record, name)
        if value is None:
            continue
        if name in _DICT_FIELDS:
            if not isinstance(value, dict):
                fail(name, f"expected a mapping language → text, got {type(value).__name__}")
            continue
        if name in _LIST_FIELDS:
            if not isinstance(value, list):
                fail(name, f"expected a list, got {type(value).__name__}")
            continue
        if name in _BOOL_FIELDS:
            if not isinstance(value, bool):
                fail(name, f"expected true/false, got {value!r}")
            continue
        if name in _FLOAT_FIELDS:
            try:
                number = float(value)
            except (TypeError, ValueError):
                fail(name, f"not a number: {value!r}")
            if not math.isfinite(number) or number < 0:
                fail(name, f"not a non-negative finite number: {value!r}")
            continue
        if name in _MONEY_FIELDS:
            _check_money(fail, name, value)
            continue
        if name == "eqf_level":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 8:
                fail(name, f"EQF level must be an integer 1–8, got {value!r}")
            continue
        if name == "pace" and value not in PACES:
            fail(name, f"{value!r} is not one of {', '.join(PACES)}")
        if name == "certificate_type" and value not in CERTIFICATE_TYPES:
            fail(name, f"{value!r} is not one of {', '.join(CERTIFICATE_TYPES)}")
        if not isinstance(value, str):
            fail(name, f"expected text, got {type(value).__name__}")
        limit = _col_len(Course, name)
        if limit and len(value) > limit:
            fail(name, f"longer than {limit} characters")
    seen_runs = set()
    for i, run in enumerate(record.runs or []):
        prefix = f"runs[{i}]"
        if not isinstance(run, CourseRunRecord):
            fail(prefix, f"expected a CourseRunRecord, got {type(run).__name__}")
        if not isinstance(run.run_key, str) or not run.run_key.strip():
            fail(f"{prefix}.run_key", "missing")
        if len(run.run_key) > 255:
            fail(f"{prefix}.run_key", "longer than 255 characters")
        if run.run_key in seen_runs:
            fail(f"{prefix}.run_key", f"duplicate run key {run.run_key!r}")
        seen_runs.add(run.run_key)
        for name in ("start_date", "end_date", "enrolment_start", "enrolment_end"):
            value = getattr(run, name)
            if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
                fail(f"{prefix}.{name}", f"expected a date, got {value!r}")
        if run.pace is not None and run.pace not in PACES:
            fail(f"{prefix}.pace", f"{run.pace!r} is not one of {', '.join(PACES)}")
        if run.price is not None:
            _check_money(fail, f"{prefix}.price", run.price)
        for name in ("language", "currency", "url"):
            value = getattr(run, name)
            limit = _col_len(CourseRun, name)
            if value is not None and (not isinstance(value, str) or len(value) > limit):
                fail(f"{prefix}.{name}", f"expected text of at most {limit} characters, got {value!r}")


def _check_money(fail, name: str, value) -> None:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        fail(name, f"not an amount: {value!r}")
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e8"):
        fail(name, f"amount out of range: {value!r}")


# --------------------------------------------------------------------------------------------------


class CatalogueStore:
    """Writes records of one source into one session (the caller commits).

    Keeps small caches (providers, organisations, source priorities) for its lifetime; create one
    per harvest or per batch session.
    """

    def __init__(self, session: Session, source_name: str, priority: int | None = None):
        self.session = session
        self.source = source_name
        self._providers: dict[str, Provider] = {}
        self._organisations: dict[str, Organisation] = {}
        self._priorities: dict[str, int] = dict(
            session.execute(select(HarvestState.source, HarvestState.priority)).tuples().all()
        )
        if priority is None:
            priority = self._priorities.get(source_name, 0)
        elif self._priorities.get(source_name) != priority:
            # remember it: precedence is decided against the priorities of every source that stored
            state = session.get(HarvestState, source_name)
            if state is None:
                state = HarvestState(source=source_name, status="idle", validators={})
                session.add(state)
            state.priority = priority
        self.priority = priority
        self._priorities[source_name] = priority

    # ---- writes -----------------------------------------------------------------------------

    def upsert_many(self, records: Sequence[CourseRecord], now: datetime | None = None) -> list[Outcome | RecordError]:
        """Store a batch of records; one outcome (or the ``RecordError``) per record, in order."""
        now = now or utcnow()
        results: list[Outcome | RecordError | None] = [None] * len(records)
        hashed: list[tuple[int, CourseRecord, str]] = []
        for i, record in enumerate(records):
            rid = getattr(record, "source_record_id", None)
            if not isinstance(record, CourseRecord) or not isinstance(rid, str) or not rid.strip():
                try:
                    validate(self.source, record)
                except RecordError as exc:
                    results[i] = exc
                continue
            hashed.append((i, record, record.content_hash()))

        # an unchanged record was valid when it was stored: only what will be written is validated
        existing = self._existing_sources([r.source_record_id for _, r, _ in hashed])
        touch: list[str] = []
        full: list[tuple[int, CourseRecord, str]] = []
        for i, record, digest in hashed:
            row = existing.get(record.source_record_id)
            if row is not None and row.content_hash == digest and row.withdrawn_at is None:
                results[i] = "unchanged"
                touch.append(record.source_record_id)
                continue
            try:
                validate(self.source, record)
            except RecordError as exc:
                results[i] = exc
                continue
            full.append((i, record, digest))
        if touch:
            self.touch(touch, now)
        if full:
            with self.session.no_autoflush:
                for i, outcome in self._store_changed(full, now):
                    results[i] = outcome
            self.session.flush()
            reindex(self.session, self._course_ids([r.source_record_id for _, r, _ in full]))
        return results  # type: ignore[return-value]

    def touch(self, record_ids: Iterable[str], now: datetime | None = None) -> None:
        """Mark provenances of this source as seen now, in bulk (the only write of an unchanged record)."""
        now = now or utcnow()
        ids = list(record_ids)
        for start in range(0, len(ids), _IN_CHUNK):
            self.session.execute(
                update(CourseSource)
                .where(CourseSource.source == self.source, CourseSource.record_id.in_(ids[start : start + _IN_CHUNK]))
                .values(last_seen_at=now)
                .execution_options(synchronize_session=False)
            )

    def withdraw(self, record_ids: Iterable[str], now: datetime | None = None) -> int:
        """Withdraw provenances of this source (a ``deleted`` signal); returns how many were active."""
        now = now or utcnow()
        ids = list(record_ids)
        withdrawn = 0
        for start in range(0, len(ids), _IN_CHUNK):
            chunk = ids[start : start + _IN_CHUNK]
            rows = self.session.execute(
                select(CourseSource.id, CourseSource.course_id).where(
                    CourseSource.source == self.source,
                    CourseSource.record_id.in_(chunk),
                    CourseSource.withdrawn_at.is_(None),
                )
            ).all()
            withdrawn += _withdraw_rows(self.session, rows, now)
        return withdrawn

    # ---- internals --------------------------------------------------------------------------

    def _existing_sources(self, record_ids: list[str]) -> dict[str, CourseSource]:
        found: dict[str, CourseSource] = {}
        for start in range(0, len(record_ids), _IN_CHUNK):
            chunk = record_ids[start : start + _IN_CHUNK]
            for row in self.session.execute(
                select(CourseSource.record_id, CourseSource.content_hash, CourseSource.withdrawn_at).where(
                    CourseSource.source == self.source, CourseSource.record_id.in_(chunk)
                )
            ):
                found[row.record_id] = row
        return found

    def _course_ids(self, record_ids: list[str]) -> list[int]:
        ids: list[int] = []
        for start in range(0, len(record_ids), _IN_CHUNK):
            ids += (
                self.session.execute(
                    select(CourseSource.course_id).where(
                        CourseSource.source == self.source,
                        CourseSource.record_id.in_(record_ids[start : start + _IN_CHUNK]),
                    )
                )
                .scalars()
                .all()
            )
        return ids

    def _store_changed(self, items: list[tuple[int, CourseRecord, str]], now: datetime):
        session = self.session
        record_ids = [r.source_record_id for _, r, _ in items]
        keys_of = {i: course_keys(self.source, r) for i, r, _ in items}
        all_keys = sorted({k for ks in keys_of.values() for k in ks})

        # one query each: this source's provenances, the keys already known, the courses concerned
        provenance: dict[str, CourseSource] = {}
        for start in range(0, len(record_ids), _IN_CHUNK):
            for cs in session.scalars(
                select(CourseSource).where(
                    CourseSource.source == self.source,
                    CourseSource.record_id.in_(record_ids[start : start + _IN_CHUNK]),
                )
            ):
                provenance[cs.record_id] = cs
        key_to_course_id: dict[str, int] = {}
        for start in range(0, len(all_keys), _IN_CHUNK):
            key_to_course_id.update(
                session.execute(
                    select(CourseKey.key, CourseKey.course_id).where(
                        CourseKey.key.in_(all_keys[start : start + _IN_CHUNK])
                    )
                )
                .tuples()
                .all()
            )
        course_ids = {cs.course_id for cs in provenance.values()} | set(key_to_course_id.values())
        courses: dict[int, Course] = {}
        ids = sorted(course_ids)
        for start in range(0, len(ids), _IN_CHUNK):
            for course in session.scalars(
                select(Course)
                .where(Course.id.in_(ids[start : start + _IN_CHUNK]))
                .options(selectinload(Course.runs), selectinload(Course.sources))
            ):
                courses[course.id] = course
        known_keys: dict[str, Course] = {k: courses[cid] for k, cid in key_to_course_id.items() if cid in courses}

        new: list[tuple[int, CourseRecord, str, list[str]]] = []
        pending_keys: set[str] = set()
        pending_ids: set[str] = set()
        deferred: list[tuple[int, CourseRecord, str]] = []
        for i, record, digest in items:
            keys = keys_of[i]
            rid = record.source_record_id
            cs = provenance.get(rid)
            course: Course | None = courses.get(cs.course_id) if cs is not None else None
            if course is None:
                course = next((known_keys[k] for k in keys if k in known_keys), None)
            if course is None:
                if rid in pending_ids or any(k in pending_keys for k in keys):
                    # the same course (or record) twice in one batch: store it once the first is in
                    deferred.append((i, record, digest))
                else:
                    new.append((i, record, digest, keys))
                    pending_keys.update(keys)
                    pending_ids.add(rid)
                continue

            for k in keys:
                if k not in known_keys and k not in pending_keys:
                    session.add(CourseKey(key=k, course_id=course.id))
                    known_keys[k] = course
            if _key_rank(keys[0]) < _key_rank(course.key) and known_keys.get(keys[0]) is course:
                course.key = keys[0]  # a stronger canonical key (the platform's own id)
            if self._may_write(course, rid) and course.content_hash != digest:
                self._apply(course, record, now)
                course.content_hash = digest
                course.last_changed_at = now
            course.withdrawn_at = None
            if cs is None:
                cs = CourseSource(source=self.source, record_id=rid, first_seen_at=now)
                course.sources.append(cs)
                provenance[rid] = cs
            cs.content_hash = digest
            cs.record_url = _record_url(record)
            cs.last_seen_at = now
            cs.withdrawn_at = None
            yield i, "updated"

        if new:
            self._bulk_create(new, now)
            for i, *_ in new:
                yield i, "created"
        if deferred:
            session.flush()
            yield from self._store_changed(deferred, now)

    def _bulk_create(self, new: list[tuple[int, CourseRecord, str, list[str]]], now: datetime) -> None:
        """New courses with their runs, provenance and keys: four multi-row INSERTs, no unit of work."""
        session = self.session
        providers = [self._provider(record) for _, record, _, _ in new]
        organisations = [self._organisation(record) for _, record, _, _ in new]
        if any(p.id is None for p in providers) or any(o is not None and o.id is None for o in organisations):
            session.flush()
        course_rows = []
        for (_, record, digest, keys), provider, org in zip(new, providers, organisations, strict=True):
            row = _course_values(record)
            row.update(
                key=keys[0],
                provider_id=provider.id,
                organisation_id=org.id if org is not None else None,
                content_hash=digest,
                first_seen_at=now,
                last_changed_at=now,
                created_at=now,
                updated_at=now,
            )
            course_rows.append(row)
        ids = session.scalars(insert(Course).returning(Course.id, sort_by_parameter_order=True), course_rows).all()
        run_rows, source_rows, key_rows = [], [], []
        for course_id, (_, record, digest, keys) in zip(ids, new, strict=True):
            for run in record.runs or []:
                values = _run_values(run)
                values.update(course_id=course_id, created_at=now, updated_at=now)
                run_rows.append(values)
            source_rows.append(
                dict(
                    course_id=course_id,
                    source=self.source,
                    record_id=record.source_record_id,
                    record_url=_record_url(record),
                    content_hash=digest,
                    first_seen_at=now,
                    last_seen_at=now,
                )
            )
            key_rows.extend(dict(key=k, course_id=course_id) for k in keys)
        for model, rows in ((CourseRun, run_rows), (CourseSource, source_rows), (CourseKey, key_rows)):
            if rows:
                session.execute(insert(model), rows)

    def _may_write(self, course: Course, record_id: str) -> bool:
        """False while an active provenance from a higher-priority source describes this course."""
        for other in course.sources:
            if other.withdrawn_at is not None or (other.source == self.source and other.record_id == record_id):
                continue
            if self._priorities.get(other.source, 0) > self.priority:
                return False
        return True

    def _apply(self, course: Course, record: CourseRecord, now: datetime) -> None:
        course.provider = self._provider(record)
        course.organisation = self._organisation(record)
        for name, value in _course_values(record).items():
            setattr(course, name, value)
        by_key = {run.run_key: run for run in course.runs}
        present = set()
        for rec in record.runs or []:
            present.add(rec.run_key)
            run = by_key.get(rec.run_key)
            if run is None:
                run = CourseRun(run_key=rec.run_key)
                course.runs.append(run)
            for name, value in _run_values(rec).items():
                setattr(run, name, value)
            run.withdrawn_at = None
        for key, run in by_key.items():
            if key not in present and run.withdrawn_at is None:
                run.withdrawn_at = now

    def _provider(self, record: CourseRecord) -> Provider:
        code = record.provider_code.strip().lower()
        provider = self._providers.get(code)
        if provider is None:
            provider = self.session.scalar(select(Provider).where(Provider.code == code))
            if provider is None:
                provider = Provider(code=code, name=record.provider_name or code, url=record.provider_url)
                self.session.add(provider)
            self._providers[code] = provider
        if record.provider_name and provider.name == code and record.provider_name != code:
            provider.name = record.provider_name
        if record.provider_url and not provider.url:
            provider.url = record.provider_url
        return provider

    def _organisation(self, record: CourseRecord) -> Organisation | None:
        name = (record.organisation_name or "").strip()
        if not name:
            return None
        key = organisation_key(name)
        if not key:
            return None
        org = self._organisations.get(key)
        if org is None:
            org = self.session.scalar(select(Organisation).where(Organisation.key == key))
            if org is None:
                org = Organisation(key=key, name=name)
                self.session.add(org)
            self._organisations[key] = org
        if record.organisation_url and not org.url:
            org.url = record.organisation_url
        if record.organisation_country and not org.country:
            org.country = record.organisation_country.upper()
        return org


def _course_values(record: CourseRecord) -> dict:
    """The Course columns a record sets, converted to their stored types."""
    values = {}
    for name in COURSE_FIELDS:
        value = getattr(record, name)
        if name in _DICT_FIELDS:
            value = dict(value or {})
        elif name in _LIST_FIELDS:
            value = list(value or [])
        elif name in _FLOAT_FIELDS and value is not None:
            value = float(value)
        elif name in _MONEY_FIELDS and value is not None:
            value = Decimal(str(value)).quantize(Decimal("0.01"))
        elif name == "language_detected":
            value = bool(value)
        values[name] = value
    return values


def _run_values(run: CourseRunRecord) -> dict:
    values = {name: getattr(run, name) for name in RUN_FIELDS}
    if values["price"] is not None:
        values["price"] = Decimal(str(values["price"])).quantize(Decimal("0.01"))
    values["withdrawn_at"] = None
    return values


def _record_url(record: CourseRecord) -> str | None:
    return record.url if record.url and len(record.url) <= 2048 else None


def _withdraw_rows(session: Session, rows: Sequence, now: datetime) -> int:
    """Withdraw the given (CourseSource id, course id) rows, then courses left without an active provenance."""
    if not rows:
        return 0
    source_ids = [r[0] for r in rows]
    course_ids = sorted({r[1] for r in rows})
    for start in range(0, len(source_ids), _IN_CHUNK):
        session.execute(
            update(CourseSource)
            .where(CourseSource.id.in_(source_ids[start : start + _IN_CHUNK]))
            .values(withdrawn_at=now)
            .execution_options(synchronize_session=False)
        )
    active = exists().where(and_(CourseSource.course_id == Course.id, CourseSource.withdrawn_at.is_(None)))
    for start in range(0, len(course_ids), _IN_CHUNK):
        session.execute(
            update(Course)
            .where(Course.id.in_(course_ids[start : start + _IN_CHUNK]), Course.withdrawn_at.is_(None), ~active)
            .values(withdrawn_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    reindex(session, course_ids)
    return len(source_ids)


# Hooks of packages that keep a derived copy of courses (the search index registers one through
# ``emclm.search.enable_auto_indexing``). The catalogue does not know who listens: it calls each hook with
# the ids of the courses a batch created, changed or withdrew, in the batch's transaction.
CoursesChanged = Callable[[Session, Sequence[int]], None]
_courses_changed_hooks: list[CoursesChanged] = []


def on_courses_changed(hook: CoursesChanged, *, first: bool = False) -> None:
    """Call ``hook(session, course_ids)`` after every store batch that touched courses (idempotent).
    ``first``: ahead of the hooks already registered (a hook that fills course columns others copy)."""
    if hook not in _courses_changed_hooks:
        _courses_changed_hooks.insert(0, hook) if first else _courses_changed_hooks.append(hook)


def reindex(session: Session, course_ids: Sequence[int]) -> None:
    """Tell the registered hooks which courses changed, in the same transaction: with the search hook, a
    created or changed course is searchable as soon as its batch commits and a withdrawn one disappears.
    (The bulk statements above bypass the ORM events that ``emclm.search.enable_auto_indexing`` listens
    to, hence the explicit call.)"""
    if not course_ids:
        return
    for hook in list(_courses_changed_hooks):
        hook(session, course_ids)


# --------------------------------------------------------------------------------------------------
# module-level API


def upsert(session: Session, source_name: str, record: CourseRecord, *, priority: int | None = None) -> Outcome:
    """Store one record; ``created`` / ``updated`` / ``unchanged``. Raises ``RecordError`` for a bad record."""
    outcome = CatalogueStore(session, source_name, priority).upsert_many([record])[0]
    if isinstance(outcome, RecordError):
        raise outcome
    return outcome


def withdraw_missing(
    session: Session,
    source_name: str,
    seen_record_ids: Iterable[str] | None = None,
    started_at: datetime | None = None,
    now: datetime | None = None,
) -> int:
    """After a COMPLETE pass that began at ``started_at``: withdraw this source's provenances not seen
    since then (``last_seen_at < started_at``, and not in ``seen_record_ids`` when given), and the
    courses left without any active provenance. Returns the number of provenances withdrawn."""
    if started_at is None:
        raise ValueError("withdraw_missing needs the time the complete pass started")
    now = now or utcnow()
    if seen_record_ids is not None:
        CatalogueStore(session, source_name, 0).touch(seen_record_ids, now)
    rows = session.execute(
        select(CourseSource.id, CourseSource.course_id).where(
            CourseSource.source == source_name,
            CourseSource.withdrawn_at.is_(None),
            CourseSource.last_seen_at < started_at,
        )
    ).all()
    return _withdraw_rows(session, rows, now)


def withdraw_records(session: Session, source_name: str, record_ids: Iterable[str]) -> int:
    """A source said these records are deleted: withdraw them (and courses left without provenance)."""
    return CatalogueStore(session, source_name, 0).withdraw(record_ids)
