"""Demand and gap figures on SQLite and PostgreSQL, from vacancies and courses inserted directly."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from emclm.api.app import create_app
from emclm.catalogue.models import Course, Provider
from emclm.db.base import utcnow
from emclm.db.session import session_scope
from emclm.labour.demand import DemandQueryError, Filters, demand, gaps
from emclm.labour.models import Vacancy, VacancySkill
from emclm.skills.models import CourseSkill
from emclm.taxonomy.models import Concept, Label

SKILLS = {
    "python": "http://data.europa.eu/esco/skill/t-python",
    "sql": "http://data.europa.eu/esco/skill/t-sql",
    "excel": "http://data.europa.eu/esco/skill/t-excel",
    "forklift": "http://data.europa.eu/esco/skill/t-forklift",
}
OCC = "http://data.europa.eu/esco/occupation/t-analyst"


@pytest.fixture
def seeded(db_url):
    """8 vacancies: PL91 ×3 (2021-06 ×1, 2021-07 ×2), PL92 ×1, PL22 ×2, SE110 ×2; and 3 courses."""
    with session_scope(db_url) as s:
        ids = {}
        for key, uri in SKILLS.items():
            c = Concept(uri=uri, concept_type="skill")
            s.add(c)
            s.flush()
            s.add(Label(concept_id=c.id, lang="en", kind="preferred", text=key.title(), norm=key))
            ids[key] = c.id
        occ = Concept(uri=OCC, concept_type="occupation", isco_code="2511")
        s.add(occ)
        s.flush()
        s.add(Label(concept_id=occ.id, lang="en", kind="preferred", text="data analyst", norm="data analyst"))
        ads = [
            ("1", "PL911", "2021-06", ["python", "sql"]),
            ("2", "PL913", "2021-07", ["python"]),
            ("3", "PL911", "2021-07", ["python", "excel"]),
            ("4", "PL921", "2021-07", ["forklift"]),
            ("5", "PL22", "2021-06", ["sql"]),
            ("6", "PL22", "2021-07", ["sql", "excel"]),
            ("7", "SE110", "2020-04", ["python"]),
            ("8", "SE110", "2020-05", ["python", "sql"]),
        ]
        for rid, nuts, month, skills in ads:
            v = Vacancy(
                source="t",
                record_id=rid,
                content_hash=rid,
                title=f"ad {rid}",
                country=nuts[:2],
                nuts_code=nuts,
                nuts1=nuts[:3],
                nuts2=nuts[:4],
                nuts3=nuts if len(nuts) == 5 else None,
                month=month,
                date_posted=date(int(month[:4]), int(month[5:]), 1),
                isco_code="2511",
                occupation_id=occ.id if rid != "4" else None,
                weight=2.0 if rid == "1" else 1.0,
            )
            s.add(v)
            s.flush()
            for k in skills:
                s.add(
                    VacancySkill(
                        vacancy_id=v.id, skill_id=ids[k], score=1.0, method="declared" if k != "excel" else "occupation"
                    )
                )
        p = Provider(code="t", name="Test")
        s.add(p)
        s.flush()
        courses = [
            ("c-py-pl", "pl", ["python"], None),
            ("c-py-en", "en", ["python", "sql"], None),
            ("c-sql-old", "pl", ["sql"], utcnow()),
        ]  # withdrawn: no supply
        for key, lang, skills, withdrawn in courses:
            c = Course(key=key, provider_id=p.id, title=key, language=lang, withdrawn_at=withdrawn)
            s.add(c)
            s.flush()
            for k in skills:
                s.add(CourseSkill(course_id=c.id, skill_id=ids[k], score=1.0, status="auto"))
        # a rejected tag is no supply either
        s.add(CourseSkill(course_id=c.id, skill_id=ids["forklift"], score=1.0, status="rejected"))
    return db_url


def _items(data):
    return {i["label"] or i["key"]: i for i in data["items"]}


def test_demand_by_skill_region_filter_and_growth(seeded):
    with session_scope(seeded) as s:
        d = demand(s, "skill", Filters(region="PL91"))
        assert d["total_vacancies"] == 3 and d["latest_month"] == "2021-07"
        items = _items(d)
        assert items["Python"]["count"] == 3 and items["Python"]["share"] == pytest.approx(1.0)
        assert items["Sql"]["count"] == 1
        # Python: 2 ads in 2021-07 against 1 in 2021-06 → +100 %; SQL: 0 against 1 → −100 %
        assert items["Python"]["growth"] == pytest.approx(1.0)
        assert items["Sql"]["growth"] == pytest.approx(-1.0)
        assert [i["label"] for i in d["items"]][0] == "Python"
        # skill evidence can be restricted by method
        d2 = demand(s, "skill", Filters(region="PL91", methods=("declared",)))
        assert "Excel" not in _items(d2)


def test_demand_by_region_occupation_isco_month_and_weights(seeded):
    with session_scope(seeded) as s:
        regions = _items(demand(s, "region", Filters(country="PL"), level=2))
        assert regions["Warszawski stołeczny"]["count"] == 3
        assert regions["Mazowiecki regionalny"]["count"] == 1
        assert regions["Śląskie"]["count"] == 2
        assert _items(demand(s, "region", Filters(), level=0))["Sverige"]["count"] == 2
        occ = demand(s, "occupation", Filters(country="PL"))
        assert occ["items"][0]["uri"] == OCC and occ["items"][0]["count"] == 5 and occ["items"][0]["isco"] == "2511"
        assert demand(s, "isco", Filters())["items"][0]["count"] == 8
        months = demand(s, "month", Filters(country="PL"))
        assert [(i["key"], i["count"]) for i in months["items"]] == [("2021-06", 2), ("2021-07", 4)]
        assert months["items"][1]["growth"] == pytest.approx(1.0)
        weighted = demand(s, "region", Filters(region="PL91"), level=2, weighted=True)
        assert weighted["total_vacancies"] == 4 and weighted["items"][0]["count"] == 4
        ranged = demand(s, "skill", Filters(country="PL", month_from="2021-07", month_to="2021-07"))
        assert ranged["total_vacancies"] == 4


def test_gaps_by_region_and_course_language(seeded):
    with session_scope(seeded) as s:
        g = gaps(s, Filters(country="PL"))
        items = _items(g)
        assert items["Python"]["courses"] == 2 and items["Python"]["status"] == "poor"
        assert items["Sql"]["courses"] == 1  # the withdrawn course does not count
        assert items["Forklift"]["courses"] == 0 and items["Forklift"]["status"] == "none"  # rejected tag ignored
        assert g["skills_in_demand"] == 4 and g["skills_without_courses"] == 2  # excel, forklift
        assert g["items"][0]["status"] == "none"
        pl = _items(gaps(s, Filters(country="PL"), lang="pl"))
        assert pl["Python"]["courses"] == 1 and pl["Sql"]["courses"] == 0 and pl["Sql"]["status"] == "none"
        covered = _items(gaps(s, Filters(region="SE"), poor_below=2))
        assert covered["Python"]["status"] == "covered"
        assert set(covered) == {"Python", "Sql"}


def test_bad_filters_are_refused(seeded):
    with session_scope(seeded) as s:
        for bad in (Filters(region="PL91'; DROP"), Filters(month_from="2021-7"), Filters(methods=("guess",))):
            with pytest.raises(DemandQueryError):
                demand(s, "skill", bad)
        with pytest.raises(DemandQueryError):
            demand(s, "colour", Filters())
        with pytest.raises(DemandQueryError):
            gaps(s, Filters(), lang="Polish")


def test_rest_demand_and_gaps(seeded):
    client = TestClient(create_app(seeded))
    r = client.get("/api/labour/demand", params={"region": "PL91", "by": "skill"})
    assert r.status_code == 200
    assert r.json()["total_vacancies"] == 3 and r.json()["items"][0]["label"] == "Python"
    r = client.get("/api/labour/demand", params={"by": "region", "level": 3, "country": "PL"})
    assert {i["key"] for i in r.json()["items"]} == {"PL911", "PL913", "PL921"}
    r = client.get("/api/labour/gaps", params={"region": "PL", "lang": "pl"})
    assert r.status_code == 200 and r.json()["course_lang"] == "pl"
    assert _items(r.json())["Python"]["courses"] == 1
    assert client.get("/api/labour/demand", params={"by": "nonsense"}).status_code == 422
    assert client.get("/api/labour/demand", params={"region": "not a code!"}).status_code == 422
    assert client.get("/api/labour/gaps", params={"methods": "guess"}).status_code == 422


def test_rest_regions(seeded):
    client = TestClient(create_app(seeded))
    r = client.get("/api/labour/regions", params={"country": "PL", "level": 2})
    assert r.status_code == 200
    items = {i["code"]: i["name"] for i in r.json()["items"]}
    assert len(items) == 17 and items["PL91"] == "Warszawski stołeczny" and items["PL92"] == "Mazowiecki regionalny"
    assert client.get("/api/labour/regions", params={"level": 9}).status_code == 422
