"""Read-side queries on course skill tags that the catalogue's pages and API show with a course.

They live here, not in ``emclm.catalogue``, because skills depend on the catalogue (a tag points at a
course) and the catalogue must not depend back on skills (decision 0012).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from emclm.catalogue.models import Course
from emclm.skills.models import CourseSkill
from emclm.taxonomy.models import Concept, Label


@dataclass
class CourseSkillView:
    uri: str
    label: str | None
    skill_type: str | None
    score: float
    status: str


def course_skill_views(session: Session, course: Course) -> list[CourseSkillView]:
    """ESCO skills tagged on a course (not the rejected ones), labelled in the course's language
    where ESCO has it, else in English."""
    rows = session.execute(
        select(CourseSkill, Concept.uri, Concept.skill_type)
        .join(Concept, Concept.id == CourseSkill.skill_id)
        .where(CourseSkill.course_id == course.id, CourseSkill.status != "rejected")
        .order_by(CourseSkill.score.desc(), Concept.uri)
    ).all()
    if not rows:
        return []
    langs = [lang for lang in (course.language, "en") if lang]
    labels: dict[tuple[int, str], str] = {}
    for concept_id, lang, text in session.execute(
        select(Label.concept_id, Label.lang, Label.text).where(
            Label.concept_id.in_([r[0].skill_id for r in rows]), Label.kind == "preferred", Label.lang.in_(langs)
        )
    ).tuples():
        labels[(concept_id, lang)] = text
    views = []
    for tag, uri, skill_type in rows:
        label = next((labels[(tag.skill_id, lang)] for lang in langs if (tag.skill_id, lang) in labels), None)
        views.append(CourseSkillView(uri=uri, label=label, skill_type=skill_type, score=tag.score, status=tag.status))
    return views
