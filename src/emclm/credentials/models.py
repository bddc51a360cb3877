"""Recognition facts of catalogue courses (decision 0028).

``RecognitionFact``        one fact as extraction found it: ``declared`` by the source's own field or
                           ``extracted`` from the course text, with its evidence. Rebuilt from scratch
                           whenever the course changes.
``RecognitionCorrection``  a curator's or the provider's confirmation or correction of one element. Kept
                           apart from the facts, so re-harvest and re-extraction never touch it; it is
                           applied over the extracted facts every time they are rebuilt.
``RecognitionState``       per course: the extractor version the facts came from and the catalogue columns
                           recognition wrote (so a value it wrote is not mistaken for one the source
                           declared).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from emclm.db.base import Base, utcnow


class RecognitionFact(Base):
    __tablename__ = "credentials_fact"
    __table_args__ = (UniqueConstraint("course_id", "element"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("catalogue_course.id", ondelete="CASCADE"), index=True)
    element: Mapped[str] = mapped_column(String(40), index=True)
    value: Mapped[object] = mapped_column(JSON)
    provenance: Mapped[str] = mapped_column(String(12))  # declared | extracted
    field: Mapped[str] = mapped_column(String(80))
    evidence: Mapped[str] = mapped_column(Text)
    start: Mapped[int | None] = mapped_column(Integer)
    end: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)


class RecognitionCorrection(Base):
    __tablename__ = "credentials_correction"
    __table_args__ = (UniqueConstraint("course_id", "element"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("catalogue_course.id", ondelete="CASCADE"), index=True)
    element: Mapped[str] = mapped_column(String(40))
    value: Mapped[object | None] = mapped_column(JSON)  # null: the element is not stated for this course
    note: Mapped[str | None] = mapped_column(Text)
    corrected_by: Mapped[str] = mapped_column(String(320))
    corrected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RecognitionState(Base):
    __tablename__ = "credentials_state"

    course_id: Mapped[int] = mapped_column(ForeignKey("catalogue_course.id", ondelete="CASCADE"), primary_key=True)
    extractor_version: Mapped[str] = mapped_column(String(40))
    applied: Mapped[dict] = mapped_column(JSON, default=dict)  # catalogue column → the value recognition wrote
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
