"""Guidance: skills profile, gap analysis, optimal learning pathways and career transitions.

- ``types``       plain data (Profile, Gap, CandidateCourse, Constraints, Pathway, Transition)
- ``pathway``     the solver: a pure function over plain data (HiGHS MILP, greedy fallback)
- ``repository``  SQL: occupations, skills, hierarchy, courses that teach gap skills
- ``service``     use cases: build_profile → compute_gap → compute_pathway; compute_transitions
"""

from emclm.guidance.pathway import plan_pathway, solve_cover
from emclm.guidance.repository import AmbiguousOccupation, GuidanceError, OccupationNotFound
from emclm.guidance.types import CandidateCourse, Constraints, Gap, Pathway, Profile, Solution, Transition

__all__ = [
    "AmbiguousOccupation",
    "CandidateCourse",
    "Constraints",
    "Gap",
    "GuidanceError",
    "OccupationNotFound",
    "Pathway",
    "Profile",
    "Solution",
    "Transition",
    "plan_pathway",
    "solve_cover",
]
