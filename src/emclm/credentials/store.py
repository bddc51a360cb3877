"""Storing recognition facts, applying corrections, and keeping the catalogue's columns in step.

``refresh(session, course_ids)`` re-extracts the facts of those courses (all live courses when ``None``)
in the caller's transaction: fact rows are replaced, the corrections of each course are applied over
them, and the catalogue columns the search facets and the API filter on (``ects_credits``,
``eqf_level``, ``assessment_type``, ``identity_verification``, ``certificate_type``,
``certificate_price``) are filled from the result where the source left them empty or a correction
says otherwise. ``enable_recognition()`` registers ``refresh`` with the catalogue store's change hook,
ahead of the search index, so a harvested course is indexed with its facts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from decimal import Decimal

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, selectinload

from emclm.catalogue.models import CERTIFICATE_TYPES, Course
from emclm.catalogue.store import on_courses_changed
from emclm.credentials.models import RecognitionCorrection, RecognitionFact, RecognitionState
from emclm.credentials.recognition import (
    CERTIFICATE_KINDS,
    CHOICES,
    CORRECTED,
    DECLARED_COLUMNS,
    FACT_KINDS,
    CourseText,
    Fact,
    cmf_check,
    extract_facts,
    profile,
)
from emclm.db.base import utcnow

EXTRACTOR_VERSION = "recognition-1"
_CHUNK = 500


class CorrectionError(ValueError):
    """A correction naming an element or a value recognition does not have."""


def _jsonable(value):
    if isinstance(value, Decimal):
        return float(value)
    return value


def _column_values(facts: dict[str, Fact]) -> dict[str, object]:
    """The catalogue columns the final facts give (a fact left unknown gives no column)."""
    out: dict[str, object] = {}
    if "ects" in facts:
        out["ects_credits"] = facts["ects"].value
    if "eqf_level" in facts:
        out["eqf_level"] = facts["eqf_level"].value
    if "assessment" in facts:
        out["assessment_type"] = ",".join(facts["assessment"].value)[:60] or None
    if "identity_verified" in facts:
        out["identity_verification"] = facts["identity_verified"].value
    cert = facts.get("certificate")
    if cert is not None and isinstance(cert.value, dict):
        if cert.value.get("type") in CERTIFICATE_TYPES:
            out["certificate_type"] = cert.value["type"]
        if cert.value.get("price") is not None:
            out["certificate_price"] = cert.value["price"]
    return out


def _same(a, b) -> bool:
    a, b = _jsonable(a), _jsonable(b)
    if isinstance(a, float) and isinstance(b, (int, float)):
        return math.isclose(a, float(b))
    return a == b


def _declared(course: Course, applied: dict) -> dict:
    """The course's own column values, without those recognition wrote itself."""
    values = {}
    for name in DECLARED_COLUMNS:
        value = getattr(course, name)
        if name in applied and value is not None and _same(value, applied[name]):
            value = None
        values[name] = _jsonable(value)
    return values


def apply_corrections(facts: list[Fact], corrections: Iterable[RecognitionCorrection]) -> dict[str, Fact]:
    out = {f.element: f for f in facts}
    for c in corrections:
        if c.value is None:
            out.pop(c.element, None)
            continue
        before = out.get(c.element)
        out[c.element] = Fact(
            c.element,
            c.value,
            CORRECTED,
            "correction",
            before.evidence if before is not None else "",
            note=(c.note or "") + (f" (by {c.corrected_by})" if c.corrected_by else ""),
        )
    return out


