"""Plain data exchanged by the guidance functions: no database, no web types.

Names follow ESCO (essential / optional skills, reuse level) and ELM / MLO (``workload_hours``,
``eqf_level``) so that the API and CLI can expose them as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

Relation = Literal["essential", "optional"]
CostKind = Literal["hours", "money", "mix"]


@dataclass
class ProfileSkill:
    """One skill of a person, with where it came from.

    ``provenance`` holds one entry per way the skill was found: ``"occupation:<uri>"`` (an essential
    skill of an occupation held), ``"selected"`` (picked from the taxonomy) or ``"text"`` (found by the
    skill extractor in a CV or a description; ``evidence`` then holds the matched text).
    """

    uri: str
    label: str | None = None
    provenance: list[str] = field(default_factory=list)
    score: float | None = None
    evidence: list[dict] = field(default_factory=list)


@dataclass
class Profile:
    skills: dict[str, ProfileSkill] = field(default_factory=dict)
    occupations: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # inputs that named no known concept

    @property
    def uris(self) -> set[str]:
        return set(self.skills)

    def add(
        self,
        uri: str,
        provenance: str,
        label: str | None = None,
        *,
        score: float | None = None,
        evidence: list[dict] | None = None,
    ) -> None:
        skill = self.skills.get(uri)
        if skill is None:
            skill = self.skills[uri] = ProfileSkill(uri=uri, label=label)
        if label and not skill.label:
            skill.label = label
        if provenance not in skill.provenance:
            skill.provenance.append(provenance)
        if score is not None:
            skill.score = max(skill.score or 0.0, score)
        if evidence:
            skill.evidence.extend(evidence)


@dataclass
class SkillGroupRef:
    uri: str
    label: str | None
    code: str | None = None


@dataclass
class GapSkill:
    uri: str
    label: str | None
    essential: bool
    reuse_level: str | None = None
    skill_type: str | None = None
    courses_available: int = 0  # non-withdrawn catalogue courses tagged with it (rejected tags excluded)
    group: SkillGroupRef | None = None  # top of the ESCO skills hierarchy below the pillar root


@dataclass
class Gap:
    occupation_uri: str
    occupation_label: str | None
    skills: list[GapSkill]
    held: list[str]  # target skills the profile already has

    @property
    def essential(self) -> list[GapSkill]:
        return [s for s in self.skills if s.essential]

    @property
    def optional(self) -> list[GapSkill]:
        return [s for s in self.skills if not s.essential]

    def groups(self) -> list[dict]:
        """Gap skills grouped by their top ESCO skill group (``None`` group last)."""
        by: dict[str | None, dict] = {}
        for s in self.skills:
            key = s.group.uri if s.group else None
            entry = by.setdefault(
                key,
                {
                    "uri": key,
                    "label": s.group.label if s.group else "(no group in the ESCO hierarchy)",
                    "code": s.group.code if s.group else None,
                    "skills": [],
                },
            )
            entry["skills"].append(s)
        return sorted(by.values(), key=lambda g: (g["uri"] is None, g["code"] or "", g["label"] or ""))


@dataclass
class CandidateCourse:
    """A course as the solver sees it: what it costs, what gap skills it covers, its attributes."""

    course_id: int
    covers: frozenset[str]
    title: str = ""
    url: str | None = None
    workload_hours: float | None = None
    hours_per_week: float | None = None
    price: float | None = None
    currency: str | None = None
    free_audit: bool | None = None
    certificate_type: str | None = None
    certificate_price: float | None = None
    language: str | None = None
    languages: tuple[str, ...] = ()
    provider: str | None = None
    eqf_level: int | None = None
    pace: str | None = None
    # start dates of runs that are not withdrawn (sorted); empty when unknown
    run_starts: tuple[date, ...] = ()


@dataclass
class Constraints:
    """What the learner can accept. Every field is optional; ``None`` means no constraint."""

    languages: list[str] | None = None  # a course qualifies when it is taught (or has a version) in one of them
    free_only: bool = False  # no fee to follow it (and, with ``certificate_required``, to get the certificate)
    certificate_required: bool = False
    max_total_hours: float | None = None  # sum of workload over the whole pathway
    max_weekly_hours: float | None = None  # a course asking more hours a week is excluded
    start_before: date | None = None  # a run starting on or before this date (self-paced courses qualify)
    start_after: date | None = None  # ... and on or after this one (e.g. today)
    providers: list[str] | None = None  # provider codes
    eqf_min: int | None = None
    eqf_max: int | None = None
    include_optional: bool = False  # also cover the optional gap skills
    cost: CostKind = "hours"
    money_weight: float = 1.0  # for ``mix``: cost = hours + money_weight × money
    default_workload_hours: float = 20.0  # used when a course states no workload


@dataclass
class ChosenCourse:
    course: CandidateCourse
    covers: list[str]  # target gap skills it covers (the ones the solver had to cover)
    also_covers: list[str]  # other gap skills it teaches (optional ones)
    cost: float
    workload_hours: float
    workload_estimated: bool
    next_start: date | None
    evidence: dict[str, list[dict]] = field(default_factory=dict)


@dataclass
class Solution:
    """The solver's answer.

    ``optimal`` is True only when HiGHS proved it. ``bound`` is a proven lower bound on the cost of a
    cover of the ``covered`` skills (equal to ``objective`` when optimal). ``uncovered`` are target skills
    no selected course covers, because no eligible course teaches them or because a budget (total hours)
    does not allow it; ``unreachable`` is the subset that no eligible course teaches at all.
    """

    chosen: list[int]
    objective: float
    optimal: bool
    bound: float | None
    method: Literal["milp", "greedy", "trivial"]
    covered: list[str]
    uncovered: list[str]
    unreachable: list[str]
    status: str
    candidates: int = 0  # courses given to the solver after filtering and reductions
    seconds: float = 0.0


@dataclass
class Pathway:
    target: list[str]  # the skills the pathway had to cover
    courses: list[ChosenCourse]
    solution: Solution
    excluded: dict[str, int] = field(default_factory=dict)  # constraint → courses it excluded
    total_hours: float = 0.0
    total_money: float = 0.0
    weeks: float | None = None


@dataclass
class Transition:
    occupation_uri: str
    label: str | None
    score: float  # weighted share of the occupation's essential skills the profile holds
    overlap: int
    essential_total: int
    gap_size: int
    courses_to_close: int | None = None  # courses in a minimum-count cover of the closable gap
    uncoverable: int = 0  # gap skills no course teaches
    demand: float | None = None  # regional demand, when a demand source is plugged in
