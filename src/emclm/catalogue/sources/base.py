"""The one small interface every catalogue (and vacancy) source implements.

A source pages through its interface and yields ``SourceItem``s: either a normalised record or
the ``RecordError`` that explains why a raw record could not be normalised. Errors are yielded,
not raised, so one bad record never aborts a batch. Fetching goes through ``fetch`` (an
``emclm.catalogue.http.Fetcher`` in production, a fixture-backed one in tests).

``complete`` tells harvest whether a run saw the whole source (so records it did not see may be
marked withdrawn) or only a slice (an incremental window, a push, a failed page).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from emclm.catalogue.records import CourseRecord, RecordError


@dataclass
class SourceItem:
    record: CourseRecord | None = None
    error: RecordError | None = None
    # opaque resume position after this item (page URL, offset, resumption token …); JSON-serialisable
    checkpoint: Any = None
    # the source says this record id was deleted (OAI-PMH status="deleted"): harvest withdraws it
    deleted_id: str | None = None


@dataclass
class SourceConfig:
    name: str  # configured name, unique
    kind: str  # module name in emclm.catalogue.sources
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
