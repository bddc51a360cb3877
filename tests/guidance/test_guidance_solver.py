"""The cover solver on hand-made cases with a known optimum, and against brute force."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emclm.guidance.pathway import solve_cover


def brute_force(target, covers, costs, hours=None, max_hours=None, essential=None):
    """Lexicographic optimum: most (essential-first) coverage, then least cost."""
    target = list(target)
    essential = set(target) if essential is None else essential
    n_opt = sum(1 for u in target if u not in essential)
    best = None
    for r in range(len(covers) + 1):
        for subset in itertools.combinations(range(len(covers)), r):
            if max_hours is not None and sum(hours[j] for j in subset) > max_hours + 1e-9:
                continue
            covered = set().union(*(covers[j] for j in subset)) & set(target) if subset else set()
            weight = sum((n_opt + 1) if u in essential else 1 for u in covered)
            cost = sum(costs[j] for j in subset)
            key = (-weight, cost)
            if best is None or key < best[0]:
                best = (key, subset)
    return -best[0][0], best[0][1]


def weight_of(covered, target, essential=None):
    essential = set(target) if essential is None else essential
    n_opt = sum(1 for u in target if u not in essential)
    return sum((n_opt + 1) if u in essential else 1 for u in covered)


# A case where the greedy rule (cost per newly covered skill) is not optimal.
GREEDY_TRAP = dict(
    target=["a", "b", "c", "d"],
    covers=[frozenset("ab"), frozenset("cd"), frozenset("bc"), frozenset("a"), frozenset("d")],
    costs=[1.0, 1.0, 0.9, 0.6, 0.6],
)


def test_exact_solver_finds_the_known_optimum_where_greedy_fails():
    sol = solve_cover(**GREEDY_TRAP)
    assert sol.method == "milp"
    assert sol.optimal is True
    assert sorted(sol.chosen) == [0, 1]
    assert sol.objective == 2.0
    assert sol.bound == 2.0
    assert sol.uncovered == [] and sol.unreachable == []


def test_greedy_fallback_reports_a_valid_bound_and_no_optimality_claim():
    sol = solve_cover(**GREEDY_TRAP, method="greedy")
    assert sol.method == "greedy"
    assert sorted(sol.chosen) == [2, 3, 4]  # bc (0.45 a skill), then a and d alone; none redundant
    assert sol.objective == 2.1
    assert sol.optimal is False
    assert sol.bound is not None and sol.bound <= 2.0  # a lower bound on the true optimum
    assert sol.uncovered == []


def test_auto_switches_to_greedy_above_the_threshold():
    sol = solve_cover(**GREEDY_TRAP, greedy_threshold=2)
    assert sol.method == "greedy"
    assert set(sol.covered) == {"a", "b", "c", "d"}


def test_greedy_drops_redundant_courses():
    # greedy takes the cheap singletons first, then the big course makes them redundant
    sol = solve_cover(
        ["a", "b", "c"], [frozenset("a"), frozenset("b"), frozenset("abc")], [1.0, 1.0, 1.5], method="greedy"
    )
    assert sol.chosen == [2]
    assert sol.objective == 1.5


def test_skill_no_course_teaches_is_unreachable_and_the_rest_is_covered():
    sol = solve_cover(["a", "b", "z"], [frozenset("a"), frozenset("ab"), frozenset("b")], [1.0, 3.0, 1.0])
    assert sol.unreachable == ["z"]
    assert sol.uncovered == ["z"]
    assert sorted(sol.chosen) == [0, 2]
    assert sol.objective == 2.0
    assert sol.optimal is True


def test_no_candidate_at_all():
    sol = solve_cover(["a", "b"], [], [])
    assert sol.chosen == [] and sol.uncovered == ["a", "b"] and sol.unreachable == ["a", "b"]
    assert sol.method == "trivial"


def test_budget_too_small_gives_the_best_partial_cover():
    # covering all of a, b, c needs 10 h (x + y); with 6 h the best is y (b and c), not x (a only)
    covers = [frozenset("a"), frozenset("bc"), frozenset("abc")]
    costs = hours = [4.0, 6.0, 12.0]
    sol = solve_cover(["a", "b", "c"], covers, costs, hours, max_hours=6)
    assert sol.chosen == [1]
    assert sol.uncovered == ["a"]
    assert sol.unreachable == []
    assert sol.optimal is True
    assert sol.objective == 6.0


def test_budget_prefers_essential_skills_over_optional_ones():
    # one essential skill beats two optional ones when only one course fits
    covers = [frozenset(["e"]), frozenset(["o1", "o2"])]
    sol = solve_cover(["e", "o1", "o2"], covers, [5.0, 5.0], [5.0, 5.0], max_hours=5, essential={"e"})
    assert sol.chosen == [0]
    assert sol.uncovered == ["o1", "o2"]


def test_budget_ties_in_coverage_are_broken_by_cost():
    # both cover one skill within the budget; the cheaper one wins
    covers = [frozenset("a"), frozenset("b")]
    sol = solve_cover(["a", "b"], covers, [3.0, 2.0], [5.0, 5.0], max_hours=5)
    assert sol.chosen == [1]
    assert sol.objective == 2.0


def test_equal_coverage_duplicates_keep_the_cheapest():
    covers = [frozenset("ab")] * 50 + [frozenset("ab")]
    costs = [10.0] * 50 + [3.0]
    sol = solve_cover(["a", "b"], covers, costs)
    assert sol.chosen == [50]
    assert sol.candidates == 1


instances = st.integers(min_value=1, max_value=6).flatmap(
    lambda n_skills: st.tuples(
        st.just([f"s{i}" for i in range(n_skills)]),
        st.lists(
            st.tuples(
                st.frozensets(st.sampled_from([f"s{i}" for i in range(n_skills + 1)]), min_size=1, max_size=4),
                st.integers(min_value=1, max_value=40),
                st.integers(min_value=1, max_value=40),
            ),
            min_size=0,
            max_size=8,
        ),
        st.one_of(st.none(), st.integers(min_value=1, max_value=80)),
        st.integers(min_value=0, max_value=n_skills),
    )
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances)
def test_milp_matches_brute_force(instance):
    target, courses, max_hours, n_essential = instance
    covers = [c for c, _, _ in courses]
    costs = [float(x) for _, x, _ in courses]
    hours = [float(h) for _, _, h in courses]
    essential = set(target[:n_essential]) if n_essential else None
    best_weight, best_cost = brute_force(target, covers, costs, hours, max_hours, essential)
    sol = solve_cover(target, covers, costs, hours, max_hours=max_hours, essential=essential)
    assert sol.optimal is True
    assert weight_of(sol.covered, target, essential) == best_weight
    assert abs(sol.objective - best_cost) < 1e-6
    if max_hours is not None:
        assert sum(hours[j] for j in sol.chosen) <= max_hours + 1e-6
    # what is reported as covered is what the chosen courses cover
    covered = set().union(*(covers[j] for j in sol.chosen)) & set(target) if sol.chosen else set()
    assert set(sol.covered) == covered
    assert set(sol.uncovered) == set(target) - covered


@settings(max_examples=60, deadline=None)
@given(instances)
def test_greedy_is_a_cover_and_its_bound_is_below_the_optimum(instance):
    target, courses, _, _ = instance
    covers = [c for c, _, _ in courses]
    costs = [float(x) for _, x, _ in courses]
    _, best_cost = brute_force(target, covers, costs)
    sol = solve_cover(target, covers, costs, method="greedy")
    reachable = set().union(*covers) & set(target) if covers else set()
    assert set(sol.covered) == reachable
    assert sol.objective >= best_cost - 1e-6
    if sol.bound is not None:
        assert sol.bound <= best_cost + 1e-6


def test_budget_keeps_every_pareto_course_of_the_same_coverage():
    # same skill, three courses: cheapest too long, shortest dearest, the middle one is the answer
    covers = [frozenset("a"), frozenset("a"), frozenset("a"), frozenset("b")]
    costs = [1.0, 5.0, 3.0, 1.0]
    hours = [10.0, 2.0, 5.0, 5.0]
    sol = solve_cover(["a", "b"], covers, costs, hours, max_hours=10)
    assert sorted(sol.chosen) == [2, 3]
    assert sol.objective == 4.0
    assert sol.uncovered == []
