"""Recognition facts of a course, its micro-credential profile and the CMF check (issue #18, decision 0028).

``extract_facts(course)`` reads a course's source fields (``declared``) and its text (``extracted``) and
returns ``Fact``s, each with its evidence: the source field and value, or the exact span of text that
states it (``field``, ``start``, ``end`` locate it). Pure: no database. ``profile(facts, course)`` tells,
for each element of a micro-credential (Council Recommendation of 16 June 2022, Annex I), whether it is
known and from where; ``cmf_check(facts)`` checks the European MOOC Consortium's Common Microcredential
Framework criteria, declared once in ``CMF_CRITERIA`` with their source.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from emclm.credentials import patterns as P

DECLARED = "declared"
EXTRACTED = "extracted"
CORRECTED = "corrected"

# element → what its value is (the API schema and the PUT validation follow this table)
FACT_KINDS: dict[str, str] = {
    "ects": "number",  # ECTS credits (or a system defined as ECTS: CFU, EC, Leistungspunkte)
    "credits": "number",  # credits of an unstated system
    "eqf_level": "level",  # 1..8
    "assessment": "choices",  # none | automated | peer | proctored_exam | project (several)
    "identity_verified": "bool",
    "certificate": "certificate",  # {"type": …, "price": …, "currency": …}
    "participation": "choices",  # online | blended | self_paced | scheduled (several)
    "quality_assurance": "choices",  # accredited | university_issued | platform_label (several)
    "prerequisites": "text",  # "none" or the stated prerequisites
    "workload_hours": "number",
    "learning_outcomes": "bool",
    "stackable": "bool",
}
CHOICES = {
    "assessment": ("none", "automated", "peer", "proctored_exam", "project"),
    "participation": ("online", "blended", "self_paced", "scheduled"),
    "quality_assurance": ("accredited", "university_issued", "platform_label"),
}
CERTIFICATE_KINDS = (
    "none",
    "free",
    "paid",
    "verified",
    "professional",
    "record_of_achievement",
    "participation",
    "certificate",
)


@dataclass
class Fact:
    element: str
    value: Any
    provenance: str  # declared | extracted | corrected
    field: str  # the course field the evidence is in (description, title, certificate_type …)
    evidence: str  # the matching span, or the declared value as text
    start: int | None = None
    end: int | None = None
    note: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class CourseText:
    """What extraction reads of a course (a ``Course`` row adapts to it with ``from_course``)."""

    title: str = ""
    description: str = ""
    other_descriptions: dict[str, str] = field(default_factory=dict)
    declared: dict[str, Any] = field(default_factory=dict)  # the source's own field values
    organisation: str | None = None
    provider: str | None = None
    country: str | None = None
    learning_outcomes: list = field(default_factory=list)

    @classmethod
    def from_course(cls, course, declared: dict | None = None) -> CourseText:
        desc = course.description or ""
        others = {
            f"description_i18n.{k}": v
            for k, v in sorted((course.description_i18n or {}).items())
            if isinstance(v, str) and v.strip() and v != desc
        }
        org = course.organisation
        prov = course.provider
        return cls(
            title=course.title or "",
            description=desc,
            other_descriptions=others,
            declared=declared if declared is not None else declared_values(course),
            organisation=org.name if org is not None else None,
            provider=prov.name if prov is not None else None,
            country=(org.country if org is not None and org.country else None) or (prov.country if prov else None),
            learning_outcomes=list(course.learning_outcomes or []),
        )

    def texts(self) -> list[tuple[str, str]]:
        out = [("title", self.title), ("description", self.description)]
        out.extend(self.other_descriptions.items())
        return [(f, t) for f, t in out if t]


DECLARED_COLUMNS = (
    "ects_credits",
    "eqf_level",
    "assessment_type",
    "identity_verification",
    "certificate_type",
    "certificate_price",
    "currency",
    "pace",
    "quality_label",
    "workload_hours",
)


def declared_values(course) -> dict[str, Any]:
    return {name: getattr(course, name, None) for name in DECLARED_COLUMNS}


def _num(raw: str) -> float:
    return float(raw.replace(",", "."))


def _first(patterns, texts, triggers: tuple[str, ...] | None = None):
    """The first match of any pattern, scanning texts (field, text, lowered text) in order: (field, match)
    or None. Texts without one of the group's trigger words are skipped without running the patterns."""
    triggers = triggers if triggers is not None else getattr(patterns, "triggers", None)
    for fname, text, lowered in texts:
        if triggers is not None and not any(t in lowered for t in triggers):
            continue
        best = None
        for pat in patterns:
            m = pat.search(text)
            if m and (best is None or m.start() < best.start()):
                best = m
        if best is not None:
            return fname, best
    return None


