"""A per-process columnar copy of the facet columns of ``search_document`` (numpy arrays by a dense
course position), so that filters, sort keys and all eleven facet counts of a search are array
operations over the matched positions instead of SQL that reads every matching row again.

Consistency: every transaction that writes the index replaces the random token in
``search_state`` (``bump_generation``, called by ``index_courses`` / ``remove_courses``). Each
search reads that token (one primary-key read) and rebuilds the arrays when it differs, so a
changed or withdrawn course is reflected by the first search that can see the commit, in every
process. The token is read *before* the rows when building: a commit in between makes the next
search rebuild again, never keeps stale arrays. A rebuild reads the facet columns of every
document (about 0.5 s per 100,000 courses); the first search after each index change pays it.

Memory: about 60 bytes per course (1 M courses ≈ 60 MB).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from sqlalchemy import inspect, select, update
from sqlalchemy.orm import Session

from emclm.search.facets import ECTS_BANDS, START_WEEKS, WORKLOAD_BANDS, Filters
from emclm.search.schema import search_document, search_state
from emclm.search.state import all_states, state_for
from emclm.taxonomy.text import fold

CATEGORICAL = ("language", "provider", "organisation", "subject", "eqf_level", "certificate_type", "pace")
NO_START = np.iinfo(np.int32).max  # "no upcoming run" in next-start ordinals


def bump_generation(session: Session) -> None:
    """Mark the index as changed, in the caller's transaction (caches rebuild once it commits)."""
    if _has_state_table(session):
        session.execute(update(search_state).where(search_state.c.id == 1).values(generation=uuid.uuid4().hex))


def _has_state_table(session: Session) -> bool:
    bind = session.get_bind()
    cache = bind.__dict__.setdefault("_emclm_search_tables", {})
    if "state" not in cache:
        cache["state"] = inspect(bind).has_table("search_state")
    return cache["state"]


def generation(session: Session) -> str:
    """The index generation this session sees; this process's search state of the database is
    reset when it changed (``SearchState.observe``)."""
    if not _has_state_table(session):
        raise RuntimeError("search: table search_state is missing; run `emclm db upgrade` (migration 0006)")
    gen = session.execute(select(search_state.c.generation).where(search_state.c.id == 1)).scalar_one()
    state_for(session).observe(gen)
    return gen


