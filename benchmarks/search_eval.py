"""nDCG@10 of the judged queries (benchmarks/search_judgements.jsonl) on one database.

    PYTHONPATH=src python benchmarks/search_eval.py --database-url sqlite:///var/search-demo.sqlite3 [--no-embeddings]

Courses are matched to judgements by canonical URL (affiliate redirects unwrapped, scheme,
``www.`` and query dropped), so the same judgements score the catalogue's own demo import. Prints one line per query and the means per kind, and
with --json writes the figures to a file.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import defaultdict
from pathlib import Path

from emclm.db.session import session_scope
from emclm.search import SearchRequest, search

sys.path.insert(0, str(Path(__file__).resolve().parent))
from search_corpus import canonical_url  # noqa: E402

JUDGEMENTS = Path(__file__).resolve().parent / "search_judgements.jsonl"


def dcg(gains: list[int]) -> float:
    return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains))


def ndcg_at(ranked_urls: list[str], rel: dict[str, int], k: int = 10) -> float:
    ideal = dcg(sorted(rel.values(), reverse=True)[:k])
    return dcg([rel.get(u, 0) for u in ranked_urls[:k]]) / ideal if ideal else 0.0


def evaluate(url: str, embeddings: bool | None, k: int = 10) -> dict:
    rows = [json.loads(line) for line in JUDGEMENTS.read_text().splitlines() if line.strip()]
    out = []
    with session_scope(url) as session:
        backend = None
        for j in rows:
            t = time.perf_counter()
            res = search(
                session, SearchRequest(q=j["query"], lang=j["lang"], per_page=k, facets=False, embeddings=embeddings)
            )
            ms = (time.perf_counter() - t) * 1000
            backend = res.query["backend"]
            rel = {canonical_url(u): g for u, g in j["relevant"].items()}
            score = ndcg_at([canonical_url(h.url) for h in res.results], rel, k)
            out.append(
                {
                    "query": j["query"],
                    "lang": j["lang"],
                    "kind": j["kind"],
                    "ndcg": round(score, 4),
                    "total": res.total,
                    "ms": round(ms, 1),
                    "embeddings": res.query["embeddings"],
                }
            )
    by_kind = defaultdict(list)
    for r in out:
        by_kind[r["kind"]].append(r["ndcg"])
    return {
        "backend": backend,
        "embeddings": embeddings is not False and any(r["embeddings"] for r in out),
        "queries": len(out),
        "mean_ndcg10": round(sum(r["ndcg"] for r in out) / len(out), 4),
        "by_kind": {k2: round(sum(v) / len(v), 4) for k2, v in sorted(by_kind.items())},
        "per_query": out,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--no-embeddings", action="store_true")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    res = evaluate(args.database_url, False if args.no_embeddings else None)
    for r in res["per_query"]:
        print(
            f"{r['ndcg']:.3f}  {r['kind']:13} {r['lang'] or '-':3} {r['query'][:60]}  (total {r['total']}, {r['ms']:.0f} ms)"
        )
    print(
        f"backend={res['backend']} embeddings={res['embeddings']} mean nDCG@10={res['mean_ndcg10']} by kind={res['by_kind']}"
    )
    if args.json:
        args.json.write_text(json.dumps(res, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
