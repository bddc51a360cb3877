"""The demo catalogue's shipped tags: complete, identical to live tagging, never served stale."""

from __future__ import annotations

import shutil

from sqlalchemy import func, select

from emclm.catalogue.models import Course
from emclm.config import get_settings
from emclm.db.session import session_scope
from emclm.skills.extractor import SkillExtractor, current_tagger_version
from emclm.skills.models import CourseSkill, CourseTagging
from emclm.skills.shipped import apply_shipped_tags
from emclm.skills.tagging import course_text, keep_confident
from emclm.taxonomy.models import Concept

SHIPPED = get_settings().data_dir / "catalogue" / "demo-course-skills.jsonl.gz"


def test_every_demo_course_is_tagged_by_the_build(esco_db_url):
    with session_scope(esco_db_url) as s:
        live = s.execute(select(func.count()).select_from(Course).where(Course.withdrawn_at.is_(None))).scalar_one()
        tagged = s.execute(
            select(func.count())
            .select_from(CourseTagging)
            .join(Course, Course.id == CourseTagging.course_id)
            .where(Course.withdrawn_at.is_(None), CourseTagging.tagger_version == current_tagger_version())
        ).scalar_one()
        with_skills = s.execute(select(func.count(func.distinct(CourseSkill.course_id)))).scalar_one()
    assert live > 3000
    assert tagged == live
    assert with_skills > 0.95 * live


def test_shipped_tags_equal_live_tagging(esco_db_url):
    extractor = SkillExtractor.from_database(esco_db_url)
    with session_scope(esco_db_url) as s:
        sample = []
        for lang in ("en", "es", "fr"):
            sample += list(s.scalars(select(Course).where(Course.language == lang).order_by(Course.id).limit(1)))
        assert len(sample) == 3
        for course in sample:
            stored = (
                s.execute(
                    select(Concept.uri)
                    .join(CourseSkill, CourseSkill.skill_id == Concept.id)
                    .where(CourseSkill.course_id == course.id, CourseSkill.status == "auto")
                    .order_by(CourseSkill.score.desc())
                    .limit(10)
                )
                .scalars()
                .all()
            )
            ranked = keep_confident(extractor.rank(course_text(course)[0], lang=course.language, k=30))
            live = [m.uri for m in ranked][:10]
            assert stored == live, course.key


def test_a_changed_course_is_not_served_its_shipped_tags(built_db_path, tmp_path):
    copy = tmp_path / "db.sqlite3"
    shutil.copyfile(built_db_path, copy)
    url = f"sqlite:///{copy}"
    with session_scope(url) as s:
        course = s.scalars(select(Course).order_by(Course.id).limit(1)).one()
        course.description = (course.description or "") + " Now also about welding and beekeeping."
        s.execute(CourseTagging.__table__.delete().where(CourseTagging.course_id == course.id))
    report = apply_shipped_tags(url, SHIPPED, current_tagger_version())
    assert report.not_shipped == 1
    assert report.applied == 0
