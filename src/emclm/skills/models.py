"""ESCO skills attached to catalogue courses.

``CourseSkill`` is one tag: the skill, its score, the text evidence, which tagger (and version)
produced it, and the curator's decision. ``status``: ``auto`` (tagger), ``confirmed`` or
``rejected`` (a curator; survives re-tagging), ``declared`` (the platform said so itself).
``CourseTagging`` remembers what text and tagger version a course was last tagged with, so
re-tagging only touches courses whose text or tagger version changed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from emclm.db.base import Base, utcnow

TAG_STATUSES = ("auto", "confirmed", "rejected", "declared")


class CourseSkill(Base):
    __tablename__ = "course_skill"
    __table_args__ = (UniqueConstraint("course_id", "skill_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("catalogue_course.id", ondelete="CASCADE"), index=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("esco_concept.id", ondelete="CASCADE"), index=True)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    # [{"text": "...", "start": int, "end": int, "field": "title|description|…", "method": "label|embedding"}]
    evidence: Mapped[list] = mapped_column(JSON, default=list)
    tagger_version: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12), default="auto", index=True)
    curated_by: Mapped[str | None] = mapped_column(String(120))
    curated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class CourseTagging(Base):
    __tablename__ = "course_tagging"

    course_id: Mapped[int] = mapped_column(ForeignKey("catalogue_course.id", ondelete="CASCADE"), primary_key=True)
    text_hash: Mapped[str] = mapped_column(String(64))
    tagger_version: Mapped[str] = mapped_column(String(40))
    tagged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


def _export_curation(session, account) -> list[dict]:
    from sqlalchemy import select

    rows = session.scalars(select(CourseSkill).where(CourseSkill.curated_by == account.email).order_by(CourseSkill.id))
    return [
        {
            "course_id": r.course_id,
            "skill_id": r.skill_id,
            "status": r.status,
            "curated_at": r.curated_at.isoformat() if r.curated_at else None,
        }
        for r in rows
    ]


def _erase_curation(session, account, alias: str) -> int:
    """A curator's address on their decisions becomes their pseudonym (the decisions stay)."""
    from sqlalchemy import update

    result = session.execute(
        update(CourseSkill).where(CourseSkill.curated_by == account.email).values(curated_by=alias)
    )
    return result.rowcount or 0


def _register_personal_data() -> None:
    from emclm.accounts.erasure import PersonalDataHolder, register

    register(PersonalDataHolder("course_tag_decisions", _export_curation, _erase_curation))


_register_personal_data()
