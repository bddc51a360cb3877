"""The occupation lookup the portal and the API share (``guidance.repository.resolve_occupation``):
its exact stage, which the search page runs on every query for the "occupations matching your query"
box, and the full lookup (exact, fuzzy, contained words) the plan and career-moves forms use.

    PYTHONPATH=src python benchmarks/web_occupation_lookup.py [--db var/emclm.sqlite3] [--runs 5]

Median of ``--runs`` warm calls per query (the label cache loaded once before), in ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from emclm.db.session import session_scope  # noqa: E402
from emclm.guidance.repository import GuidanceError, resolve_occupation  # noqa: E402

QUERIES = [
    "vendeur",  # a gendered form (exact stage, through the in-memory labels)
    "ICT help desk agent",  # an exact preferred label (exact stage, through the label index)
    "python programming",  # a course query naming no occupation
    "data analysis",
    "machine learning",
    "comptabilité",
    "ict help desk agnt",  # a typo (fuzzy)
    "zzzz qqqq",  # nothing
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=str(ROOT / "var" / "emclm.sqlite3"))
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    url = args.db if "://" in args.db else f"sqlite:///{args.db}"
    with session_scope(url) as s:
        try:
            resolve_occupation(s, "warm up the label cache")
        except GuidanceError:
            pass
        print(f"{'query':24s} {'exact stage':>12s} {'full lookup':>12s}  answer")
        for q in QUERIES:
            row = []
            for exact_only in (True, False):
                times, answer = [], ""
                for _ in range(args.runs):
                    t0 = time.perf_counter()
                    try:
                        answer = resolve_occupation(s, q, exact_only=exact_only)[1] or ""
                    except GuidanceError as exc:
                        answer = type(exc).__name__
                    times.append(time.perf_counter() - t0)
                row.append((statistics.median(times) * 1000, answer))
            print(f"{q:24s} {row[0][0]:10.1f} ms {row[1][0]:10.1f} ms  {row[0][1]} | {row[1][1]}")


if __name__ == "__main__":
    main()
