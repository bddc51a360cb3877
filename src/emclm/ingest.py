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

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

__all__ = ["Fetch", "RecordError", "Source", "SourceConfig", "SourceItem"]


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