def _fact(element, value, fname, m: re.Match, note=None) -> Fact:
    return Fact(element, value, EXTRACTED, fname, m.group(0).strip(), m.start(), m.end(), note)


def extract_facts(course: CourseText) -> list[Fact]:
    """Every recognition fact of a course: declared source fields first; text fills what they leave open."""
    texts = [(f, t, t.lower()) for f, t in course.texts()]
    d = course.declared
    facts: dict[str, Fact] = {}

    def declare(element, value, column, evidence=None):
        facts[element] = Fact(element, value, DECLARED, column, str(evidence if evidence is not None else value))

    # ---- declared by the source ----
    if d.get("ects_credits"):
        declare("ects", float(d["ects_credits"]), "ects_credits")
    if d.get("eqf_level"):
        declare("eqf_level", int(d["eqf_level"]), "eqf_level")
    if d.get("assessment_type"):
        kinds = [k for k in re.split(r"[,;\s]+", str(d["assessment_type"]).lower()) if k in CHOICES["assessment"]]
        if kinds:
            declare("assessment", sorted(set(kinds)), "assessment_type", d["assessment_type"])
    if d.get("identity_verification") is not None:
        declare("identity_verified", bool(d["identity_verification"]), "identity_verification")
    if d.get("certificate_type"):
        cert = {"type": d["certificate_type"]}
        if d.get("certificate_price") is not None:
            cert["price"] = float(d["certificate_price"])
            cert["currency"] = d.get("currency")
        declare("certificate", cert, "certificate_type", d["certificate_type"])
    if d.get("workload_hours"):
        declare("workload_hours", float(d["workload_hours"]), "workload_hours")
    if course.learning_outcomes:
        declare("learning_outcomes", True, "learning_outcomes", "; ".join(map(str, course.learning_outcomes))[:240])

    # ---- extracted from text ----
    if "ects" not in facts:
        hit = _first(P.ECTS, texts)
        if hit:
            value = _num(next(g for g in hit[1].groups() if g))
            if 0 < value <= 60:
                facts["ects"] = _fact("ects", value, *hit)
    if "ects" not in facts:
        hit = _first(P.CREDITS, texts)
        if hit:
            value = _num(next(g for g in hit[1].groups() if g))
            if 0 < value <= 60:
                facts["credits"] = _fact("credits", value, *hit, note="credit system not stated")

    if "eqf_level" not in facts:
        hit = _first(P.EQF_EXPLICIT, texts)
        if hit:
            facts["eqf_level"] = _fact("eqf_level", int(hit[1].group(1)), *hit)
    if "eqf_level" not in facts:
        hit = _first(P.BAC_PLUS, texts)
        if hit and int(hit[1].group(1)) in P.BAC_PLUS_EQF:
            n = int(hit[1].group(1))
            facts["eqf_level"] = _fact("eqf_level", P.BAC_PLUS_EQF[n], *hit, note=f"Bac+{n}")
    if "eqf_level" not in facts:
        found = None
        for fname, text, lowered in texts:
            if not any(t in lowered for t in P.LEVEL_TRIGGERS):
                continue
            for level, pat in P.LEVEL_WORDS:
                m = pat.search(text)
                if m and (found is None or m.start() < found[2].start()):
                    found = (level, fname, m)
            if found:
                break
        if found:
            facts["eqf_level"] = _fact("eqf_level", found[0], found[1], found[2], note="degree level word")

    # several kinds: each with its own evidence, the fact keeps the first span of each
    def multi(element: str, table: dict[str, list[re.Pattern]]):
        kinds: dict[str, tuple[str, re.Match]] = {}
        for kind, pats in table.items():
            hit = _first(pats, texts)
            if hit:
                kinds[kind] = hit
        return kinds

    if "assessment" not in facts:
        kinds = multi("assessment", P.ASSESSMENT)
        if "none" in kinds and len(kinds) > 1:
            kinds.pop("none")  # "no exam" next to a graded quiz: the graded work wins
        if kinds:
            first = min(kinds.values(), key=lambda h: (h[0] != "title", h[1].start()))
            f = _fact("assessment", sorted(kinds), *first)
            f.note = " | ".join(f"{k}: {h[1].group(0).strip()}" for k, h in sorted(kinds.items()))
            facts["assessment"] = f

    if "identity_verified" not in facts:
        hit = _first(P.IDENTITY, texts)
        if hit:
            facts["identity_verified"] = _fact("identity_verified", True, *hit)
        elif "proctored_exam" in (facts.get("assessment").value if "assessment" in facts else []):
            a = facts["assessment"]
            spans = dict(x.split(": ", 1) for x in (a.note or "").split(" | ") if ": " in x)
            ev = spans.get("proctored_exam", a.evidence)
            facts["identity_verified"] = Fact(
                "identity_verified", True, EXTRACTED, a.field, ev, note="a proctored exam verifies identity"
            )

    if "certificate" not in facts:
        hit = None
        for kind, pat in P.CERTIFICATE:
            h = _first([pat], texts, P.CERTIFICATE_TRIGGERS)
            if h:
                hit = (kind, h)
                break
        if hit:
            kind, (fname, m) = hit
            cert: dict = {"type": kind}
            text = next(t for f_, t, _ in texts if f_ == fname)
            window = text[m.end() : m.end() + 40]
            pm = P.PRICE.search(window)
            if pm:
                amount = pm.group("a1") or pm.group("a2")
                cur = (pm.group("c1") or pm.group("c2")).lower()
                cert["price"] = _num(amount)
                cert["currency"] = P.CURRENCY.get(cur, cur.upper())
                m_end = m.end() + pm.end()
                f = Fact("certificate", cert, EXTRACTED, fname, text[m.start() : m_end].strip(), m.start(), m_end)
            else:
                f = _fact("certificate", cert, fname, m)
            facts["certificate"] = f

    kinds = multi("participation", P.PARTICIPATION)
    pace = d.get("pace")
    if pace in ("self_paced", "scheduled"):
        declared_kinds = {pace}
        extra = {k: h for k, h in kinds.items() if k not in ("self_paced", "scheduled")}
        facts["participation"] = Fact(
            "participation",
            sorted(declared_kinds | set(extra)),
            DECLARED,
            "pace",
            pace,
            note=" | ".join(f"{k}: {h[1].group(0).strip()}" for k, h in sorted(extra.items())) or None,
        )
    elif kinds:
        first = min(kinds.values(), key=lambda h: h[1].start())
        f = _fact("participation", sorted(kinds), *first)
        f.note = " | ".join(f"{k}: {h[1].group(0).strip()}" for k, h in sorted(kinds.items()))
        facts["participation"] = f

    qa: dict[str, str] = {}
    qa_first: Fact | None = None
    if d.get("quality_label"):
        qa["platform_label"] = str(d["quality_label"])
        qa_first = Fact("quality_assurance", None, DECLARED, "quality_label", str(d["quality_label"]))
    if course.organisation and P.UNIVERSITY.search(course.organisation):
        qa["university_issued"] = course.organisation
        qa_first = qa_first or Fact("quality_assurance", None, DECLARED, "organisation", course.organisation)
    for kind, pats in (("accredited", P.ACCREDITED), ("platform_label", P.PLATFORM_LABEL)):
        if kind in qa:
            continue
        hit = _first(pats, texts)
        if hit:
            qa[kind] = hit[1].group(0).strip()
            qa_first = qa_first or _fact("quality_assurance", None, *hit)
    if qa_first is not None:
        qa_first.value = sorted(qa)
        qa_first.note = " | ".join(f"{k}: {v}" for k, v in sorted(qa.items()))
        facts["quality_assurance"] = qa_first

    hit = _first(P.PREREQ_NONE, texts)
    head = _first([P.PREREQ_HEAD], texts, P.PREREQ_HEAD_TRIGGERS)
    if head and (not hit or head[1].start("what") <= hit[1].start() <= head[1].end()):
        fname, m = head
        what = m.group("what").strip()
        none = _first(P.PREREQ_NONE, [(fname, what, what.lower())]) or P.PREREQ_NIL.match(what)
        start = m.start("what")
        facts["prerequisites"] = Fact(
            "prerequisites", "none" if none else what, EXTRACTED, fname, what, start, start + len(what)
        )
    elif hit:
        facts["prerequisites"] = _fact("prerequisites", "none", *hit)

    if "learning_outcomes" not in facts:
        hit = _first(P.OUTCOMES, texts)
        if hit:
            facts["learning_outcomes"] = _fact("learning_outcomes", True, *hit)
    hit = _first(P.STACKABLE, texts)
    if hit:
        facts["stackable"] = _fact("stackable", True, *hit)
    return list(facts.values())