@dataclass
class Columns:
    generation: str
    ids: np.ndarray  # course ids, ascending (int64); a course's position is its index here
    codes: dict[str, np.ndarray]  # categorical facet → int32 code per course, -1 = NULL
    values: dict[str, list]  # categorical facet → the value of each code (as stored)
    provider_label: list[str | None]  # per provider code: max(provider_name), as the SQL facet did
    is_free: np.ndarray  # int8: 1 free, 0 paid, -1 unknown
    ects: np.ndarray  # float64, NaN = NULL
    workload: np.ndarray  # float64, NaN = NULL
    start_ptr: np.ndarray  # CSR offsets into start_days, one segment per course
    start_days: np.ndarray  # int32 date ordinals of live run starts, ascending within a course
    _next: dict[int, np.ndarray] = field(default_factory=dict)
    _code_of: dict[str, dict] = field(default_factory=dict)
    titles: list[str] = field(default_factory=list)  # per course, as stored
    # per course: the position of its offer group's first course (itself when it has no duplicate)
    group: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def duplicates(self) -> int:
        """Courses that are another course's second offer (0: every course is its own group)."""
        return int(np.count_nonzero(self.group != np.arange(len(self.group)))) if len(self.group) else 0

    def distinct(self, pos: np.ndarray) -> np.ndarray:
        """These positions with one course per offer group (the first of each group in ``pos``'s order)."""
        if not self.duplicates or len(pos) == 0:
            return pos
        _, first = np.unique(self.group[pos], return_index=True)
        return pos[np.sort(first)]

    _folded: dict[int, frozenset[str]] = field(default_factory=dict)

    def title_words(self, pos: int) -> frozenset[str]:
        """The folded words of a course's title (folded on first use: 30 µs a title)."""
        words = self._folded.get(pos)
        if words is None:
            words = frozenset(fold(self.titles[pos] or "").split()) if pos < len(self.titles) else frozenset()
            self._folded[pos] = words
        return words

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def languages(self) -> set[str]:
        """The course languages present in the index."""
        return set(self.values["language"])

    def locate(self, course_ids) -> np.ndarray:
        """Positions of these course ids in the given order; -1 for ids that are not indexed."""
        ids = np.asarray(course_ids, dtype=np.int64)
        if len(ids) == 0 or len(self.ids) == 0:
            return np.full(len(ids), -1, dtype=np.int64)
        pos = np.searchsorted(self.ids, ids)
        pos[pos >= len(self.ids)] = 0
        pos[self.ids[pos] != ids] = -1
        return pos

    def next_start(self, today: date) -> np.ndarray:
        """Per course: the ordinal of the first live run starting on or after ``today`` (NO_START if none)."""
        t = today.toordinal()
        out = self._next.get(t)
        if out is None:
            out = np.full(len(self.ids), NO_START, dtype=np.int32)
            if len(self.start_days):
                vals = np.where(self.start_days >= t, self.start_days, NO_START).astype(np.int32)
                starts = self.start_ptr[:-1]
                nonempty = starts < self.start_ptr[1:]
                out[nonempty] = np.minimum.reduceat(vals, starts[nonempty])
            if len(self._next) > 4:
                self._next.clear()
            self._next[t] = out
        return out

    def _codes_for(self, name: str, wanted: list) -> np.ndarray:
        index = self._code_of.get(name)
        if index is None:
            index = {v: i for i, v in enumerate(self.values[name])}
            self._code_of[name] = index
        return np.array([index[v] for v in wanted if v in index], dtype=np.int32)

    def filter_mask(self, f: Filters, today: date) -> np.ndarray | None:
        """Boolean mask of the courses that pass the filters (``None``: no filter), exactly as ``filter_sql``."""
        if not f.active():
            return None
        mask = np.ones(len(self.ids), dtype=bool)
        for name, wanted in (
            ("language", f.language),
            ("provider", f.provider),
            ("organisation", f.organisation),
            ("subject", f.subject),
            ("eqf_level", [int(x) for x in f.eqf_level]),
            ("certificate_type", f.certificate_type),
            ("pace", f.pace),
        ):
            if wanted:
                mask &= np.isin(self.codes[name], self._codes_for(name, list(wanted)))
        prices = f.prices()
        if prices:
            mask &= ((self.is_free == 1) & ("free" in prices)) | ((self.is_free == 0) & ("paid" in prices))
        if f.ects:
            if "any" in f.ects:
                mask &= self.ects > 0
            codes = [c for c in f.ects if c != "any"]
            if codes:
                mask &= _bands_mask(self.ects, codes, ECTS_BANDS)
        if f.workload:
            mask &= _bands_mask(self.workload, f.workload, WORKLOAD_BANDS)
        if f.workload_max_hours is not None:
            mask &= self.workload <= float(f.workload_max_hours)
        if f.starts_within_weeks is not None:
            until = (today + timedelta(weeks=int(f.starts_within_weeks))).toordinal()
            mask &= self._self_paced() | (self.next_start(today) <= until)
        return mask

    def _self_paced(self) -> np.ndarray:
        codes = self._codes_for("pace", ["self_paced"])
        return self.codes["pace"] == (codes[0] if len(codes) else -2)

    def facet_rows(self, pos: np.ndarray, today: date, names=None) -> list[tuple]:
        """Facet counts over these positions as ``(facet, value, label, count)`` rows (``_total``
        first), the shape ``facets.merge_facets`` takes, with the values the SQL GROUP BYs produce.
        ``names``: only these facets (default: all)."""
        rows: list[tuple] = [("_total", None, None, int(len(pos)))]
        if len(pos) == 0:
            return rows
        want = set(names) if names is not None else None
        if want is not None:
            return [rows[0]] + [r for r in self._facet_rows(pos, today, want) if r[0] in want]
        return rows + self._facet_rows(pos, today, None)

    def _facet_rows(self, pos: np.ndarray, today: date, want: set[str] | None) -> list[tuple]:
        rows: list[tuple] = []
        for name in CATEGORICAL:
            if want is not None and name not in want:
                continue
            c = self.codes[name][pos]
            counts = np.bincount(c[c >= 0], minlength=len(self.values[name]))
            labels = self.provider_label if name == "provider" else None
            for k in np.flatnonzero(counts):
                rows.append((name, str(self.values[name][k]), labels[k] if labels else None, int(counts[k])))
        free = self.is_free[pos]
        rows.append(("price", "free", None, int(np.count_nonzero(free == 1))))
        rows.append(("price", "paid", None, int(np.count_nonzero(free == 0))))
        e = self.ects[pos]
        e = e[e > 0]
        for name, lo, hi in ECTS_BANDS:
            rows.append(("ects", name, None, int(np.count_nonzero((e >= lo) & (e < hi if hi is not None else True)))))
        w = self.workload[pos]
        for name, lo, hi in WORKLOAD_BANDS:
            rows.append(
                ("workload", name, None, int(np.count_nonzero((w >= lo) & (w < hi if hi is not None else True))))
            )
        self_paced = self._self_paced()[pos]
        ns = self.next_start(today)[pos]
        for wk in START_WEEKS:
            until = (today + timedelta(weeks=wk)).toordinal()
            rows.append(("starts_within", str(wk), None, int(np.count_nonzero(self_paced | (ns <= until)))))
        return rows


