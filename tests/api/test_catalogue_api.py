"""GET /api/courses and /api/courses/{id} over a migrated, harvested database."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "catalogue"))

from harvest_support import ListSource, make_record  # noqa: E402

from emclm.api.app import create_app  # noqa: E402
from emclm.catalogue.harvest import harvest  # noqa: E402
from emclm.catalogue.models import Course  # noqa: E402
from emclm.db.session import session_scope  # noqa: E402
from emclm.skills.models import CourseSkill  # noqa: E402
from emclm.taxonomy.models import Concept, Label  # noqa: E402


@pytest.fixture
def client(db_url):
    records = [make_record(i) for i in range(30)]  # languages: every third course is French
    records += [make_record(i, provider="otherplatform", provider_name="Other Platform") for i in range(100, 105)]
    harvest(ListSource("test", records), db_url)
    harvest(ListSource("test", records[1:]), db_url)  # course 0 withdrawn
    with TestClient(create_app(db_url)) as c:
        yield c


def test_list_is_paged_with_total(client):
    first = client.get("/api/courses", params={"page_size": 10}).json()
    assert first["total"] == 34 and len(first["items"]) == 10 and first["page"] == 1
    everything = []
    for page in range(1, 5):
        everything += client.get("/api/courses", params={"page": page, "page_size": 10}).json()["items"]
    assert len(everything) == 34 and len({c["id"] for c in everything}) == 34
    assert "Course 0" not in {c["title"] for c in everything}  # withdrawn
    assert client.get("/api/courses", params={"page_size": 101}).status_code == 422


def test_filters_by_provider_and_language(client):
    other = client.get("/api/courses", params={"provider": "otherplatform"}).json()
    assert other["total"] == 5 and {c["provider"]["name"] for c in other["items"]} == {"Other Platform"}
    french = client.get("/api/courses", params={"language": "fr"}).json()
    # ids 3, 6, …, 27 (0 is withdrawn) and 102
    assert french["total"] == 10 and {c["language"] for c in french["items"]} == {"fr"}
    both = client.get("/api/courses", params={"language": "fr", "provider": "testmooc"}).json()
    assert both["total"] == 9


def test_course_detail_with_runs_provenance_and_skills(client, db_url):
    with session_scope(db_url) as s:
        course = s.query(Course).filter(Course.key == "testmooc:course-3").one()
        skill = Concept(uri="http://data.europa.eu/esco/skill/test-skill", concept_type="skill", skill_type="knowledge")
        s.add(skill)
        s.flush()
        s.add_all(
            [
                Label(concept_id=skill.id, lang="en", kind="preferred", text="statistics", norm="statistics"),
                Label(concept_id=skill.id, lang="fr", kind="preferred", text="statistiques", norm="statistiques"),
                CourseSkill(course_id=course.id, skill_id=skill.id, score=0.8, status="auto", evidence=[]),
            ]
        )
        course_id = course.id
    body = client.get(f"/api/courses/{course_id}").json()
    assert body["title"] == "Course 3" and body["provider"]["code"] == "testmooc"
    assert body["price"] == 0 and body["workload_hours"] == 13.0 and body["certificate_type"] == "free"
    assert body["organisation"]["name"] == "Université de Test"
    assert [r["run_key"] for r in body["runs"]] == ["3-r0", "3-r1"]
    assert [(p["source"], p["record_id"]) for p in body["provenances"]] == [("test", "rec-3")]
    # the course teaches in French: the French ESCO label
    assert body["skills"] == [
        {
            "uri": "http://data.europa.eu/esco/skill/test-skill",
            "label": "statistiques",
            "skill_type": "knowledge",
            "score": 0.8,
            "status": "auto",
            "evidence": [],
        }
    ]


def test_unknown_course_is_a_clear_404(client):
    response = client.get("/api/courses/999999")
    assert response.status_code == 404
    assert response.json()["detail"] == "No course with id 999999"


def test_next_run_start_is_never_in_the_past(client, db_url):
    from datetime import date, timedelta

    from emclm.catalogue.models import CourseRun

    today = date.today()
    with session_scope(db_url) as s:
        course = s.query(Course).filter(Course.key == "testmooc:course-3").one()
        runs = sorted(s.query(CourseRun).filter(CourseRun.course_id == course.id), key=lambda r: r.run_key)
        runs[0].start_date, runs[1].start_date = today - timedelta(days=400), today - timedelta(days=30)
        course_id = course.id
    assert client.get(f"/api/courses/{course_id}").json()["next_run_start"] is None  # only past runs
    with session_scope(db_url) as s:
        s.query(CourseRun).filter(CourseRun.course_id == course_id, CourseRun.run_key == "3-r1").one().start_date = (
            today + timedelta(days=30)
        )
    assert client.get(f"/api/courses/{course_id}").json()["next_run_start"] == (today + timedelta(days=30)).isoformat()


def test_courses_for_skills_rank_by_tag_score_then_evidence(client, db_url):
    from emclm.skills.queries import courses_for_skills

    evidence = [{"text": "statistics", "field": "description", "start": 0, "end": 10, "method": "label"}]
    with session_scope(db_url) as s:
        skill = Concept(uri="http://data.europa.eu/esco/skill/rank-test", concept_type="skill")
        s.add(skill)
        s.flush()
        by_key = {c.key: c for c in s.query(Course).filter(Course.key.like("testmooc:course-%"))}
        tags = {  # course key -> (score, evidence, status)
            "testmooc:course-4": (0.5, [], "auto"),
            "testmooc:course-5": (0.9, [], "auto"),
            "testmooc:course-6": (0.5, evidence * 2, "auto"),
            "testmooc:course-7": (0.99, evidence, "rejected"),  # a curator said no
            "testmooc:course-0": (0.95, evidence, "auto"),  # withdrawn course
        }
        for key, (score, ev, status) in tags.items():
            s.add(CourseSkill(course_id=by_key[key].id, skill_id=skill.id, score=score, status=status, evidence=ev))
        s.flush()
        ranked = courses_for_skills(s, [skill.id])
        ids = {key: c.id for key, c in by_key.items()}
    assert [c.id for c in ranked] == [ids["testmooc:course-5"], ids["testmooc:course-6"], ids["testmooc:course-4"]]
    assert [c.evidence for c in ranked] == [0, 2, 0] and all(c.skills == 1 for c in ranked)
