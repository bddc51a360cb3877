"""Dump (ids, total, facets) of ~300 varied searches on one database, or compare with an earlier dump.

    PYTHONPATH=src python benchmarks/search_results_dump.py --database-url sqlite:///var/emclm.sqlite3 \
        --out var/search-dump-before.json
    PYTHONPATH=src python benchmarks/search_results_dump.py --database-url sqlite:///var/emclm.sqlite3 \
        --compare var/search-dump-before.json

Used to prove that a refactoring of ``emclm.search`` changes no result: the queries are the judged
ones (benchmarks/search_judgements.jsonl) plus fixed extra queries in several languages, each run
on pages 1 and 2, with and without filters, under every sort, with and without embeddings; every
query runs twice (cold caches, then warm), and both answers must be identical. ``today`` is fixed.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from emclm.db.session import session_scope
from emclm.search import Filters, SearchRequest, search

JUDGEMENTS = Path(__file__).resolve().parent / "search_judgements.jsonl"
TODAY = date(2026, 12, 1)
EXTRA = [
    "logistics",
    "logistiek planner",
    "data science",
    "Projektmanagement",
    "gestion de projet",
    "gestión de proyectos",
    "programmazione",
    "https://data.europa.eu/esco/occupation/258e46f9-0075-4a2e-adae-1ff0477e0f30",
    "pyhton",
    "machine lerning",
    "",
    "the of and",
    "marketing digitale",
    "Datenanalyse mit Python",
    "comptabilité",
    "web development",
    "nursing",
    "biologie",
    "economics",
    "artificial intelligence",
]
FILTERS = [
    Filters(),
    Filters(language=["en"]),
    Filters(price="free"),
    Filters(language=["es", "fr"], certificate_type=["paid"]),
    Filters(workload=["10-30"]),
]


def requests() -> list[tuple[str, SearchRequest]]:
    queries = [json.loads(line)["query"] for line in JUDGEMENTS.read_text().splitlines() if line.strip()]
    queries += EXTRA
    out = []
    for i, q in enumerate(queries):
        f = FILTERS[i % len(FILTERS)]
        out.append((f"{i}:p1", SearchRequest(q=q, lang="en", per_page=10, today=TODAY)))
        out.append((f"{i}:p2f", SearchRequest(q=q, lang="fr", filters=f, page=2, per_page=10, today=TODAY)))
        out.append(
            (
                f"{i}:sort",
                SearchRequest(q=q, sort=("start_date", "workload")[i % 2], filters=f, per_page=20, today=TODAY),
            )
        )
        out.append((f"{i}:noemb", SearchRequest(q=q, embeddings=False, per_page=20, today=TODAY)))
        out.append((f"{i}:notypo", SearchRequest(q=q, typo=False, facets=False, per_page=30, today=TODAY)))
    return out


def dump(url: str) -> dict:
    out = {}
    with session_scope(url) as session:
        for rnd in (0, 1):
            for name, req in requests():
                res = search(session, req)
                got = {"ids": [h.id for h in res.results], "total": res.total, "facets": res.facets}
                if rnd == 0:
                    out[name] = got
                elif out[name] != got:
                    raise SystemExit(f"{name}: the warm answer differs from the cold one")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--compare", type=Path)
    a = ap.parse_args()
    got = dump(a.database_url)
    text = json.dumps(got, sort_keys=True, ensure_ascii=False)
    if a.out:
        a.out.write_text(text)
        print(f"{len(got)} searches written to {a.out}")
    if a.compare:
        before = json.loads(a.compare.read_text())
        diff = [k for k in before if before[k] != got.get(k)]
        same = json.dumps(before, sort_keys=True, ensure_ascii=False) == text
        print(f"{len(got)} searches; {len(diff)} differ; byte-identical: {same}")
        for k in diff[:20]:
            print(" ", k, before[k]["ids"][:10], "→", got[k]["ids"][:10])
        sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