# ---- the micro-credential profile ------------------------------------------------------------------

# (element, mandatory, the facts / course fields that make it known). Council Recommendation of
# 16 June 2022 on a European approach to micro-credentials (2022/C 243/02), Annex I.
ELEMENTS: tuple[tuple[str, bool, str], ...] = (
    ("learner", True, "issued credential"),
    ("title", True, "title"),
    ("country", True, "organisation or provider country"),
    ("awarding_body", True, "organisation"),
    ("date_of_issue", True, "issued credential"),
    ("learning_outcomes", True, "learning_outcomes"),
    ("workload", True, "ects | workload_hours | credits"),
    ("level", True, "eqf_level"),
    ("assessment", True, "assessment"),
    ("participation", True, "participation"),
    ("quality_assurance", True, "quality_assurance"),
    ("prerequisites", False, "prerequisites"),
    ("identity_verification", False, "identity_verified"),
    ("grade", False, "issued credential"),
    ("stackability", False, "stackable"),
)


def profile(facts: list[Fact], course: CourseText) -> list[dict]:
    """One row per element: known or not, from where (provenance and field), the value, or why it is missing."""
    by = {f.element: f for f in facts}

    def row(name, mandatory, fact: Fact | None = None, value=None, provenance=None, field_=None, missing=None):
        if fact is not None:
            value, provenance, field_ = fact.value, fact.provenance, fact.field
        known = provenance is not None
        return {
            "element": name,
            "mandatory": mandatory,
            "known": known,
            "value": value if known else None,
            "provenance": provenance,
            "field": field_,
            "missing": None if known else missing,
        }

    out = []
    for name, mandatory, _src in ELEMENTS:
        if name in ("learner", "date_of_issue", "grade"):
            out.append(row(name, mandatory, missing="known only on an issued credential"))
        elif name == "title":
            out.append(row(name, mandatory, value=course.title, provenance=DECLARED, field_="title"))
        elif name == "country":
            if course.country:
                out.append(row(name, mandatory, value=course.country, provenance=DECLARED, field_="organisation"))
            else:
                out.append(row(name, mandatory, missing="no country for the organisation or the provider"))
        elif name == "awarding_body":
            if course.organisation:
                out.append(row(name, mandatory, value=course.organisation, provenance=DECLARED, field_="organisation"))
            else:
                out.append(row(name, mandatory, missing="the source names no organisation"))
        elif name == "workload":
            fact = by.get("ects") or by.get("workload_hours") or by.get("credits")
            out.append(row(name, mandatory, fact, missing="no ECTS, credits or hours stated"))
        else:
            key = {"level": "eqf_level", "identity_verification": "identity_verified", "stackability": "stackable"}.get(
                name, name
            )
            out.append(row(name, mandatory, by.get(key), missing=f"no {name.replace('_', ' ')} stated"))
    return out


