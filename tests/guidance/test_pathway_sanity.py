"""Pathway sanity over the built demo database: every course a pathway picks covers its skills by
evidence a person would accept (issue 15).

A picked course C is *accepted* for a gap skill S it is said to cover when BOTH hold:

1. **the tag passes the evidence rule**: C's stored tag for S is a curated one (confirmed /
   declared), or an ``auto`` tag whose first evidence item names the rule of ``skills.evidence``
   that admitted it (``label``, ``embedding-words`` or ``embedding-e5``); and
2. **a person sees it in the course**: either
   (a) every content word of one of S's ESCO labels — preferred or alternative (ESCO's synonyms),
       in C's language or English, a qualifier in parentheses dropped as the label matcher drops it
       ("project management methodology (PM²)"); content word = a folded, stemmed word that is not
       a stop word of that language — occurs among the words of C's text (title, description,
       outcomes, keywords);
   or
   (b) C's title carries the meaning: the title holds a non-generic content word of one of S's
       labels AND multilingual-e5 reads the title as S (cosine with S's label ≥ ``E5_MIN`` and S among
       the title's ``E5_MAX_RANK`` nearest ESCO skills) — the same test as the ``embedding-e5`` rule,
       applied to the title.

The occupation pairs: the README's (shop assistant → ICT help desk agent, free courses, at most
120 hours), the issue's French one (vendeur → analyste de données) and ten more, chosen to cross
sectors: office, teaching, sales, care, hospitality and ICT.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from emclm.catalogue.models import Course
from emclm.db.session import session_scope
from emclm.guidance.service import build_profile, compute_gap, compute_pathway
from emclm.guidance.types import Constraints
from emclm.skills.evidence import E5_MAX_RANK, E5_MIN, RULES, EvidenceJudge, stop_words
from emclm.skills.extractor import SkillExtractor
from emclm.skills.models import CourseSkill
from emclm.skills.tagging import course_text
from emclm.skills.text import stem_words, tokens
from emclm.taxonomy.models import Concept, Label

PAREN = re.compile(r"\s*\([^)]*\)\s*")
PAIRS = [
    ("shop assistant", "ICT help desk agent", Constraints(free_only=True, max_total_hours=120)),
    ("vendeur", "analyste de données", Constraints()),
    ("shop assistant", "data analyst", Constraints()),
    ("secretary", "accountant", Constraints()),
    # "cashier" alone is ambiguous (casino cashier): the ESCO URI of cashier
    ("http://data.europa.eu/esco/occupation/2b871272-bd61-4206-bd1a-0b96d7023098", "bookkeeper", Constraints()),
    ("receptionist", "human resources officer", Constraints()),
    ("bookkeeper", "financial analyst", Constraints()),
    ("call centre agent", "graphic designer", Constraints()),
    ("primary school teacher", "software developer", Constraints()),
    ("secondary school teacher", "web developer", Constraints()),
    ("waiter/waitress", "marketing assistant", Constraints()),
    ("office clerk", "project manager", Constraints()),
    ("journalist", "translator", Constraints()),
]


@pytest.fixture(scope="module")
def judge(esco_db_url):
    return EvidenceJudge.for_extractor(SkillExtractor.from_database(esco_db_url))


def _stems(text: str, lang: str) -> list[str]:
    stop = stop_words(lang)
    words = [t.text for t in tokens(text) if t.text not in stop and len(t.text) > 1]
    return stem_words(words, lang)


def accepted(session, judge, course: Course, uri: str) -> str | None:
    """Why a person would accept ``course`` for skill ``uri`` (None: they would not)."""
    concept = session.scalars(select(Concept).where(Concept.uri == uri)).one()
    tag = session.scalars(
        select(CourseSkill).where(CourseSkill.course_id == course.id, CourseSkill.skill_id == concept.id)
    ).one()
    if tag.status == "auto" and not (tag.evidence and tag.evidence[0].get("rule") in RULES):
        return None
    lang = course.language or "en"
    langs = list(dict.fromkeys([lang, "en"]))
    labels = session.execute(
        select(Label.lang, Label.text).where(
            Label.concept_id == concept.id, Label.kind.in_(("preferred", "alternative")), Label.lang.in_(langs)
        )
    ).all()
    labels = labels + [(lg, PAREN.sub(" ", label).strip()) for lg, label in labels if "(" in label]
    text = course_text(course)[0]
    for lg, label in labels:
        want = set(_stems(label, lg))
        if want and want <= set(_stems(text, lg)):
            return f"label words of {label!r}"
    for lg, label in labels:
        shared = set(_stems(label, lg)) & set(_stems(course.title, lg)) - judge.generic(lg)
        if shared:
            sim, rank = judge.reads_as(course.title, uri, lang)
            if sim is not None and sim >= E5_MIN and rank < E5_MAX_RANK:
                return f"title reads as the skill (e5 {sim:.3f}, rank {rank})"
    return None


@pytest.mark.parametrize(("source", "target", "constraints"), PAIRS, ids=[f"{a}->{b}" for a, b, _ in PAIRS])
def test_every_picked_course_covers_its_skills_by_evidence(esco_db_url, judge, source, target, constraints):
    with session_scope(esco_db_url) as s:
        profile = build_profile(s, occupations=[source])
        gap = compute_gap(s, profile, target)
        pathway = compute_pathway(s, gap, constraints)
        labels = {g.uri: g.label for g in gap.skills}
        bad = []
        covered = 0
        for chosen in pathway.courses:
            course = s.get(Course, chosen.course.course_id)
            for uri in chosen.covers:
                covered += 1
                if accepted(s, judge, course, uri) is None:
                    bad.append(f"{course.title!r} for {labels.get(uri, uri)!r}")
        assert not bad, f"{source} -> {target}: " + "; ".join(bad)
        # the check is not vacuous: the gap exists and is measured
        assert gap.essential
        assert covered + len(pathway.solution.uncovered) + len(pathway.solution.unreachable) >= 1
