"""Labour-market demand from stored vacancies, and the supply–demand gap against the catalogue.

Plain SQL through SQLAlchemy Core, the same on SQLite and PostgreSQL (no second engine: the
figures are counts over indexed columns; see docs/decisions/0006). Every figure counts distinct
vacancies (optionally weighted by ``Vacancy.weight`` for sampled data):

- ``demand(by=skill|occupation|isco|region|month)``: count and share of the vacancies in the filter
  (region = NUTS prefix, country, month range), and growth = change between the latest month
  and the month before (``None`` when the earlier month has no vacancies);
- ``gaps``: skills in demand with the number of active catalogue courses that teach them
  (``course_skill`` not rejected, course not withdrawn, optionally in one course language);
  ``status`` is ``none`` (no course), ``poor`` (fewer than ``poor_below`` courses, default 3)
  or ``covered``; ``gap_score = demand_share / (1 + courses)`` orders them.

Skill figures, totals, months and course supply are sums over the aggregate tables of
``emclm.labour.precompute``, rebuilt when the data generation changes (decision 0015); groupings by
occupation, ISCO group, region and month read the vacancy table directly (one indexed table, fast).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Select, distinct, func, select
from sqlalchemy.orm import Session

from emclm.labour.models import SkillCell, SkillSupply, SkillTotal, Vacancy, VacancyCell
from emclm.labour.nuts import nuts_table
from emclm.labour.precompute import ensure_current
from emclm.taxonomy.models import Concept
from emclm.taxonomy.queries import preferred_labels

NUTS_RE = re.compile(r"^[A-Z]{2}[A-Z0-9]{0,3}$")
MONTH_RE = re.compile(r"^\d{4}-\d{2}$")
BY = ("skill", "occupation", "isco", "region", "month")
SKILL_METHODS = ("declared", "extracted", "occupation")


class DemandQueryError(ValueError):
    pass


@dataclass
class Filters:
    region: str | None = None  # NUTS code prefix: PL, PL9, PL91, SE110
    country: str | None = None
    month_from: str | None = None
    month_to: str | None = None
    methods: tuple[str, ...] = SKILL_METHODS

    def check(self) -> Filters:
        if self.region is not None:
            self.region = self.region.strip().upper()
            if not NUTS_RE.match(self.region):
                raise DemandQueryError(f"region: not a NUTS code: {self.region!r}")
        if self.country is not None:
            self.country = self.country.strip().upper()
            if not re.match(r"^[A-Z]{2}$", self.country):
                raise DemandQueryError(f"country: not a 2-letter code: {self.country!r}")
        for name in ("month_from", "month_to"):
            v = getattr(self, name)
            if v is not None and not MONTH_RE.match(v):
                raise DemandQueryError(f"{name}: expected YYYY-MM, got {v!r}")
        bad = [m for m in self.methods if m not in SKILL_METHODS]
        if bad:
            raise DemandQueryError(f"methods: unknown {bad} (known: {list(SKILL_METHODS)})")
        return self

    def where(self, stmt: Select, table=Vacancy) -> Select:
        """The filter on ``table``'s country, nuts_code and month columns (vacancies or an aggregate)."""
        if self.region:
            stmt = stmt.where(table.nuts_code.like(self.region + "%"))
        if self.country:
            stmt = stmt.where(table.country == self.country)
        if self.month_from:
            stmt = stmt.where(table.month >= self.month_from)
        if self.month_to:
            stmt = stmt.where(table.month <= self.month_to)
        return stmt

    def as_dict(self) -> dict:
        return {
            "region": self.region,
            "country": self.country,
            "month_from": self.month_from,
            "month_to": self.month_to,
            "methods": list(self.methods),
        }


def _measure(weighted: bool):
    return func.sum(Vacancy.weight) if weighted else func.count(distinct(Vacancy.id))


def total_vacancies(session: Session, f: Filters, weighted: bool = False) -> float:
    ensure_current(session)
    return _total(session, f, weighted)


def _total(session: Session, f: Filters, weighted: bool) -> float:
    meas = func.sum(VacancyCell.weight if weighted else VacancyCell.vacancies)
    return float(session.execute(f.where(select(meas), VacancyCell)).scalar_one() or 0)


def months(session: Session, f: Filters) -> list[str]:
    ensure_current(session)
    return _months(session, f)


def _months(session: Session, f: Filters) -> list[str]:
    return [
        m
        for (m,) in session.execute(
            f.where(select(distinct(VacancyCell.month)).where(VacancyCell.month.is_not(None)), VacancyCell).order_by(
                VacancyCell.month
            )
        )
    ]


