"""Course tagging: store each course's ESCO skills, re-tag only what changed, keep curators' decisions,
and derive the occupations a course prepares for from the essential skills it covers.

- A course is (re)tagged when the hash of its text or the tagger version differs from its
  ``CourseTagging`` row (or with ``force``).
- ``auto`` tags are replaced by the new ranking; ``confirmed``, ``rejected`` and ``declared`` tags
  are never removed or re-statused by the tagger (a rejected skill is not re-added as ``auto``).
- Only ranked skills that pass the evidence rule (``skills.evidence``, decision 0017) are kept, and
  the evidence item that admitted a tag carries the rule's name (``"rule"``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import bindparam, select
from sqlalchemy import text as sql
from sqlalchemy.orm import Session

from emclm.catalogue.models import Course
from emclm.db.base import utcnow
from emclm.db.session import session_scope
from emclm.skills.evidence import RULE_VERSION, Admission, EvidenceJudge
from emclm.skills.models import CourseSkill, CourseTagging
from emclm.skills.queries import course_skills as tags_of
from emclm.skills.text import SkillInputError, check_text

log = logging.getLogger(__name__)

CURATED = ("confirmed", "rejected", "declared")
DECISIONS = {"confirm": "confirmed", "reject": "rejected"}


@dataclass
class TagReport:
    tagged: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def course_text(course: Course) -> tuple[str, list[tuple[str, int, int]]]:
    """The text a course is tagged from, and where each field sits in it: [(field, start, end)]."""
    parts: list[tuple[str, str]] = [("title", course.title or "")]
    if course.description:
        parts.append(("description", course.description))
    outcomes = [str(x) for x in (course.learning_outcomes or []) if x]
    if outcomes:
        parts.append(("learning_outcomes", "\n".join(outcomes)))
    keywords = [str(x) for x in (course.keywords or []) if x]
    if keywords:
        parts.append(("keywords", ", ".join(keywords)))
    text, fields, pos = [], [], 0
    for name, value in parts:
        value = value.strip()
        if not value:
            continue
        if text:
            text.append("\n")
            pos += 1
        fields.append((name, pos, pos + len(value)))
        text.append(value)
        pos += len(value)
    return "".join(text), fields


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _locate(fields: list[tuple[str, int, int]], start: int, end: int) -> tuple[str, int, int]:
    for name, a, b in fields:
        if a <= start < b:
            return name, start - a, min(end, b) - a
    return "text", start, end


def _skill_ids(session: Session, uris: list[str]) -> dict[str, int]:
    if not uris:
        return {}
    from emclm.taxonomy.models import Concept

    out = {}
    for chunk in range(0, len(uris), 500):
        part = uris[chunk : chunk + 500]
        out.update(dict(session.execute(select(Concept.uri, Concept.id).where(Concept.uri.in_(part))).all()))
    return out


def course_tagger_version(extractor_version: str) -> str:
    """The version stored with course tags: the extractor's and the evidence rule's."""
    return f"{extractor_version}+{RULE_VERSION}"


def current_course_tagger_version() -> str:
    """The course tagger version the configured encoder and the evidence rule write."""
    from emclm.skills.extractor import current_tagger_version

    return course_tagger_version(current_tagger_version())


def keep_evidenced(judge: EvidenceJudge, texts: list[str], langs: list, ranked: list[list]) -> list[list]:
    """The course tags to store from each text's ranking: the skills the evidence rule admits, then
    those within ``TAG_MIN_RELATIVE`` of the best admitted one. Returns (match, admission) pairs."""
    out = []
    for pairs in judge.admit_batch(texts, langs, ranked):
        if pairs:
            floor = TAG_MIN_RELATIVE * pairs[0][0].score
            pairs = [(m, a) for m, a in pairs if m.score >= floor]
        out.append(pairs)
    return out


TAG_MIN_RELATIVE = 0.6  # a stored tag scores at least this share of the course's best tag


def keep_confident(matches: list) -> list:
    """The ranked skills worth storing as a course's tags: those within ``TAG_MIN_RELATIVE`` of the
    best. Fused scores are not calibrated across texts, but within one text a skill matched by its
    label (+0.3 in static mode) towers over embedding-only near-misses; with e5's compressed scores
    (0.85–0.95) the cut keeps the whole list, as before."""
    if not matches:
        return matches
    floor = TAG_MIN_RELATIVE * matches[0].score
    return [m for m in matches if m.score >= floor]


def apply_ranking(
    session: Session,
    course: Course,
    matches,
    version: str,
    fields,
    admissions: list[Admission] | None = None,
    text: str = "",
) -> None:
    """Replace the course's auto tags by ``matches``; curated tags keep their status. With
    ``admissions`` (one per match), the admitting evidence item is stored on whole words and named
    by its ``rule``."""
    existing = {
        cs.skill_id: cs for cs in session.scalars(select(CourseSkill).where(CourseSkill.course_id == course.id))
    }
    ids = _skill_ids(session, [m.uri for m in matches])
    seen = set()
    for n, m in enumerate(matches):
        sid = ids.get(m.uri)
        if sid is None or sid in seen:
            continue
        seen.add(sid)
        admission = admissions[n] if admissions is not None else None
        evidence = []
        for i, e in enumerate(m.evidence):
            if admission is not None and admission.item == i:
                name, a, b = _locate(fields, admission.start, admission.end)
                item = {"text": text[admission.start : admission.end], "start": a, "end": b, "field": name}
                item.update(method=e.method, score=e.score, rule=admission.rule)
                if admission.check is not None:
                    item.update(check=admission.check, rank=admission.rank)
                evidence.insert(0, item)  # the admitting item first
                continue
            name, a, b = _locate(fields, e.start, e.end)
            evidence.append({"text": e.text, "start": a, "end": b, "field": name, "method": e.method, "score": e.score})
        row = existing.get(sid)
        if row is None:
            session.add(
                CourseSkill(
                    course_id=course.id,
                    skill_id=sid,
                    score=m.score,
                    evidence=evidence,
                    tagger_version=version,
                    status="auto",
                )
            )
        else:
            row.score = m.score
            row.evidence = evidence
            row.tagger_version = version
    for sid, row in existing.items():
        if sid not in seen and row.status == "auto":
            session.delete(row)


def tag_courses(
    url: str | None,
    extractor,
    *,
    k: int = 30,
    force: bool = False,
    course_ids: list[int] | None = None,
    batch: int = 64,
    progress: Callable[[int, int], None] | None = None,
) -> TagReport:
    report = TagReport()
    version = course_tagger_version(extractor.version)
    judge = EvidenceJudge.for_extractor(extractor)
    with session_scope(url) as session:
        q = select(Course.id).where(Course.withdrawn_at.is_(None)).order_by(Course.id)
        if course_ids is not None:
            q = select(Course.id).where(Course.id.in_(course_ids)).order_by(Course.id)
        all_ids = list(session.scalars(q))
    total = len(all_ids)
    done = 0
    for s in range(0, total, batch):
        chunk = all_ids[s : s + batch]
        with session_scope(url) as session:
            courses = list(session.scalars(select(Course).where(Course.id.in_(chunk)).order_by(Course.id)))
            states = {
                t.course_id: t for t in session.scalars(select(CourseTagging).where(CourseTagging.course_id.in_(chunk)))
            }
            todo = []
            for course in courses:
                text, fields = course_text(course)
                h = text_hash(text + "\x00" + (course.language or ""))
                state = states.get(course.id)
                if not force and state is not None and state.text_hash == h and state.tagger_version == version:
                    report.unchanged += 1
                    continue
                try:
                    text = check_text(text, field=f"course {course.id} ({course.key}) text")
                except SkillInputError as exc:
                    if not text.strip():  # nothing to tag: remember it so it is not retried every run
                        apply_ranking(session, course, [], version, fields)
                        _remember(session, states, course.id, h, version)
                        report.tagged += 1
                    else:
                        report.failed += 1
                        report.errors.append(str(exc))
                    continue
                todo.append((course, text, fields, h))
            # one batch for the encoder (texts are checked above, so the batch cannot fail on one)
            texts, langs = [t for _, t, _, _ in todo], [c.language for c, _, _, _ in todo]
            ranked = extractor.rank_batch(texts, k=k, langs=langs)
            for (course, text, fields, h), pairs in zip(todo, keep_evidenced(judge, texts, langs, ranked), strict=True):
                apply_ranking(session, course, [m for m, _ in pairs], version, fields, [a for _, a in pairs], text)
                _remember(session, states, course.id, h, version)
                report.tagged += 1
        done += len(chunk)
        if progress:
            progress(done, total)
    return report


def _remember(session: Session, states: dict, course_id: int, h: str, version: str) -> None:
    state = states.get(course_id)
    if state is None:
        state = CourseTagging(course_id=course_id, text_hash=h, tagger_version=version)
        session.add(state)
        states[course_id] = state
    state.text_hash = h
    state.tagger_version = version
    state.tagged_at = utcnow()


def decide(session: Session, course_id: int, skill_id: int, decision: str, curator: str | None = None) -> CourseSkill:
    """Record a curator's ``confirm`` / ``reject``; creates the tag when the tagger had not proposed it."""
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {sorted(DECISIONS)}, got {decision!r}")
    row = session.scalars(
        select(CourseSkill).where(CourseSkill.course_id == course_id, CourseSkill.skill_id == skill_id)
    ).first()
    if row is None:
        row = CourseSkill(course_id=course_id, skill_id=skill_id, score=0.0, evidence=[], tagger_version=None)
        session.add(row)
    row.status = DECISIONS[decision]
    row.curated_by = (curator or "")[:120] or None
    row.curated_at = utcnow()
    session.flush()
    return row


