"""The one small interface every ingestion source implements: catalogue sources and vacancy sources.

A source pages through its interface and yields ``SourceItem``s: either a plain record (a
``emclm.catalogue.records.CourseRecord`` from a catalogue source, a ``emclm.labour.records.VacancyRecord``
from a vacancy source) or the ``RecordError`` that explains why a raw record could not be normalised.
Errors are yielded, not raised, so one bad record never aborts a batch. Fetching goes through ``fetch``
(an ``emclm.catalogue.http.Fetcher`` in production, a fixture-backed one in tests).

``complete`` tells the runner (catalogue harvest, vacancy import) whether a run saw the whole source
(so records it did not see may be marked withdrawn) or only a slice (an incremental window, a push, a
failed page).

This module sits below every domain package that ingests and imports none of them, so catalogue and
labour share it without depending on each other (decision 0012).
"""

from __future__ import annotations

import json
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, ClassVar, Protocol

from emclm.config import get_settings

__all__ = [
    "MAX_JSON_DEPTH",
    "DepthLimitedReader",
    "Fetch",
    "FileSourceRefused",
    "JsonTooDeep",
    "RecordError",
    "Source",
    "SourceConfig",
    "SourceItem",
    "allowed_source_file",
    "json_loads",
]


class RecordError(ValueError):
    """A raw record that cannot be normalised. Names the source, the record and the field."""

    def __init__(self, source: str, record_id: str | None, field_name: str | None, message: str):
        self.source = source
        self.record_id = record_id
        self.field_name = field_name
        self.message = message
        super().__init__(f"{source}: record {record_id or '?'}: field {field_name or '?'}: {message}")


@dataclass
class SourceItem:
    # the normalised record (a CourseRecord or a VacancyRecord, by the kind of source)
    record: Any = None
    error: RecordError | None = None
    # opaque resume position after this item (page URL, offset, resumption token …); JSON-serialisable
    checkpoint: Any = None
    # the source says this record id was deleted (OAI-PMH status="deleted"): harvest withdraws it
    deleted_id: str | None = None


@dataclass
class SourceConfig:
    name: str  # configured name, unique
    kind: str  # module name in emclm.catalogue.sources, or a vacancy source kind
    url: str | None = None
    path: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


class Fetch(Protocol):
    def __call__(self, url: str, *, params: dict | None = None, headers: dict | None = None) -> Any: ...


class Source(ABC):
    """Base class: subclasses set ``kind`` and implement ``items``."""

    kind: ClassVar[str] = ""

    def __init__(self, config: SourceConfig, fetch: Fetch | None = None):
        self.config = config
        self.fetch = fetch
        self.complete = True

    @property
    def name(self) -> str:
        return self.config.name

    def error(self, record_id: str | None, field_name: str | None, message: str) -> SourceItem:
        return SourceItem(error=RecordError(self.name, record_id, field_name, message))

    @abstractmethod
    def items(self, checkpoint: Any = None) -> Iterator[SourceItem]:
        """Page through the interface from ``checkpoint`` (None: the start)."""


# --------------------------------------------------------------------------------------------
# file sources: where they may read, how big, how deep (decision 0022)
# --------------------------------------------------------------------------------------------


class FileSourceRefused(ValueError):
    """A file source's path is outside the configured data folders, or its file is too large."""


def allowed_source_file(path: str | Path, source: str, *, max_bytes: int | None = None) -> Path:
    """``path`` resolved (symlinks followed) when it lies inside ``Settings.allowed_file_roots``
    and, for a file, is at most ``max_bytes`` (default ``Settings.file_source_max_bytes``) long;
    :class:`FileSourceRefused` naming the source and the path otherwise. A path that does not exist
    is returned as it is (the caller reports "not found")."""
    settings = get_settings()
    raw = Path(path).expanduser()
    resolved = raw.resolve()
    roots = settings.allowed_file_roots
    if not any(resolved == root or resolved.is_relative_to(root) for root in roots):
        raise FileSourceRefused(
            f"source {source}: {raw} is outside the folders file sources may read "
            f"({', '.join(map(str, roots))}; setting file_source_roots)"
        )
    limit = settings.file_source_max_bytes if max_bytes is None else min(max_bytes, settings.file_source_max_bytes)
    if resolved.is_file() and os.path.getsize(resolved) > limit:
        raise FileSourceRefused(
            f"source {source}: {raw} is {os.path.getsize(resolved)} bytes, over the limit of {limit} "
            "(setting file_source_max_bytes)"
        )
    return resolved if resolved.exists() else raw


# Real catalogue and vacancy documents nest a dozen levels at most; the limit only stops hostile
# or broken files (a 200,000-deep array: RecursionError in ``json``, gigabytes in ijson's yajl2_c).
MAX_JSON_DEPTH = 100


class JsonTooDeep(ValueError):
    """A JSON document nested deeper than :data:`MAX_JSON_DEPTH` (or than the parser can)."""


def json_loads(data: str | bytes) -> Any:
    """``json.loads`` that raises :class:`JsonTooDeep` instead of ``RecursionError``."""
    try:
        return json.loads(data)
    except RecursionError:
        raise JsonTooDeep("JSON nested too deeply to parse") from None


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")


class DepthLimitedReader:
    """A binary file wrapper for streaming parsers (ijson): every chunk read is scanned for bracket
    depth (outside strings) and :class:`JsonTooDeep` raised past ``max_depth``, before the parser
    sees it."""

    def __init__(self, raw: IO[bytes], max_depth: int = MAX_JSON_DEPTH):
        self.raw = raw
        self.max_depth = max_depth
        self.depth = 0
        self._carry = b""  # an unterminated string (or escape) at the end of the last chunk

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self._scan(data)
        return data

    def _scan(self, data: bytes) -> None:
        import numpy as np

        text = self._carry + data
        self._carry = b""
        stripped = _JSON_STRING.sub(b"", text)
        quote = stripped.find(b'"')
        if quote >= 0 and data:
            # a string that goes on in the next chunk: scan it again with the next chunk
            # (its content does not matter, only whether its last character escapes the next one)
            tail = stripped[quote:]
            backslashes = len(tail) - len(tail.rstrip(b"\\"))
            self._carry = b'"' + b"\\" * (backslashes % 2 if len(tail) > 1 else 0)
            stripped = stripped[:quote]
        brackets = stripped.translate(None, _NOT_BRACKET)
        if not brackets:
            return
        steps = np.frombuffer(brackets, dtype=np.uint8)
        moves = np.where((steps == ord("[")) | (steps == ord("{")), 1, -1)
        levels = np.cumsum(moves) + self.depth
        if int(levels.max()) > self.max_depth:
            raise JsonTooDeep(f"JSON nested deeper than {self.max_depth} levels")
        self.depth = int(levels[-1])
