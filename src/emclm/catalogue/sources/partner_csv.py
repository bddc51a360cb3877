"""A partner's catalogue as CSV, with a column mapping in the source's options.

Options (``config.options``):

- ``columns`` (required): ``{our field: their column}``. Our fields are :class:`CourseRecord`
  field names, plus the run fields ``start_date``, ``end_date``, ``enrolment_start``,
  ``enrolment_end``, ``run_key`` (one run per row) and the free-text fields ``effort`` (e.g.
  "2–3 hours per week" → ``hours_per_week``/``workload_hours``), ``duration`` ("6 weeks") and
  ``price_text`` ("Free, certificate 49 €"). ``source_record_id`` falls back to ``url``.
- ``provider_code`` / ``provider_name`` / ``provider_url``: used when no column gives them.
- ``delimiter`` (default ``,``; ``"\\t"`` for TSV), ``encoding`` (default ``utf-8-sig``),
  ``list_separator`` (default ``;``) for list fields (keywords, languages, learning outcomes…),
  ``date_lang`` (e.g. ``"en_US"`` for month-first numeric dates), ``max_bytes``.

Every value goes through the normalise helpers: texts are cleaned of HTML, languages become
ISO 639-1 codes, dates are parsed in the usual European and ISO shapes. A value that is present
but cannot be understood (a date that is not a date, an unknown language, a negative number)
makes the row an error item naming the row and the column; other rows go on. A file that cannot
be read (missing, wrong encoding, a mapped column absent from the header) gives ONE error item
naming the file and sets ``complete = False``.

The checkpoint is the row's 0-based index among the data rows.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, ClassVar

from emclm.catalogue.models import CERTIFICATE_TYPES
from emclm.catalogue.normalise import (
    clean_text,
    language_code,
    language_codes,
    pace_code,
    parse_date,
    parse_duration_weeks,
    parse_effort,
    parse_price,
    subject_code,
)
from emclm.catalogue.records import CourseRecord
from emclm.catalogue.sources.partner_json import (
    FieldProblem,
    FileProblem,
    FileSource,
    _as_decimal,
    _as_float,
    record_from_mapping,
)
from emclm.ingest import SourceItem

RUN_COLUMNS = ("run_key", "start_date", "end_date", "enrolment_start", "enrolment_end")
TEXT_COLUMNS = ("effort", "duration", "price_text")
LIST_FIELDS = ("keywords", "learning_outcomes", "declared_skills")
LANGUAGE_LIST_FIELDS = ("languages", "subtitle_languages")


def read_csv_rows(source: FileSource, text: str, delimiter: str = ",") -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV text; ``FileProblem`` when it is not usable CSV."""
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        rows = list(reader)
    except csv.Error as exc:
        raise FileProblem(f"{source.path}: not valid CSV: {exc}") from exc
    if not rows:
        raise FileProblem(f"{source.path}: empty file, no header row")
    header = [h.strip() for h in rows[0]]
    return header, rows[1:]