# ---- the European MOOC Consortium's Common Microcredential Framework ------------------------------

CMF_SOURCE = (
    "European MOOC Consortium, Common Microcredential Framework (launched 30 April 2019, EADTU-EU Summit); "
    "criteria as published at https://www.futurelearn.com/info/the-common-microcredential-framework and "
    "https://partners.futurelearn.com/hc/en-us/articles/7855343302162-Common-Microcredential-Framework-CMF"
)
# (id, criterion as the CMF states it, how this check decides it)
CMF_CRITERIA: tuple[tuple[str, str, str], ...] = (
    (
        "workload",
        "total study time of 100–150 hours, including the summative assessment (4–6 ECTS)",
        "ECTS between 4 and 6, or, without ECTS, workload hours between 100 and 150",
    ),
    (
        "level",
        "levelled at EQF 6–7 (or the national equivalent), or EQF 4–5 fulfilling the ECTS criteria",
        "EQF 6 or 7; EQF 4 or 5 with ECTS stated",
    ),
    (
        "summative_assessment",
        "a summative assessment that awards academic credit",
        "an assessment other than 'none' (automated, peer, proctored exam or project) and credits stated",
    ),
    (
        "identity_verification",
        "a reliable method of ID verification at the point of assessment",
        "identity verification stated (a proctored exam counts)",
    ),
    (
        "transcript",
        "a transcript setting out learning outcomes, study hours, EQF level and credit points earned",
        "learning outcomes, workload, EQF level and credits are all known",
    ),
)


