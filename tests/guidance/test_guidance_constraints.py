"""Constraints, costs and ordering of ``plan_pathway`` on plain data (no database)."""

from __future__ import annotations

from datetime import date

from emclm.guidance.pathway import course_cost, exclusion_reason, next_start, plan_pathway
from emclm.guidance.types import CandidateCourse, Constraints


def course(cid, covers, **kw) -> CandidateCourse:
    kw.setdefault("title", f"course {cid}")
    kw.setdefault("workload_hours", 10.0)
    kw.setdefault("language", "en")
    kw.setdefault("pace", "self_paced")
    return CandidateCourse(course_id=cid, covers=frozenset(covers), **kw)


def test_language_matches_main_or_additional_languages():
    c = Constraints(languages=["fr"])
    assert exclusion_reason(course(1, "a", language="en"), c) == "languages"
    assert exclusion_reason(course(2, "a", language="en", languages=("en", "fr")), c) is None
    assert exclusion_reason(course(3, "a", language="FR"), c) is None


def test_free_only_and_certificate():
    free = course(1, "a", free_audit=True, price=49.0, certificate_type="verified", certificate_price=49.0)
    paid = course(2, "a", price=99.0, free_audit=False, certificate_type="verified")
    no_cert = course(3, "a", price=None, certificate_type="none")
    free_cert = course(4, "a", price=None, certificate_type="free", certificate_price=0.0)
    assert exclusion_reason(free, Constraints(free_only=True)) is None
    assert exclusion_reason(paid, Constraints(free_only=True)) == "free_only"
    assert exclusion_reason(no_cert, Constraints(certificate_required=True)) == "certificate_required"
    # free to follow but the certificate is paid: not free when a certificate is required
    assert exclusion_reason(free, Constraints(free_only=True, certificate_required=True)) == "free_only"
    assert exclusion_reason(free_cert, Constraints(free_only=True, certificate_required=True)) is None


def test_eqf_weekly_hours_providers_and_total_hours():
    c = Constraints(eqf_min=4, eqf_max=5, max_weekly_hours=5, providers=["fun"], max_total_hours=30)
    assert exclusion_reason(course(1, "a", eqf_level=6, provider="fun"), c) == "eqf_level"
    assert exclusion_reason(course(2, "a", eqf_level=3, provider="fun"), c) == "eqf_level"
    assert exclusion_reason(course(3, "a", eqf_level=None, provider="fun"), c) is None  # unknown level passes
    assert exclusion_reason(course(4, "a", provider="fun", hours_per_week=8), c) == "max_weekly_hours"
    assert exclusion_reason(course(5, "a", provider="edx"), c) == "providers"
    assert exclusion_reason(course(6, "a", provider="fun", workload_hours=40), c) == "max_total_hours"


def test_start_date_window():
    c = Constraints(start_after=date(2026, 1, 1), start_before=date(2026, 3, 1))
    today = date(2025, 12, 1)
    assert exclusion_reason(course(1, "a", pace="self_paced"), c, today) is None
    assert exclusion_reason(course(2, "a", pace="scheduled", run_starts=(date(2026, 2, 1),)), c, today) is None
    assert exclusion_reason(course(3, "a", pace="scheduled", run_starts=(date(2025, 9, 1),)), c, today) == "start_date"
    assert exclusion_reason(course(4, "a", pace="scheduled", run_starts=(date(2026, 4, 1),)), c, today) == "start_date"
    assert exclusion_reason(course(5, "a", pace="scheduled", run_starts=()), c, today) == "start_date"


def test_a_run_that_started_in_the_past_is_not_a_next_start():
    """A 2013 run is no next start (the API's pathway explanations showed it), and a window with no
    start_after is still one from today: a run that already started does not fall inside it."""
    today = date(2026, 3, 1)
    old_only = course(1, "a", pace="scheduled", run_starts=(date(2013, 8, 5),))
    both = course(2, "a", pace="scheduled", run_starts=(date(2013, 8, 5), date(2026, 3, 1), date(2026, 5, 1)))
    assert next_start(old_only, Constraints(), today) is None
    assert next_start(both, Constraints(), today) == date(2026, 3, 1)  # starting today still counts
    assert next_start(both, Constraints(), date(2026, 3, 2)) == date(2026, 5, 1)
    assert next_start(both, Constraints(start_after=date(2026, 4, 1)), today) == date(2026, 5, 1)
    window = Constraints(start_before=date(2026, 6, 1))
    assert exclusion_reason(old_only, window, today) == "start_date"
    assert exclusion_reason(both, window, today) is None
    p = plan_pathway(["a"], [old_only], Constraints(), today=today)
    assert [c.course.course_id for c in p.courses] == [1] and p.courses[0].next_start is None


