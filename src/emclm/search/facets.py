"""Filters and facet counts.

Values of one facet are ORed, facets are ANDed. Counts are *disjunctive*: a facet's counts are
computed with every filter applied except that facet's own, so choosing a value keeps the facet's
other values visible, and each count is the number of results the user gets by choosing that value
instead (or, added to the chosen ones, how many more). A facet without a selection is therefore
counted over the results as they are.

Searches filter and count with the facet columns cached per process (``emclm.search.columns``);
``filter_sql`` and ``facet_union_sql`` state the same semantics in SQL over ``search_document d``
and are the reference the tests compare the columns with, on both engines.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from sqlalchemy import bindparam

WORKLOAD_BANDS = (("lt10", 0, 10), ("10-30", 10, 30), ("30-100", 30, 100), ("100plus", 100, None))
ECTS_BANDS = (("lt3", 0, 3), ("3-5", 3, 6), ("6plus", 6, None))
START_WEEKS = (2, 4, 8, 12, 26)


@dataclass(frozen=True)
class Facet:
    """One facet: its parameter name (API, web, facet counts), the ``Filters`` field it selects, and
    what a value may be: any text, an integer in ``[lo, hi]``, or one of ``choices``."""

    name: str
    field: str
    kind: str = "text"  # text | int | choice
    choices: tuple[str, ...] = ()
    lo: int | None = None
    hi: int | None = None
    many: bool = True  # several values: any of them (False: the field holds one value, the largest)

    def parse(self, raw: list[str], strict: bool = True) -> list:
        """The valid values of this facet's parameter, in order, without repeats. ``strict``: a bad
        value raises ``FilterError`` naming the parameter; otherwise it is dropped."""
        out: list = []
        for v in (x.strip() for x in raw if x is not None):
            if not v:
                continue
            if self.kind == "int":
                ok = v.lstrip("-").isdigit() and (self.lo is None or int(v) >= self.lo)
                ok = ok and (self.hi is None or int(v) <= self.hi)
                value = int(v) if ok else None
            else:
                ok = self.kind != "choice" or v in self.choices
                value = v
            if not ok:
                if strict:
                    allowed = (
                        " | ".join(self.choices) if self.kind == "choice" else f"an integer from {self.lo} to {self.hi}"
                    )
                    raise FilterError(f"filter {self.name!r}: {v!r} is not {allowed}", self.name)
                continue
            if value not in out:
                out.append(value)
        return out


# The facets, declared once: API parameters, web filters, facet counts and ``Filters`` follow this table.
FACET_TABLE = (
    Facet("language", "language"),
    Facet("provider", "provider"),
    Facet("organisation", "organisation"),
    Facet("subject", "subject"),
    Facet("eqf_level", "eqf_level", "int", lo=1, hi=8),
    Facet("price", "price", "choice", ("free", "paid")),
    Facet("certificate_type", "certificate_type"),
    Facet("ects", "ects", "choice", ("any", *(b[0] for b in ECTS_BANDS))),
    Facet("pace", "pace"),
    Facet("starts_within", "starts_within_weeks", "int", lo=0, hi=520, many=False),
    Facet("workload", "workload", "choice", tuple(b[0] for b in WORKLOAD_BANDS)),
)
FACETS = tuple(f.name for f in FACET_TABLE)
FACET_BY_NAME = {f.name: f for f in FACET_TABLE}


class FilterError(ValueError):
    """A facet parameter with a value the facet does not have; ``param`` names the parameter."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


SORTS = ("relevance", "start_date", "workload")
# the Filters fields that select values of each facet
FACET_FIELDS = {f.name: (f.field,) for f in FACET_TABLE}
SCALAR_FIELDS = {"price", "starts_within_weeks"}


