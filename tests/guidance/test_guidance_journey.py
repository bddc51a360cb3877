"""A real journey over real ESCO data: shop assistant → ICT help desk agent (SQLite and PostgreSQL).

The catalogue is the hand-tagged edX subset of fixtures/journey_courses.json. Once tagging (branch
skills) and the harvest (cat-*) have landed, the same invariants run over the built demo database with

    def test_journey_over_built_demo_catalogue(esco_db_url):
        out = check_journey(esco_db_url)
        assert out["pathway"]  # the demo catalogue teaches some of the gap
"""

from __future__ import annotations

import itertools
import json

import pytest
from sqlalchemy import update

from emclm.catalogue.models import Course
from emclm.db.session import session_scope
from emclm.guidance import repository as repo
from emclm.guidance import service
from emclm.guidance.types import Constraints
from emclm.skills.models import CourseSkill

from .guidance_data import (
    CALL_CENTRE_AGENT,
    FIXTURES,
    ICT_HELP_DESK_AGENT,
    ICT_HELP_DESK_MANAGER,
    SALES_ASSISTANT,
    SHOP_ASSISTANT,
    SKILL,
    check_journey,
    esco_tables,
)

NO_COURSE = {  # essential skills of ICT help desk agent that no fixture course teaches
    SKILL + "61970f8b-099c-4e7e-82e0-9ccdced0baf3",  # assist customers
    SKILL + "43b13058-68d0-40c6-8031-caf5a7b7d20c",  # keep task records
    SKILL + "f642d7ed-e8d7-4355-a747-b85094d4e2e3",  # prioritise requests
    SKILL + "6430eb0d-c6de-46b7-a7fc-3dd2e8e62a69",  # use ICT ticketing system
}
MANAGE_SCHEDULE = SKILL + "0e1fe34b-f4e7-4642-8c8b-5a05ac3438e5"  # taught only by a Spanish course


def _essential(occ):
    return {s for s, rel in esco_tables()["occ_skills"][occ] if rel == "essential"}


def _all(occ):
    return {s for s, _ in esco_tables()["occ_skills"][occ]}


def _fixture_tags():
    data = json.loads((FIXTURES / "journey_courses.json").read_text())
    return {c["key"]: (c["workload_hours"], {SKILL + s for s in c["skills"]}) for c in data["courses"]}


def _brute_force_hours(target: set[str], courses: dict[str, tuple[float, set[str]]]):
    coverable = target & set().union(*(cov for _, cov in courses.values()))
    best = None
    for r in range(len(courses) + 1):
        for combo in itertools.combinations(courses, r):
            covered = set().union(*(courses[k][1] for k in combo)) if combo else set()
            if coverable <= covered:
                cost = sum(courses[k][0] for k in combo)
                best = cost if best is None else min(best, cost)
    return best


def test_gap_from_shop_assistant_to_ict_help_desk_agent(guidance_db):
    with session_scope(guidance_db) as s:
        profile = service.build_profile(s, occupations=["shop assistant"])
        assert profile.uris == _essential(SHOP_ASSISTANT)
        assert all(p.provenance == [f"occupation:{SHOP_ASSISTANT}"] for p in profile.skills.values())
        gap = service.compute_gap(s, profile, "ICT help desk agent")
    assert gap.occupation_uri == ICT_HELP_DESK_AGENT
    assert {g.uri for g in gap.essential} == _essential(ICT_HELP_DESK_AGENT) - _essential(SHOP_ASSISTANT)
    assert {g.uri for g in gap.optional} == (_all(ICT_HELP_DESK_AGENT) - _essential(ICT_HELP_DESK_AGENT)) - _essential(
        SHOP_ASSISTANT
    )
    assert set(gap.held) == _all(ICT_HELP_DESK_AGENT) & _essential(SHOP_ASSISTANT)
    by_uri = {g.uri: g for g in gap.skills}
    assert {u for u, g in by_uri.items() if g.essential and g.courses_available == 0} == NO_COURSE
    assert by_uri[SKILL + "1585fc98-bfe4-461f-97fc-734055a2c3ce"].courses_available == 2  # two courses teach it
    # grouped by the ESCO hierarchy: every gap skill in exactly one group; ICT knowledge under ISCED-F 06
    groups = gap.groups()
    assert sorted(sk.uri for g in groups for sk in g["skills"]) == sorted(by_uri)
    ict = by_uri[SKILL + "ca73ac82-867a-4afa-9732-834aebe896ff"]  # ICT system user requirements (knowledge)
    assert ict.group is not None and ict.group.label == "information and communication technologies (icts)"
    assert all(g["label"] for g in groups)


