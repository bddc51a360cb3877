"""Issue #20 item 1: links that are not http(s) never reach the catalogue, and titles and
descriptions lose NUL bytes, terminal escape codes and control characters (decision 0022)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harvest_support import ListSource, make_record  # noqa: E402

from emclm.catalogue.harvest import harvest, ingest  # noqa: E402
from emclm.catalogue.models import Course, CourseRun, HarvestRun, Organisation, Provider  # noqa: E402
from emclm.catalogue.normalise import UnsafeUrl, clean_text, http_url, strip_control  # noqa: E402
from emclm.catalogue.records import CourseRunRecord  # noqa: E402
from emclm.catalogue.sources.partner_csv import PartnerCsvSource  # noqa: E402
from emclm.catalogue.sources.partner_json import PartnerJsonSource  # noqa: E402
from emclm.db.session import session_scope  # noqa: E402
from emclm.ingest import SourceConfig  # noqa: E402

EVIL = [
    "javascript:alert(document.cookie)",
    " JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "\x01javascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "/relative/path",
    "http:/no-host",
]


@pytest.mark.parametrize("value", EVIL)
def test_only_absolute_http_urls_pass(value):
    with pytest.raises(UnsafeUrl):
        http_url(value)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("https://example.org/course?id=1", "https://example.org/course?id=1"),
        ("HTTP://Example.org/a", "http://Example.org/a"),
        ("//cdn.example.org/i.png", "https://cdn.example.org/i.png"),
        ("  https://example.org/a b  ", "https://example.org/a%20b"),
        ("", None),
        (None, None),
    ],
)
def test_http_urls_are_kept(value, expected):
    assert http_url(value) == expected


def test_control_characters_go_but_tab_and_newline_stay():
    assert strip_control("Py\x00thon\x1b[31m red\x1b[0m\x1b]0;pwned\x07\tone\ntwo\x7f\x85") == "Python red\tone\ntwo"
    assert clean_text("<p>Intro\x00</p><p>\x1b[2JMore</p>") == "Intro\n\nMore"


def _evil_record(n: int, link: str):
    return make_record(
        n,
        url=link,
        image_url="data:image/svg+xml,<svg onload=alert(1)>",
        provider_url=link,
        organisation_url=link,
        title=f"Course\x00 {n}\x1b[31m",
        description="Learn\x1b]0;owned\x07 this\x08\ttab\nline",
        runs=[CourseRunRecord(run_key="r1", url=link), CourseRunRecord(run_key="r2", url="https://ok.example/r2")],
    )


def test_harvest_drops_unsafe_links_and_keeps_the_record(db_url):
    report = harvest(ListSource("evil", [_evil_record(1, EVIL[0]), make_record(2)]), db_url)
    assert report.status == "complete" and report.created == 2 and report.failed == 0
    fields = sorted(w.field for w in report.warnings if w.record_id == "rec-1")
    assert fields == ["image_url", "organisation_url", "provider_url", "runs[0].url", "url"]
    assert all(w.level == "warning" and "not an http(s) URL" in w.message for w in report.warnings)
    with session_scope(db_url) as s:
        course = s.execute(select(Course).where(Course.title == "Course 1")).scalar_one()
        assert course.url is None and course.image_url is None
        assert course.description == "Learn this\ttab\nline"
        assert sorted(
            (r.run_key, r.url) for r in s.scalars(select(CourseRun).where(CourseRun.course_id == course.id))
        ) == [
            ("r1", None),
            ("r2", "https://ok.example/r2"),
        ]
        assert all(not (p.url or "").startswith("javascript") for p in s.scalars(select(Provider)))
        assert all(not (o.url or "").startswith("javascript") for o in s.scalars(select(Organisation)))
        other = s.execute(select(Course).where(Course.title == "Course 2")).scalar_one()
        assert other.url == "https://www.testmooc.example/courses/2/"
        run_row = s.scalars(select(HarvestRun)).one()
        assert {"record_id": "rec-1", "field": "url", "level": "warning"}.items() <= next(
            e for e in run_row.errors if e["field"] == "url"
        ).items()


def test_push_path_drops_unsafe_links(db_url):
    report = ingest([_evil_record(3, "javascript:alert(1)")], "richie-push", db_url)
    assert report.created == 1 and {w.field for w in report.warnings} >= {"url", "runs[0].url"}
    with session_scope(db_url) as s:
        assert s.execute(select(Course.url)).scalar_one() is None


def test_partner_files_with_javascript_links(db_url, tmp_path):
    json_file = tmp_path / "partner.json"
    json_file.write_text(
        json.dumps(
            [
                {"source_record_id": "j1", "title": "Evil\x00 JSON", "url": "javascript:alert(document.cookie)"},
                {"source_record_id": "j2", "title": "Good JSON", "url": "https://partner.example/j2"},
            ]
        )
    )
    csv_file = tmp_path / "partner.csv"
    csv_file.write_text("id;title;link\nc1;Evil CSV;data:text/html,<script>alert(1)</script>\n")
    sources = [
        PartnerJsonSource(
            SourceConfig("pj", "partner_json", path=str(json_file), options={"provider_code": "partner"})
        ),
        PartnerCsvSource(
            SourceConfig(
                "pc",
                "partner_csv",
                path=str(csv_file),
                options={
                    "provider_code": "partner",
                    "delimiter": ";",
                    "columns": {"source_record_id": "id", "title": "title", "url": "link"},
                },
            )
        ),
    ]
    warned = []
    for source in sources:
        report = harvest(source, db_url)
        assert report.failed == 0, report.errors
        warned += [(w.source, w.record_id, w.field) for w in report.warnings]
    assert warned == [("pj", "j1", "url"), ("pc", "c1", "url")]
    with session_scope(db_url) as s:
        rows = dict(s.execute(select(Course.title, Course.url)).all())
    assert rows == {"Evil JSON": None, "Good JSON": "https://partner.example/j2", "Evil CSV": None}
