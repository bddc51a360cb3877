"""Loose ends of issue 14 in the portal, each pinned by a test that failed before its fix."""

from __future__ import annotations

import re

from emclm.catalogue.models import Course
from emclm.db.session import session_scope
from emclm.search import index_courses


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
