"""Issue #20 item 1, second line of defence: a link stored before harvesting refused unsafe links
(or written around it) never reaches an ``href`` or the course page's JSON-LD."""

from __future__ import annotations

import json
import re

import pytest

from emclm.catalogue.models import Course, CourseRun
from emclm.db.session import session_scope
from emclm.web.routes import safe_url


@pytest.mark.parametrize(
    "value, expected",
    [
        ("javascript:alert(document.cookie)", ""),
        ("JavaScript:alert(1)", ""),
        ("data:text/html,<script>alert(1)</script>", ""),
        ("/etc/passwd", ""),
        (None, ""),
        ("https://example.org/x?a=1&b=2", "https://example.org/x?a=1&b=2"),
    ],
)
def test_safe_url_filter(value, expected):
    assert safe_url(value) == expected


def test_a_stored_javascript_link_is_not_rendered(client, web_db):
    course_id = web_db["course_ids"][0]
    evil = "javascript:alert(document.cookie)"
    with session_scope(web_db["url"]) as s:
        course = s.get(Course, course_id)
        old = course.url
        runs = s.query(CourseRun).filter(CourseRun.course_id == course_id).all()
        old_runs = {r.id: r.url for r in runs}
        course.url = evil
        for r in runs:
            r.url = "data:text/html,<script>alert(1)</script>"
    try:
        client.cookies.clear()
        page = client.get(f"/courses/{course_id}").text
        assert "javascript:" not in page and "data:text/html" not in page
        assert '<a class="button"' not in page  # no link to the platform rather than a dangerous one
        ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1))
        assert "url" not in ld
        assert all("url" not in inst for inst in ld.get("hasCourseInstance", []))
    finally:
        with session_scope(web_db["url"]) as s:
            s.get(Course, course_id).url = old
            for r in s.query(CourseRun).filter(CourseRun.course_id == course_id):
                r.url = old_runs[r.id]
    page = client.get(f"/courses/{course_id}").text
    if old:
        assert f'<a class="button" href="{old}"' in page.replace("&amp;", "&")