def test_optimal_pathway_over_the_tagged_catalogue(guidance_db):
    with session_scope(guidance_db) as s:
        profile = service.build_profile(s, occupations=[SHOP_ASSISTANT])
        gap = service.compute_gap(s, profile, ICT_HELP_DESK_AGENT)
        pathway = service.compute_pathway(s, gap, Constraints())
    out = service.pathway_cli_json(gap, pathway)
    essential_gap = {g.uri for g in gap.essential}
    tags = _fixture_tags()
    assert out["optimal"] is True
    assert set(out["uncovered"]) == NO_COURSE
    assert out["objective"] == _brute_force_hours(essential_gap, tags)
    covered = set().union(*(set(c["covers"]) for c in out["pathway"]))
    assert covered == essential_gap - NO_COURSE
    for c in out["pathway"]:
        key = next(k for k in tags if c["url"].endswith(k.split(":", 1)[1]))
        assert set(c["covers"]) <= tags[key][1] & essential_gap  # a course covers only what it is tagged with
        assert c["workload_hours"] == tags[key][0]
    assert out["objective"] == sum(c["workload_hours"] for c in out["pathway"])
    # explained: each covered skill has the text evidence of the tag
    for chosen in pathway.courses:
        for uri in chosen.covers:
            ev = chosen.evidence[uri]
            assert ev and ev[0]["text"] in (
                chosen.course.title + " " + _description(guidance_db, chosen.course.course_id)
            )


def _description(url, course_id):
    with session_scope(url) as s:
        return s.get(Course, course_id).description or ""


def test_journey_invariants_hold_on_the_fixture_catalogue(guidance_db):
    out = check_journey(guidance_db)
    assert len(out["pathway"]) == 8


def test_language_constraint_leaves_a_taught_skill_uncovered(guidance_db):
    with session_scope(guidance_db) as s:
        profile = service.build_profile(s, occupations=[SHOP_ASSISTANT])
        gap = service.compute_gap(s, profile, ICT_HELP_DESK_AGENT)
        pathway = service.compute_pathway(s, gap, Constraints(languages=["en"]))
    out = service.pathway_cli_json(gap, pathway)
    assert MANAGE_SCHEDULE in out["uncovered"]
    assert next(g for g in out["gap"] if g["uri"] == MANAGE_SCHEDULE)["courses_available"] == 1
    assert pathway.excluded == {"languages": 1}
    assert out["optimal"] is True


def test_infeasible_budget_returns_the_best_partial_cover(guidance_db):
    with session_scope(guidance_db) as s:
        profile = service.build_profile(s, occupations=[SHOP_ASSISTANT])
        gap = service.compute_gap(s, profile, ICT_HELP_DESK_AGENT)
        pathway = service.compute_pathway(s, gap, Constraints(max_total_hours=20))
    # within 20 h: both 10 h product courses (3 skills) beat any single longer course (≤ 3 skills, ≥ 15 h)
    titles = sorted(c.course.title for c in pathway.courses)
    assert titles == ["Marketing Innovative Products and Services", "Product Management Fundamentals"]
    assert pathway.total_hours <= 20
    assert pathway.solution.optimal is True
    assert len(pathway.solution.covered) == 3
    assert set(pathway.solution.uncovered) > NO_COURSE


def test_withdrawn_courses_and_rejected_tags_are_ignored(guidance_db):
    with session_scope(guidance_db) as s:
        crm = s.query(Course).filter(Course.key == "edx:customer-relationship-management").one()
        s.execute(update(Course).where(Course.id == crm.id).values(withdrawn_at=crm.created_at))
        hci = s.query(Course).filter(Course.key.like("edx:human-computer%")).one()
        s.execute(update(CourseSkill).where(CourseSkill.course_id == hci.id).values(status="rejected"))
    with session_scope(guidance_db) as s:
        profile = service.build_profile(s, occupations=[SHOP_ASSISTANT])
        gap = service.compute_gap(s, profile, ICT_HELP_DESK_AGENT)
        pathway = service.compute_pathway(s, gap, Constraints())
    crm_skill = SKILL + "9889b795-d755-41b2-8afd-2e3c87a65a38"
    assert next(g for g in gap.skills if g.uri == crm_skill).courses_available == 0
    assert crm_skill in pathway.solution.uncovered
    titles = {c.course.title for c in pathway.courses}
    assert "Customer Relationship Management" not in titles
    assert not any(t.startswith("Human-Computer") for t in titles)


