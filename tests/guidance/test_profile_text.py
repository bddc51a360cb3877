"""Free-text profiles through the skill extractor of branch ``skills``.

FAILS (never skips) until ``emclm.skills.SkillExtractor`` exists: the lead merges this file together
with branch ``skills``. The extractor is built from the test database itself (the real ESCO subset of
guidance_data.py), so no model or download is involved.
"""

from __future__ import annotations

from emclm.db.session import session_scope
from emclm.guidance import service

from .guidance_data import ICT_HELP_DESK_AGENT, SKILL

OPERATE_CASH_REGISTER = SKILL + "0cb013af-6dd9-4fb2-b34e-63dda1a5cf82"
STOCK_SHELVES = SKILL + "7e9daad3-8604-4839-af9b-dc6f8db3ef68"
USE_TICKETING = SKILL + "6430eb0d-c6de-46b7-a7fc-3dd2e8e62a69"

CV = (
    "Five years in a supermarket: I operated the cash register, stocked shelves and processed refunds. "
    "I also used an ICT ticketing system to report broken tills."
)


def test_skill_extractor_is_available():
    from emclm.skills import SkillExtractor  # noqa: F401  (must exist: this test fails otherwise)


def test_profile_from_free_text_has_text_provenance_and_evidence(guidance_db):
    with session_scope(guidance_db) as s:
        profile = service.build_profile(s, text=CV, lang="en", k=20)
        gap = service.compute_gap(s, profile, ICT_HELP_DESK_AGENT)
    found = profile.skills
    assert OPERATE_CASH_REGISTER in found or STOCK_SHELVES in found
    assert USE_TICKETING in found
    ticketing = found[USE_TICKETING]
    assert ticketing.provenance == ["text"]
    assert ticketing.evidence, "the extractor's evidence is kept with the skill"
    # a skill found in the text is not part of the gap any more
    assert USE_TICKETING not in {g.uri for g in gap.skills}


def test_text_and_occupations_combine_provenance(guidance_db):
    with session_scope(guidance_db) as s:
        profile = service.build_profile(s, occupations=["shop assistant"], text=CV, lang="en")
    cash = profile.skills[OPERATE_CASH_REGISTER]
    assert cash.provenance[0].startswith("occupation:")
