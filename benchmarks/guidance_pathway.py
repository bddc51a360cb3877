"""Pathway solve time and optimal-vs-greedy cost, for skill gaps of 10, 30 and 60 real ESCO skills.

Catalogues are synthesised by expanding real ESCO skill sets: each course takes 1–8 skills of one
real occupation (essential and optional, v1.1.1 CSVs) plus sometimes a transversal skill, a workload
of 2–120 h and a price (60 % free). Two sizes: the demo catalogue's (3,250 courses: the Class Central
and edX records in shared/data) and 100,000 courses.

    PYTHONPATH=src python benchmarks/guidance_pathway.py                # solver only (in memory)
    PYTHONPATH=src python benchmarks/guidance_pathway.py --db           # + SQL candidate loading (SQLite)
    PYTHONPATH=src python benchmarks/guidance_pathway.py --pg URL       # + SQL candidate loading (PostgreSQL)

Solve time = ``plan_pathway`` on the candidates (courses teaching ≥ 1 gap skill), median of 5 runs.
SQL time = ``repository.load_candidates`` for the gap (the pre-filtered query), median of 3 runs.
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from emclm.guidance.pathway import plan_pathway  # noqa: E402
from emclm.guidance.types import CandidateCourse, Constraints  # noqa: E402

ESCO = ROOT.parent / "shared" / "data" / "esco" / "v1.1.1"
SIZES = {"demo (3,250)": 3_250, "100k": 100_000}
GAPS = (10, 30, 60)


def load_esco():
    occ_skills: dict[str, list[str]] = {}
    with open(ESCO / "relations" / "occupationSkillRelations.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            occ_skills.setdefault(r["occupationUri"], []).append(r["skillUri"])
    transversal = []
    with open(ESCO / "classification-en" / "skills_en.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["reuseLevel"] == "transversal":
                transversal.append(r["conceptUri"])
    return occ_skills, transversal


def synthesise(n: int, occ_skills: dict[str, list[str]], transversal: list[str], seed: int = 7):
    rng = random.Random(seed)
    occupations = sorted(occ_skills)
    courses = []
    for cid in range(1, n + 1):
        skills = occ_skills[rng.choice(occupations)]
        covers = set(rng.sample(skills, min(len(skills), rng.randint(1, 8))))
        if rng.random() < 0.3:
            covers.add(rng.choice(transversal))
        hours = round(min(120.0, max(2.0, rng.lognormvariate(3.0, 0.8))), 1)
        free = rng.random() < 0.6
        courses.append(
            CandidateCourse(
                course_id=cid,
                covers=frozenset(covers),
                title=f"course {cid}",
                workload_hours=hours,
                hours_per_week=round(hours / rng.randint(2, 10), 1),
                price=None if free else float(rng.randint(20, 500)),
                free_audit=free,
                certificate_type=rng.choice(["verified", "none", "free"]),
                language=rng.choice(["en", "en", "en", "fr", "es", "de"]),
                eqf_level=rng.choice([None, 4, 5, 6]),
                pace="self_paced",
                provider=rng.choice(["edx", "fun", "futurelearn", "miriadax"]),
            )
        )
    return courses


def gaps(occ_skills: dict[str, list[str]], seed: int = 11) -> dict[int, list[str]]:
    """Real gaps: the skills of real occupations (one, or several of the same ISCO group for 60)."""
    rng = random.Random(seed)
    by_size = sorted(occ_skills, key=lambda o: (len(occ_skills[o]), o))
    out = {}
    for size in GAPS:
        pool: list[str] = []
        occs = [o for o in by_size if len(occ_skills[o]) >= min(size, 40)]
        while len(pool) < size:
            for s in occ_skills[rng.choice(occs)]:
                if s not in pool:
                    pool.append(s)
        out[size] = pool[:size]
    return out


def candidates_for(gap: list[str], courses: list[CandidateCourse], index: dict[str, list[int]]):
    ids = sorted({j for s in gap for j in index.get(s, ())})
    return [courses[j] for j in ids]


def timed(fn, repeat):
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def sql_setup(url: str, courses: list[CandidateCourse], skill_uris: set[str]) -> None:
    from sqlalchemy import insert

    from emclm.catalogue.models import Course, Provider
    from emclm.db.migrate import upgrade
    from emclm.db.session import session_scope
    from emclm.skills.models import CourseSkill
    from emclm.taxonomy.models import Concept

    upgrade(url)
    with session_scope(url) as s:
        s.execute(insert(Concept), [{"uri": u, "concept_type": "skill"} for u in sorted(skill_uris)])
        ids = dict(s.query(Concept.uri, Concept.id).all())
        providers = {}
        for code in ("edx", "fun", "futurelearn", "miriadax"):
            p = Provider(code=code, name=code)
            s.add(p)
            s.flush()
            providers[code] = p.id
        s.execute(
            insert(Course),
            [
                {
                    "id": c.course_id,
                    "key": f"bench:{c.course_id}",
                    "provider_id": providers[c.provider],
                    "title": c.title,
                    "workload_hours": c.workload_hours,
                    "hours_per_week": c.hours_per_week,
                    "price": c.price,
                    "free_audit": c.free_audit,
                    "certificate_type": c.certificate_type,
                    "language": c.language,
                    "languages": [c.language],
                    "eqf_level": c.eqf_level,
                    "pace": c.pace,
                }
                for c in courses
            ],
        )
        s.execute(
            insert(CourseSkill),
            [
                {"course_id": c.course_id, "skill_id": ids[u], "score": 0.9, "status": "auto", "evidence": []}
                for c in courses
                for u in c.covers
            ],
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", action="store_true", help="also time SQL candidate loading on SQLite")
    ap.add_argument("--pg", help="also time SQL candidate loading on this PostgreSQL database (must be empty)")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    occ_skills, transversal = load_esco()
    gap_sets = gaps(occ_skills)
    print(
        "| catalogue | gap | candidates | MILP solve (ms) | optimal | MILP cost | greedy (ms) | greedy cost | "
        "greedy / optimal | greedy bound |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    catalogues = {}
    for name, n in SIZES.items():
        courses = synthesise(n, occ_skills, transversal)
        catalogues[name] = courses
        index: dict[str, list[int]] = {}
        for j, c in enumerate(courses):
            for u in c.covers:
                index.setdefault(u, []).append(j)
        for size, gap in gap_sets.items():
            cands = candidates_for(gap, courses, index)
            constraints = Constraints()
            plan_pathway(gap, cands, constraints)  # warm-up (HiGHS load)
            t_milp, milp = timed(lambda: plan_pathway(gap, cands, constraints, method="milp"), args.repeat)
            t_greedy, greedy = timed(lambda: plan_pathway(gap, cands, constraints, method="greedy"), args.repeat)
            ratio = greedy.solution.objective / milp.solution.objective if milp.solution.objective else 1.0
            print(
                f"| {name} | {size} | {len(cands)} | {t_milp * 1000:.1f} | {milp.solution.optimal} | "
                f"{milp.solution.objective:.1f} | {t_greedy * 1000:.1f} | {greedy.solution.objective:.1f} | "
                f"{ratio:.3f} | {greedy.solution.bound} |"
            )
        # a constrained case at the largest gap: English, free, certificate, at most 200 h
        gap = gap_sets[60]
        cands = candidates_for(gap, courses, index)
        constraints = Constraints(languages=["en"], free_only=True, max_total_hours=200)
        t_c, res = timed(lambda: plan_pathway(gap, cands, constraints), args.repeat)
        print(
            f"| {name} | 60, en+free+≤200 h | {len(cands)} | {t_c * 1000:.1f} | {res.solution.optimal} | "
            f"{res.solution.objective:.1f} ({len(res.solution.covered)} covered) | | | | |"
        )

    urls = []
    if args.db:
        tmp = tempfile.mkdtemp(prefix="emclm-bench-")
        urls.append(("SQLite", f"sqlite:///{tmp}/bench.sqlite3"))
    if args.pg:
        urls.append(("PostgreSQL", args.pg))
    if urls:
        from emclm.db.session import session_scope
        from emclm.guidance import repository

        courses = catalogues["100k"]
        skills = {u for c in courses for u in c.covers} | {u for g in gap_sets.values() for u in g}
        print("\n| database | gap | candidates loaded | load_candidates (ms) | load + solve (ms) |")
        print("|---|---|---|---|---|")
        for engine, url in urls:
            t = time.perf_counter()
            sql_setup(url, courses, skills)
            print(f"<!-- {engine}: 100k courses inserted in {time.perf_counter() - t:.1f} s -->")
            for size, gap in gap_sets.items():

                def load():
                    with session_scope(url) as s:
                        return repository.load_candidates(s, gap)

                load()
                t_load, cands = timed(load, 3)
                t_all, _ = timed(lambda: plan_pathway(gap, load(), Constraints()), 3)
                print(f"| {engine} | {size} | {len(cands)} | {t_load * 1000:.0f} | {t_all * 1000:.0f} |")


if __name__ == "__main__":
    main()
