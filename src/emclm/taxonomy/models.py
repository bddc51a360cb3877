"""ESCO concepts as stored: one concept table for every ESCO concept type, labels per language.

ESCO concept types kept: ``skill`` (KnowledgeSkillCompetence), ``occupation``, ``isco_group``,
``skill_group``. One table lets lookups by URI, broader/narrower and label search treat every
type alike; type-specific columns are nullable.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from emclm.db.base import Base

CONCEPT_TYPES = ("skill", "occupation", "isco_group", "skill_group")
LABEL_KINDS = ("preferred", "alternative", "hidden")
COLLECTIONS = ("digital", "digcomp", "green", "transversal", "language", "research", "research_occupations")


class Concept(Base):
    __tablename__ = "esco_concept"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uri: Mapped[str] = mapped_column(String(255), unique=True, index=True)
    concept_type: Mapped[str] = mapped_column(String(20), index=True)
    # skills: "skill/competence" | "knowledge"; reuse level: transversal | cross-sector | sector-specific | occupation-specific
    skill_type: Mapped[str | None] = mapped_column(String(30))
    reuse_level: Mapped[str | None] = mapped_column(String(30))
    # occupations: ISCO-08 unit group (4 digits) and the ESCO code (e.g. 2654.1); ISCO groups and skill groups: their code
    isco_code: Mapped[str | None] = mapped_column(String(10), index=True)
    code: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str | None] = mapped_column(String(20))
    esco_version: Mapped[str | None] = mapped_column(String(20))

    labels: Mapped[list[Label]] = relationship(back_populates="concept", cascade="all, delete-orphan")


class Label(Base):
    __tablename__ = "esco_label"
    __table_args__ = (
        UniqueConstraint("concept_id", "lang", "kind", "text"),
        Index("ix_esco_label_lang_norm", "lang", "norm"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    concept_id: Mapped[int] = mapped_column(ForeignKey("esco_concept.id", ondelete="CASCADE"), index=True)
    lang: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(12))
    text: Mapped[str] = mapped_column(String(512))
    # lower-cased, accents folded, whitespace collapsed: what label search and matching compare
    norm: Mapped[str] = mapped_column(String(512))

    concept: Mapped[Concept] = relationship(back_populates="labels")


class ConceptText(Base):
    """Descriptions, definitions and scope notes per language."""

    __tablename__ = "esco_concept_text"
    __table_args__ = (UniqueConstraint("concept_id", "lang", "field"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    concept_id: Mapped[int] = mapped_column(ForeignKey("esco_concept.id", ondelete="CASCADE"), index=True)
    lang: Mapped[str] = mapped_column(String(8))
    field: Mapped[str] = mapped_column(String(20))  # description | definition | scope_note
    text: Mapped[str] = mapped_column(Text)


class OccupationSkill(Base):
    """ESCO occupation→skill relation: ``essential`` or ``optional``."""

    __tablename__ = "esco_occupation_skill"
    __table_args__ = (UniqueConstraint("occupation_id", "skill_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occupation_id: Mapped[int] = mapped_column(ForeignKey("esco_concept.id", ondelete="CASCADE"), index=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("esco_concept.id", ondelete="CASCADE"), index=True)
    relation_type: Mapped[str] = mapped_column(String(12))


class SkillSkill(Base):
    """ESCO skill→skill relation (``essential`` / ``optional``)."""

    __tablename__ = "esco_skill_skill"
    __table_args__ = (UniqueConstraint("skill_id", "related_skill_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("esco_concept.id", ondelete="CASCADE"), index=True)
    related_skill_id: Mapped[int] = mapped_column(ForeignKey("esco_concept.id", ondelete="CASCADE"), index=True)
    relation_type: Mapped[str] = mapped_column(String(12))


class Broader(Base):
    """Hierarchy edge: ``concept`` is narrower than ``broader`` (skills pillar and occupations pillar)."""

    __tablename__ = "esco_broader"
    __table_args__ = (UniqueConstraint("concept_id", "broader_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    concept_id: Mapped[int] = mapped_column(ForeignKey("esco_concept.id", ondelete="CASCADE"), index=True)
    broader_id: Mapped[int] = mapped_column(ForeignKey("esco_concept.id", ondelete="CASCADE"), index=True)


class CollectionMember(Base):
    """Membership of ESCO collections: digital, DigComp, green, transversal, language, research."""

    __tablename__ = "esco_collection_member"
    __table_args__ = (UniqueConstraint("collection", "concept_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collection: Mapped[str] = mapped_column(String(30), index=True)
    concept_id: Mapped[int] = mapped_column(ForeignKey("esco_concept.id", ondelete="CASCADE"), index=True)


class ImportedFile(Base):
    """What was imported, so a re-import of the same file is recognised."""

    __tablename__ = "esco_imported_file"
    __table_args__ = (UniqueConstraint("name", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    lang: Mapped[str | None] = mapped_column(String(8))
    rows: Mapped[int] = mapped_column(Integer, default=0)
