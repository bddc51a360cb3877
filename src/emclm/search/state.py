"""Every per-process cache of ``emclm.search`` in one place (issue #14, decision 0023).

- ``BoundedCache``: the one cache class: thread-safe, least recently used dropped first once it
  holds more than ``max_items`` entries or more than ``max_bytes`` (as ``size(value)`` counts
  them), entries older than ``ttl`` seconds are misses; ``clear()``.
- ``SearchState``: one per database URL (``state_for(session_or_url)``): the index generation the
  state belongs to, the facet columns, postings, typo vocabulary, parsed queries, concept-phrase
  rankings, concept rankings, embedding matrix, query vectors and nearest-course memo, the postings
  warm-up. ``observe(generation)`` resets everything that depends on the index, in one place, when
  the generation (``search_state``, bumped by every index write in any process) changed.
  What depends only on ESCO or on the engine's text analysis (label keys, compound lexicons,
  analysed tsquery pieces) survives an index change.
- ``PROCESS``: the process-wide objects that do not depend on a database (Snowball stemmers,
  language detectors, the embedding model and its lock, the query-vector thread pool, one-time
  hooks), created once on first use.

No other module of ``emclm.search`` keeps module-level mutable state (``tests/search/
test_state_single_place.py`` checks it).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

_MISSING = object()


class BoundedCache:
    """A thread-safe LRU map bounded by entry count and/or approximate bytes, with an optional TTL.

    ``size(value)`` gives an entry's weight against ``max_bytes`` (bytes, or any unit the caller
    counts in); at least one entry is always kept, however large. With ``ttl`` an entry older than
    ``ttl`` seconds (``time.monotonic``) is dropped when looked up."""

    def __init__(
        self,
        max_items: int | None = None,
        max_bytes: int | None = None,
        ttl: float | None = None,
        size: Callable[[Any], int] | None = None,
        name: str = "",
    ):
        if max_bytes is not None and size is None:
            raise ValueError(f"BoundedCache {name!r}: max_bytes needs a size function")
        self.max_items, self.max_bytes, self.ttl, self.size, self.name = max_items, max_bytes, ttl, size, name
        self.lock = threading.RLock()  # held for compound operations by callers (``with cache.lock``)
        self._data: OrderedDict[Hashable, tuple[float, int, Any]] = OrderedDict()
        self._held = 0

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: Hashable) -> bool:
        return self.get(key, _MISSING, touch=False) is not _MISSING

    @property
    def held(self) -> int:
        """The summed sizes of the entries (0 without a size function)."""
        return self._held

    def get(self, key: Hashable, default=None, touch: bool = True):
        with self.lock:
            entry = self._data.get(key)
            if entry is None:
                return default
            if self.ttl is not None and time.monotonic() - entry[0] > self.ttl:
                self._drop(key)
                return default
            if touch:
                self._data.move_to_end(key)
            return entry[2]

    def put(self, key: Hashable, value) -> None:
        with self.lock:
            if key in self._data:
                self._drop(key)
            n = self.size(value) if self.size is not None else 0
            self._data[key] = (time.monotonic(), n, value)
            self._held += n
            while len(self._data) > 1 and (
                (self.max_items is not None and len(self._data) > self.max_items)
                or (self.max_bytes is not None and self._held > self.max_bytes)
            ):
                self._drop(next(iter(self._data)))

    def get_or_put(self, key: Hashable, make: Callable[[], Any]):
        """The cached value, or ``make()`` stored (``make`` runs outside the lock: two threads may
        both compute it; the last one stored wins, as with the dicts this class replaced)."""
        got = self.get(key, _MISSING)
        if got is not _MISSING:
            return got
        value = make()
        self.put(key, value)
        return value

    def pop(self, key: Hashable, default=None):
        with self.lock:
            if key not in self._data:
                return default
            return self._drop(key)

    def keys(self) -> list:
        with self.lock:
            return list(self._data)

    def clear(self) -> None:
        with self.lock:
            self._data.clear()
            self._held = 0

    def _drop(self, key: Hashable):
        _, n, value = self._data.pop(key)
        self._held -= n
        return value


def _postings_bytes(entry) -> int:
    return entry[0].nbytes + entry[1].nbytes


# bounds (module constants: configuration, not state)
POSTINGS_BYTES = 96 * 1024 * 1024  # posting arrays (8-12 bytes a posting)
PIECES_ITEMS = 20_000  # analysed tsqueries (PostgreSQL)
PARSED_ITEMS = 5000
PARSED_TTL_S = 60.0  # ESCO labels may change in another process
EXPANSION_POSITIONS = 5_000_000  # int32 positions of ranked concept-phrase matches: ≤ 20 MB
CONCEPT_COURSES = 2_000_000  # coverage entries held (≈ 12 bytes each)
CONCEPT_TTL_S = 60.0  # ESCO's occupation-skill relations may change in another process
QVEC_ITEMS = 5000
NEAREST_ITEMS = 5000
PENDING_ITEMS = 100  # futures of searches that failed before using them are dropped


def _expansion_size(entry) -> int:
    return len(entry)


def _concept_size(entry) -> int:
    return len(entry[0]) + len(entry[1]) + len(entry[2])


@dataclass(eq=False)
class SearchState:
    """The per-process search state of one database (see the module doc)."""

    db: str
    generation: str | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)
    columns_lock: threading.Lock = field(default_factory=threading.Lock)  # one columns rebuild at a time
    # index-dependent (reset by ``observe`` when the generation changes)
    columns: Any = None  # emclm.search.columns.Columns
    vocabulary: tuple | None = None  # (generation, title words, words by frequency)
    postings: BoundedCache = field(
        default_factory=lambda: BoundedCache(max_bytes=POSTINGS_BYTES, size=_postings_bytes, name="postings")
    )
    parsed: BoundedCache = field(
        default_factory=lambda: BoundedCache(max_items=PARSED_ITEMS, ttl=PARSED_TTL_S, name="parsed")
    )
    expansions: BoundedCache = field(
        default_factory=lambda: BoundedCache(max_bytes=EXPANSION_POSITIONS, size=_expansion_size, name="expansions")
    )
    concepts: BoundedCache = field(
        default_factory=lambda: BoundedCache(
            max_bytes=CONCEPT_COURSES, ttl=CONCEPT_TTL_S, size=_concept_size, name="concepts"
        )
    )
    matrix: tuple | None = None  # embeddings: (loaded at, (count, generation), ids, float32 matrix)
    nearest: BoundedCache = field(default_factory=lambda: BoundedCache(max_items=NEAREST_ITEMS, name="nearest"))
    pending: BoundedCache = field(default_factory=lambda: BoundedCache(max_items=PENDING_ITEMS, name="pending"))
    warm: Any = None  # emclm.search.postings.Warm of the generation it was started for
    # index-independent (ESCO, the engine's analysis, the model)
    pieces: BoundedCache = field(default_factory=lambda: BoundedCache(max_items=PIECES_ITEMS, name="pieces"))
    query_vectors: BoundedCache = field(default_factory=lambda: BoundedCache(max_items=QVEC_ITEMS, name="qvec"))
    label_keys_built: bool | None = None
    label_memory: dict = field(default_factory=dict)  # lang → label key → [(concept id, preferred)]
    lexicons: dict = field(default_factory=dict)  # lang → (word counts, modifier counts)

    def observe(self, generation: str) -> bool:
        """Note the index generation a search read; on a change, drop everything built from the
        older index (the one place that does it). True when it changed."""
        with self.lock:
            if self.generation == generation:
                return False
            self.generation = generation
            self._reset_index()
            return True

    def invalidate(self) -> None:
        """After an index write in this process (the generation will change at commit)."""
        with self.lock:
            self.vocabulary = None
            self.parsed.clear()

    def reset_vectors(self) -> None:
        """After course vectors were written: the matrix and the nearest courses are rebuilt."""
        with self.lock:
            self.matrix = None
            self.nearest.clear()
            self.pending.clear()

    def clear(self) -> None:
        """Forget everything (a running warm-up stops at its next chunk)."""
        with self.lock:
            self.generation = None
            self._reset_index()
            self.pieces.clear()
            self.query_vectors.clear()
            self.label_keys_built = None
            self.label_memory.clear()
            self.lexicons.clear()

    def _reset_index(self) -> None:
        self.columns = None
        self.vocabulary = None
        self.postings.clear()
        self.parsed.clear()
        self.expansions.clear()
        self.concepts.clear()
        self.warm = None
        self.reset_vectors()


class _States:
    def __init__(self):
        self.lock = threading.Lock()
        self.by_db: dict[str, SearchState] = {}


_STATES = _States()


def db_key(session_or_url) -> str:
    """The database URL a session (or engine, or URL) is bound to, as the states are keyed."""
    if isinstance(session_or_url, str):
        return session_or_url
    get_bind = getattr(session_or_url, "get_bind", None)
    bind = get_bind() if get_bind is not None else session_or_url
    return str(getattr(bind, "url", bind))


def state_for(session_or_url) -> SearchState:
    """This process's search state of the database a session (engine, URL) is bound to."""
    key = db_key(session_or_url)
    st = _STATES.by_db.get(key)
    if st is None:
        with _STATES.lock:
            st = _STATES.by_db.setdefault(key, SearchState(db=key))
    return st


def all_states() -> list[SearchState]:
    with _STATES.lock:
        return list(_STATES.by_db.values())


def clear_all() -> None:
    """Forget every database's search state (tests; a running warm-up stops at its next chunk)."""
    for st in all_states():
        st.clear()


class ProcessRegistry:
    """Process-wide objects that do not depend on a database, each made once on first use."""

    def __init__(self):
        self._lock = threading.Lock()
        self._objects: dict[Hashable, Any] = {}

    def get(self, key: Hashable, make: Callable[[], Any]):
        obj = self._objects.get(key, _MISSING)
        if obj is _MISSING:
            with self._lock:
                obj = self._objects.get(key, _MISSING)
                if obj is _MISSING:
                    obj = make()
                    self._objects[key] = obj
        return obj

    def peek(self, key: Hashable, default=None):
        return self._objects.get(key, default)

    def once(self, key: Hashable) -> bool:
        """True the first time it is called with ``key`` in this process, False afterwards."""
        with self._lock:
            if key in self._objects:
                return False
            self._objects[key] = True
            return True


PROCESS = ProcessRegistry()
