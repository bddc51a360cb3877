"""Course tagging on SQLite and PostgreSQL: idempotence, curator decisions, derived occupations."""

from __future__ import annotations

from sqlalchemy import select

from emclm.catalogue.models import Course
from emclm.db.session import session_scope
from emclm.skills.models import CourseSkill, CourseTagging
from emclm.skills.tagging import course_occupations, course_skills, course_tagger_version, decide, tag_courses

from .conftest import DEVELOPER


def tags(url, course_id):
    with session_scope(url) as s:
        rows = s.scalars(select(CourseSkill).where(CourseSkill.course_id == course_id)).all()
        return {r.skill_id: (r.status, r.score, r.updated_at, r.tagger_version) for r in rows}


def test_tagging_stores_skills_with_evidence_and_version(tiny_esco, tiny_extractor):
    url, ids = tiny_esco
    report = tag_courses(url, tiny_extractor, k=3)
    assert (report.tagged, report.failed) == (2, 0)
    prog = tags(url, ids["course_prog"])
    assert {ids["python"], ids["sql"], ids["java"]} <= set(prog)
    with session_scope(url) as s:
        py = s.scalars(
            select(CourseSkill).where(
                CourseSkill.course_id == ids["course_prog"], CourseSkill.skill_id == ids["python"]
            )
        ).one()
        version = course_tagger_version(tiny_extractor.version)  # the extractor's and the evidence rule's
        assert version.startswith(tiny_extractor.version + "+ev")
        assert py.tagger_version == version and py.status == "auto"
        assert py.evidence[0]["rule"] == "label"  # the admitting item comes first and names its rule
        label_ev = [e for e in py.evidence if e["method"] == "label"]
        assert label_ev[0]["field"] == "description"
        course = s.get(Course, ids["course_prog"])
        assert course.description[label_ev[0]["start"] : label_ev[0]["end"]] == "Python"
        assert s.get(CourseTagging, ids["course_prog"]).tagger_version == version
    assert ids["pastry"] in tags(url, ids["course_pastry"])


def test_retagging_touches_only_changed_courses(tiny_esco, tiny_extractor):
    url, ids = tiny_esco
    tag_courses(url, tiny_extractor, k=3)
    before = tags(url, ids["course_prog"]), tags(url, ids["course_pastry"])
    again = tag_courses(url, tiny_extractor, k=3)
    assert (again.tagged, again.unchanged) == (0, 2)
    assert (tags(url, ids["course_prog"]), tags(url, ids["course_pastry"])) == before
    with session_scope(url) as s:
        s.get(Course, ids["course_pastry"]).description = "Manage budgets of a bakery and cook pastry products."
    third = tag_courses(url, tiny_extractor, k=3)
    assert (third.tagged, third.unchanged) == (1, 1)
    assert tags(url, ids["course_prog"]) == before[0]
    assert ids["budgets"] in tags(url, ids["course_pastry"])
    # a new tagger version re-tags everything
    tiny_extractor.version = "test-next"
    try:
        fourth = tag_courses(url, tiny_extractor, k=3)
    finally:
        tiny_extractor.version = type(tiny_extractor)(tiny_extractor.index).version
    assert fourth.tagged == 2
    assert {v[3] for v in tags(url, ids["course_prog"]).values()} == {course_tagger_version("test-next")}


def test_curator_decisions_survive_retagging(tiny_esco, tiny_extractor):
    url, ids = tiny_esco
    tag_courses(url, tiny_extractor, k=3)
    with session_scope(url) as s:
        decide(s, ids["course_prog"], ids["java"], "reject", "curator@example.org")
        decide(s, ids["course_prog"], ids["teams"], "confirm", "curator@example.org")  # not proposed by the tagger
    tag_courses(url, tiny_extractor, k=3, force=True)
    after = tags(url, ids["course_prog"])
    assert after[ids["java"]][0] == "rejected"
    assert after[ids["teams"]][0] == "confirmed"
    assert after[ids["python"]][0] == "auto"
    with session_scope(url) as s:
        shown = {d["skill_id"] for d in course_skills(s, ids["course_prog"])}
        assert ids["java"] not in shown and ids["teams"] in shown
        assert ids["java"] in {d["skill_id"] for d in course_skills(s, ids["course_prog"], include_rejected=True)}


def test_occupations_derived_from_covered_essential_skills(tiny_esco, tiny_extractor):
    url, ids = tiny_esco
    tag_courses(url, tiny_extractor, k=3)
    with session_scope(url) as s:
        occ = course_occupations(s, ids["course_prog"])
        assert [o["uri"] for o in occ] == [DEVELOPER]
        assert occ[0]["essential_covered"] == 3 and occ[0]["essential_total"] == 4
        assert course_occupations(s, ids["course_pastry"]) == []
        # rejecting covered skills removes the derivation
        decide(s, ids["course_prog"], ids["java"], "reject")
        decide(s, ids["course_prog"], ids["sql"], "reject")
        assert course_occupations(s, ids["course_prog"]) == []


def test_a_bad_course_does_not_abort_the_batch(tiny_esco, tiny_extractor):
    url, ids = tiny_esco
    with session_scope(url) as s:
        s.get(Course, ids["course_pastry"]).description = "\x01\x02\x03\x04" * 200
    report = tag_courses(url, tiny_extractor, k=3)
    assert report.tagged == 1 and report.failed == 1
    assert f"course {ids['course_pastry']}" in report.errors[0]
