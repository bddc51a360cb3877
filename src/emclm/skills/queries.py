"""Read-side queries on course skill tags that the catalogue's pages and API show with a course.

They live here, not in ``emclm.catalogue``, because skills depend on the catalogue (a tag points at a
course) and the catalogue must not depend back on skills (decision 0012).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from emclm.catalogue.models import Course, Provider
from emclm.skills.models import CourseSkill
from emclm.taxonomy.models import Concept, Label


@dataclass
class CourseSkillView:
    uri: str
    label: str | None
    skill_type: str | None
    score: float
    status: str
    evidence: list[dict] = field(default_factory=list)
    # what the curation view adds (``skills.tagging.course_skills``)
    skill_id: int | None = None
    reuse_level: str | None = None
    tagger_version: str | None = None
    curated_by: str | None = None


def course_skills(
    session: Session, course: Course, lang: str | None = None, include_rejected: bool = False
) -> list[CourseSkillView]:
    """ESCO skills tagged on a course (not the rejected ones unless asked), best score first (ties by
    URI), with their text evidence; labelled in ``lang`` (default: the course's language) where ESCO has
    it, else in English. The one query for a course's skills: the course page, the course API and the
    curation API all use it."""
    query = (
        select(CourseSkill, Concept.uri, Concept.skill_type, Concept.reuse_level)
        .join(Concept, Concept.id == CourseSkill.skill_id)
        .where(CourseSkill.course_id == course.id)
        .order_by(CourseSkill.score.desc(), Concept.uri)
    )
    if not include_rejected:
        query = query.where(CourseSkill.status != "rejected")
    rows = session.execute(query).all()
    if not rows:
        return []
    langs = list(dict.fromkeys(lg for lg in (lang or course.language, "en") if lg))
    labels: dict[tuple[int, str], str] = {}
    for concept_id, lg, text in session.execute(
        select(Label.concept_id, Label.lang, Label.text).where(
            Label.concept_id.in_([r[0].skill_id for r in rows]), Label.kind == "preferred", Label.lang.in_(langs)
        )
    ).tuples():
        labels[(concept_id, lg)] = text
    views = []
    for tag, uri, skill_type, reuse_level in rows:
        label = next((labels[(tag.skill_id, lg)] for lg in langs if (tag.skill_id, lg) in labels), None)
        evidence = [dict(e) for e in (tag.evidence or []) if isinstance(e, dict)]
        views.append(
            CourseSkillView(
                uri=uri,
                label=label,
                skill_type=skill_type,
                score=tag.score,
                status=tag.status,
                evidence=evidence,
                skill_id=tag.skill_id,
                reuse_level=reuse_level,
                tagger_version=tag.tagger_version,
                curated_by=tag.curated_by,
            )
        )
    return views


@dataclass
class SkillCourse:
    id: int
    title: str
    provider: str
    skills: int  # how many of the asked skills the course is tagged with
    score: float  # sum of those tags' scores
    evidence: int  # text passages supporting those tags


def courses_for_skills(session: Session, skill_ids: list[int], limit: int = 10) -> list[SkillCourse]:
    """Live courses tagged with any of the skills (curator-rejected tags excluded), ranked by how many
    of the skills they teach, then by the tags' scores, then by how much text evidence supports them."""
    if not skill_ids:
        return []
    ranked: dict[int, list] = {}
    for i in range(0, len(skill_ids), 900):
        chunk = list(skill_ids[i : i + 900])
        for cid, score, evidence in session.execute(
            select(CourseSkill.course_id, CourseSkill.score, CourseSkill.evidence)
            .join(Course, Course.id == CourseSkill.course_id)
            .where(CourseSkill.skill_id.in_(chunk), CourseSkill.status != "rejected", Course.withdrawn_at.is_(None))
        ).tuples():
            entry = ranked.setdefault(cid, [0, 0.0, 0])
            entry[0] += 1
            entry[1] += float(score or 0.0)
            entry[2] += sum(1 for e in (evidence or []) if isinstance(e, dict))
    top = sorted(ranked.items(), key=lambda kv: (-kv[1][0], -kv[1][1], -kv[1][2], kv[0]))[:limit]
    if not top:
        return []
    names = {
        cid: (title, provider)
        for cid, title, provider in session.execute(
            select(Course.id, Course.title, Provider.name)
            .join(Provider, Provider.id == Course.provider_id)
            .where(Course.id.in_([cid for cid, _ in top]))
        ).tuples()
    }
    return [
        SkillCourse(id=cid, title=names[cid][0], provider=names[cid][1], skills=n, score=round(score, 4), evidence=ev)
        for cid, (n, score, ev) in top
    ]
