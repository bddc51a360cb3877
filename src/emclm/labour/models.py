"""Vacancies as stored.

- ``Vacancy``        one job ad from one source, normalised: title, text, employer, dates,
                     country + NUTS region, occupation codes and the ESCO occupation.
- ``VacancySkill``   an ESCO skill the ad asks for (skill extractor, or named by the source).
- ``VacancyImport``  one import run of a source: counts, the resume checkpoint, status.

Aggregates keep the NUTS code at each level (``nuts1``, ``nuts2``, ``nuts3``) and the month
("YYYY-MM") as plain columns so demand queries group and filter without string functions that
differ between SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from emclm.db.base import Base, utcnow

OCCUPATION_METHODS = ("source_uri", "isco", "crosswalk", "ranked")


class Vacancy(Base):
    __tablename__ = "labour_vacancy"
    __table_args__ = (
        UniqueConstraint("source", "record_id"),
        Index("ix_labour_vacancy_country_month", "country", "month"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(80), index=True)
    record_id: Mapped[str] = mapped_column(String(512))
    content_hash: Mapped[str] = mapped_column(String(64))

    title: Mapped[str] = mapped_column(String(1024))
    text: Mapped[str | None] = mapped_column(Text)
    employer: Mapped[str | None] = mapped_column(String(512))
    lang: Mapped[str | None] = mapped_column(String(8), index=True)
    url: Mapped[str | None] = mapped_column(String(2048))

    country: Mapped[str | None] = mapped_column(String(2))
    region_text: Mapped[str | None] = mapped_column(String(512))
    nuts_code: Mapped[str | None] = mapped_column(String(5), index=True)  # most precise known
    nuts1: Mapped[str | None] = mapped_column(String(3), index=True)
    nuts2: Mapped[str | None] = mapped_column(String(4), index=True)
    nuts3: Mapped[str | None] = mapped_column(String(5))

    date_posted: Mapped[date | None] = mapped_column(Date)
    date_expires: Mapped[date | None] = mapped_column(Date)
    date_collected: Mapped[date | None] = mapped_column(Date)
    month: Mapped[str | None] = mapped_column(String(7), index=True)  # YYYY-MM of posting (else collection)

    occupation_codes: Mapped[dict] = mapped_column(JSON, default=dict)
    occupation_label: Mapped[str | None] = mapped_column(String(512))
    isco_code: Mapped[str | None] = mapped_column(String(4), index=True)
    occupation_id: Mapped[int | None] = mapped_column(ForeignKey("esco_concept.id", ondelete="SET NULL"), index=True)
    occupation_method: Mapped[str | None] = mapped_column(String(12))
    occupation_score: Mapped[float | None] = mapped_column(Float)

    number_of_vacancies: Mapped[int | None] = mapped_column(Integer)
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    tagger_version: Mapped[str | None] = mapped_column(String(40))

    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class VacancySkill(Base):
    __tablename__ = "labour_vacancy_skill"
    __table_args__ = (UniqueConstraint("vacancy_id", "skill_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vacancy_id: Mapped[int] = mapped_column(ForeignKey("labour_vacancy.id", ondelete="CASCADE"), index=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("esco_concept.id", ondelete="CASCADE"), index=True)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    method: Mapped[str] = mapped_column(String(12), default="extracted")  # extracted | declared
    evidence: Mapped[list] = mapped_column(JSON, default=list)


class VacancyImport(Base):
    __tablename__ = "labour_vacancy_import"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(80), index=True)
    status: Mapped[str] = mapped_column(String(12), default="running")  # running | done | failed
    checkpoint: Mapped[dict | None] = mapped_column(JSON)
    seen: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    error_samples: Mapped[list] = mapped_column(JSON, default=list)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# -- aggregates precomputed per data generation (emclm.labour.precompute; decision 0015) ----------------


class AggregateState(Base):
    """One row: the data generation (fingerprint of vacancies, vacancy skills, course tags and the
    catalogue) that the aggregate tables below were computed from."""

    __tablename__ = "labour_aggregate_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    generation: Mapped[str] = mapped_column(String(64))
    built_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    build_seconds: Mapped[float | None] = mapped_column(Float)


class SkillCell(Base):
    """Vacancies asking for one skill, by evidence method, country, NUTS code and month: every skill
    figure under any filter is a sum of these cells (a vacancy names a skill once)."""

    __tablename__ = "labour_skill_cell"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    skill_id: Mapped[int] = mapped_column(Integer, index=True)
    method: Mapped[str] = mapped_column(String(12))
    country: Mapped[str | None] = mapped_column(String(2))
    nuts_code: Mapped[str | None] = mapped_column(String(5))
    month: Mapped[str | None] = mapped_column(String(7), index=True)
    vacancies: Mapped[int] = mapped_column(Integer)
    weight: Mapped[float] = mapped_column(Float)


class SkillTotal(Base):
    """``SkillCell`` summed over countries, regions and months: the unfiltered figures (the default page)."""

    __tablename__ = "labour_skill_total"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    skill_id: Mapped[int] = mapped_column(Integer, index=True)
    method: Mapped[str] = mapped_column(String(12))
    vacancies: Mapped[int] = mapped_column(Integer)
    weight: Mapped[float] = mapped_column(Float)


class VacancyCell(Base):
    """Vacancies by country, NUTS code and month (totals and months under any filter)."""

    __tablename__ = "labour_vacancy_cell"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    country: Mapped[str | None] = mapped_column(String(2))
    nuts_code: Mapped[str | None] = mapped_column(String(5))
    month: Mapped[str | None] = mapped_column(String(7))
    vacancies: Mapped[int] = mapped_column(Integer)
    weight: Mapped[float] = mapped_column(Float)


class SkillSupply(Base):
    """Active catalogue courses that teach a skill (tag not rejected, course not withdrawn), per
    teaching language (NULL: course without a language)."""

    __tablename__ = "labour_skill_supply"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    skill_id: Mapped[int] = mapped_column(Integer, index=True)
    language: Mapped[str | None] = mapped_column(String(8))
    courses: Mapped[int] = mapped_column(Integer)


# The fingerprint of emclm.labour.precompute reads the latest change stamps of course tags and courses;
# these indexes (migration 0009) make that an index seek. Declared here, beside their only reader.
def _stamp_indexes() -> None:
    from emclm.catalogue.models import Course
    from emclm.skills.models import CourseSkill

    Index("ix_course_skill_updated_at", CourseSkill.updated_at)
    Index("ix_catalogue_course_updated_at", Course.updated_at)


_stamp_indexes()
