"""Occupation coding accuracy on the hand-coded Polish ads (OJALAB 2021), codes held out.

Each ad goes through exactly what `emclm occupations rank` does (``rank_lines``: one JSON line
``{"id", "text"}`` with the title as first line, the ad text after it), with no code and no
crosswalk; the ranked ESCO occupations' ISCO-08 codes are compared with the hand-assigned KZiS
code's first 4 digits (ISCO-08 unit group) and first 2 (sub-major group), top-1 and top-5.

    PYTHONPATH=src python benchmarks/labour_coding.py [--db sqlite:///var/emclm.sqlite3] [--limit N]
        [--data data/labour/demo/pl-ojalab-2021.csv.gz] [--extra /path/hand-coded-1k.csv] [--lang pl|auto]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import sys
import time
from collections import Counter
from pathlib import Path

csv.field_size_limit(2**31 - 1)
REPO = Path(__file__).resolve().parents[1]


def load_ads(path: Path, limit: int | None):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as fh:
        for n, row in enumerate(csv.DictReader(fh)):
            if limit and n >= limit:
                return
            code = (row.get("kod zawodu") or row.get("class") or "").replace(".0", "").strip()
            if not code.isdigit():
                continue
            code = code.zfill(6)
            if "desc" in row:  # hand-coded-1k: title and text already concatenated
                text = row["desc"]
            else:
                text = f"{row['job.title']}\n{row.get('job.description') or ''}"
            yield {"id": row.get("url") or str(n), "text": text}, code


def evaluate(ranker, ads, lang):
    from emclm.labour.coding import rank_lines

    c: Counter = Counter()
    gold = {}
    lines = []
    for ad, code in ads:
        gold[ad["id"]] = code
        lines.append(json.dumps(ad, ensure_ascii=False))
    t0 = time.perf_counter()
    for out in rank_lines(ranker, lines, k=5, lang=None if lang == "auto" else lang):
        g = gold[out["id"]]
        iscos = [o["isco"] or "" for o in out["occupations"]]
        c["n"] += 1
        c["top1_isco4"] += bool(iscos) and iscos[0] == g[:4]
        c["top5_isco4"] += g[:4] in iscos
        c["top1_isco2"] += bool(iscos) and iscos[0][:2] == g[:2]
        c["top5_isco2"] += any(i[:2] == g[:2] for i in iscos)
        c["top1_isco1"] += bool(iscos) and iscos[0][:1] == g[:1]
    dt = time.perf_counter() - t0
    n = c["n"] or 1
    res = {k: round(v / n, 3) for k, v in c.items() if k != "n"}
    res["n"] = c["n"]
    res["ms_per_ad"] = round(dt / n * 1000, 1)
    # reference: always answering the most frequent unit group
    freq = Counter(code[:4] for code in gold.values()).most_common(1)[0]
    res["majority_baseline_top1_isco4"] = round(freq[1] / n, 3)
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default=f"sqlite:///{REPO / 'var' / 'emclm.sqlite3'}")
    ap.add_argument("--data", default=str(REPO / "data" / "labour" / "demo" / "pl-ojalab-2021.csv.gz"))
    ap.add_argument("--extra", default=None, help="OJALAB data/hand-coded-1k.csv (title+text in one field)")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--lang", default="pl", help="ad language given to the ranker, or 'auto' (lingua detection)")
    args = ap.parse_args()
    sys.path.insert(0, str(REPO / "src"))
    from emclm.db.session import session_scope
    from emclm.labour.coding import OccupationRanker

    t0 = time.perf_counter()
    with session_scope(args.db) as s:
        ranker = OccupationRanker.from_session(s)
    load_s = time.perf_counter() - t0
    results = {"ranker_load_s": round(load_s, 1), "lang": args.lang}
    results["ojalab_2021_kom1_kom2"] = evaluate(ranker, list(load_ads(Path(args.data), args.limit)), args.lang)
    if args.extra:
        results["ojalab_hand_coded_1k"] = evaluate(ranker, list(load_ads(Path(args.extra), args.limit)), args.lang)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