def refresh(session: Session, course_ids: Sequence[int] | None = None) -> dict:
    """Re-extract the facts of these courses (every live one when ``None``); counts of what changed."""
    if course_ids is None:
        ids = list(session.scalars(select(Course.id).where(Course.withdrawn_at.is_(None)).order_by(Course.id)))
    else:
        ids = sorted(set(course_ids))
    counts = {"courses": 0, "facts": 0, "columns_written": 0}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        courses = session.scalars(
            select(Course)
            .where(Course.id.in_(chunk), Course.withdrawn_at.is_(None))
            .options(selectinload(Course.organisation), selectinload(Course.provider))
        ).all()
        states = {
            s.course_id: s
            for s in session.scalars(select(RecognitionState).where(RecognitionState.course_id.in_(chunk)))
        }
        corrections: dict[int, list[RecognitionCorrection]] = {}
        for c in session.scalars(select(RecognitionCorrection).where(RecognitionCorrection.course_id.in_(chunk))):
            corrections.setdefault(c.course_id, []).append(c)
        session.execute(delete(RecognitionFact).where(RecognitionFact.course_id.in_(chunk)))
        rows = []
        for course in courses:
            state = states.get(course.id)
            applied = dict(state.applied or {}) if state is not None else {}
            extracted = extract_facts(CourseText.from_course(course, _declared(course, applied)))
            rows.extend(
                {
                    "course_id": course.id,
                    "element": f.element,
                    "value": f.value,
                    "provenance": f.provenance,
                    "field": f.field[:80],
                    "evidence": f.evidence,
                    "start": f.start,
                    "end": f.end,
                    "note": f.note,
                }
                for f in extracted
            )
            final = apply_corrections(extracted, corrections.get(course.id, []))
            wanted = _column_values(final)
            new_applied = {}
            for name in (
                "ects_credits",
                "eqf_level",
                "assessment_type",
                "identity_verification",
                "certificate_type",
                "certificate_price",
            ):
                current = getattr(course, name)
                was_ours = name in applied and current is not None and _same(current, applied[name])
                if name in wanted:
                    source = final[_ELEMENT_OF[name]]
                    if source.provenance == "declared":
                        continue  # the source's own value, already in the column
                    value = wanted[name]
                    if name == "certificate_price" and value is not None:
                        value = Decimal(str(value)).quantize(Decimal("0.01"))
                    if not _same(current, value):
                        setattr(course, name, value)
                        counts["columns_written"] += 1
                    new_applied[name] = _jsonable(value)
                elif was_ours or (current is not None and _corrected_away(corrections.get(course.id, []), name)):
                    setattr(course, name, None)  # a value recognition wrote (or one a correction removed)
                    counts["columns_written"] += 1
            if state is None:
                session.add(
                    RecognitionState(course_id=course.id, extractor_version=EXTRACTOR_VERSION, applied=new_applied)
                )
            else:
                state.extractor_version = EXTRACTOR_VERSION
                state.applied = new_applied
            counts["courses"] += 1
        if rows:
            session.execute(insert(RecognitionFact), rows)
        counts["facts"] += len(rows)
    session.flush()
    return counts


_ELEMENT_OF = {
    "ects_credits": "ects",
    "eqf_level": "eqf_level",
    "assessment_type": "assessment",
    "identity_verification": "identity_verified",
    "certificate_type": "certificate",
    "certificate_price": "certificate",
}


def _corrected_away(corrections: list[RecognitionCorrection], column: str) -> bool:
    return any(c.element == _ELEMENT_OF[column] and c.value is None for c in corrections)


def _hook(session: Session, course_ids: Sequence[int]) -> None:
    refresh(session, course_ids)


_enabled = False


def enable_recognition() -> None:
    """Re-extract recognition facts after every catalogue store batch, before the search index sees the
    batch (idempotent). Every entry point (CLI, API, ``emclm.build``) enables it."""
    global _enabled
    if not _enabled:
        on_courses_changed(_hook, first=True)
        _enabled = True


# ---- reading -------------------------------------------------------------------------------------


def facts_of(session: Session, course_id: int) -> dict[str, Fact]:
    rows = session.scalars(select(RecognitionFact).where(RecognitionFact.course_id == course_id)).all()
    facts = [Fact(r.element, r.value, r.provenance, r.field, r.evidence, r.start, r.end, r.note) for r in rows]
    corrections = session.scalars(select(RecognitionCorrection).where(RecognitionCorrection.course_id == course_id))
    return apply_corrections(facts, corrections)