def test_cost_kinds_change_the_choice():
    short_dear = course(1, "ab", workload_hours=5, price=200.0, free_audit=False)
    long_free = course(2, "ab", workload_hours=40, price=None)
    by_hours = plan_pathway(["a", "b"], [short_dear, long_free], Constraints(cost="hours"))
    by_money = plan_pathway(["a", "b"], [short_dear, long_free], Constraints(cost="money"))
    assert [c.course.course_id for c in by_hours.courses] == [1]
    assert [c.course.course_id for c in by_money.courses] == [2]
    # mix: 5 + 0.1 × 200 = 25 < 40
    mixed = plan_pathway(["a", "b"], [short_dear, long_free], Constraints(cost="mix", money_weight=0.1))
    assert [c.course.course_id for c in mixed.courses] == [1]
    assert course_cost(short_dear, Constraints(cost="mix", money_weight=0.1)) == 25.0


def test_missing_workload_is_estimated_and_flagged():
    p = plan_pathway(["a"], [course(1, "a", workload_hours=None)], Constraints(default_workload_hours=12))
    assert p.courses[0].workload_hours == 12 and p.courses[0].workload_estimated is True


def test_infeasible_constraints_report_uncovered_skills_and_excluded_courses():
    courses = [course(1, "ab", language="en"), course(2, "c", language="de")]
    p = plan_pathway(["a", "b", "c"], courses, Constraints(languages=["en"]))
    assert [c.course.course_id for c in p.courses] == [1]
    assert p.solution.uncovered == ["c"]
    assert p.solution.unreachable == ["c"]
    assert p.excluded == {"languages": 1}
    nothing = plan_pathway(["a", "b", "c"], courses, Constraints(languages=["pl"]))
    assert nothing.courses == [] and nothing.solution.uncovered == ["a", "b", "c"]


def test_budget_makes_a_full_cover_impossible():
    courses = [course(1, "ab", workload_hours=20), course(2, "c", workload_hours=15), course(3, "d", workload_hours=4)]
    p = plan_pathway(["a", "b", "c", "d"], courses, Constraints(max_total_hours=25))
    # 20 + 4 covers three skills; 15 + 4 only two
    assert sorted(c.course.course_id for c in p.courses) == [1, 3]
    assert p.solution.uncovered == ["c"]
    assert p.solution.unreachable == []  # coverable, but not within the budget
    assert p.total_hours == 24
    assert p.solution.optimal is True


def test_courses_are_ordered_by_level_then_start_date():
    courses = [
        course(1, "a", eqf_level=6),
        course(2, "b", eqf_level=4, pace="scheduled", run_starts=(date(2026, 5, 1),)),
        course(3, "c", eqf_level=4, pace="scheduled", run_starts=(date(2026, 2, 1),)),
        course(4, "d", eqf_level=None),
    ]
    p = plan_pathway(["a", "b", "c", "d"], courses, Constraints(), today=date(2026, 1, 1))
    assert [c.course.course_id for c in p.courses] == [3, 2, 1, 4]
    assert p.courses[0].next_start == date(2026, 2, 1)


def test_optional_gap_skills_are_reported_but_not_required():
    courses = [course(1, "a", workload_hours=5), course(2, "ax", workload_hours=8)]
    p = plan_pathway(["a"], courses, Constraints(), optional_gap=["x"])
    assert [c.course.course_id for c in p.courses] == [1]
    with_optional = plan_pathway(
        ["a", "x"], courses, Constraints(include_optional=True), essential={"a"}, optional_gap=["x"]
    )
    assert [c.course.course_id for c in with_optional.courses] == [2]
    assert with_optional.courses[0].covers == ["a", "x"]