@dataclass
class Filters:
    language: list[str] = field(default_factory=list)
    provider: list[str] = field(default_factory=list)
    organisation: list[str] = field(default_factory=list)
    subject: list[str] = field(default_factory=list)
    eqf_level: list[int] = field(default_factory=list)
    price: list[str] | str | None = None  # free | paid (several: any of them)
    certificate_type: list[str] = field(default_factory=list)
    ects: list[str] = field(default_factory=list)  # band codes, or "any" for courses with ECTS
    pace: list[str] = field(default_factory=list)
    starts_within_weeks: int | None = None
    workload: list[str] = field(default_factory=list)  # band codes
    workload_max_hours: float | None = None

    def prices(self) -> set[str]:
        """The chosen prices (``price`` as one value or a list)."""
        if not self.price:
            return set()
        return {self.price} if isinstance(self.price, str) else set(self.price)

    def without(self, facet: str) -> Filters:
        """These filters without the given facet's own (for that facet's disjunctive counts)."""
        return replace(self, **{name: None if name in SCALAR_FIELDS else [] for name in FACET_FIELDS[facet]})

    @classmethod
    def from_params(cls, getlist, strict: bool = True, **extra) -> Filters:
        """Filters from request parameters, one per facet of ``FACET_TABLE`` (``getlist(name)`` gives
        a parameter's repeated values: OR within a facet, AND across facets)."""
        values: dict = {}
        for facet in FACET_TABLE:
            got = facet.parse(list(getlist(facet.name) or []), strict=strict)
            if not got:
                continue
            values[facet.field] = got if facet.many else max(got)
        return cls(**values, **extra)

    def selected(self) -> dict[str, list[str]]:
        """The chosen values per facet name, as strings (web links and chips)."""
        out: dict[str, list[str]] = {}
        for facet in FACET_TABLE:
            v = getattr(self, facet.field)
            if v is None or v == []:
                continue
            out[facet.name] = [str(x) for x in (v if isinstance(v, list) else [v])]
        return out

    def active(self) -> bool:
        return any(
            [
                self.language,
                self.provider,
                self.organisation,
                self.subject,
                self.eqf_level,
                self.price,
                self.certificate_type,
                self.ects,
                self.pace,
                self.starts_within_weeks,
                self.workload,
                self.workload_max_hours is not None,
            ]
        )


def _bands_sql(col: str, codes: list[str], bands, prefix: str, params: dict) -> str:
    ors = []
    for code in codes:
        for n, (name, lo, hi) in enumerate(bands):
            if name == code:
                params[f"{prefix}{n}lo"] = lo
                cond = f"{col} >= :{prefix}{n}lo"
                if hi is not None:
                    params[f"{prefix}{n}hi"] = hi
                    cond += f" AND {col} < :{prefix}{n}hi"
                ors.append(f"({cond})")
    return "(" + " OR ".join(ors) + ")" if ors else "1=0"


def filter_sql(f: Filters, today: date) -> tuple[list[str], dict, list]:
    """WHERE conditions on ``d``, their parameters and the expanding bind params they need."""
    where: list[str] = []
    params: dict = {}
    expanding: list = []

    def in_list(col: str, name: str, values: list) -> None:
        if values:
            where.append(f"{col} IN :{name}")
            params[name] = list(values)
            expanding.append(bindparam(name, expanding=True))

    in_list("d.language", "f_language", f.language)
    in_list("d.provider", "f_provider", f.provider)
    in_list("d.organisation", "f_organisation", f.organisation)
    in_list("d.subject", "f_subject", f.subject)
    in_list("d.eqf_level", "f_eqf", [int(x) for x in f.eqf_level])
    in_list("d.certificate_type", "f_cert", f.certificate_type)
    in_list("d.pace", "f_pace", f.pace)
    prices = f.prices() & {"free", "paid"}
    if prices == {"free"}:
        where.append("d.is_free = :f_true")
        params["f_true"] = True
    elif prices == {"paid"}:
        where.append("d.is_free = :f_false")
        params["f_false"] = False
    elif prices:
        where.append("d.is_free IS NOT NULL")
    if f.ects:
        if "any" in f.ects:
            where.append("d.ects_credits > 0")
        codes = [c for c in f.ects if c != "any"]
        if codes:
            where.append(_bands_sql("d.ects_credits", codes, ECTS_BANDS, "f_ects", params))
    if f.workload:
        where.append(_bands_sql("d.workload_hours", f.workload, WORKLOAD_BANDS, "f_wl", params))
    if f.workload_max_hours is not None:
        where.append("d.workload_hours <= :f_wlmax")
        params["f_wlmax"] = float(f.workload_max_hours)
    if f.starts_within_weeks is not None:
        where.append(
            "(d.pace = 'self_paced' OR EXISTS (SELECT 1 FROM catalogue_course_run r WHERE r.course_id = d.course_id"
            " AND r.withdrawn_at IS NULL AND r.start_date >= :f_today AND r.start_date <= :f_until))"
        )
        params["f_today"] = today
        params["f_until"] = today + timedelta(weeks=int(f.starts_within_weeks))
    return where, params, expanding


