"""Skill extraction speed: start-up, sentences/s, course descriptions/s, peak memory.

    PYTHONPATH=src python benchmarks/skills_speed.py [--database URL] [--courses 100] [--threads 2]

Sentences: every distinct sentence of the Decorte HOUSE+TECH validation files. Courses: Class
Central 2019 listings (title + overview), as tagged by ``emclm courses tag``. Start-up is measured
with the index cache under var/ already built (the first run builds it and reports that time too).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import sys
import time
from pathlib import Path

SHARED = Path("/work/shared/data")
if not SHARED.exists():
    SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def load_sentences(data: Path) -> list[str]:
    out = []
    for split in ("house", "tech"):
        with open(data / f"{split}_validation_annotations.csv", encoding="utf-8") as fh:
            out.extend(r["sentence"] for r in csv.DictReader(fh))
    return list(dict.fromkeys(out))


def load_courses(folder: Path, n: int) -> list[str]:
    texts = []
    for path in sorted(folder.glob("*.json")):
        for rec in json.loads(path.read_text(encoding="utf-8")).values():
            text = "\n".join(x for x in (rec.get("title") or rec.get("name") or "", rec.get("overview") or "") if x)
            if len(text) > 200:
                texts.append(text)
    return texts[:n]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--database", default=None)
    ap.add_argument("--data", type=Path, default=SHARED / "skills-gold" / "decorte")
    ap.add_argument("--courses-dir", type=Path, default=SHARED / "courses" / "classcentral-2019")
    ap.add_argument("--courses", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument(
        "--encoder",
        choices=("auto", "static", "e5"),
        default=None,
        help="sentence encoder (default: Settings.skills_encoder)",
    )
    args = ap.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))

    from emclm.skills.extractor import SkillExtractor

    t = time.perf_counter()
    ex = SkillExtractor.from_database(args.database, mode=args.encoder)
    first = time.perf_counter() - t
    t = time.perf_counter()
    ex = SkillExtractor.from_database(args.database, mode=args.encoder)
    startup = time.perf_counter() - t
    t = time.perf_counter()
    ex.rank("warm up the encoder", k=5)
    ex.rank("warm up the encoder of long texts " * 12, k=5)  # auto mode: e5 for long texts
    warm = time.perf_counter() - t

    sents = load_sentences(args.data)
    rows = {}
    for name, kw in (
        ("fused (label + embedding, clauses)", {}),
        ("fused, no clause embeddings", {"use_clauses": False}),
        ("label match only", {"use_embeddings": False}),
    ):
        e = SkillExtractor(ex.index, encoder=ex.encoder, mode=ex.mode, **kw)
        t = time.perf_counter()
        for s in range(0, len(sents), 64):
            e.rank_batch(sents[s : s + 64], lang="en", k=20)
        rows[name] = len(sents) / (time.perf_counter() - t)

    courses = load_courses(args.courses_dir, args.courses)
    t = time.perf_counter()
    for s in range(0, len(courses), 64):  # batches of 64, as `emclm courses tag`
        ex.rank_batch(courses[s : s + 64], k=30)
    course_rate = len(courses) / (time.perf_counter() - t)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"encoder mode {ex.mode} (tagger {ex.version})")
    print(
        f"index cache build (first start): {first:.1f} s; start-up with cache: {startup:.2f} s; "
        f"first rank (loads the encoder): {warm:.2f} s"
    )
    print(f"{len(sents)} sentences:")
    for name, rate in rows.items():
        print(f"  {name}: {rate:.1f} sentences/s")
    avg = sum(len(c) for c in courses) / max(len(courses), 1)
    print(f"{len(courses)} course descriptions (avg {avg:.0f} chars): {course_rate:.1f} courses/s")
    print(f"peak memory (max RSS): {peak:.0f} MB")
    print(f"load average during the run (1/5/15 min): {os.getloadavg()} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