def test_profile_from_selected_skills_and_unknown_inputs(guidance_db):
    ticketing = SKILL + "6430eb0d-c6de-46b7-a7fc-3dd2e8e62a69"
    with session_scope(guidance_db) as s:
        profile = service.build_profile(
            s, occupations=[SHOP_ASSISTANT], skills=[ticketing, "solve ICT system problems", "juggling"]
        )
        gap = service.compute_gap(s, profile, ICT_HELP_DESK_AGENT)
    assert profile.skills[ticketing].provenance == ["selected"]
    assert profile.unknown == ["skills: juggling"]
    assert ticketing not in {g.uri for g in gap.skills}
    assert SKILL + "9e06bac6-6b91-48ca-8b7d-c1f48cdecd7c" not in {g.uri for g in gap.skills}


def test_transitions_rank_the_closest_occupation_first(guidance_db):
    with session_scope(guidance_db) as s:
        profile = service.build_profile(s, occupations=[SHOP_ASSISTANT])
        found = service.compute_transitions(s, profile, k=10)
    uris = [t.occupation_uri for t in found]
    assert uris[0] == SALES_ASSISTANT  # same ISCO unit group, most shared essential skills
    assert SHOP_ASSISTANT not in uris
    scores = [t.score for t in found]
    assert scores == sorted(scores, reverse=True)
    agent = next(t for t in found if t.occupation_uri == ICT_HELP_DESK_AGENT)
    assert agent.gap_size == len(_essential(ICT_HELP_DESK_AGENT) - _essential(SHOP_ASSISTANT))
    assert agent.uncoverable == len(NO_COURSE)
    assert agent.courses_to_close == 8  # fewest fixture courses covering the 13 coverable skills
    assert all(0 < t.score <= 1 for t in found)


def test_occupation_resolution(guidance_db):
    with session_scope(guidance_db) as s:
        assert repo.resolve_occupation(s, ICT_HELP_DESK_AGENT)[0] == ICT_HELP_DESK_AGENT
        assert repo.resolve_occupation(s, "  Shop   Assistant ")[0] == SHOP_ASSISTANT  # normalised exact
        assert repo.resolve_occupation(s, "ict help desk agnt")[0] == ICT_HELP_DESK_AGENT  # typo, fuzzy
        assert repo.resolve_occupation(s, "agent de centre d'appels")[0] == CALL_CENTRE_AGENT  # French label
        assert repo.resolve_occupation(s, "vendeuse")[0] == SALES_ASSISTANT  # one form of "vendeur/vendeuse"
        with pytest.raises(repo.AmbiguousOccupation) as err:
            repo.resolve_occupation(s, "ict help desk")
        assert {c["uri"] for c in err.value.candidates} == {ICT_HELP_DESK_AGENT, ICT_HELP_DESK_MANAGER}
        assert "ICT help desk manager" in str(err.value)
        with pytest.raises(repo.OccupationNotFound):
            repo.resolve_occupation(s, "http://data.europa.eu/esco/occupation/not-there")
        with pytest.raises(repo.OccupationNotFound):
            repo.resolve_occupation(s, "zzzz qqqq")


def test_journey_over_built_demo_catalogue(esco_db_url):
    """The same invariants over the real demo catalogue, tagged by the real extractor."""
    out = check_journey(esco_db_url)
    assert out["pathway"], "the demo catalogue teaches none of the gap"
    assert all(c["covers"] and c["title"] and c["url"] for c in out["pathway"])


def test_pathway_cli_over_built_demo_catalogue(esco_db_url):
    import subprocess
    import sys

    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "emclm.cli",
            "pathway",
            "--from",
            "shop assistant",
            "--to",
            "ICT help desk agent",
            "--free",
            "--json",
            "--database-url",
            esco_db_url,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) == {"gap", "pathway", "uncovered", "optimal", "objective"}
    assert out["gap"] and all({"uri", "label", "essential", "courses_available"} <= set(g) for g in out["gap"])
    assert all({"course_id", "title", "url", "covers", "workload_hours"} <= set(c) for c in out["pathway"])
