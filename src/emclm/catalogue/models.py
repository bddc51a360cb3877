"""The catalogue, aligned with ELM / MLO (EN 15982) and schema.org.

- ``Provider``      the MOOC platform (MLO provider / schema.org ``provider``), e.g. FutureLearn.
- ``Organisation``  the university or institution behind a course (ELM ``Organisation``).
- ``Course``        the learning opportunity specification (ELM ``LearningOpportunity``
                    specification / MLO ``Specification`` / schema.org ``Course``).
- ``CourseRun``     one instance with dates (MLO ``Instance`` / schema.org ``CourseInstance``).
- ``CourseSource``  provenance: every (source, record id) through which a course was seen. The
                    same course seen through an aggregator and through the platform is one Course
                    with two CourseSource rows.

Field names follow those standards: ``eqf_level``, ``workload_hours``, ``ects_credits``,
``identity_verification``, ``certificate_type``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from emclm.db.base import Base, TimestampMixin, utcnow

PACES = ("self_paced", "scheduled")
CERTIFICATE_TYPES = ("none", "free", "paid", "verified", "professional", "record_of_achievement", "participation")


class Provider(TimestampMixin, Base):
    __tablename__ = "catalogue_provider"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)  # slug, e.g. "futurelearn"
    name: Mapped[str] = mapped_column(String(255))
    url: Mapped[str | None] = mapped_column(String(1024))
    country: Mapped[str | None] = mapped_column(String(2))  # ISO 3166-1 alpha-2


class Organisation(TimestampMixin, Base):
    __tablename__ = "catalogue_organisation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)  # normalised name
    name: Mapped[str] = mapped_column(String(512))
    url: Mapped[str | None] = mapped_column(String(1024))
    country: Mapped[str | None] = mapped_column(String(2))


class Course(TimestampMixin, Base):
    __tablename__ = "catalogue_course"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Canonical identity across sources: "<provider code>:<platform course id or normalised URL>"
    key: Mapped[str] = mapped_column(String(512), unique=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("catalogue_provider.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("catalogue_organisation.id"), index=True)

    title: Mapped[str] = mapped_column(String(1024))
    description: Mapped[str | None] = mapped_column(Text)
    # {"fr": "...", "en": "..."} where a source gives several languages
    title_i18n: Mapped[dict] = mapped_column(JSON, default=dict)
    description_i18n: Mapped[dict] = mapped_column(JSON, default=dict)
    learning_outcomes: Mapped[list] = mapped_column(JSON, default=list)
    keywords: Mapped[list] = mapped_column(JSON, default=list)

    language: Mapped[str | None] = mapped_column(String(8), index=True)  # ISO 639-1, main teaching language
    languages: Mapped[list] = mapped_column(JSON, default=list)
    subtitle_languages: Mapped[list] = mapped_column(JSON, default=list)
    language_detected: Mapped[bool] = mapped_column(Boolean, default=False)

    subject: Mapped[str | None] = mapped_column(String(10))  # ISCED-F 2013 code where known
    subject_label: Mapped[str | None] = mapped_column(String(255))
    eqf_level: Mapped[int | None] = mapped_column(Integer)
    workload_hours: Mapped[float | None] = mapped_column(Float)  # total learning hours
    hours_per_week: Mapped[float | None] = mapped_column(Float)
    duration_weeks: Mapped[float | None] = mapped_column(Float)
    pace: Mapped[str | None] = mapped_column(String(12))  # self_paced | scheduled

    price: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    currency: Mapped[str | None] = mapped_column(String(3))  # ISO 4217
    free_audit: Mapped[bool | None] = mapped_column(Boolean)
    certificate_type: Mapped[str | None] = mapped_column(String(30))
    certificate_price: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    ects_credits: Mapped[float | None] = mapped_column(Float)
    assessment_type: Mapped[str | None] = mapped_column(String(60))
    identity_verification: Mapped[bool | None] = mapped_column(Boolean)
    quality_label: Mapped[str | None] = mapped_column(String(120))

    url: Mapped[str | None] = mapped_column(String(2048))
    image_url: Mapped[str | None] = mapped_column(String(2048))

    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    content_hash: Mapped[str | None] = mapped_column(String(64))

    provider: Mapped[Provider] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    runs: Mapped[list[CourseRun]] = relationship(
        back_populates="course", cascade="all, delete-orphan", order_by="CourseRun.start_date"
    )
    sources: Mapped[list[CourseSource]] = relationship(back_populates="course", cascade="all, delete-orphan")


class CourseRun(TimestampMixin, Base):
    __tablename__ = "catalogue_course_run"
    __table_args__ = (UniqueConstraint("course_id", "run_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("catalogue_course.id", ondelete="CASCADE"), index=True)
    run_key: Mapped[str] = mapped_column(String(255))  # platform run id, or the start date
    start_date: Mapped[date | None] = mapped_column(Date, index=True)
    end_date: Mapped[date | None] = mapped_column(Date)
    enrolment_start: Mapped[date | None] = mapped_column(Date)
    enrolment_end: Mapped[date | None] = mapped_column(Date)
    pace: Mapped[str | None] = mapped_column(String(12))
    language: Mapped[str | None] = mapped_column(String(8))
    price: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    url: Mapped[str | None] = mapped_column(String(2048))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    course: Mapped[Course] = relationship(back_populates="runs")


class CourseSource(Base):
    """Provenance: one row per (harvest source, record id) that yielded the course."""

    __tablename__ = "catalogue_course_source"
    __table_args__ = (UniqueConstraint("source", "record_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("catalogue_course.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(80), index=True)  # configured source name
    record_id: Mapped[str] = mapped_column(String(512))
    record_url: Mapped[str | None] = mapped_column(String(2048))
    content_hash: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    course: Mapped[Course] = relationship(back_populates="sources")


# --- Harvest bookkeeping (emclm.catalogue.harvest) -------------------------------------------------


class CourseKey(Base):
    """Every identity key a course is known by, so two sources that name it differently meet.

    A platform's own source gives ``<provider>:<platform course id>``; an aggregator usually only
    has the course URL (``<provider>:url:<normalised URL>``). A course keeps all the keys any of its
    records offered; ``Course.key`` is the strongest of them.
    """

    __tablename__ = "catalogue_course_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(512), unique=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("catalogue_course.id", ondelete="CASCADE"), index=True)

    course: Mapped[Course] = relationship()


class HarvestState(Base):
    """Where a source's harvest stands; written in the same transaction as each stored batch.

    ``status``: ``running`` (a pass is under way or was killed: the next run resumes from
    ``checkpoint``), ``complete`` (the last pass saw the whole source), ``partial`` (the last pass
    was an incremental slice or a push; nothing was withdrawn). Records seen during the current
    pass are those whose ``CourseSource.last_seen_at >= pass_started_at``.
    ``validators``: the Fetcher's conditional-request validators (ETag / Last-Modified per URL).
    """

    __tablename__ = "catalogue_harvest_state"

    source: Mapped[str] = mapped_column(String(80), primary_key=True)
    kind: Mapped[str | None] = mapped_column(String(40))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="idle")
    pass_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    checkpoint: Mapped[dict | list | str | int | None] = mapped_column(JSON)
    validators: Mapped[dict] = mapped_column(JSON, default=dict)
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_complete_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class HarvestRun(Base):
    """One invocation of a harvest (or a push): what it changed. Updated with each committed batch."""

    __tablename__ = "catalogue_harvest_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(80), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # running | complete | partial | not_modified | interrupted | abandoned (found still running by
    # the next harvest of its source: its process died; decision 0022)
    status: Mapped[str] = mapped_column(String(16), default="running")
    # the process that ran it
    pid: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(String(255))
    resumed: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    withdrawn: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    # the first errors: [{"source", "record_id", "field", "message"}]
    errors: Mapped[list] = mapped_column(JSON, default=list)