def _prev_month(m: str) -> str:
    y, mo = int(m[:4]), int(m[5:])
    return f"{y - 1}-12" if mo == 1 else f"{y}-{mo - 1:02d}"


def _grouped(session: Session, f: Filters, by: str, level: int, weighted: bool, month: str | None = None):
    """(key, count) rows for one grouping (by skill: from the aggregate tables, which the caller has
    brought up to date with ``ensure_current``)."""
    meas = _measure(weighted)
    if by == "skill":  # sums of the precomputed cells (same figures as counting the joined rows)
        if not (month or f.region or f.country or f.month_from or f.month_to):
            meas_total = func.sum(SkillTotal.weight if weighted else SkillTotal.vacancies)
            stmt = select(SkillTotal.skill_id, meas_total).where(SkillTotal.method.in_(f.methods))
            return {k: float(v) for k, v in session.execute(stmt.group_by(SkillTotal.skill_id))}
        key = SkillCell.skill_id
        stmt = select(key, func.sum(SkillCell.weight if weighted else SkillCell.vacancies)).where(
            SkillCell.method.in_(f.methods)
        )
        stmt = f.where(stmt, SkillCell)
        if month:
            stmt = stmt.where(SkillCell.month == month)
        return {k: float(v) for k, v in session.execute(stmt.group_by(key))}
    elif by == "occupation":
        key = Vacancy.occupation_id
        stmt = select(key, meas).select_from(Vacancy).where(Vacancy.occupation_id.is_not(None))
    elif by == "isco":
        key = Vacancy.isco_code
        stmt = select(key, meas).select_from(Vacancy).where(key.is_not(None))
    elif by == "region":
        key = {0: Vacancy.country, 1: Vacancy.nuts1, 2: Vacancy.nuts2, 3: Vacancy.nuts3}[level]
        stmt = select(key, meas).select_from(Vacancy).where(key.is_not(None))
    elif by == "month":
        key = Vacancy.month
        stmt = select(key, meas).select_from(Vacancy).where(key.is_not(None))
    else:
        raise DemandQueryError(f"by: one of {list(BY)}, got {by!r}")
    stmt = f.where(stmt)
    if month:
        stmt = stmt.where(Vacancy.month == month)
    return {k: float(v) for k, v in session.execute(stmt.group_by(key))}


def demand(
    session: Session,
    by: str = "skill",
    filters: Filters | None = None,
    *,
    level: int = 2,
    lang: str = "en",
    limit: int = 50,
    weighted: bool = False,
) -> dict:
    f = (filters or Filters()).check()
    if by not in BY:
        raise DemandQueryError(f"by: one of {list(BY)}, got {by!r}")
    if level not in (0, 1, 2, 3):
        raise DemandQueryError(f"level: 0–3, got {level}")
    ensure_current(session)
    total = _total(session, f, weighted)
    counts = _grouped(session, f, by, level, weighted)
    all_months = _months(session, f)
    latest = all_months[-1] if all_months else None
    growth: dict = {}
    if latest and by != "month":
        now = _grouped(session, f, by, level, weighted, latest)
        before = _grouped(session, f, by, level, weighted, _prev_month(latest))
        growth = {k: ((now.get(k, 0.0) - before[k]) / before[k]) if before.get(k) else None for k in counts}
    if by == "month":
        items = []
        prev = None
        for m in sorted(counts):
            c = counts[m]
            items.append(
                {
                    "key": m,
                    "label": m,
                    "count": c,
                    "share": c / total if total else 0.0,
                    "growth": ((c - prev) / prev) if prev else None,
                }
            )
            prev = c
        ranked = items
    else:
        ranked_keys = sorted(counts, key=lambda k: (-counts[k], str(k)))[:limit]
        labels = _labels(session, by, ranked_keys, lang)
        ranked = [
            {
                **labels.get(k, {"key": k, "label": None}),
                "count": counts[k],
                "share": counts[k] / total if total else 0.0,
                "growth": growth.get(k),
            }
            for k in ranked_keys
        ]
    return {
        "by": by,
        "level": level if by == "region" else None,
        "filters": f.as_dict(),
        "weighted": weighted,
        "total_vacancies": total,
        "latest_month": latest,
        "months": all_months,
        "items": ranked,
    }


