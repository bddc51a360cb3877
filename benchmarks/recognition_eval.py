"""Recognition facts over the demo catalogue: how many courses have each fact, and the precision of a
random sample of 100 extracted facts checked against the text by a written rule (decision 0028).

    PYTHONPATH=src python benchmarks/recognition_eval.py --database-url sqlite:///var/emclm.sqlite3 \
        [--sample-out benchmarks/recognition_sample.tsv] [--json out.json]

Steps: migrate, re-extract every live course (``credentials.store.refresh``), count, then draw 100
facts with provenance ``extracted`` (seed 18, sorted by course id and element before drawing, so the
same catalogue gives the same sample) and score them with the verdicts in
``benchmarks/recognition_verdicts.tsv`` (key ``course key|element``; ``1`` correct, ``0`` wrong, then
the reason). The rule the verdicts follow is ``benchmarks/recognition_rule.md``. A sampled fact without
a verdict is reported, not guessed; ``--sample-out`` writes the sample with ±160 characters of context
to judge.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

from sqlalchemy import select

from emclm.catalogue.models import Course
from emclm.credentials.models import RecognitionFact
from emclm.credentials.store import counts, refresh
from emclm.db.migrate import upgrade
from emclm.db.session import session_scope

HERE = Path(__file__).resolve().parent
VERDICTS = HERE / "recognition_verdicts.tsv"
SEED = 18
SAMPLE = 100


def _context(course: Course, fact: RecognitionFact, width: int = 160) -> str:
    if fact.field == "title":
        text = course.title or ""
    elif fact.field == "description":
        text = course.description or ""
    elif fact.field.startswith("description_i18n."):
        text = (course.description_i18n or {}).get(fact.field.split(".", 1)[1], "")
    else:
        return fact.evidence
    if fact.start is None:
        i = text.find(fact.evidence)
        start, end = (i, i + len(fact.evidence)) if i >= 0 else (0, 0)
    else:
        start, end = fact.start, fact.end
    return (
        (text[max(0, start - width) : start] + "[[" + text[start:end] + "]]" + text[end : end + width])
        .replace("\n", " ")
        .replace("\t", " ")
    )


def load_verdicts() -> dict[str, tuple[int, str]]:
    out = {}
    if VERDICTS.exists():
        for line in VERDICTS.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            key, verdict, reason = (line.split("\t") + [""])[:3]
            out[key] = (int(verdict), reason)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--sample-out", type=Path)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    from emclm.search import enable_auto_indexing

    enable_auto_indexing()  # as every entry point: the columns recognition writes reach the search index
    upgrade(args.database_url)
    with session_scope(args.database_url) as s:
        t0 = time.perf_counter()
        done = refresh(s, None)
        seconds = time.perf_counter() - t0
    with session_scope(args.database_url) as s:
        by_element = counts(s)
        live = s.scalar(
            select(__import__("sqlalchemy").func.count()).select_from(Course).where(Course.withdrawn_at.is_(None))
        )
        facet_cols = {
            "ects_credits": s.scalar(
                select(__import__("sqlalchemy").func.count()).where(
                    Course.ects_credits.is_not(None), Course.withdrawn_at.is_(None)
                )
            ),
            "eqf_level": s.scalar(
                select(__import__("sqlalchemy").func.count()).where(
                    Course.eqf_level.is_not(None), Course.withdrawn_at.is_(None)
                )
            ),
            "identity_verification": s.scalar(
                select(__import__("sqlalchemy").func.count()).where(
                    Course.identity_verification.is_(True), Course.withdrawn_at.is_(None)
                )
            ),
            "assessment_type": s.scalar(
                select(__import__("sqlalchemy").func.count()).where(
                    Course.assessment_type.is_not(None), Course.withdrawn_at.is_(None)
                )
            ),
        }
        rows = s.execute(
            select(RecognitionFact, Course)
            .join(Course, Course.id == RecognitionFact.course_id)
            .where(RecognitionFact.provenance == "extracted", Course.withdrawn_at.is_(None))
            .order_by(Course.id, RecognitionFact.element)
        ).all()
        sample = random.Random(SEED).sample(rows, min(SAMPLE, len(rows)))
        verdicts = load_verdicts()
        judged, correct, unjudged, per_element = 0, 0, [], {}
        lines = []
        for fact, course in sample:
            key = f"{course.key}|{fact.element}"
            ctx = _context(course, fact)
            lines.append(f"{key}\t{json.dumps(fact.value, ensure_ascii=False)}\t{ctx}")
            v = verdicts.get(key)
            if v is None:
                unjudged.append(key)
                continue
            judged += 1
            correct += v[0]
            e = per_element.setdefault(fact.element, [0, 0])
            e[0] += v[0]
            e[1] += 1
    if args.sample_out:
        args.sample_out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = {
        "live_courses": live,
        "refresh": {**done, "seconds": round(seconds, 1)},
        "courses_with_fact": {k: {**v, "total": sum(v.values())} for k, v in sorted(by_element.items())},
        "facet_columns_filled": facet_cols,
        "sample": {
            "size": len(sample),
            "seed": SEED,
            "judged": judged,
            "correct": correct,
            "precision": round(correct / judged, 3) if judged else None,
            "per_element": {k: f"{c}/{n}" for k, (c, n) in sorted(per_element.items())},
            "unjudged": unjudged,
        },
    }
    print(json.dumps(result, ensure_ascii=False, indent=1))
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
