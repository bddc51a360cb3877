"""Vacancy sources: the shared ingestion ``Source`` interface (``emclm.ingest``), yielding ``VacancyRecord``s.

A vacancy source reads one or more local files (a folder, a file, ``.gz`` transparently) and
yields ``SourceItem(record=VacancyRecord)`` or ``SourceItem(error=RecordError)``, each with a
checkpoint ``{"file": i, "item": n}`` (file index, items consumed in it) from which ``items``
resumes. Files are parsed as streams (ijson for JSON arrays, csv for tables), so memory does
not grow with the number of ads.
"""

from __future__ import annotations

import csv
import gzip
import html
import io
import re
import zlib
from abc import abstractmethod
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from emclm.ingest import FileSourceRefused, RecordError, Source, SourceConfig, SourceItem, allowed_source_file

__all__ = ["VacancySource", "SourceConfig", "SourceItem", "RecordError", "parse_date", "strip_html", "open_text"]

_TAG = re.compile(r"<[^>]+>")
_BLOCK = re.compile(r"</?(p|br|li|ul|ol|div|h\d|tr)\b[^>]*>", re.I)
_WS = re.compile(r"[ \t\r\f\v]+")
EXCEL_EPOCH = date(1899, 12, 30)
MAX_TEXT = 100_000


class BadValue(ValueError):
    pass


def strip_html(text: str | None) -> str | None:
    if text is None:
        return None
    if "<" in text and ">" in text:
        text = _BLOCK.sub("\n", text)
        text = _TAG.sub(" ", text)
    text = html.unescape(text)
    lines = [_WS.sub(" ", ln).strip() for ln in text.split("\n")]
    out = "\n".join(ln for ln in lines if ln)
    return out[:MAX_TEXT] or None


def parse_date(value: Any, field: str = "date") -> date | None:
    """ISO dates and date-times, "YYYY-MM-DD HH:MM:SS", Excel serial days, Unix day numbers, epoch ms."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)):
        num = float(value)
    else:
        s = str(value).strip()
        if not s or s.lower() in ("na", "nan", "null", "none"):
            return None
        try:
            num = float(s)
        except ValueError:
            try:
                return date.fromisoformat(s[:10])
            except ValueError as exc:
                raise BadValue(f"{field}: not a date: {s[:40]!r}") from exc
    if 30000 <= num <= 80000:  # Excel serial day (1982–2119)
        return EXCEL_EPOCH + timedelta(days=int(num))
    if 10000 <= num < 30000:  # days since 1970-01-01 (R / Unix day numbers, 1997–2052)
        return date(1970, 1, 1) + timedelta(days=int(num))
    if num > 1e11:  # epoch milliseconds
        return datetime.fromtimestamp(num / 1000, tz=UTC).date()
    raise BadValue(f"{field}: not a date: {value!r}")


def open_text(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return path.open(encoding="utf-8-sig", newline="")


def open_binary(path: Path) -> IO[bytes]:
    if path.suffix == ".gz":
        return gzip.open(path, "rb")
    return path.open("rb")


class VacancySource(Source):
    """A file-based vacancy source. Subclasses implement ``parse_file`` (raw item → record or error)."""

    suffixes: tuple[str, ...] = (".json", ".jsonl", ".ndjson")

    def __init__(self, config: SourceConfig, fetch=None):
        super().__init__(config, fetch)
        opts = config.options
        self.default_country: str | None = opts.get("country")
        self.default_lang: str | None = opts.get("lang")

    def files(self) -> list[Path]:
        paths: list[Path] = []
        raw = self.config.path
        if not raw:
            raise ValueError(f"vacancy source {self.name}: no path configured")
        for part in raw if isinstance(raw, list) else [raw]:
            p = allowed_source_file(part, self.name)  # FileSourceRefused outside the data folders
            if p.is_dir():
                paths.extend(
                    sorted(
                        f
                        for f in p.rglob("*")
                        if f.is_file() and any(f.name.endswith(s) or f.name.endswith(s + ".gz") for s in self.suffixes)
                    )
                )
            elif p.exists():
                paths.append(p)
            else:
                raise FileNotFoundError(f"vacancy source {self.name}: no such file or folder: {p}")
        return paths

    def items(self, checkpoint: Any = None) -> Iterator[SourceItem]:
        start_file = int((checkpoint or {}).get("file", 0))
        start_item = int((checkpoint or {}).get("item", 0))
        try:
            files = self.files()
        except FileSourceRefused as exc:
            self.complete = False
            yield SourceItem(error=RecordError(self.name, "(file)", None, str(exc)))
            return
        for fi, path in enumerate(files):
            if fi < start_file:
                continue
            try:
                # each file again: a symlink inside a data folder may point out of it; and its size
                allowed_source_file(path, self.name)
            except FileSourceRefused as exc:
                self.complete = False
                yield SourceItem(
                    error=RecordError(self.name, path.name, None, str(exc)), checkpoint={"file": fi + 1, "item": 0}
                )
                continue
            skip = start_item if fi == start_file else 0
            n = 0
            stream = self.parse_file(path)
            while True:
                try:
                    item = next(stream)
                except StopIteration:
                    break
                except (ValueError, EOFError, OSError, csv.Error, zlib.error) as exc:
                    # a file that breaks mid-way (truncated download, corrupt gzip, broken JSON array):
                    # report it, keep what was read, go on with the next file
                    self.complete = False
                    n += 1
                    yield SourceItem(
                        error=RecordError(
                            self.name,
                            f"{path.name} (after item {n - 1})",
                            None,
                            f"file unreadable from here on: {type(exc).__name__}: {exc}",
                        ),
                        checkpoint={"file": fi + 1, "item": 0},
                    )
                    break
                n += 1
                if n <= skip:
                    continue
                item.checkpoint = {"file": fi, "item": n}
                yield item

    @abstractmethod
    def parse_file(self, path: Path) -> Iterator[SourceItem]:
        """Yield the items of one file (implemented per format: tabular, jobtech, jobposting)."""

    def bad(self, record_id: Any, field: str | None, message: str) -> SourceItem:
        return self.error(None if record_id is None else str(record_id), field, message)