def recognition(session: Session, course_id: int) -> dict | None:
    """A course's recognition: its facts (with evidence and provenance), the micro-credential profile and
    the CMF check. ``None`` when there is no such course."""
    course = session.get(Course, course_id)
    if course is None:
        return None
    if session.get(RecognitionState, course_id) is None and course.withdrawn_at is None:
        refresh(session, [course_id])
    facts = facts_of(session, course_id)
    ordered = [facts[k] for k in FACT_KINDS if k in facts]
    text = CourseText.from_course(course, declared={})
    return {
        "course_id": course_id,
        "title": course.title,
        "facts": [f.to_dict() for f in ordered],
        "profile": profile(ordered, text),
        "cmf": cmf_check(ordered),
    }


# ---- corrections ---------------------------------------------------------------------------------


def validate_value(course_id: int, element: str, value):
    """The value as stored, or ``CorrectionError`` naming the course and the element."""

    def fail(msg: str):
        raise CorrectionError(f"course {course_id}, element {element!r}: {msg}")

    if element not in FACT_KINDS:
        fail(f"unknown element; one of {', '.join(FACT_KINDS)}")
    if value is None:
        return None
    kind = FACT_KINDS[element]
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (0 < float(value) <= 1000):
            fail(f"expected a positive number, got {value!r}")
        return float(value)
    if kind == "level":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 8:
            fail(f"expected an EQF level 1–8, got {value!r}")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            fail(f"expected true or false, got {value!r}")
        return value
    if kind == "choices":
        allowed = CHOICES[element]
        if not isinstance(value, list) or not value or any(v not in allowed for v in value):
            fail(f"expected a non-empty list of {', '.join(allowed)}, got {value!r}")
        return sorted(set(value))
    if kind == "certificate":
        if not isinstance(value, dict) or value.get("type") not in CERTIFICATE_KINDS:
            fail(f"expected {{'type': one of {', '.join(CERTIFICATE_KINDS)}, 'price'?, 'currency'?}}, got {value!r}")
        out = {"type": value["type"]}
        price = value.get("price")
        if price is not None:
            if isinstance(price, bool) or not isinstance(price, (int, float)) or price < 0:
                fail(f"certificate price must be a number ≥ 0, got {price!r}")
            out["price"] = float(price)
            cur = value.get("currency")
            if not isinstance(cur, str) or len(cur) != 3 or not cur.isalpha():
                fail(f"certificate currency must be an ISO 4217 code, got {cur!r}")
            out["currency"] = cur.upper()
        return out
    if not isinstance(value, str) or not value.strip() or len(value) > 1000:
        fail(f"expected a text of 1–1000 characters, got {value!r}")
    return value.strip()


def correct(
    session: Session, course_id: int, element: str, value, corrected_by: str, note: str | None = None
) -> RecognitionCorrection:
    """Confirm or correct one element of a course (``value=None``: the course does not state it). The
    correction replaces an earlier one of the same element and survives re-harvest and re-extraction."""
    if session.get(Course, course_id) is None:
        raise CorrectionError(f"course {course_id}: no such course")
    value = validate_value(course_id, element, value)
    row = session.scalar(
        select(RecognitionCorrection).where(
            RecognitionCorrection.course_id == course_id, RecognitionCorrection.element == element
        )
    )
    if row is None:
        row = RecognitionCorrection(course_id=course_id, element=element)
        session.add(row)
    row.value = value
    row.note = note
    row.corrected_by = corrected_by
    row.corrected_at = utcnow()
    session.flush()
    refresh(session, [course_id])
    return row


def counts(session: Session) -> dict[str, dict[str, int]]:
    """How many live courses have each fact, by provenance (corrections counted as ``corrected``)."""
    from sqlalchemy import func

    live = select(Course.id).where(Course.withdrawn_at.is_(None))
    out: dict[str, dict[str, int]] = {}
    q = (
        select(RecognitionFact.element, RecognitionFact.provenance, func.count())
        .where(RecognitionFact.course_id.in_(live))
        .group_by(RecognitionFact.element, RecognitionFact.provenance)
    )
    for element, prov, n in session.execute(q):
        out.setdefault(element, {})[prov] = n
    q = (
        select(RecognitionCorrection.element, func.count())
        .where(RecognitionCorrection.course_id.in_(live))
        .group_by(RecognitionCorrection.element)
    )
    for element, n in session.execute(q):
        out.setdefault(element, {})[CORRECTED] = n
    return out
