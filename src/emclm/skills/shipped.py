"""Precomputed course tags shipped with the demo catalogue.

Tagging a course runs the multilingual encoder over its text (about 0.3 s a course on 2 cores), so tagging
the ~3,200 demo courses from scratch takes about half an hour. The tags are computed once, by this very
tagger, and shipped in ``data/catalogue/demo-course-skills.jsonl.gz``: one line per course with its key,
the hash of the text it was tagged from, the tagger version and the tags. ``emclm db build`` applies a
line only when the course's text hash AND the tagger version still match; every other course is tagged
live. So the shipped file is a cache that can never serve stale tags: change a course or the tagger and
that course is re-tagged. The tagger version includes the evidence rule's (``+ev1``, decision 0017).
Regenerate: ``emclm courses tag --force`` on a built database, then
``emclm courses export-tags data/catalogue/demo-course-skills.jsonl.gz``.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from emclm.catalogue.models import Course
from emclm.db.base import utcnow
from emclm.db.session import session_scope
from emclm.skills.models import CourseSkill, CourseTagging
from emclm.skills.tagging import _skill_ids, course_text, text_hash
from emclm.taxonomy.models import Concept


def course_hash(course: Course) -> str:
    """The hash ``tag_courses`` keeps for a course (text and language)."""
    return text_hash(course_text(course)[0] + "\x00" + (course.language or ""))


def export_tags(database_url: str | None, path: Path) -> int:
    """Write the auto tags of every course whose tagging state is current to ``path`` (JSON lines, gzip)."""
    n = 0
    with session_scope(database_url) as session, gzip.open(path, "wt", encoding="utf-8") as out:
        states = {t.course_id: t for t in session.scalars(select(CourseTagging))}
        rows = session.execute(
            select(CourseSkill.course_id, Concept.uri, CourseSkill.score, CourseSkill.evidence)
            .join(Concept, Concept.id == CourseSkill.skill_id)
            .where(CourseSkill.status == "auto")
            .order_by(CourseSkill.course_id, CourseSkill.score.desc())
        ).all()
        tags: dict[int, list[dict]] = {}
        for course_id, uri, score, evidence in rows:
            tags.setdefault(course_id, []).append({"uri": uri, "score": round(float(score), 5), "evidence": evidence})
        for course in session.scalars(select(Course).order_by(Course.key)):
            state = states.get(course.id)
            if state is None or state.text_hash != course_hash(course):
                continue
            line = {
                "key": course.key,
                "text_hash": state.text_hash,
                "tagger_version": state.tagger_version,
                "skills": tags.get(course.id, []),
            }
            out.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
            n += 1
    return n


@dataclass
class ApplyReport:
    applied: int = 0
    current: int = 0  # already tagged with this text and version
    not_shipped: int = 0  # no matching line: left to live tagging


def apply_shipped_tags(database_url: str | None, path: Path, tagger_version: str) -> ApplyReport:
    report = ApplyReport()
    if not path.exists():
        return report
    shipped: dict[str, dict] = {}
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            entry = json.loads(line)
            if entry.get("tagger_version") == tagger_version:
                shipped[entry["key"]] = entry
    with session_scope(database_url) as session:
        ids = [
            cid for cid in session.scalars(select(Course.id).where(Course.withdrawn_at.is_(None)).order_by(Course.id))
        ]
        uri_ids = _skill_ids(session, sorted({s["uri"] for e in shipped.values() for s in e["skills"]}))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            courses = list(session.scalars(select(Course).where(Course.id.in_(chunk))))
            states = {
                t.course_id: t for t in session.scalars(select(CourseTagging).where(CourseTagging.course_id.in_(chunk)))
            }
            existing: dict[int, dict[int, CourseSkill]] = {}
            for cs in session.scalars(select(CourseSkill).where(CourseSkill.course_id.in_(chunk))):
                existing.setdefault(cs.course_id, {})[cs.skill_id] = cs
            for course in courses:
                h = course_hash(course)
                state = states.get(course.id)
                if state is not None and state.text_hash == h and state.tagger_version == tagger_version:
                    report.current += 1
                    continue
                entry = shipped.get(course.key)
                if entry is None or entry["text_hash"] != h:
                    report.not_shipped += 1
                    continue
                mine = existing.get(course.id, {})
                seen = set()
                for tag in entry["skills"]:
                    sid = uri_ids.get(tag["uri"])
                    if sid is None or sid in seen:
                        continue
                    seen.add(sid)
                    row = mine.get(sid)
                    if row is None:
                        session.add(
                            CourseSkill(
                                course_id=course.id,
                                skill_id=sid,
                                score=tag["score"],
                                evidence=tag["evidence"],
                                tagger_version=tagger_version,
                                status="auto",
                            )
                        )
                    else:  # curated tags keep their status
                        row.score, row.evidence, row.tagger_version = tag["score"], tag["evidence"], tagger_version
                for sid, row in mine.items():
                    if sid not in seen and row.status == "auto":
                        session.delete(row)
                if state is None:
                    session.add(CourseTagging(course_id=course.id, text_hash=h, tagger_version=tagger_version))
                else:
                    state.text_hash, state.tagger_version, state.tagged_at = h, tagger_version, utcnow()
                report.applied += 1
            session.flush()
    return report
