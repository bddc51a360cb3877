"""Loose ends of issue 14 in the portal, each pinned by a test that failed before its fix."""

from __future__ import annotations

import re
from datetime import date

from emclm.catalogue.models import Course, CourseRun
from emclm.db.session import session_scope
from emclm.search import index_courses
from emclm.skills.models import CourseSkill
from emclm.taxonomy.models import Concept


def _set_workload(url: str, course_id: int, hours: float | None) -> float | None:
    with session_scope(url) as s:
        course = s.get(Course, course_id)
        old, course.workload_hours = course.workload_hours, hours
        s.flush()
        index_courses(s, [course_id])
    return old


def _hit_meta(page: str, course_id: int) -> str:
    hit = page[page.index(f'<a href="/courses/{course_id}">') :].split("</li>")[0]
    return re.search(r'<p class="meta">(.*?)</p>', hit, re.S).group(1)


def test_search_results_say_one_hour_in_the_singular(client, web_db):
    """The result list rendered ``_("%(h)s hours")``: French said "1 heures"."""
    course_id = web_db["course_ids"][0]  # French, 10 hours
    old = _set_workload(web_db["url"], course_id, 1.0)
    try:
        client.cookies.clear()
        page = client.get("/search", params={"q": "Lumorix support informatique"}, headers={"Accept-Language": "fr"})
        meta = _hit_meta(page.text, course_id)
        assert "1 heure" in meta and "1 heures" not in meta
        page = client.get("/search", params={"q": "Lumorix support informatique", "lang": "it"})
        assert "1 ora" in _hit_meta(page.text, course_id)
    finally:
        _set_workload(web_db["url"], course_id, old)
    client.cookies.clear()
    page = client.get("/search", params={"q": "Lumorix support informatique"}, headers={"Accept-Language": "fr"})
    assert f"{round(old)} heures" in _hit_meta(page.text, course_id)


def test_the_curation_view_lists_a_courses_tags_as_the_course_api_does(client, web_db):
    """The curation view (``GET /api/courses/{id}/skills``) is the one course-skills query plus curator
    fields: the same tags as ``GET /api/courses/{id}``, with the same labels, scores and evidence, tied
    scores in the same (URI) order. Its own raw SQL left ties in storage order."""
    course_id = web_db["course_ids"][1]
    with session_scope(web_db["url"]) as s:
        tags = s.query(CourseSkill).filter(CourseSkill.course_id == course_id).all()
        assert len(tags) >= 2
        saved = [(t.skill_id, t.score, t.evidence, t.status, t.tagger_version) for t in tags]
        for t in tags:
            s.delete(t)
        s.flush()
        uris = dict(s.query(Concept.id, Concept.uri).filter(Concept.id.in_([t[0] for t in saved])).all())
        # stored against URI order, all with the same score: only a stated tie rule orders them
        for skill_id, _, evidence, status, version in sorted(saved, key=lambda t: uris[t[0]], reverse=True):
            s.add(
                CourseSkill(
                    course_id=course_id,
                    skill_id=skill_id,
                    score=0.5,
                    evidence=evidence,
                    status=status,
                    tagger_version=version,
                )
            )
    try:
        course = client.get(f"/api/courses/{course_id}").json()
        curation = client.get(f"/api/courses/{course_id}/skills").json()  # default: the course's language
        fields = ("uri", "label", "score", "status", "evidence")
        assert [{k: s[k] for k in fields} for s in curation["skills"]] == [
            {k: s[k] for k in fields} for s in course["skills"]
        ]
        assert [s["uri"] for s in curation["skills"]] == sorted(uris.values())
        for s in curation["skills"]:  # the curator fields stay
            assert {"skill_id", "skill_type", "reuse_level", "tagger_version", "curated_by"} <= set(s)
            assert uris[s["skill_id"]] == s["uri"] and s["tagger_version"] == "test"
        for lang in ("fr", "en", "es"):
            with_lang = client.get(f"/api/courses/{course_id}/skills", params={"lang": lang}).json()
            assert [s["uri"] for s in with_lang["skills"]] == sorted(uris.values())
    finally:
        with session_scope(web_db["url"]) as s:
            for t in s.query(CourseSkill).filter(CourseSkill.course_id == course_id):
                t.score = next(score for skill_id, score, *_ in saved if skill_id == t.skill_id)


def test_pathway_explanations_offer_no_past_start(client, web_db):
    """The API's pathway explanations gave a run that started in 2013 as a course's next start."""
    body = {
        "profile": {"occupations": ["shop assistant"]},
        "target": "ICT help desk agent",
        "constraints": {"languages": ["fr"]},
    }
    before = client.post("/api/guidance/pathway", json=body).json()["explanations"]
    scheduled = [e["course_id"] for e in before if e["next_start"]]
    assert scheduled, "the seeded scheduled French courses have a run ahead"
    with session_scope(web_db["url"]) as s:
        runs = s.query(CourseRun).filter(CourseRun.course_id.in_(scheduled)).all()
        saved = {r.id: r.start_date for r in runs}
        for r in runs:
            r.start_date = date(2013, 8, 5)
    try:
        after = client.post("/api/guidance/pathway", json=body).json()["explanations"]
        assert {e["course_id"] for e in after} == {e["course_id"] for e in before}  # no date constraint given
        assert all(e["next_start"] is None for e in after if e["course_id"] in scheduled)
    finally:
        with session_scope(web_db["url"]) as s:
            for r in s.query(CourseRun).filter(CourseRun.id.in_(list(saved))):
                r.start_date = saved[r.id]
