"""Where a search's time goes: runs the latency benchmark's query mix and splits each search into
query parsing (ESCO concepts, typo check), the full-text match of the user's words (engine
statements, including first posting look-ups), the concept phrase expansions, the tag / occupation look-ups, facet counts and the rest; prints the share of
each phase over all queries and over the slowest 5 %, and the slowest queries one by one.

    PYTHONPATH=src python benchmarks/search_profile.py --database-url URL [--n 1000] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from emclm.db.session import session_scope  # noqa: E402
from emclm.search import (  # noqa: E402
    backends,
    postings,
    service,  # noqa: E402
)
from emclm.search.backends import backend_for  # noqa: E402
from search_latency import pct, query_mix  # noqa: E402

_phase: dict[str, float] = defaultdict(float)
_info: dict = {}


def _timed(name, fn):
    def wrapper(*a, **kw):
        t = time.perf_counter()
        try:
            return fn(*a, **kw)
        finally:
            _phase[name] += (time.perf_counter() - t) * 1000

    return wrapper


def _raw_rows_wrapper(fn):
    def wrapper(session, sql, params):
        if threading.current_thread() is not threading.main_thread():  # the postings warm-up's own fetches
            return fn(session, sql, params)
        f, name = sys._getframe(1), "text"
        while f is not None:  # called on behalf of a concept expansion?
            if f.f_code.co_name == "ids_only":
                name = "expansions"
                break
            f = f.f_back
        t = time.perf_counter()
        rows = fn(session, sql, params)
        _phase[name] += (time.perf_counter() - t) * 1000
        _info[name + "_rows"] = _info.get(name + "_rows", 0) + len(rows)
        return rows

    return wrapper


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--slowest", type=int, default=15)
    ap.add_argument("--json", type=Path)
    ap.add_argument(
        "--with-bare",
        action="store_true",
        help="run the bare engine query after each search, as search_latency.py does",
    )
    args = ap.parse_args()
    service.parse = _timed("parse", service.parse)
    service.cached_concept_ranking = _timed("tags", service.cached_concept_ranking)
    service.merge_facets = _timed("facets", service.merge_facets)
    # service, the backends (postings, checks) and postings each hold a reference to the one helper
    service._raw_rows = backends._raw_rows = postings._raw_rows = _raw_rows_wrapper(backends._raw_rows)
    reqs = query_mix(args.database_url, args.n)
    rows = []
    with session_scope(args.database_url) as session:
        backend = backend_for(session)
        for req in reqs[:20]:
            req.embeddings = False
            service.search(session, req)
        for req in reqs:
            req.embeddings = False
            _phase.clear()
            _info.clear()
            t = time.perf_counter()
            res = service.search(session, req)
            total = (time.perf_counter() - t) * 1000
            if args.with_bare:
                backend.bare_match(session, req.q, req.lang)
            ph = dict(_phase)
            ph["other"] = total - sum(ph.values())
            rows.append(
                {
                    "q": req.q,
                    "lang": req.lang,
                    "filters": {k: v for k, v in vars(req.filters).items() if v},
                    "sort": req.sort,
                    "page": req.page,
                    "ms": round(total, 1),
                    "total": res.total,
                    "phases": {k: round(v, 1) for k, v in ph.items()},
                    **_info,
                }
            )
    times = [r["ms"] for r in rows]
    p95 = pct(times, 95)
    slow = [r for r in rows if r["ms"] >= p95]
    names = ["parse", "text", "expansions", "tags", "facets", "other"]

    def share(rs):
        tot = sum(r["ms"] for r in rs)
        return {n: round(100 * sum(r["phases"].get(n, 0) for r in rs) / tot, 1) for n in names}

    summary = {
        "queries": len(rows),
        "p50_ms": round(pct(times, 50), 1),
        "p95_ms": round(p95, 1),
        "share_all_pct": share(rows),
        "share_slowest5_pct": share(slow),
        "slowest5_n": len(slow),
    }
    print(json.dumps(summary, indent=1))
    for r in sorted(rows, key=lambda r: -r["ms"])[: args.slowest]:
        print(
            f"{r['ms']:8.1f} ms  total={r['total']:6d}  {r['q']!r} lang={r['lang']} {r['filters'] or ''} "
            f"{r['sort']} p{r['page']}  "
            + " ".join(f"{k}={v}" for k, v in r["phases"].items())
            + f"  rows: text={r.get('text_rows', 0)} exp={r.get('expansions_rows', 0)}"
        )
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "queries": rows}, indent=1))


if __name__ == "__main__":
    main()