def _labels(session: Session, by: str, keys: list, lang: str) -> dict:
    out: dict = {}
    if by in ("skill", "occupation"):
        ids = [k for k in keys if k is not None]
        labels = preferred_labels(session, ids, lang)
        rows = (
            session.execute(select(Concept.id, Concept.uri, Concept.isco_code).where(Concept.id.in_(ids))).all()
            if ids
            else []
        )
        for cid, uri, isco in rows:
            item = {"key": uri, "uri": uri, "label": labels.get(cid)}
            if by == "occupation":
                item["isco"] = isco
            out[cid] = item
    elif by == "isco":
        uris = {f"http://data.europa.eu/esco/isco/C{k}": k for k in keys if k}
        rows = session.execute(select(Concept.id, Concept.uri).where(Concept.uri.in_(list(uris)))).all() if uris else []
        labels = preferred_labels(session, [cid for cid, _ in rows], lang)
        for cid, uri in rows:
            out[uris[uri]] = {"key": uris[uri], "isco": uris[uri], "uri": uri, "label": labels.get(cid)}
        for k in keys:
            out.setdefault(k, {"key": k, "isco": k, "label": None})
    elif by == "region":
        t = nuts_table()
        for k in keys:
            out[k] = {"key": k, "nuts": k, "label": t.name(k)}
    return out


def course_supply(session: Session, skill_ids: list[int], lang: str | None = None) -> dict[int, int]:
    """Active catalogue courses per skill (optionally in one teaching language), from the precomputed
    supply table: one grouped read of every skill (a few thousand rows) instead of chunked IN queries."""
    if not skill_ids:
        return {}
    ensure_current(session)
    return _supply(session, skill_ids, lang)


def _supply(session: Session, skill_ids: list[int], lang: str | None) -> dict[int, int]:
    stmt = select(SkillSupply.skill_id, func.sum(SkillSupply.courses)).group_by(SkillSupply.skill_id)
    if lang:
        stmt = stmt.where(SkillSupply.language == lang)
    wanted = set(skill_ids)
    return {k: int(v) for k, v in session.execute(stmt) if k in wanted}


def gaps(
    session: Session,
    filters: Filters | None = None,
    *,
    lang: str | None = None,
    label_lang: str = "en",
    limit: int = 50,
    min_vacancies: int = 1,
    poor_below: int = 3,
    weighted: bool = False,
) -> dict:
    """Skills in demand that the catalogue covers poorly or not at all, biggest gap first."""
    f = (filters or Filters()).check()
    if lang is not None and not re.match(r"^[a-z]{2,3}$", lang):
        raise DemandQueryError(f"lang: expected an ISO 639-1 code, got {lang!r}")
    ensure_current(session)
    total = _total(session, f, weighted)
    counts = {k: v for k, v in _grouped(session, f, "skill", 2, weighted).items() if v >= min_vacancies}
    supply = _supply(session, list(counts), lang)
    rows = []
    for sid, c in counts.items():
        courses = supply.get(sid, 0)
        share = c / total if total else 0.0
        rows.append((share / (1 + courses), sid, c, share, courses))
    rows.sort(key=lambda r: (-r[0], r[1]))
    uncovered = sum(1 for r in rows if r[4] == 0)
    poor = sum(1 for r in rows if 0 < r[4] < poor_below)
    top = rows[:limit]
    labels = _labels(session, "skill", [r[1] for r in top], label_lang)
    items = [
        {
            **labels.get(sid, {"key": sid, "label": None}),
            "vacancies": c,
            "demand_share": share,
            "courses": courses,
            "status": "none" if courses == 0 else ("poor" if courses < poor_below else "covered"),
            "gap_score": score,
        }
        for score, sid, c, share, courses in top
    ]
    return {
        "filters": f.as_dict(),
        "course_lang": lang,
        "weighted": weighted,
        "total_vacancies": total,
        "skills_in_demand": len(rows),
        "skills_without_courses": uncovered,
        "skills_poorly_covered": poor,
        "poor_below": poor_below,
        "items": items,
    }


__all__ = ["Filters", "DemandQueryError", "demand", "gaps", "course_supply", "BY", "SKILL_METHODS"]


def vacancy_regions(session: Session) -> list[dict]:
    """Countries and NUTS 2 regions that hold vacancies, ``{code, name}`` by code (for a region picker)."""
    table = nuts_table()
    codes = {c for c in session.execute(select(distinct(Vacancy.nuts_code))).scalars() if c}
    wanted = sorted({c[:n] for c in codes for n in (2, 4) if len(c) >= n})
    return [{"code": c, "name": (table.regions.get(c).name if table.regions.get(c) else None) or c} for c in wanted]
