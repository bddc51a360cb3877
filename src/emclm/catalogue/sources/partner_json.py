"""A partner's catalogue as JSON in our ELM-aligned shape (docs/formats/partner-json.md).

The file (``config.path``, ``.gz`` allowed) holds either a JSON array of course objects or JSON
lines (one object per line). Field names are those of :class:`CourseRecord`; ``runs`` is a list
of objects with the fields of :class:`CourseRunRecord`; dates are ISO 8601 strings; prices are
numbers or decimal strings. Values are type-checked and languages, pace and certificate type are
checked against the catalogue's vocabularies.

Errors:
- a record that fails validation yields one error item naming the record (its
  ``source_record_id`` or its position) and the field; the other records go on;
- a file that cannot be read at all (missing, too large, wrong encoding, not JSON) yields ONE
  error item with ``record_id=None`` naming the file, and the source sets ``complete = False``
  so harvest does not mark the catalogue withdrawn.

The checkpoint of an item is the record's index in the file (0-based); ``items(checkpoint)``
resumes after it.

This module also holds the small file helpers the other file sources share.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator
from dataclasses import fields
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, ClassVar

from emclm.catalogue.models import CERTIFICATE_TYPES, PACES
from emclm.catalogue.normalise import clean_text, language_code, parse_date
from emclm.catalogue.records import CourseRecord, CourseRunRecord
from emclm.config import get_settings
from emclm.ingest import FileSourceRefused, JsonTooDeep, Source, SourceItem, allowed_source_file, json_loads


class FileProblem(Exception):
    """The whole file cannot be used (missing, too big, wrong encoding, not JSON/CSV)."""


class FieldProblem(ValueError):
    """One field of one record is invalid."""

    def __init__(self, field_name: str, message: str):
        self.field_name = field_name
        self.message = message
        super().__init__(f"{field_name}: {message}")


class FileSource(Source):
    """Base for sources that read one local file (optionally gzip-compressed)."""

    kind: ClassVar[str] = ""

    @property
    def path(self) -> Path:
        if not self.config.path:
            raise FileProblem(f"source {self.name}: no path configured")
        return Path(self.config.path)

    def read_bytes(self, path: Path | None = None) -> bytes:
        """The file's bytes, when it lies inside the folders file sources may read and is no larger
        than ``Settings.file_source_max_bytes`` (``options.max_bytes`` may lower that; for a .gz both
        the compressed and the decompressed size count)."""
        path = path or self.path
        limit = get_settings().file_source_max_bytes
        if "max_bytes" in self.config.options:
            limit = min(limit, int(self.config.options["max_bytes"]))
        try:
            path = allowed_source_file(path, self.name, max_bytes=limit)
        except FileSourceRefused as exc:
            raise FileProblem(str(exc)) from exc
        try:
            if path.suffix == ".gz":
                with gzip.open(path, "rb") as handle:
                    data = handle.read(limit + 1)
            else:
                if os.path.getsize(path) > limit:
                    raise FileProblem(f"{path}: larger than the limit of {limit} bytes (options.max_bytes)")
                data = path.read_bytes()
        except FileNotFoundError as exc:
            raise FileProblem(f"{path}: file not found") from exc
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise FileProblem(f"{path}: cannot read: {exc}") from exc
        if len(data) > limit:
            raise FileProblem(f"{path}: larger than the limit of {limit} bytes (options.max_bytes)")
        return data

    def read_text(self, path: Path | None = None) -> str:
        path = path or self.path
        encoding = self.config.options.get("encoding", "utf-8-sig")
        data = self.read_bytes(path)
        try:
            return data.decode(encoding)
        except LookupError as exc:
            raise FileProblem(f"{path}: unknown encoding {encoding!r} (options.encoding)") from exc
        except UnicodeDecodeError as exc:
            raise FileProblem(
                f"{path}: not valid {encoding} at byte {exc.start}; set options.encoding "
                '(for example "latin-1" or "cp1252")'
            ) from exc

    def file_error(self, message: str) -> SourceItem:
        """The one error item for a file that cannot be used; the run is then incomplete."""
        self.complete = False
        return self.error(None, "(file)", message)

    @staticmethod
    def resume_from(checkpoint: Any) -> int:
        """Index of the first record to read after ``checkpoint`` (the last index done)."""
        if checkpoint is None:
            return 0
        try:
            return int(checkpoint) + 1
        except (TypeError, ValueError):
            return 0


# --------------------------------------------------------------------------------------------
# validation of our own shape
# --------------------------------------------------------------------------------------------

_RECORD_FIELDS = {f.name: f for f in fields(CourseRecord)}
_RUN_FIELDS = {f.name for f in fields(CourseRunRecord)}
_STR_FIELDS = {
    "source_record_id", "provider_code", "title", "provider_name", "provider_url", "platform_course_id",
    "description", "organisation_name", "organisation_url", "organisation_country", "subject",
    "subject_label", "assessment_type", "quality_label", "url", "image_url",
}  # fmt: skip
_TEXT_FIELDS = {"description", "title"}
_LIST_FIELDS = {"learning_outcomes", "keywords", "declared_skills"}
_LANG_LIST_FIELDS = {"languages", "subtitle_languages"}
_I18N_FIELDS = {"title_i18n", "description_i18n"}
_FLOAT_FIELDS = {"workload_hours", "hours_per_week", "duration_weeks", "ects_credits"}
_DECIMAL_FIELDS = {"price", "certificate_price"}
_BOOL_FIELDS = {"language_detected", "free_audit", "identity_verification"}


def _as_str(name: str, value: Any) -> str | None:
    if value is None:
        return None
    ids = ("source_record_id", "platform_course_id")
    if isinstance(value, int | float) and not isinstance(value, bool) and name in ids:
        return str(value)
    if not isinstance(value, str):
        raise FieldProblem(name, f"expected a string, got {type(value).__name__}")
    return value.strip() or None


def _as_float(name: str, value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise FieldProblem(name, "expected a number, got a boolean")
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise FieldProblem(name, f"expected a number, got {value!r}") from exc
    if number != number or number < 0 or number > 100000:
        raise FieldProblem(name, f"number out of range: {value!r}")
    return number


def _as_decimal(name: str, value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise FieldProblem(name, f"expected a number or decimal string, got {value!r}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise FieldProblem(name, f"expected a number or decimal string, got {value!r}") from exc
    if not number.is_finite() or number < 0 or number >= Decimal("100000000"):
        raise FieldProblem(name, f"amount out of range: {value!r}")
    return number.quantize(Decimal("0.01"))


def _as_bool(name: str, value: Any) -> bool | None:
    if value is None:
        return None
    if not isinstance(value, bool):
        raise FieldProblem(name, f"expected true or false, got {value!r}")
    return value


def _as_str_list(name: str, value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise FieldProblem(name, "expected a list of strings")
    return [v.strip() for v in value if v.strip()]


def _as_language(name: str, value: Any) -> str | None:
    text = _as_str(name, value)
    if text is None:
        return None
    code = language_code(text)
    if code is None:
        raise FieldProblem(name, f'unknown language {text!r} (use an ISO 639-1 code such as "fr")')
    return code


def _as_date(name: str, value: Any) -> date | None:
    text = _as_str(name, value)
    if text is None:
        return None
    parsed = parse_date(text)
    if parsed is None:
        raise FieldProblem(name, f'not a date: {text!r} (use ISO 8601, e.g. "2025-03-01")')
    return parsed


def _as_choice(name: str, value: Any, choices: tuple[str, ...]) -> str | None:
    text = _as_str(name, value)
    if text is None:
        return None
    if text not in choices:
        raise FieldProblem(name, f"{text!r} is not one of {', '.join(choices)}")
    return text


def _as_currency(name: str, value: Any) -> str | None:
    text = _as_str(name, value)
    if text is None:
        return None
    if len(text) != 3 or not text.isalpha():
        raise FieldProblem(name, f'expected an ISO 4217 currency code such as "EUR", got {text!r}')
    return text.upper()


def run_from_mapping(data: Any, index: int) -> CourseRunRecord:
    prefix = f"runs[{index}]"
    if not isinstance(data, dict):
        raise FieldProblem(prefix, "expected an object")
    unknown = sorted(k for k in data if k not in _RUN_FIELDS and not str(k).startswith("x_"))
    if unknown:
        raise FieldProblem(f"{prefix}.{unknown[0]}", "unknown field")
    values: dict[str, Any] = {}
    for key in ("start_date", "end_date", "enrolment_start", "enrolment_end"):
        values[key] = _as_date(f"{prefix}.{key}", data.get(key))
    values["pace"] = _as_choice(f"{prefix}.pace", data.get("pace"), PACES)
    values["language"] = _as_language(f"{prefix}.language", data.get("language"))
    values["price"] = _as_decimal(f"{prefix}.price", data.get("price"))
    values["currency"] = _as_currency(f"{prefix}.currency", data.get("currency"))
    values["url"] = _as_str(f"{prefix}.url", data.get("url"))
    run_key = _as_str(f"{prefix}.run_key", data.get("run_key"))
    if run_key is None:
        if values["start_date"] is None:
            raise FieldProblem(f"{prefix}.run_key", "a run needs a run_key or a start_date")
        run_key = values["start_date"].isoformat()
    if values["start_date"] and values["end_date"] and values["end_date"] < values["start_date"]:
        raise FieldProblem(f"{prefix}.end_date", "ends before it starts")
    return CourseRunRecord(run_key=run_key, **values)


def record_from_mapping(data: Any, defaults: dict[str, Any] | None = None) -> CourseRecord:
    """Validate one object in our shape and build the :class:`CourseRecord`.

    ``defaults`` fill fields the object leaves out (e.g. ``provider_code`` from the source's
    options). Raises :class:`FieldProblem` naming the first invalid field.
    """
    if not isinstance(data, dict):
        raise FieldProblem("(record)", f"expected a JSON object, got {type(data).__name__}")
    merged = dict(defaults or {})
    merged.update({k: v for k, v in data.items() if v is not None})
    unknown = sorted(k for k in merged if k not in _RECORD_FIELDS and not str(k).startswith("x_"))
    if unknown:
        raise FieldProblem(unknown[0], "unknown field (see docs/formats/partner-json.md; prefix extensions with x_)")
    values: dict[str, Any] = {}
    for name in _STR_FIELDS:
        text = _as_str(name, merged.get(name))
        if text is not None and name in _TEXT_FIELDS:
            text = clean_text(text)
        values[name] = text
    for name in ("source_record_id", "provider_code", "title"):
        if not values.get(name):
            raise FieldProblem(name, "missing")
    if values["organisation_country"] and len(values["organisation_country"]) != 2:
        raise FieldProblem("organisation_country", "expected an ISO 3166-1 alpha-2 code")
    for name in _LIST_FIELDS:
        values[name] = _as_str_list(name, merged.get(name))
    for name in _LANG_LIST_FIELDS:
        codes = []
        for item in _as_str_list(name, merged.get(name)):
            code = _as_language(name, item)
            if code not in codes:
                codes.append(code)
        values[name] = codes
    for name in _I18N_FIELDS:
        raw = merged.get(name) or {}
        if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
            raise FieldProblem(name, "expected an object of language code → text")
        values[name] = {}
        for lang, text in raw.items():
            code = _as_language(f"{name}.{lang}", lang)
            values[name][code] = clean_text(text) if name == "description_i18n" else text.strip()
    for name in _FLOAT_FIELDS:
        values[name] = _as_float(name, merged.get(name))
    for name in _DECIMAL_FIELDS:
        values[name] = _as_decimal(name, merged.get(name))
    for name in _BOOL_FIELDS:
        values[name] = _as_bool(name, merged.get(name))
    values["language_detected"] = bool(values["language_detected"])
    values["language"] = _as_language("language", merged.get("language"))
    values["currency"] = _as_currency("currency", merged.get("currency"))
    values["pace"] = _as_choice("pace", merged.get("pace"), PACES)
    values["certificate_type"] = _as_choice("certificate_type", merged.get("certificate_type"), CERTIFICATE_TYPES)
    eqf = merged.get("eqf_level")
    if eqf is not None and (isinstance(eqf, bool) or not isinstance(eqf, int) or not 1 <= eqf <= 8):
        raise FieldProblem("eqf_level", f"expected an integer 1–8, got {eqf!r}")
    values["eqf_level"] = eqf
    raw_runs = merged.get("runs") or []
    if not isinstance(raw_runs, list):
        raise FieldProblem("runs", "expected a list of run objects")
    values["runs"] = [run_from_mapping(run, i) for i, run in enumerate(raw_runs)]
    if values["language"] and values["language"] not in values["languages"]:
        values["languages"].insert(0, values["language"])
    return CourseRecord(**values)


class PartnerJsonSource(FileSource):
    kind: ClassVar[str] = "partner_json"

    def _records(self) -> list[Any]:
        text = self.read_text().strip()
        if not text:
            return []
        if text.startswith("["):
            try:
                data = json_loads(text)
            except JsonTooDeep as exc:
                raise FileProblem(f"{self.path}: {exc}") from exc
            except json.JSONDecodeError as exc:
                raise FileProblem(f"{self.path}: not valid JSON: {exc}") from exc
            return data
        if text.startswith("{") and "\n" not in text.strip():
            lines = [text]
        else:
            lines = text.splitlines()
        records: list[Any] = []
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                records.append(json_loads(line))
            except JsonTooDeep as exc:
                records.append(FieldProblem("(line)", f"line {number}: {exc}"))
            except json.JSONDecodeError as exc:
                if number == 1 and not line.lstrip().startswith("{"):
                    raise FileProblem(f"{self.path}: neither a JSON array nor JSON lines: {exc}") from exc
                records.append(FieldProblem("(line)", f"line {number} is not valid JSON: {exc.msg}"))
        return records

    def items(self, checkpoint: Any = None) -> Iterator[SourceItem]:
        try:
            records = self._records()
        except FileProblem as exc:
            yield self.file_error(str(exc))
            return
        defaults = {
            k: v for k, v in self.config.options.items() if k in ("provider_code", "provider_name", "provider_url")
        }
        first_seen: dict[str, int] = {}
        for index, raw in enumerate(records):
            record_id = None
            if isinstance(raw, dict) and raw.get("source_record_id") is not None:
                record_id = str(raw["source_record_id"])
            if record_id is not None:
                first_seen.setdefault(record_id, index)
            if index < self.resume_from(checkpoint):
                continue
            label = record_id or f"#{index}"
            try:
                if isinstance(raw, FieldProblem):
                    raise raw
                if record_id is not None and first_seen[record_id] != index:
                    raise FieldProblem("source_record_id", f"duplicate of record #{first_seen[record_id]}; skipped")
                record = record_from_mapping(raw, defaults)
            except FieldProblem as exc:
                item = self.error(label, exc.field_name, exc.message)
            else:
                item = SourceItem(record=record)
            item.checkpoint = index
            yield item