def _bands_mask(col: np.ndarray, codes: list[str], bands) -> np.ndarray:
    out = np.zeros(len(col), dtype=bool)
    for name, lo, hi in bands:
        if name in codes:
            out |= (col >= lo) & ((col < hi) if hi is not None else True)
    return out


def build(session: Session) -> Columns:
    """Read the facet columns of every search document (token first, then rows: see the module doc)."""
    gen = generation(session)
    d = search_document.c
    rows = session.execute(
        select(
            d.course_id,
            d.language,
            d.provider,
            d.provider_name,
            d.organisation,
            d.subject,
            d.eqf_level,
            d.is_free,
            d.certificate_type,
            d.ects_credits,
            d.pace,
            d.workload_hours,
            d.run_starts,
            d.title,
        ).order_by(d.course_id)
    ).all()
    n = len(rows)
    cols = list(zip(*rows)) if rows else [[] for _ in range(14)]
    ids = np.fromiter(cols[0], dtype=np.int64, count=n)
    codes: dict[str, np.ndarray] = {}
    values: dict[str, list] = {}
    for name, i in (
        ("language", 1),
        ("provider", 2),
        ("organisation", 4),
        ("subject", 5),
        ("eqf_level", 6),
        ("certificate_type", 8),
        ("pace", 10),
    ):
        index: dict = {}
        codes[name] = np.fromiter(
            (-1 if v is None else index.setdefault(v, len(index)) for v in cols[i]), dtype=np.int32, count=n
        )
        values[name] = list(index)
    provider_label: list[str | None] = [None] * len(values["provider"])
    pcodes = codes["provider"]
    for k, name in zip(pcodes.tolist(), cols[3]):
        if k >= 0 and name is not None and (provider_label[k] is None or name > provider_label[k]):
            provider_label[k] = name
    is_free = np.fromiter((-1 if v is None else (1 if v else 0) for v in cols[7]), dtype=np.int8, count=n)
    ects = np.fromiter((np.nan if v is None else float(v) for v in cols[9]), dtype=np.float64, count=n)
    workload = np.fromiter((np.nan if v is None else float(v) for v in cols[11]), dtype=np.float64, count=n)
    ptr = np.zeros(n + 1, dtype=np.int64)
    days: list[int] = []
    for i, rs in enumerate(cols[12]):
        if rs:
            days.extend(sorted(date.fromisoformat(x).toordinal() for x in rs.split()))
        ptr[i + 1] = len(days)
    return Columns(
        gen,
        ids,
        codes,
        values,
        provider_label,
        is_free,
        ects,
        workload,
        ptr,
        np.array(days, dtype=np.int32),
        titles=list(cols[13]),
        group=offer_groups(list(cols[13]), cols[1], cols[4]),
    )


def _title_key(title: str | None) -> str:
    return " ".join((title or "").casefold().split())


def offer_groups(titles: list, languages, organisations) -> np.ndarray:
    """Per position, the first position of its offer group: courses with the same title (case and
    spaces aside) in the same language, listed by two aggregators or under two providers, are one
    course with two offers, unless both name their organisations and the names differ. A course
    without an organisation joins the first group of its title."""
    n = len(titles)
    group = np.arange(n, dtype=np.int64)
    by_title: dict[tuple, list[int]] = {}
    for i, (t, lang) in enumerate(zip(titles, languages)):
        key = (_title_key(t), lang)
        if key[0]:
            by_title.setdefault(key, []).append(i)
    for members in by_title.values():
        if len(members) < 2:
            continue
        first_of_org: dict = {}
        for i in members:
            first_of_org.setdefault(organisations[i], i)
        named = [i for org, i in first_of_org.items() if org is not None]
        fallback = min(named) if named else members[0]
        for i in members:
            org = organisations[i]
            group[i] = first_of_org[org] if org is not None else fallback
    return group


def columns(session: Session) -> Columns:
    """The current columns for this database: rebuilt when the index generation changed."""
    st = state_for(session)
    gen = generation(session)
    entry = st.columns
    if entry is not None and entry.generation == gen:
        return entry
    with st.columns_lock:  # one rebuild per process at a time
        entry = st.columns
        if entry is not None and entry.generation == generation(session):
            return entry
        entry = build(session)
        st.columns = entry
        return entry


def clear() -> None:
    for st in all_states():
        with st.columns_lock:
            st.columns = None