_CURATION_ORDER = {"confirmed": 0, "declared": 1, "auto": 2}


def course_skills(
    session: Session, course_id: int, include_rejected: bool = False, lang: str | None = None
) -> list[dict]:
    """The curation view of a course's tags: ``skills.queries.course_skills`` (the one query, labelled in
    ``lang``, default the course's language) with the curator fields, confirmed tags first, then declared,
    then automatic, then (when asked) rejected ones, each group best score first. [] for no such course."""
    course = session.get(Course, course_id)
    if course is None:
        return []
    views = tags_of(session, course, lang=lang, include_rejected=include_rejected)
    views.sort(key=lambda v: _CURATION_ORDER.get(v.status, 3))  # stable: score order within a status
    return [
        {
            "skill_id": v.skill_id,
            "uri": v.uri,
            "label": v.label or v.uri,
            "score": v.score,
            "status": v.status,
            "skill_type": v.skill_type,
            "reuse_level": v.reuse_level,
            "tagger_version": v.tagger_version,
            "curated_by": v.curated_by,
            "evidence": v.evidence,
        }
        for v in views
    ]


def course_occupations(
    session: Session, course_id: int, limit: int = 10, min_covered: int = 2, lang: str = "en"
) -> list[dict]:
    """Occupations ranked by the essential skills the course covers (its non-rejected tags): covered
    skills × √coverage, at least ``min_covered`` of them; labelled in ``lang``, else in English. The
    one ranking of "occupations this course serves": the REST API and the course page both use it."""
    rows = session.execute(
        sql(
            "SELECT os.occupation_id, COUNT(*) AS covered FROM esco_occupation_skill os "
            "JOIN course_skill cs ON cs.skill_id = os.skill_id AND cs.course_id = :cid AND cs.status <> 'rejected' "
            "WHERE os.relation_type = 'essential' GROUP BY os.occupation_id HAVING COUNT(*) >= :minc"
        ),
        {"cid": course_id, "minc": min_covered},
    ).all()
    if not rows:
        return []
    totals = dict(
        session.execute(
            sql(
                "SELECT occupation_id, COUNT(*) FROM esco_occupation_skill WHERE relation_type = 'essential' "
                "AND occupation_id IN :ids GROUP BY occupation_id"
            ).bindparams(bindparam("ids", expanding=True)),
            {"ids": [r.occupation_id for r in rows]},
        ).all()
    )
    scored = []
    for r in rows:
        total = totals.get(r.occupation_id, 0) or 1
        coverage = r.covered / total
        scored.append((r.covered * coverage**0.5, r.occupation_id, r.covered, total, coverage))
    scored.sort(reverse=True)
    scored = scored[:limit]
    ids = [s[1] for s in scored]
    labels = {}
    for cid, uri, label in session.execute(
        sql(
            "SELECT c.id, c.uri, COALESCE("
            "(SELECT l.text FROM esco_label l WHERE l.concept_id = c.id AND l.lang = :lang "
            "AND l.kind = 'preferred' LIMIT 1), "
            "(SELECT l.text FROM esco_label l WHERE l.concept_id = c.id AND l.lang = 'en' "
            "AND l.kind = 'preferred' LIMIT 1)) FROM esco_concept c WHERE c.id IN :ids"
        ).bindparams(bindparam("ids", expanding=True)),
        {"ids": ids, "lang": lang},
    ).all():
        labels[cid] = (uri, label)
    return [
        {
            "occupation_id": oid,
            "uri": labels.get(oid, ("", ""))[0],
            "label": labels.get(oid, ("", ""))[1],
            "essential_covered": covered,
            "essential_total": total,
            "coverage": round(coverage, 4),
            "score": round(score, 4),
        }
        for score, oid, covered, total, coverage in scored
    ]


def tagging_state(session: Session, course_id: int) -> dict | None:
    state = session.get(CourseTagging, course_id)
    if state is None:
        return None
    tagged_at: datetime = state.tagged_at
    if tagged_at is not None and tagged_at.tzinfo is None:
        tagged_at = tagged_at.replace(tzinfo=UTC)  # stored in UTC; SQLite hands it back naive
    return {"tagger_version": state.tagger_version, "tagged_at": tagged_at.isoformat() if tagged_at else None}