class PartnerCsvSource(FileSource):
    kind: ClassVar[str] = "partner_csv"

    def _columns(self, header: list[str]) -> dict[str, str]:
        columns = self.config.options.get("columns")
        if not isinstance(columns, dict) or not columns:
            raise FileProblem(f"source {self.name}: options.columns must map our field names to CSV columns")
        missing = [their for their in columns.values() if their not in header]
        if missing:
            raise FileProblem(
                f"{self.path}: column(s) {', '.join(map(repr, missing))} named in options.columns "
                f"are not in the header ({', '.join(header[:30])})"
            )
        return dict(columns)

    def items(self, checkpoint: Any = None) -> Iterator[SourceItem]:
        options = self.config.options
        delimiter = options.get("delimiter", ",")
        if delimiter in ("\\t", "tab"):
            delimiter = "\t"
        try:
            header, rows = read_csv_rows(self, self.read_text(), delimiter)
            columns = self._columns(header)
        except FileProblem as exc:
            yield self.file_error(str(exc))
            return
        position = {name: i for i, name in enumerate(header)}
        first_seen: dict[str, int] = {}
        for index, row in enumerate(rows):
            values = {
                ours: (row[position[theirs]].strip() if position[theirs] < len(row) else "")
                for ours, theirs in columns.items()
            }
            record_id = values.get("source_record_id") or values.get("url") or None
            if record_id:
                first_seen.setdefault(record_id, index)
            if index < self.resume_from(checkpoint):
                continue
            label = record_id or f"row {index + 2}"
            try:
                if len(row) != len(header):
                    raise FieldProblem("(row)", f"has {len(row)} cells, the header has {len(header)}")
                if record_id and first_seen[record_id] != index:
                    raise FieldProblem(
                        columns.get("source_record_id", columns.get("url", "source_record_id")),
                        f"duplicate of row {first_seen[record_id] + 2}; skipped",
                    )
                record = self.row_to_record(values, columns)
            except FieldProblem as exc:
                item = self.error(label, exc.field_name, exc.message)
            else:
                item = SourceItem(record=record)
            item.checkpoint = index
            yield item

    def row_to_record(self, values: dict[str, str], columns: dict[str, str]) -> CourseRecord:
        """Turn one mapped row into a record; errors name THEIR column."""
        options = self.config.options
        list_sep = options.get("list_separator", ";")
        date_lang = options.get("date_lang")
        data: dict[str, Any] = {}

        def column(field_name: str) -> str:
            return columns.get(field_name, field_name)

        def fail(field_name: str, message: str) -> FieldProblem:
            return FieldProblem(column(field_name), message)

        run: dict[str, Any] = {}
        for ours, raw in values.items():
            if raw == "" or raw.upper() in ("NA", "N/A", "NULL", "NONE", "-"):
                continue
            if ours in ("start_date", "end_date", "enrolment_start", "enrolment_end"):
                parsed = parse_date(raw, date_lang)
                if parsed is None:
                    raise fail(ours, f"not a date: {raw!r}")
                run[ours] = parsed.isoformat()
            elif ours == "run_key":
                run["run_key"] = raw
            elif ours == "effort":
                effort = parse_effort(raw)
                if effort.hours_per_week is None and effort.total_hours is None:
                    raise fail(ours, f"no hours found in {raw!r}")
                data.setdefault("hours_per_week", effort.hours_per_week)
                data.setdefault("workload_hours", effort.total_hours)
            elif ours == "duration":
                weeks = parse_duration_weeks(raw)
                if weeks is None:
                    raise fail(ours, f"no duration found in {raw!r}")
                data.setdefault("duration_weeks", weeks)
            elif ours == "price_text":
                price = parse_price(raw)
                for name in ("price", "currency", "free_audit", "certificate_type", "certificate_price"):
                    if getattr(price, name) is not None:
                        data.setdefault(name, getattr(price, name))
            elif ours == "language":
                code = language_code(raw)
                if code is None:
                    raise fail(ours, f"unknown language {raw!r}")
                data["language"] = code
            elif ours in LANGUAGE_LIST_FIELDS:
                codes = language_codes(raw)
                if not codes:
                    raise fail(ours, f"no known language in {raw!r}")
                data[ours] = codes
            elif ours in LIST_FIELDS:
                data[ours] = [part.strip() for part in raw.split(list_sep) if part.strip()]
            elif ours == "pace":
                pace = pace_code(raw) or (raw if raw in ("self_paced", "scheduled") else None)
                if pace is None:
                    raise fail(ours, f"unknown pace {raw!r} (self-paced or scheduled)")
                data["pace"] = pace
            elif ours == "subject":
                data["subject"] = subject_code(raw)
                data.setdefault("subject_label", raw)
            elif ours in ("price", "certificate_price"):
                amount = parse_price(raw).price if not _is_number(raw) else None
                try:
                    data[ours] = amount if amount is not None else _as_decimal(ours, raw.replace(",", "."))
                except FieldProblem as exc:
                    raise fail(ours, exc.message) from exc
            elif ours in ("workload_hours", "hours_per_week", "duration_weeks", "ects_credits"):
                try:
                    data[ours] = _as_float(ours, raw.replace(",", "."))
                except FieldProblem as exc:
                    raise fail(ours, exc.message) from exc
            elif ours == "eqf_level":
                if not re.fullmatch(r"[0-9]+", raw):
                    raise fail(ours, f"expected an integer 1–8, got {raw!r}")
                data[ours] = int(raw)
            elif ours in ("free_audit", "identity_verification", "language_detected"):
                flag = _boolean(raw)
                if flag is None:
                    raise fail(ours, f"expected yes/no, got {raw!r}")
                data[ours] = flag
            elif ours == "certificate_type":
                kind = raw if raw in CERTIFICATE_TYPES else parse_price(raw).certificate_type
                if kind is None:
                    raise fail(ours, f"unknown certificate type {raw!r}")
                data[ours] = kind
            elif ours in ("title", "description"):
                data[ours] = clean_text(raw)
            else:
                data[ours] = raw
        if run:
            data["runs"] = [run]
        data.setdefault("source_record_id", data.get("url"))
        for name in ("price", "certificate_price"):
            if isinstance(data.get(name), Decimal):
                data[name] = str(data[name])
        if data.get("hours_per_week") and data.get("duration_weeks") and not data.get("workload_hours"):
            data["workload_hours"] = round(data["hours_per_week"] * data["duration_weeks"], 1)
        data = {k: v for k, v in data.items() if v is not None}
        defaults = {k: v for k, v in options.items() if k in ("provider_code", "provider_name", "provider_url")}
        try:
            return record_from_mapping(data, defaults)
        except FieldProblem as exc:
            name = exc.field_name.split(".")[-1].split("[")[0]
            raise FieldProblem(columns.get(name, exc.field_name), exc.message) from exc


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


def _boolean(text: str) -> bool | None:
    value = text.strip().casefold()
    if value in ("1", "true", "yes", "y", "oui", "sí", "si", "ja", "sim", "tak", "x"):
        return True
    if value in ("0", "false", "no", "n", "non", "nein", "não", "nie", "nee"):
        return False
    return None