def cmf_check(facts: list[Fact]) -> dict:
    """Each CMF criterion: met / not met / unknown, with the reason; ``compliant`` when all are met."""
    by = {f.element: f.value for f in facts}
    ects = by.get("ects")
    hours = by.get("workload_hours")
    level = by.get("eqf_level")
    assessment = by.get("assessment") or []
    credits = ects if ects is not None else by.get("credits")
    results = []

    def add(cid, status, reason, code, **args):
        """``code`` and ``args`` let a page say the reason in its own language; ``reason`` is the English."""
        crit = next(c for c in CMF_CRITERIA if c[0] == cid)
        results.append(
            {
                "criterion": cid,
                "requirement": crit[1],
                "rule": crit[2],
                "status": status,
                "reason": reason,
                "code": code,
                "args": args,
            }
        )

    if ects is not None:
        add("workload", "met" if 4 <= ects <= 6 else "not_met", f"{ects:g} ECTS", "ects", n=ects)
    elif hours is not None:
        add("workload", "met" if 100 <= hours <= 150 else "not_met", f"{hours:g} hours, no ECTS", "hours", n=hours)
    else:
        add("workload", "unknown", "no ECTS or workload stated", "no_workload")
    if level is None:
        add("level", "unknown", "no EQF level stated", "no_level")
    elif level in (6, 7) or (level in (4, 5) and ects is not None):
        add("level", "met", f"EQF {level}", "eqf", n=level)
    else:
        add(
            "level",
            "not_met",
            f"EQF {level}" + (" without ECTS" if level in (4, 5) else ""),
            "eqf_no_ects" if level in (4, 5) else "eqf",
            n=level,
        )
    graded = [a for a in assessment if a != "none"]
    if not assessment:
        add("summative_assessment", "unknown", "no assessment stated", "no_assessment")
    elif not graded:
        add("summative_assessment", "not_met", "the course states no assessment", "assessment_none")
    elif credits is None:
        add(
            "summative_assessment",
            "not_met",
            f"assessed ({', '.join(graded)}) but no credit stated",
            "no_credit",
            kinds=graded,
        )
    else:
        add(
            "summative_assessment",
            "met",
            f"{', '.join(graded)}; {credits:g} credits",
            "assessed",
            kinds=graded,
            n=credits,
        )
    idv = by.get("identity_verified")
    if idv is None:
        add("identity_verification", "unknown", "no identity verification stated", "no_identity")
    else:
        add(
            "identity_verification",
            "met" if idv else "not_met",
            "stated" if idv else "stated as not verified",
            "identity" if idv else "no_identity_check",
        )
    missing = [
        name
        for name, ok in (
            ("learning_outcomes", by.get("learning_outcomes")),
            ("workload", ects is not None or hours is not None),
            ("eqf_level", level is not None),
            ("credits", credits is not None),
        )
        if not ok
    ]
    add(
        "transcript",
        "met" if not missing else "unknown",
        "all four known" if not missing else "missing: " + ", ".join(m.replace("_", " ") for m in missing),
        "transcript_complete" if not missing else "transcript_missing",
        missing=missing,
    )
    return {
        "compliant": all(r["status"] == "met" for r in results),
        "criteria": results,
        "source": CMF_SOURCE,
    }
