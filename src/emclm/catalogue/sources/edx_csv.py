"""The edX course list as CSV (the 2021 scrape shipped as demo data).

Columns: ``title, summary, n_enrolled, course_type, institution, instructors, Level, subject,
language, subtitles, course_effort, course_length, price, course_description, course_syllabus,
course_url``. The course page URL is the identity: ``source_record_id`` and
``platform_course_id`` are its slug (``/course/<slug>``), the same id the Class Central source
derives for edX courses, so both listings are one course.

Mapping: ``course_effort`` "2–4 hours per week" → ``hours_per_week`` 3; ``course_length``
"6 Weeks" → ``duration_weeks``; their product → ``workload_hours``; ``price`` "FREE-Add a
Verified Certificate for $49 USD" → free audit, verified certificate for 49 USD; ``course_type``
→ pace; ``language`` / ``subtitles`` (names in their own language: "Español", "中文") → ISO
codes; ``subject`` → ISCED-F where clear. edX's "Introductory / Intermediate / Advanced" is a
difficulty, not an EQF level, so ``eqf_level`` stays empty and the level is kept as a keyword
("level: Introductory"). Description = summary + description + syllabus.

Errors and checkpoints as in :mod:`partner_csv`: a bad row is one error item naming the row and
the column; an unreadable file is one error item naming the file (``complete = False``). A row
repeating an earlier course URL is reported as an error ("duplicate") and skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import urlsplit

from emclm.catalogue.normalise import (
    ISCED_F_LABELS,
    clean_text,
    detect_language,
    language_code,
    language_codes,
    pace_code,
    parse_duration_weeks,
    parse_effort,
    parse_price,
    subject_code,
)
from emclm.catalogue.records import CourseRecord
from emclm.catalogue.sources.partner_csv import read_csv_rows
from emclm.catalogue.sources.partner_json import FieldProblem, FileProblem, FileSource
from emclm.ingest import SourceItem

REQUIRED_COLUMNS = ("title", "course_url")
_NA = {"", "na", "n/a", "none", "null"}


def _value(row: dict[str, str], name: str) -> str | None:
    value = (row.get(name) or "").strip()
    return None if value.casefold() in _NA else value


def course_slug(url: str) -> str | None:
    match = re.match(r"^/course/([^/?#]+)", urlsplit(url).path or "")
    return match.group(1).lower() if match else None


class EdxCsvSource(FileSource):
    kind: ClassVar[str] = "edx_csv"

    def items(self, checkpoint: Any = None) -> Iterator[SourceItem]:
        try:
            header, rows = read_csv_rows(self, self.read_text(), self.config.options.get("delimiter", ","))
            missing = [c for c in REQUIRED_COLUMNS if c not in header]
            if missing:
                raise FileProblem(f"{self.path}: not an edX course list, missing column(s) {', '.join(missing)}")
        except FileProblem as exc:
            yield self.file_error(str(exc))
            return
        seen: dict[str, int] = {}
        for index, cells in enumerate(rows):
            row = dict(zip(header, cells, strict=False))
            url = _value(row, "course_url")
            slug = course_slug(url) if url else None
            record_id = slug or url
            duplicate_of = seen.get(record_id) if record_id else None
            if record_id and duplicate_of is None:
                seen[record_id] = index
            if index < self.resume_from(checkpoint):
                continue
            if duplicate_of is not None:
                item = self.error(record_id, "course_url", f"duplicate of row {duplicate_of + 2}; skipped")
            else:
                try:
                    if len(cells) != len(header):
                        raise FieldProblem("(row)", f"has {len(cells)} cells, the header has {len(header)}")
                    item = SourceItem(record=self.to_record(row))
                except FieldProblem as exc:
                    item = self.error(record_id or f"row {index + 2}", exc.field_name, exc.message)
            item.checkpoint = index
            yield item

    def to_record(self, row: dict[str, str]) -> CourseRecord:
        url = _value(row, "course_url")
        if not url or not url.startswith("http"):
            raise FieldProblem("course_url", f"missing or not a URL: {url!r}")
        slug = course_slug(url)
        title = clean_text(_value(row, "title"))
        if not title:
            raise FieldProblem("title", "missing")

        parts = [clean_text(_value(row, name)) for name in ("summary", "course_description")]
        syllabus = clean_text(_value(row, "course_syllabus"))
        description = "\n\n".join(p for p in parts if p) or None
        if syllabus:
            description = f"{description}\n\nSyllabus\n{syllabus}" if description else syllabus

        language_text = _value(row, "language")
        language = language_code(language_text)
        if language_text and language is None:
            raise FieldProblem("language", f"unknown language {language_text!r}")
        detected = False
        if language is None:
            language = detect_language(f"{title}. {description or ''}")
            detected = language is not None
        subtitles = language_codes(_value(row, "subtitles"))

        effort_text = _value(row, "course_effort")
        effort = parse_effort(effort_text)
        if effort_text and effort.hours_per_week is None and effort.total_hours is None:
            raise FieldProblem("course_effort", f"no hours found in {effort_text!r}")
        length_text = _value(row, "course_length")
        weeks = parse_duration_weeks(length_text)
        if length_text and weeks is None:
            raise FieldProblem("course_length", f"no duration found in {length_text!r}")
        workload = effort.total_hours
        if workload is None and effort.hours_per_week and weeks:
            workload = round(effort.hours_per_week * weeks, 1)

        price = parse_price(_value(row, "price"))
        subject_text = _value(row, "subject")
        subject = subject_code(subject_text)
        keywords = [k for k in (subject_text,) if k]
        level = _value(row, "Level")
        if level:
            keywords.append(f"level: {level}")
        return CourseRecord(
            source_record_id=slug or url,
            provider_code="edx",
            provider_name="edX",
            provider_url="https://www.edx.org",
            platform_course_id=slug,
            title=title[:1024],
            description=description,
            keywords=keywords,
            organisation_name=clean_text(_value(row, "institution")),
            language=language,
            languages=[language] if language else [],
            subtitle_languages=subtitles,
            language_detected=detected,
            subject=subject,
            subject_label=ISCED_F_LABELS.get(subject) if subject else subject_text,
            workload_hours=workload,
            hours_per_week=effort.hours_per_week,
            duration_weeks=weeks,
            pace=pace_code(_value(row, "course_type")),
            price=price.price,
            currency=price.currency,
            free_audit=price.free_audit,
            certificate_type=price.certificate_type,
            certificate_price=price.certificate_price,
            identity_verification=True if price.certificate_type == "verified" else None,
            url=url,
        )
