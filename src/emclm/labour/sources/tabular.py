"""Spreadsheets (XLSX, first sheet, read as a stream) and CSV / TSV (optionally gzipped) with a column mapping.

``options.columns`` maps record fields to column names; a list tries each column in turn
(``title = ["job.title", "title"]``). Fields: ``id title text employer lang url country region
postcode date_posted date_expires date_collected occupation_label weight`` and
``code:<system>`` for occupation codes (``code:kzis``, ``code:isco08``). ``options.preset``
names a built-in mapping (``ojalab`` for the OJALAB hand-coded Polish ads). ``options.delimiter``
defaults to the file's (``,`` or tab).
"""

from __future__ import annotations

import csv
import hashlib
import sys
from collections.abc import Iterator
from pathlib import Path

from emclm.labour.records import VacancyRecord
from emclm.labour.sources.base import BadValue, SourceItem, VacancySource, open_text, parse_date, strip_html

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

PRESETS: dict[str, dict] = {
    # OJALAB/job-ads-datasets hand-coded Polish ads (2021): KZiS 6-digit codes, "town, county, voivodeship"
    "ojalab": {
        "country": "PL",
        "lang": "pl",
        "columns": {
            "id": ["url", "id"],
            "title": ["job.title"],
            "text": ["job.description"],
            "employer": ["employer"],
            "region": ["region"],
            "date_posted": ["publication.date"],
            "date_expires": ["expiration.date"],
            "date_collected": ["collection.date"],
            "code:kzis": ["kod zawodu", "kod", "class"],
            "occupation_label": ["nazwa zawodu", "nazwa"],
            "url": ["url"],
            "source_site": ["source"],
        },
    },
}

FIELDS = (
    "id",
    "title",
    "text",
    "employer",
    "lang",
    "url",
    "country",
    "region",
    "postcode",
    "date_posted",
    "date_expires",
    "date_collected",
    "occupation_label",
    "weight",
    "source_site",
)


def _code(value: str | None, system: str) -> str | None:
    if value is None:
        return None
    v = value.strip()
    if not v or v.lower() in ("na", "nan"):
        return None
    if v.endswith(".0"):
        v = v[:-2]
    if not v.isdigit():
        return None
    if system == "kzis":
        return v.zfill(6)
    if system == "isco08":
        return v.zfill(4)[:4]
    return v


class TabularSource(VacancySource):
    kind = "tabular"
    suffixes = (".csv", ".tsv", ".xlsx")

    def __init__(self, config, fetch=None):
        super().__init__(config, fetch)
        opts = dict(config.options)
        preset = PRESETS.get(opts.get("preset", ""), {})
        self.columns: dict[str, list[str]] = {
            k: (v if isinstance(v, list) else [v])
            for k, v in {**preset.get("columns", {}), **opts.get("columns", {})}.items()
        }
        self.default_country = self.default_country or preset.get("country")
        self.default_lang = self.default_lang or preset.get("lang")
        self.delimiter = opts.get("delimiter")
        unknown = [k for k in self.columns if k not in FIELDS and not k.startswith("code:")]
        if unknown:
            raise ValueError(f"vacancy source {self.name}: unknown mapped fields {unknown}")
        if "title" not in self.columns:
            raise ValueError(f"vacancy source {self.name}: the column mapping needs 'title'")

    def _xlsx_rows(self, path: Path) -> Iterator[tuple[list[str], Iterator[dict]]]:
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        try:
            rows = wb.worksheets[0].iter_rows(values_only=True)
            header = [str(h).strip() if h is not None else "" for h in next(rows, ())]

            def cell(v):
                if v is None:
                    return ""
                if isinstance(v, float) and v.is_integer():
                    return str(int(v))
                return str(v)

            yield header, ({h: cell(v) for h, v in zip(header, row)} for row in rows)
        finally:
            wb.close()

    def parse_file(self, path: Path) -> Iterator[SourceItem]:
        if path.name.endswith(".xlsx"):
            for header, rows in self._xlsx_rows(path):
                yield from self._parse_rows(path, header, rows)
            return
        with open_text(path) as fh:
            head = fh.readline()
            delim = self.delimiter or ("\t" if head.count("\t") > head.count(",") else ",")
            header = next(csv.reader([head], delimiter=delim))
            yield from self._parse_rows(path, header, csv.DictReader(fh, fieldnames=header, delimiter=delim))

    def _parse_rows(self, path: Path, header: list[str], rows) -> Iterator[SourceItem]:
        resolved = {k: next((c for c in cols if c in header), None) for k, cols in self.columns.items()}
        if resolved.get("title") is None:
            yield self.bad(path.name, "title", f"none of the title columns {self.columns['title']} in the header")
            return
        for lineno, row in enumerate(rows, 2):
            yield self.parse_row(row, resolved, f"{path.name}:{lineno}")

    def parse_row(self, row: dict, cols: dict[str, str | None], where: str) -> SourceItem:
        def get(key: str) -> str | None:
            col = cols.get(key)
            v = row.get(col) if col else None
            if v is None:
                return None
            v = v.strip()
            return v if v and v.upper() not in ("NA", "NAN") else None

        title = get("title")
        text = strip_html(get("text"))
        rid = get("id") or hashlib.sha1(f"{title}|{text}".encode()).hexdigest()[:20]
        if not title:
            return self.bad(rid or where, "title", f"missing title ({where})")
        try:
            posted = parse_date(get("date_posted"), "date_posted")
            expires = parse_date(get("date_expires"), "date_expires")
            collected = parse_date(get("date_collected"), "date_collected")
        except BadValue as exc:
            return self.bad(rid, str(exc).split(":", 1)[0], f"{exc} ({where})")
        codes = {}
        for key in cols:
            if key.startswith("code:"):
                system = key.split(":", 1)[1]
                code = _code(get(key), system)
                if code:
                    codes[system] = code
        weight = get("weight")
        try:
            w = float(weight) if weight else None
        except ValueError:
            return self.bad(rid, "weight", f"not a number: {weight!r} ({where})")
        return SourceItem(
            record=VacancyRecord(
                source_record_id=rid,
                title=title,
                text=text,
                employer=get("employer"),
                lang=get("lang") or self.default_lang,
                url=get("url"),
                country=get("country") or self.default_country,
                region_text=get("region"),
                postcode=get("postcode"),
                date_posted=posted,
                date_expires=expires,
                date_collected=collected,
                occupation_codes=codes,
                occupation_label=get("occupation_label"),
                weight=w,
            )
        )
