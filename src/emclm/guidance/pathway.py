"""Optimal learning pathways: choose courses that cover a skill gap at least cost.

A pure function over plain data (``CandidateCourse``, ``Constraints``): no database here, so the
optimisation is tested on hand-made cases with a known optimum. ``emclm.guidance.repository`` loads
the candidates from SQL; ``emclm.guidance.service`` glues both.

The model (see docs/decisions/0005-pathway-optimisation.md) is weighted set cover, solved exactly as an
integer program with HiGHS:

    minimise   Σ_j cost_j · x_j
    subject to Σ_{j covers i} x_j ≥ 1          for every target skill i some eligible course teaches
               Σ_j hours_j · x_j ≤ max_total_hours   (when given)
               x_j ∈ {0, 1}

With a total-hours budget a full cover may be impossible; the solver then first maximises the
(essential-first) number of skills covered, and then minimises cost among the covers that reach that
number: the best partial cover, lexicographically. Skills that no eligible course teaches are reported
as ``unreachable`` and never enter the model.

Reductions before the model: only courses covering at least one target skill, and of courses with the
same coverage only the cheapest (and, under a budget, the shortest). Above ``greedy_threshold`` candidate
columns, or when asked, a greedy cover (cost per newly covered skill, then redundant courses dropped)
is returned with its bound: greedy cost / H(d) (d = largest coverage) is a proven lower bound on the
optimum, so the reported gap is honest.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from emclm.guidance.types import CandidateCourse, ChosenCourse, Constraints, Pathway, Solution

GREEDY_THRESHOLD = 200_000  # candidate columns above which the MILP is not attempted
MILP_TIME_LIMIT_S = 10.0
_EPS = 1e-6
_NO_CERTIFICATE = {None, "", "none"}
_FREE_CERTIFICATES = {"free", "record_of_achievement", "participation"}


# --------------------------------------------------------------------------- eligibility and costs


def course_money(course: CandidateCourse, constraints: Constraints) -> float:
    """What following the course costs in money (plus the certificate when one is required)."""
    if course.free_audit or course.price is None:
        money = 0.0
    else:
        money = float(course.price)
    if constraints.certificate_required and course.certificate_price:
        money += float(course.certificate_price)
    return money


def course_hours(course: CandidateCourse, constraints: Constraints) -> tuple[float, bool]:
    """Workload in hours and whether it was estimated (the course states none)."""
    if course.workload_hours is not None and course.workload_hours > 0:
        return float(course.workload_hours), False
    if course.hours_per_week and course.hours_per_week > 0:
        return float(course.hours_per_week) * 4.0, True  # a typical 4-week MOOC
    return float(constraints.default_workload_hours), True


def course_cost(course: CandidateCourse, constraints: Constraints, hours: float | None = None) -> float:
    if hours is None:
        hours, _ = course_hours(course, constraints)
    if constraints.cost == "hours":
        return hours
    money = course_money(course, constraints)
    if constraints.cost == "money":
        # a tiny hours term breaks ties between free courses in favour of the shorter ones
        return money + 1e-3 * hours
    return hours + constraints.money_weight * money


def _is_free(course: CandidateCourse, constraints: Constraints) -> bool:
    if not (course.free_audit or not course.price):
        return False
    if constraints.certificate_required:
        if course.certificate_price:
            return False
        if course.certificate_type not in _FREE_CERTIFICATES and course.certificate_price is None:
            # a paid/verified certificate with no stated price is not free
            return course.certificate_type in _NO_CERTIFICATE or course.certificate_type in _FREE_CERTIFICATES
    return True


def _earliest_start(constraints: Constraints, today: date | None) -> date:
    """The first start date that counts: today (a run that started in the past is not a start one can
    still make, as ``catalogue.queries.next_run_start`` says), or ``start_after`` when it is later."""
    today = today or date.today()
    return max(today, constraints.start_after) if constraints.start_after else today


def _run_in_window(course: CandidateCourse, constraints: Constraints, today: date | None = None) -> bool:
    if course.pace == "self_paced":
        return True
    earliest = _earliest_start(constraints, today)
    for start in course.run_starts:
        if start < earliest:
            continue
        if constraints.start_before and start > constraints.start_before:
            continue
        return True
    return False


def next_start(course: CandidateCourse, constraints: Constraints, today: date | None = None) -> date | None:
    """The first run start today or later (and not before ``start_after``); None when none is ahead."""
    earliest = _earliest_start(constraints, today)
    starts = [s for s in course.run_starts if s >= earliest]
    return min(starts) if starts else None


def exclusion_reason(course: CandidateCourse, constraints: Constraints, today: date | None = None) -> str | None:
    """The first constraint the course fails, or None when it qualifies (``today``: for tests)."""
    if constraints.languages:
        wanted = {lang.lower() for lang in constraints.languages}
        have = {lang.lower() for lang in (course.language, *course.languages) if lang}
        if not have & wanted:
            return "languages"
    if constraints.providers and course.provider not in set(constraints.providers):
        return "providers"
    if constraints.certificate_required and course.certificate_type in _NO_CERTIFICATE:
        return "certificate_required"
    if constraints.free_only and not _is_free(course, constraints):
        return "free_only"
    if constraints.eqf_min is not None and course.eqf_level is not None and course.eqf_level < constraints.eqf_min:
        return "eqf_level"
    if constraints.eqf_max is not None and course.eqf_level is not None and course.eqf_level > constraints.eqf_max:
        return "eqf_level"
    if constraints.max_weekly_hours is not None and (course.hours_per_week or 0) > constraints.max_weekly_hours:
        return "max_weekly_hours"
    if (constraints.start_before or constraints.start_after) and not _run_in_window(course, constraints, today):
        return "start_date"
    if constraints.max_total_hours is not None:
        hours, _ = course_hours(course, constraints)
        if hours > constraints.max_total_hours + _EPS:
            return "max_total_hours"
    return None


def filter_candidates(
    courses: Sequence[CandidateCourse], constraints: Constraints, today: date | None = None
) -> tuple[list[CandidateCourse], dict[str, int]]:
    kept: list[CandidateCourse] = []
    excluded: dict[str, int] = {}
    for course in courses:
        reason = exclusion_reason(course, constraints, today)
        if reason is None:
            kept.append(course)
        else:
            excluded[reason] = excluded.get(reason, 0) + 1
    return kept, excluded


# --------------------------------------------------------------------------- the cover solver

_highs_lock = threading.Lock()
_highs_banner_done = False


def _new_highs():
    """A silent HiGHS instance. The first construction prints a banner on the C stdout: hide it,
    so that ``--json`` output stays parseable."""
    global _highs_banner_done
    import highspy

    with _highs_lock:
        if not _highs_banner_done:
            sys.stdout.flush()
            saved = os.dup(1)
            try:
                with open(os.devnull, "w") as devnull:
                    os.dup2(devnull.fileno(), 1)
                    h = highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
            _highs_banner_done = True
        else:
            h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 1e-9)
    h.setOptionValue("mip_abs_gap", 1e-7)
    h.setOptionValue("threads", 1)
    return h


@dataclass
class _Columns:
    """Candidate columns after reduction: coverage as lists of row indices."""

    ids: list[int]  # index into the caller's course list
    rows: list[list[int]]
    cost: np.ndarray
    hours: np.ndarray


def _reduce(
    target: list[str],
    covers: Sequence[frozenset[str]],
    costs: Sequence[float],
    hours: Sequence[float],
    budget: bool,
) -> tuple[_Columns, list[str]]:
    index = {uri: i for i, uri in enumerate(target)}
    target_set = frozenset(index)
    by_cover: dict[frozenset[str], list[int]] = {}
    for j, cov in enumerate(covers):
        key = cov & target_set  # C-level set work: the hot loop at 100k courses
        if key:
            by_cover.setdefault(key, []).append(j)
    groups = {tuple(sorted(index[u] for u in key)): members for key, members in by_cover.items()}
    single: dict[int, float] = {}  # cheapest course teaching exactly one gap skill, per skill
    for rows, members in groups.items():
        if len(rows) == 1:
            single[rows[0]] = min(costs[j] for j in members)
    ids: list[int] = []
    rows_list: list[list[int]] = []
    for rows, members in groups.items():
        # same coverage: an optimal pathway uses at most one of them. Without a budget the cheapest
        # suffices; with one, every course on the (cost, hours) Pareto front may be the right one.
        members.sort(key=lambda j: (costs[j], hours[j], j))
        if not budget and len(rows) > 1 and all(i in single for i in rows):
            # dominated: single-skill courses teach the same skills for no more in total
            if sum(single[i] for i in rows) <= costs[members[0]]:
                continue
        keep = [members[0]]
        if budget:
            best_hours = hours[members[0]]
            for j in members[1:]:
                if hours[j] < best_hours:
                    keep.append(j)
                    best_hours = hours[j]
        for j in keep:
            ids.append(j)
            rows_list.append(list(rows))
    reachable = {i for rows in rows_list for i in rows}
    unreachable = [u for i, u in enumerate(target) if i not in reachable]
    cols = _Columns(
        ids=ids,
        rows=rows_list,
        cost=np.array([costs[j] for j in ids], dtype=float),
        hours=np.array([hours[j] for j in ids], dtype=float),
    )
    return cols, unreachable


def _milp(
    n_rows: int, cols: _Columns, weights: np.ndarray, max_hours: float | None, time_limit: float
) -> tuple[list[int], float, bool, float | None, str] | None:
    """Solve the (possibly partial) cover exactly. Returns chosen columns, objective, optimal, bound,
    status; None when HiGHS found no solution within the time limit."""
    import highspy

    n_cols = len(cols.ids)
    reachable_rows = sorted({i for rows in cols.rows for i in rows})

    def build(with_y: bool, min_weight: float | None):
        h = _new_highs()
        h.setOptionValue("time_limit", float(time_limit))
        inf = highspy.kHighsInf
        lp = highspy.HighsLp()
        n_y = n_rows if with_y else 0
        lp.num_col_ = n_cols + n_y
        # objective: phase 1 maximises weighted coverage (minimise -w·y); phase 2 minimises cost
        if with_y and min_weight is None:
            cost = np.concatenate([np.zeros(n_cols), -weights])
        else:
            cost = np.concatenate([cols.cost, np.zeros(n_y)])
        lp.col_cost_ = cost
        lp.col_lower_ = np.zeros(n_cols + n_y)
        upper = np.ones(n_cols + n_y)
        if with_y:
            unreachable_y = np.setdiff1d(np.arange(n_rows), reachable_rows)
            upper[n_cols + unreachable_y] = 0.0
        lp.col_upper_ = upper
        # rows: one per skill. Full cover: Σx ≥ 1 (free for unreachable skills). Partial: Σx − y ≥ 0.
        extra_rows = 0
        row_lower = [1.0 if not with_y else 0.0] * n_rows
        row_upper = [inf] * n_rows
        if not with_y:
            reachable_set = set(reachable_rows)
            for i in range(n_rows):
                if i not in reachable_set:
                    row_lower[i] = -inf
        budget_row = weight_row = None
        if max_hours is not None:
            budget_row = n_rows + extra_rows
            extra_rows += 1
            row_lower.append(-inf)
            row_upper.append(float(max_hours) + _EPS)
        if with_y and min_weight is not None:
            weight_row = n_rows + extra_rows
            extra_rows += 1
            row_lower.append(float(min_weight) - 0.5)  # integer weights: ≥ k − ½ is ≥ k
            row_upper.append(inf)
        # rebuild column-wise with the extra rows appended
        col_index: list[int] = []
        col_value: list[float] = []
        col_start = [0]
        for j, rows in enumerate(cols.rows):
            col_index.extend(rows)
            col_value.extend([1.0] * len(rows))
            if budget_row is not None:
                col_index.append(budget_row)
                col_value.append(float(cols.hours[j]))
            col_start.append(len(col_index))
        for i in range(n_y):
            col_index.append(i)
            col_value.append(-1.0)
            if weight_row is not None:
                col_index.append(weight_row)
                col_value.append(float(weights[i]))
            col_start.append(len(col_index))
        lp.num_row_ = n_rows + extra_rows
        lp.row_lower_ = np.array(row_lower, dtype=float)
        lp.row_upper_ = np.array(row_upper, dtype=float)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.array(col_start, dtype=np.int32)
        lp.a_matrix_.index_ = np.array(col_index, dtype=np.int32)
        lp.a_matrix_.value_ = np.array(col_value, dtype=float)
        lp.integrality_ = [highspy.HighsVarType.kInteger] * (n_cols + n_y)
        h.passModel(lp)
        return h

    def run(h):
        h.run()
        status = h.getModelStatus()
        info = h.getInfo()
        values = np.asarray(h.getSolution().col_value, dtype=float)
        has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
        return status, info, values, has_solution

    Optimal = highspy.HighsModelStatus.kOptimal
    if max_hours is None:
        status, info, values, ok = run(build(False, None))
        if not ok:
            return None
        chosen = [j for j in range(n_cols) if values[j] > 0.5]
        optimal = status == Optimal
        bound = float(info.mip_dual_bound) if not optimal else float(info.objective_function_value)
        return chosen, float(cols.cost[chosen].sum()), optimal, bound, h_status_name(status)

    # phase 1: the largest essential-first coverage within the budget
    status1, info1, values1, ok1 = run(build(True, None))
    if not ok1:
        return None
    best_weight = float(round(-info1.objective_function_value))
    optimal1 = status1 == Optimal
    # phase 2: the cheapest selection reaching that coverage
    status2, info2, values2, ok2 = run(build(True, best_weight))
    if not ok2:
        chosen = [j for j in range(n_cols) if values1[j] > 0.5]
        return chosen, float(cols.cost[chosen].sum()), False, None, h_status_name(status2)
    chosen = [j for j in range(n_cols) if values2[j] > 0.5]
    optimal = optimal1 and status2 == Optimal
    bound = float(info2.objective_function_value) if optimal else (float(info2.mip_dual_bound) if optimal1 else None)
    return chosen, float(cols.cost[chosen].sum()), optimal, bound, h_status_name(status2)


def h_status_name(status) -> str:
    return str(status).rsplit(".", 1)[-1].removeprefix("k").lower()


def _greedy(n_rows: int, cols: _Columns, weights: np.ndarray, max_hours: float | None) -> tuple[list[int], float]:
    """Weighted greedy cover, then drop redundant columns (most expensive first)."""
    uncovered = set(range(n_rows))
    reachable = {i for rows in cols.rows for i in rows}
    uncovered &= reachable
    chosen: list[int] = []
    hours_left = math.inf if max_hours is None else float(max_hours)
    row_sets = [set(rows) for rows in cols.rows]
    alive = list(range(len(cols.ids)))
    while uncovered:
        best_j, best_ratio = -1, math.inf
        next_alive = []
        for j in alive:
            gain_rows = row_sets[j] & uncovered
            if not gain_rows:
                continue
            if cols.hours[j] > hours_left + _EPS:
                continue
            next_alive.append(j)
            gain = float(sum(weights[i] for i in gain_rows))
            ratio = (cols.cost[j] + _EPS) / gain
            if ratio < best_ratio:
                best_j, best_ratio = j, ratio
        alive = next_alive
        if best_j < 0:
            break
        chosen.append(best_j)
        uncovered -= row_sets[best_j]
        hours_left -= cols.hours[best_j]
    # reverse delete: a chosen course whose skills the others cover anyway goes
    for j in sorted(chosen, key=lambda j: -cols.cost[j]):
        others = set().union(*(row_sets[k] for k in chosen if k != j)) if len(chosen) > 1 else set()
        if row_sets[j] <= others:
            chosen.remove(j)
    return chosen, float(cols.cost[chosen].sum())


def solve_cover(
    target: Sequence[str],
    covers: Sequence[frozenset[str]],
    costs: Sequence[float],
    hours: Sequence[float] | None = None,
    *,
    max_hours: float | None = None,
    essential: set[str] | None = None,
    method: str = "auto",
    greedy_threshold: int = GREEDY_THRESHOLD,
    time_limit: float = MILP_TIME_LIMIT_S,
) -> Solution:
    """Choose columns (courses) covering ``target`` at least total cost.

    ``covers[j]``/``costs[j]``/``hours[j]`` describe course j; ``essential`` (default: all) are the skills
    that matter first when a budget forces a partial cover. ``method``: ``auto`` (MILP unless there are
    more than ``greedy_threshold`` columns after reduction, greedy when the MILP finds nothing in time),
    ``milp`` or ``greedy``. ``Solution.chosen`` holds indices into ``covers``.
    """
    started = time.perf_counter()
    target = list(dict.fromkeys(target))
    hours = list(hours) if hours is not None else [0.0] * len(covers)
    cols, unreachable = _reduce(target, covers, costs, hours, budget=max_hours is not None)
    n_rows = len(target)
    essential = set(target) if essential is None else essential
    n_optional = sum(1 for u in target if u not in essential)
    weights = np.array([(n_optional + 1.0) if u in essential else 1.0 for u in target])

    if not cols.ids or n_rows == 0:
        return Solution(
            chosen=[],
            objective=0.0,
            optimal=True,
            bound=0.0,
            method="trivial",
            covered=[],
            uncovered=list(target),
            unreachable=unreachable,
            status="nothing to cover" if n_rows == 0 else "no eligible course covers any target skill",
            candidates=len(cols.ids),
            seconds=time.perf_counter() - started,
        )

    result = None
    used = "milp"
    if method == "milp" or (method == "auto" and len(cols.ids) <= greedy_threshold):
        result = _milp(n_rows, cols, weights, max_hours, time_limit)
    if result is None:
        used = "greedy"
        chosen_cols, objective = _greedy(n_rows, cols, weights, max_hours)
        max_cover = max(len(r) for r in cols.rows)
        harmonic = sum(1.0 / k for k in range(1, max_cover + 1))
        # greedy ≤ H(d)·OPT for the unbudgeted cover; under a budget no such guarantee holds
        bound = objective / harmonic if max_hours is None else None
        optimal = bound is not None and objective - bound <= _EPS
        status = "greedy"
    else:
        chosen_cols, objective, optimal, bound, status = result

    covered_rows = {i for j in chosen_cols for i in cols.rows[j]}
    covered = [u for i, u in enumerate(target) if i in covered_rows]
    uncovered = [u for i, u in enumerate(target) if i not in covered_rows]
    return Solution(
        chosen=[cols.ids[j] for j in chosen_cols],
        objective=round(objective, 6),
        optimal=bool(optimal),
        bound=None if bound is None else round(bound, 6),
        method=used,  # type: ignore[arg-type]
        covered=covered,
        uncovered=uncovered,
        unreachable=unreachable,
        status=status,
        candidates=len(cols.ids),
        seconds=time.perf_counter() - started,
    )


# --------------------------------------------------------------------------- the pathway


def _order_key(chosen: ChosenCourse):
    level = chosen.course.eqf_level if chosen.course.eqf_level is not None else 99
    start = chosen.next_start or date.min  # self-paced or undated: can start now
    return (level, start, -len(chosen.covers), chosen.course.title, chosen.course.course_id)


def plan_pathway(
    target: Sequence[str],
    courses: Sequence[CandidateCourse],
    constraints: Constraints,
    *,
    essential: set[str] | None = None,
    optional_gap: Sequence[str] = (),
    method: str = "auto",
    greedy_threshold: int = GREEDY_THRESHOLD,
    time_limit: float = MILP_TIME_LIMIT_S,
    today: date | None = None,
) -> Pathway:
    """Filter the candidates by the constraints, solve the cover and order the chosen courses.

    ``target``: the gap skills to cover; ``optional_gap``: other gap skills, reported in each chosen
    course's ``also_covers``. Evidence is added by the caller (it lives in the database). ``today``
    (default: the date today) is the first day a run may start to count as a course's next start.
    """
    today = today or date.today()
    target = list(dict.fromkeys(target))
    eligible, excluded = filter_candidates(courses, constraints, today)
    hours = [course_hours(c, constraints)[0] for c in eligible]
    costs = [course_cost(c, constraints, h) for c, h in zip(eligible, hours)]
    solution = solve_cover(
        target,
        [c.covers for c in eligible],
        costs,
        hours,
        max_hours=constraints.max_total_hours,
        essential=essential,
        method=method,
        greedy_threshold=greedy_threshold,
        time_limit=time_limit,
    )
    target_set = set(target)
    optional_set = set(optional_gap) - target_set
    chosen: list[ChosenCourse] = []
    for j in solution.chosen:
        course = eligible[j]
        h, estimated = course_hours(course, constraints)
        chosen.append(
            ChosenCourse(
                course=course,
                covers=[u for u in target if u in course.covers],
                also_covers=sorted(u for u in course.covers if u in optional_set),
                cost=costs[j],
                workload_hours=h,
                workload_estimated=estimated,
                next_start=next_start(course, constraints, today),
            )
        )
    chosen.sort(key=_order_key)
    total_hours = sum(c.workload_hours for c in chosen)
    total_money = sum(course_money(c.course, constraints) for c in chosen)
    weeks = total_hours / constraints.max_weekly_hours if constraints.max_weekly_hours else None
    return Pathway(
        target=target,
        courses=chosen,
        solution=solution,
        excluded=excluded,
        total_hours=round(total_hours, 3),
        total_money=round(total_money, 2),
        weeks=None if weeks is None else round(weeks, 1),
    )
