"""Labour-market aggregates, precomputed once per data generation (decision 0015).

The demand and gap figures group ~100k vacancy-skill rows and count course tags per skill; done on
every request that cost seconds (the gaps API ~6 s, the page 10-14 s on the demo data). Here they are
computed once into small tables and every query sums those:

- ``labour_skill_cell``: vacancies asking for a skill, per (skill, method, country, NUTS code, month),
  count and weight sum. A vacancy names a skill at most once (unique (vacancy, skill)), so the number
  of distinct vacancies under any region / country / month / method filter is a sum of cells;
- ``labour_skill_total``: the cells summed per (skill, method), for the unfiltered figures;
- ``labour_vacancy_cell``: vacancies per (country, NUTS code, month): totals and months;
- ``labour_skill_supply``: active courses (tag not rejected, course not withdrawn) per (skill, teaching
  language); a course has one teaching language, so "any language" is the sum.

**Generation.** ``fingerprint`` hashes a few aggregates of the source tables (row counts, largest ids,
id sums, latest change times, withdrawn courses, rejected tags) that change with every write the
project makes: importing, updating or removing vacancies (the importer stamps ``last_seen_at`` and
replaces skills), tagging, re-tagging or curating courses (``updated_at``), harvesting and withdrawing
courses. It costs a few milliseconds, so each query checks it, in any process, and the tables are
rebuilt in the caller's transaction when it differs from the generation they were built from (the
build also refreshes them after importing the demo vacancies). No stale answer is served after a write
through the project's code; a hand-written SQL UPDATE that leaves all of those columns alone is not
seen until ``refresh(force=True)``.
"""

from __future__ import annotations

import hashlib
import time

from sqlalchemy import delete, distinct, event, func, insert, inspect, literal, select
from sqlalchemy.orm import Session

from emclm.catalogue.models import Course
from emclm.db.base import utcnow
from emclm.labour.models import (
    AggregateState,
    SkillCell,
    SkillSupply,
    SkillTotal,
    Vacancy,
    VacancyCell,
    VacancySkill,
)
from emclm.skills.models import CourseSkill


def fingerprint(session: Session) -> str:
    """A token that changes whenever vacancies, their skills, course tags or the catalogue change.

    One statement of scalar subqueries, each answered from an index: counts (deletions), largest ids
    (insertions), latest change stamps (updates: the vacancy importer stamps ``last_seen_at``, the ORM
    ``updated_at`` of course tags and courses), rejected tags and withdrawn courses."""
    probes = [
        select(func.count()).select_from(Vacancy),
        select(func.max(Vacancy.id)),
        select(func.max(Vacancy.last_seen_at)),
        select(func.count()).select_from(VacancySkill),
        select(func.max(VacancySkill.id)),
        select(func.count()).select_from(CourseSkill),
        select(func.max(CourseSkill.id)),
        select(func.max(CourseSkill.updated_at)),
        select(func.count()).select_from(CourseSkill).where(CourseSkill.status == "rejected"),
        select(func.count()).select_from(Course),
        select(func.max(Course.id)),
        select(func.max(Course.updated_at)),
        select(func.count(Course.withdrawn_at)),
    ]
    row = session.execute(select(*(p.scalar_subquery() for p in probes))).one()
    text = "|".join("" if v is None else str(v) for v in row)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _has_tables(session: Session) -> bool:
    bind = session.get_bind()
    cache = bind.__dict__.setdefault("_emclm_labour_tables", {})
    if "state" not in cache:
        cache["state"] = inspect(bind).has_table(AggregateState.__tablename__)
    return cache["state"]


def stored_generation(session: Session) -> str | None:
    return session.execute(select(AggregateState.generation).where(AggregateState.id == 1)).scalar_one_or_none()


_MEMO = "emclm_labour_generation"


def ensure_current(session: Session) -> str:
    """The current generation, after rebuilding the aggregate tables if they are older.

    Checked once per transaction of ``session`` (a page asks for demand and gaps: one check): the answer
    is forgotten when the transaction ends and when the session writes anything."""
    memo = session.info.get(_MEMO)
    if memo is not None:
        return memo
    if not _has_tables(session):
        raise RuntimeError("labour: table labour_aggregate_state is missing; run `emclm db upgrade` (migration 0009)")
    gen = fingerprint(session)
    if stored_generation(session) != gen:
        gen = refresh(session, gen)
    session.info[_MEMO] = gen
    return gen


def _forget(session: Session, *_args) -> None:
    session.info.pop(_MEMO, None)


def _forget_on_write(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info.pop(_MEMO, None)


event.listen(Session, "after_flush", _forget)
event.listen(Session, "after_transaction_end", _forget)
event.listen(Session, "do_orm_execute", _forget_on_write)


def refresh(session: Session, generation: str | None = None, force: bool = False) -> str:
    """Rebuild the aggregate tables (in the caller's transaction) unless they already hold ``generation``."""
    t0 = time.perf_counter()
    generation = generation or fingerprint(session)
    # one writer at a time: PostgreSQL locks the state row (a second process waits, then sees the new
    # generation); SQLite serialises writers anyway
    state = session.execute(select(AggregateState).where(AggregateState.id == 1).with_for_update()).scalar_one_or_none()
    if state is not None and state.generation == generation and not force:
        return generation
    session.execute(delete(SkillCell))
    session.execute(delete(SkillTotal))
    session.execute(delete(VacancyCell))
    session.execute(delete(SkillSupply))
    skill_cols = (VacancySkill.skill_id, VacancySkill.method, Vacancy.country, Vacancy.nuts_code, Vacancy.month)
    session.execute(
        insert(SkillCell).from_select(
            ["skill_id", "method", "country", "nuts_code", "month", "vacancies", "weight"],
            select(*skill_cols, func.count(), func.coalesce(func.sum(Vacancy.weight), literal(0.0)))
            .select_from(VacancySkill)
            .join(Vacancy, Vacancy.id == VacancySkill.vacancy_id)
            .group_by(*skill_cols),
        )
    )
    session.execute(
        insert(SkillTotal).from_select(
            ["skill_id", "method", "vacancies", "weight"],
            select(
                SkillCell.skill_id, SkillCell.method, func.sum(SkillCell.vacancies), func.sum(SkillCell.weight)
            ).group_by(SkillCell.skill_id, SkillCell.method),
        )
    )
    vac_cols = (Vacancy.country, Vacancy.nuts_code, Vacancy.month)
    session.execute(
        insert(VacancyCell).from_select(
            ["country", "nuts_code", "month", "vacancies", "weight"],
            select(*vac_cols, func.count(), func.coalesce(func.sum(Vacancy.weight), literal(0.0))).group_by(*vac_cols),
        )
    )
    session.execute(
        insert(SkillSupply).from_select(
            ["skill_id", "language", "courses"],
            select(CourseSkill.skill_id, Course.language, func.count(distinct(Course.id)))
            .join(Course, Course.id == CourseSkill.course_id)
            .where(CourseSkill.status != "rejected", Course.withdrawn_at.is_(None))
            .group_by(CourseSkill.skill_id, Course.language),
        )
    )
    seconds = time.perf_counter() - t0
    if state is None:
        session.add(AggregateState(id=1, generation=generation, built_at=utcnow(), build_seconds=seconds))
    else:
        state.generation, state.built_at, state.build_seconds = generation, utcnow(), seconds
    session.flush()
    return generation


__all__ = ["fingerprint", "ensure_current", "refresh", "stored_generation"]