def band(value: float | None, bands) -> str | None:
    if value is None:
        return None
    for name, lo, hi in bands:
        if value >= lo and (hi is None or value < hi):
            return name
    return None


def _case_bands(col: str, bands, prefix: str, params: dict) -> str:
    parts = []
    for n, (name, lo, hi) in enumerate(bands):
        params[f"{prefix}{n}lo"] = lo
        cond = f"{col} >= :{prefix}{n}lo"
        if hi is not None:
            params[f"{prefix}{n}hi"] = hi
            cond += f" AND {col} < :{prefix}{n}hi"
        parts.append(f"WHEN {cond} THEN '{name}'")
    return "CASE " + " ".join(parts) + " END"


def facet_union_sql(params: dict, today: date) -> tuple[str, str]:
    """(extra CTE columns, UNION ALL of GROUP BYs over CTE ``m``): facet counts computed by the engine.

    Rows: (facet, value, label, count); facet ``_total`` carries the number of matching courses.
    """
    cols = (
        ", (SELECT min(r.start_date) FROM catalogue_course_run r WHERE r.course_id = d.course_id"
        " AND r.withdrawn_at IS NULL AND r.start_date >= :fc_today) AS next_start"
    )
    params["fc_today"] = today
    pieces = ["SELECT '_total' AS f, NULL AS v, NULL AS l, count(*) AS n FROM m"]

    def simple(name: str, expr: str, label: str = "NULL") -> None:
        pieces.append(
            f"SELECT '{name}', CAST({expr} AS VARCHAR(512)), {label}, count(*) FROM m WHERE {expr} IS NOT NULL"
            f" GROUP BY CAST({expr} AS VARCHAR(512))" + (f", {label}" if label != "NULL" else "")
        )

    simple("language", "language")
    pieces.append(
        "SELECT 'provider', provider, max(provider_name), count(*) FROM m WHERE provider IS NOT NULL GROUP BY provider"
    )
    simple("organisation", "organisation")
    simple("subject", "subject")
    simple("eqf_level", "eqf_level")
    simple("price", "CASE WHEN is_free THEN 'free' WHEN NOT is_free THEN 'paid' END")
    simple("certificate_type", "certificate_type")
    ects_case = _case_bands("ects_credits", ECTS_BANDS, "fc_e", params)
    simple("ects", f"CASE WHEN ects_credits > 0 THEN {ects_case} END")
    simple("pace", "pace")
    simple("workload", _case_bands("workload_hours", WORKLOAD_BANDS, "fc_w", params))
    for w in START_WEEKS:
        params[f"fc_until{w}"] = today + timedelta(weeks=w)
        pieces.append(
            f"SELECT 'starts_within', '{w}', NULL, count(*) FROM m"
            f" WHERE pace = 'self_paced' OR next_start <= :fc_until{w}"
        )
    return cols, " UNION ALL ".join(pieces)


def merge_facets(sql_rows, extra: dict[str, list[dict]]) -> tuple[int, dict[str, list[dict]]]:
    """Engine facet rows plus Python counts of the extra (concept/embedding-only) results."""
    counts: dict[str, Counter] = {n: Counter() for n in FACETS}
    labels: dict[tuple[str, str], str] = {}
    total = 0
    for f, v, lab, n in sql_rows:
        if f == "_total":
            total = int(n)
            continue
        if n:
            counts[f][str(v)] += int(n)
            if lab:
                labels[(f, str(v))] = lab
    for f, items in extra.items():
        for it in items:
            counts[f][it["value"]] += it["count"]
            labels.setdefault((f, it["value"]), it["label"])
    out: dict[str, list[dict]] = {}
    ordered = {
        "workload": [b[0] for b in WORKLOAD_BANDS],
        "ects": [b[0] for b in ECTS_BANDS],
        "starts_within": [str(w) for w in START_WEEKS],
    }
    for name, counter in counts.items():
        if name in ordered:
            items = [(v, counter[v]) for v in ordered[name] if counter[v]]
        else:
            items = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:50]
        out[name] = [{"value": v, "label": labels.get((name, v), v), "count": c} for v, c in items]
    return total, out
