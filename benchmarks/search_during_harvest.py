"""Search latency while a harvest writes (issue #20 item 4): p50/p95/max of searches from N
concurrent client processes, first idle, then during a full re-harvest of the demo catalogue
(every provenance's content hash is cleared first, so every record is rewritten and re-indexed).

    PYTHONPATH=src python benchmarks/search_during_harvest.py --database-url sqlite:///var/bench.sqlite3 \
        [--clients 8] [--idle-seconds 20]

Run it on a copy of the built database (it rewrites the catalogue). "Before" = the same script
with PYTHONPATH pointing at main's src (the script uses only APIs main has).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import random
import statistics
import time

QUERIES = [
    "project management",
    "python",
    "gestion de projet",
    "datenanalyse",
    "marketing",
    "nursing",
    "machine learning",
    "comunicación",
    "sostenibilità",
    "logistics",
    "excel",
    "teoria dei grafi",
]


def client(url: str, stop, out, seed: int) -> None:
    from emclm.db.session import session_scope
    from emclm.search import SearchRequest, search

    rng = random.Random(seed)
    while not stop.is_set():
        q = rng.choice(QUERIES)
        started = time.perf_counter()
        try:
            with session_scope(url) as session:
                search(session, SearchRequest(q=q))
            out.put((time.time(), time.perf_counter() - started, None))
        except Exception as exc:  # noqa: BLE001 - a failed search is a result too
            out.put((time.time(), time.perf_counter() - started, f"{type(exc).__name__}: {exc}"[:200]))


def stats(samples: list[float]) -> dict:
    if not samples:
        return {"n": 0}
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "p50_s": round(statistics.median(ordered), 3),
        "p95_s": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 3),
        "max_s": round(ordered[-1], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--idle-seconds", type=float, default=20)
    args = parser.parse_args()
    url = args.database_url

    from emclm.db.migrate import upgrade
    from emclm.search import enable_auto_indexing

    upgrade(url)
    enable_auto_indexing()
    ctx = mp.get_context("spawn")
    stop, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=client, args=(url, stop, out, i)) for i in range(args.clients)]
    for p in procs:
        p.start()
    try:
        samples, idle_from, idle_to, harvest_from, harvest_to, reports = _measure(url, args, stop, out, procs)
    finally:
        stop.set()
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.terminate()
    _report(args, samples, idle_from, idle_to, harvest_from, harvest_to, reports)


def _measure(url, args, stop, out, procs):
    from sqlalchemy import update

    from emclm.catalogue.harvest import harvest
    from emclm.catalogue.models import CourseSource, HarvestState
    from emclm.catalogue.registry import build_source, load_sources
    from emclm.db.session import session_scope

    time.sleep(5)  # warm-up: each process loads its columns and postings
    idle_from = time.time()
    time.sleep(args.idle_seconds)
    idle_to = time.time()
    with session_scope(url) as session:
        session.execute(update(CourseSource).values(content_hash=""))
        session.execute(update(HarvestState).values(validators={}))
    harvest_from = time.time()
    reports = {}
    for config in load_sources():
        if config.enabled and config.path:
            r = harvest(build_source(config), url, priority=config.priority)
            reports[config.name] = {"updated": r.updated, "status": r.status, "seconds": round(r.duration_s, 1)}
    harvest_to = time.time()
    stop.set()
    samples = []
    deadline = time.time() + 60
    while any(p.is_alive() for p in procs) or not out.empty():
        try:
            samples.append(out.get(timeout=0.5))
        except Exception:  # noqa: BLE001 - queue.Empty
            if time.time() > deadline:
                break
    return samples, idle_from, idle_to, harvest_from, harvest_to, reports


def _report(args, samples, idle_from, idle_to, harvest_from, harvest_to, reports):
    idle = [d for t, d, e in samples if idle_from <= t <= idle_to and e is None]
    during = [d for t, d, e in samples if harvest_from <= t <= harvest_to and e is None]
    errors = sorted({e for t, _, e in samples if e and harvest_from <= t <= harvest_to})
    print(
        json.dumps(
            {
                "clients": args.clients,
                "idle": stats(idle),
                "during_harvest": stats(during),
                "harvest_seconds": round(harvest_to - harvest_from, 1),
                "harvest": reports,
                "search_errors_during_harvest": errors[:5],
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
