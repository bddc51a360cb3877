"""Course-tag gold set (issue 15): draw the courses, list the candidate skills, score the tagger.

    # 1. the 150 courses and their candidate skills (for judging by benchmarks/course_tags_rule.md)
    PYTHONPATH=src python benchmarks/course_tags_gold.py candidates > var/course_tags_candidates.jsonl
    # 2. judge every candidate by the rule; the compact verdicts become the gold file
    PYTHONPATH=src python benchmarks/course_tags_gold.py import-verdicts  # reads benchmarks/course_tags_verdicts.txt
    # 3. precision@10 and recall per mode, language and split
    PYTHONPATH=src nice -n 10 python benchmarks/course_tags_gold.py evaluate [--json out.json]

Modes: ``ranked`` = the extractor's ranking cut by ``keep_confident`` (the tags stored before the
evidence rule, tagger ``esco-fused-auto-2``); ``evidence`` = the tags stored now (``keep_evidenced``,
rules label + embedding-words); ``evid+e5`` = the same with the e5 rule switched on (12 checks a course).
Pairs of a mode's tags missing from the gold file are reported (``unjudged``), never counted as right.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

from sqlalchemy import select

from emclm.catalogue.models import Course
from emclm.db.session import session_scope
from emclm.skills.evidence import EvidenceJudge
from emclm.skills.extractor import SkillExtractor
from emclm.skills.tagging import course_text, keep_confident, keep_evidenced

HERE = Path(__file__).resolve().parent
GOLD = HERE / "course_tags_gold.jsonl"
PER_LANG = {"en": 40, "es": 35, "fr": 35, "it": 26, "de": 14}
SEED = 15


def draw(session) -> list[tuple[Course, str]]:
    """150 courses, stratified by language, each with its split ("dev" for the first third)."""
    rng = random.Random(SEED)
    out = []
    for lang, n in PER_LANG.items():
        ids = list(
            session.scalars(
                select(Course.id).where(Course.language == lang, Course.withdrawn_at.is_(None)).order_by(Course.id)
            )
        )
        picked = rng.sample(ids, min(n, len(ids)))
        for k, cid in enumerate(picked):
            out.append((session.get(Course, cid), "dev" if k < len(picked) // 3 else "report"))
    return out


def rankings(url: str, courses, with_e5: bool = False):
    ex = SkillExtractor.from_database(url)
    judge = EvidenceJudge.for_extractor(ex)
    texts = [course_text(c)[0] for c, _ in courses]
    langs = [c.language for c, _ in courses]
    ranked = []
    for s in range(0, len(texts), 32):
        ranked += ex.rank_batch(texts[s : s + 32], k=30, langs=langs[s : s + 32])
    kept = keep_evidenced(judge, texts, langs, ranked)
    if not with_e5:
        return ex, texts, ranked, kept
    e5 = EvidenceJudge(ex.index, e5_checks=12)  # rule 3 on (off by default, decision 0017)
    return ex, texts, ranked, kept, keep_evidenced(e5, texts, langs, ranked)


def candidates(url: str) -> None:
    with session_scope(url) as s:
        courses = draw(s)
        ex, texts, ranked, kept = rankings(url, courses)
        for (c, split), text, r, k in zip(courses, texts, ranked, kept, strict=True):
            pool: dict[str, dict] = {}
            for m in r[:20] + [m for m, _ in k[:10]] + [m for m in r if any(e.method == "label" for e in m.evidence)]:
                if m.uri not in pool:
                    pool[m.uri] = {"uri": m.uri, "label": m.label, "ev": sorted({e.text[:60] for e in m.evidence})[:3]}
            line = {
                "key": c.key,
                "lang": c.language,
                "split": split,
                "text": text[:900],
                "candidates": list(pool.values()),
            }
            print(json.dumps(line, ensure_ascii=False))


REASONS = {  # the judge's verdict codes (course_tags_rule.md), one per candidate
    "T": (1, "the text says the course teaches or practises it"),
    "S": (1, "the course's subject, as its title states it"),
    "F": (1, "a broader field the course clearly belongs to"),
    "O": (0, "the words occur in another sense"),
    "G": (0, "shares only a generic word or a word piece with the text"),
    "C": (0, "context, example domain or audience only, not learnt"),
    "N": (0, "more specific than, or not supported by, what the text says"),
    "X": (0, "unrelated to the course"),
}


def import_verdicts(candidates_path: str, verdicts_path: str) -> None:
    """Compact verdicts ("<course #> <one code per candidate>") → course_tags_gold.jsonl lines."""
    courses = [json.loads(x) for x in Path(candidates_path).read_text(encoding="utf-8").splitlines() if x.strip()]
    out = []
    for line in Path(verdicts_path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        n, codes = line.split()
        course = courses[int(n)]
        if len(codes) != len(course["candidates"]):
            raise SystemExit(f"course #{n} ({course['key']}): {len(codes)} verdicts for {len(course['candidates'])}")
        for code, cand in zip(codes, course["candidates"], strict=True):
            verdict, reason = REASONS[code]
            row = {"key": course["key"], "lang": course["lang"], "split": course["split"], "uri": cand["uri"]}
            row.update(label=cand["label"], verdict=verdict, code=code, reason=reason)
            out.append(json.dumps(row, ensure_ascii=False))
    GOLD.write_text("\n".join(out) + "\n", encoding="utf-8")
    print(f"{len(out)} judged pairs written to {GOLD}")


def evaluate(url: str, out_json: str | None) -> None:
    gold: dict[tuple[str, str], int] = {}
    for line in GOLD.read_text(encoding="utf-8").splitlines():
        if line.strip():
            g = json.loads(line)
            gold[(g["key"], g["uri"])] = int(g["verdict"])
    with session_scope(url) as s:
        courses = draw(s)
        _, texts, ranked, kept, kept_e5 = rankings(url, courses, with_e5=True)
        rows = []
        for (c, split), r, k, k5 in zip(courses, ranked, kept, kept_e5, strict=True):
            relevant = {u for (key, u), v in gold.items() if key == c.key and v}
            modes = {
                "ranked": [m.uri for m in keep_confident(r)],
                "evidence": [m.uri for m, _ in k],
                "evid+e5": [m.uri for m, _ in k5],
            }
            for mode, tags in modes.items():
                top = tags[:10]
                judged = [gold.get((c.key, u)) for u in top]
                rows.append(
                    {
                        "key": c.key,
                        "lang": c.language,
                        "split": split,
                        "mode": mode,
                        "n_tags": len(tags),
                        "p10": (sum(v == 1 for v in judged) / len(top)) if top else None,
                        "recall": (len(relevant & set(tags)) / len(relevant)) if relevant else None,
                        "unjudged": sum(v is None for v in judged),
                    }
                )
    table = defaultdict(list)
    for r in rows:
        for lang in (r["lang"], "all"):
            table[(r["split"], r["mode"], lang)].append(r)
    result = []
    print(
        f"{'split':7} {'mode':9} {'lang':4} {'courses':>7} {'no tags':>7} {'P@10':>6} {'recall':>6} {'tags':>5} unjudged"
    )
    for (split, mode, lang), rs in sorted(table.items()):
        p = [r["p10"] for r in rs if r["p10"] is not None]
        rc = [r["recall"] for r in rs if r["recall"] is not None]
        entry = {
            "split": split,
            "mode": mode,
            "lang": lang,
            "courses": len(rs),
            "without_tags": sum(r["n_tags"] == 0 for r in rs),
            "p10": round(sum(p) / len(p), 3) if p else None,
            "recall": round(sum(rc) / len(rc), 3) if rc else None,
            "mean_tags": round(sum(r["n_tags"] for r in rs) / len(rs), 1),
            "unjudged": sum(r["unjudged"] for r in rs),
        }
        result.append(entry)
        print(
            f"{split:7} {mode:9} {lang:4} {entry['courses']:7} {entry['without_tags']:7} "
            f"{entry['p10'] if entry['p10'] is not None else '-':>6} {entry['recall'] if entry['recall'] is not None else '-':>6} "
            f"{entry['mean_tags']:5} {entry['unjudged']}"
        )
    if out_json:
        Path(out_json).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["candidates", "import-verdicts", "evaluate"])
    ap.add_argument("--candidates", default="var/course_tags_candidates.jsonl")
    ap.add_argument("--verdicts", default=str(HERE / "course_tags_verdicts.txt"))
    ap.add_argument("--database", default=None, help="SQLAlchemy URL (default: settings)")
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    if a.command == "candidates":
        candidates(a.database)
    elif a.command == "import-verdicts":
        import_verdicts(a.candidates, a.verdicts)
    else:
        evaluate(a.database, a.json)


if __name__ == "__main__":
    main(sys.argv[1:])
