"""Guidance test data: a migrated database holding a real ESCO subset and a small tagged catalogue.

The ESCO subset is read from the official v1.1.1 CSVs the repository ships in data/esco (occupations, their skills,
the skills' ancestors in the ESCO hierarchy, English labels; French and German occupation labels
from the v1.0.8 translations). The catalogue is real edX records tagged by hand with real ESCO
skills (fixtures/journey_courses.json): it stands in for the tagged demo catalogue.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import pytest

from emclm.catalogue.models import Course, CourseRun, Provider
from emclm.config import get_settings
from emclm.db.session import session_scope
from emclm.guidance.repository import normalise
from emclm.skills.models import CourseSkill
from emclm.taxonomy.importer import iter_members
from emclm.taxonomy.models import Broader, Concept, Label, OccupationSkill

ESCO = get_settings().esco_dir  # the official v1.1.1 zips and the extra languages the repository ships
FIXTURES = Path(__file__).resolve().parent / "fixtures"

OCC = "http://data.europa.eu/esco/occupation/"
SKILL = "http://data.europa.eu/esco/skill/"
SHOP_ASSISTANT = OCC + "0b15375e-dfdd-4047-9efb-096e0aaee7d2"
SALES_ASSISTANT = OCC + "9ba74e8a-c40c-4228-9998-eb3c7a5c11df"
CALL_CENTRE_AGENT = OCC + "0ededdc2-050a-4ec3-8e70-6295105fcd19"
ICT_HELP_DESK_AGENT = OCC + "aaeec9a7-dc57-4485-890c-86b3eef735f9"
ICT_HELP_DESK_MANAGER = OCC + "1242d99a-47f1-4a62-b884-33746db8a6ca"
SUBSET_OCCUPATIONS = [SHOP_ASSISTANT, SALES_ASSISTANT, CALL_CENTRE_AGENT, ICT_HELP_DESK_AGENT, ICT_HELP_DESK_MANAGER]


def _split(cell: str) -> list[str]:
    return [x.strip() for x in (cell or "").split("\n") if x.strip()]


@lru_cache(maxsize=1)
def esco_tables() -> dict:
    if not ESCO.exists():
        pytest.fail(f"ESCO data missing: {ESCO}")
    wanted = {
        "skills_en.csv",
        "skillGroups_en.csv",
        "occupations_en.csv",
        "occupationSkillRelations.csv",
        "broaderRelationsSkillPillar.csv",
        "occupations_fr.csv",
        "occupations_de.csv",
    }
    files = {
        m.name: list(csv.DictReader(io.StringIO(m.read().decode("utf-8-sig"))))
        for m in iter_members([*sorted((ESCO / "v1.1.1").glob("*.zip")), ESCO / "i18n"])
        if m.name in wanted
    }
    skills = {r["conceptUri"]: r for r in files["skills_en.csv"]}
    groups = {r["conceptUri"]: r for r in files["skillGroups_en.csv"]}
    occupations = {r["conceptUri"]: r for r in files["occupations_en.csv"]}
    occ_skills: dict[str, list[tuple[str, str]]] = {}
    for r in files["occupationSkillRelations.csv"]:
        occ_skills.setdefault(r["occupationUri"], []).append((r["skillUri"], r["relationType"]))
    broader: dict[str, list[str]] = {}
    for r in files["broaderRelationsSkillPillar.csv"]:
        broader.setdefault(r["conceptUri"], []).append(r["broaderUri"])
    translations = {
        lang: {r["conceptUri"]: r["preferredLabel"] for r in files[f"occupations_{lang}.csv"]} for lang in ("fr", "de")
    }
    return {
        "skills": skills,
        "groups": groups,
        "occupations": occupations,
        "occ_skills": occ_skills,
        "broader": broader,
        "translations": translations,
    }


def load_esco_subset(url: str, occupation_uris=SUBSET_OCCUPATIONS) -> None:
    t = esco_tables()
    skill_uris: set[str] = set()
    for occ in occupation_uris:
        skill_uris.update(s for s, _ in t["occ_skills"].get(occ, []))
    # ancestors in the skills pillar
    ancestors: set[str] = set()
    frontier = set(skill_uris)
    while frontier:
        nxt = set()
        for u in frontier:
            for b in t["broader"].get(u, []):
                if b not in ancestors and b not in skill_uris:
                    ancestors.add(b)
                    nxt.add(b)
        frontier = nxt
    with session_scope(url) as s:
        ids: dict[str, int] = {}

        def add(uri, ctype, pref, alts=(), **kw):
            c = Concept(uri=uri, concept_type=ctype, esco_version="1.1.1", status="released", **kw)
            c.labels.append(Label(lang="en", kind="preferred", text=pref, norm=normalise(pref)))
            for alt in dict.fromkeys(alts):
                if alt != pref:
                    c.labels.append(Label(lang="en", kind="alternative", text=alt, norm=normalise(alt)))
            s.add(c)
            return c

        concepts = {}
        for occ in occupation_uris:
            r = t["occupations"][occ]
            c = add(
                occ,
                "occupation",
                r["preferredLabel"],
                _split(r["altLabels"]),
                isco_code=r["iscoGroup"],
                code=r["code"] or None,
            )
            for lang, labels in t["translations"].items():
                if occ in labels:
                    c.labels.append(Label(lang=lang, kind="preferred", text=labels[occ], norm=normalise(labels[occ])))
            concepts[occ] = c
        for uri in sorted(skill_uris | ancestors):
            if uri in t["skills"]:
                r = t["skills"][uri]
                concepts[uri] = add(
                    uri,
                    "skill",
                    r["preferredLabel"],
                    _split(r["altLabels"])[:5],
                    skill_type=r["skillType"],
                    reuse_level=r["reuseLevel"],
                )
            elif uri in t["groups"]:
                r = t["groups"][uri]
                concepts[uri] = add(uri, "skill_group", r["preferredLabel"], code=r["code"] or None)
        s.flush()
        ids = {u: c.id for u, c in concepts.items()}
        for occ in occupation_uris:
            for skill, rel in t["occ_skills"].get(occ, []):
                s.add(OccupationSkill(occupation_id=ids[occ], skill_id=ids[skill], relation_type=rel))
        for uri in ids:
            for b in t["broader"].get(uri, []):
                if b in ids:
                    s.add(Broader(concept_id=ids[uri], broader_id=ids[b]))


def load_journey_courses(url: str) -> dict[str, int]:
    """Insert the tagged edX subset; returns course key → id."""
    data = json.loads((FIXTURES / "journey_courses.json").read_text(encoding="utf-8"))
    with session_scope(url) as s:
        p = data["provider"]
        provider = Provider(code=p["code"], name=p["name"], url=p["url"])
        s.add(provider)
        s.flush()
        skill_ids = {u: i for u, i in s.query(Concept.uri, Concept.id).filter(Concept.concept_type == "skill").all()}
        keys: dict[str, int] = {}
        for rec in data["courses"]:
            course = Course(
                key=rec["key"],
                provider_id=provider.id,
                title=rec["title"],
                description=rec["description"],
                url=rec["url"],
                language=rec["language"],
                languages=[rec["language"]],
                eqf_level=rec["eqf_level"],
                workload_hours=rec["workload_hours"],
                hours_per_week=rec["hours_per_week"],
                duration_weeks=rec["duration_weeks"],
                free_audit=rec["free_audit"],
                price=None if rec["price"] is None else Decimal(str(rec["price"])),
                certificate_type=rec["certificate_type"],
                certificate_price=Decimal(str(rec["certificate_price"])),
                pace=rec["pace"],
            )
            for start in rec.get("runs", []):
                course.runs.append(CourseRun(run_key=start, start_date=date.fromisoformat(start)))
            s.add(course)
            s.flush()
            keys[rec["key"]] = course.id
            for skill, phrase in rec["skills"].items():
                field = "title" if phrase in rec["title"] else "description"
                text = rec[field]
                start = text.find(phrase)
                s.add(
                    CourseSkill(
                        course_id=course.id,
                        skill_id=skill_ids[SKILL + skill],
                        score=0.9,
                        status="confirmed",
                        tagger_version="hand",
                        evidence=[
                            {
                                "text": phrase,
                                "field": field,
                                "start": start,
                                "end": start + len(phrase),
                                "method": "label",
                            }
                        ],
                    )
                )
    return keys


def check_journey(url: str, source: str = SHOP_ASSISTANT, target: str = ICT_HELP_DESK_AGENT) -> dict:
    """Invariants of a journey that hold on ANY tagged catalogue (the fixture one, or the built demo
    database once branches skills and cat-* have landed). Returns the CLI-shaped answer."""
    from sqlalchemy import select

    from emclm.guidance import service
    from emclm.guidance.types import Constraints

    with session_scope(url) as s:
        profile = service.build_profile(s, occupations=[source])
        gap = service.compute_gap(s, profile, target)
        pathway = service.compute_pathway(s, gap, Constraints())
        out = service.pathway_cli_json(gap, pathway)
        tags: dict[int, set[str]] = {}
        for cid, uri in s.execute(
            select(CourseSkill.course_id, Concept.uri)
            .join(Concept, Concept.id == CourseSkill.skill_id)
            .where(
                CourseSkill.course_id.in_([c["course_id"] for c in out["pathway"]] or [-1]),
                CourseSkill.status != "rejected",
            )
        ):
            tags.setdefault(cid, set()).add(uri)
    essential = {g["uri"] for g in out["gap"] if g["essential"]}
    available = {g["uri"]: g["courses_available"] for g in out["gap"]}
    assert out["optimal"] is True
    # with no constraint, a skill is left uncovered exactly when no course teaches it
    assert set(out["uncovered"]) == {u for u in essential if available[u] == 0}
    covered = set()
    for c in out["pathway"]:
        assert set(c["covers"]) <= tags[c["course_id"]] & essential
        covered |= set(c["covers"])
    assert covered == essential - set(out["uncovered"])
    assert abs(out["objective"] - sum(c["workload_hours"] for c in out["pathway"])) < 1e-6
    return out
