"""Labour-market page and APIs: response time in a fresh process against the built demo database.

Each run starts a new Python process (nothing cached in memory), builds the app on the database and
requests, in order: the web page ``/labour`` (first request of the process: "cold"), the page again
("warm"), ``/labour?region=PL9`` (another filter), ``/api/labour/gaps``, ``/api/labour/demand`` (by skill)
and ``/api/labour/demand?by=occupation``, each once more warm. Reported per request: p50 and max over
the runs, in milliseconds, and the status code (every request must answer 200).

    PYTHONPATH=src python benchmarks/labour_page.py [--db sqlite:///var/emclm.sqlite3] [--runs 5] [--json out.json]
        [--src other/src]   # time another checkout's code (e.g. the code before a change) on the same database

Wall times on a shared machine move with its load; the CPU time of the process during each request
(``cpu``: all its threads, one request at a time) is the steadier figure and is reported beside them.

The database is only read: run it on the built demo database (``emclm db build``) or a copy of it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

REQUESTS = [
    ("page /labour (cold)", "/labour"),
    ("page /labour (warm)", "/labour"),
    ("page /labour?region=PL9", "/labour?region=PL9"),
    ("api gaps (first)", "/api/labour/gaps"),
    ("api gaps (warm)", "/api/labour/gaps"),
    ("api demand by skill (first)", "/api/labour/demand"),
    ("api demand by skill (warm)", "/api/labour/demand"),
    ("api demand by occupation", "/api/labour/demand?by=occupation"),
]

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from fastapi.testclient import TestClient
from emclm.api.app import create_app
client = TestClient(create_app(sys.argv[1]))
startup = time.perf_counter() - t0
out = {"startup_ms": startup * 1000, "requests": []}
for name, path in json.loads(sys.argv[2]):
    t, c = time.perf_counter(), time.process_time()
    r = client.get(path)
    out["requests"].append({"name": name, "ms": (time.perf_counter() - t) * 1000, "status": r.status_code,
                            "cpu_ms": (time.process_time() - c) * 1000, "bytes": len(r.content)})
print(json.dumps(out))
"""


def one_run(db: str, src: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, db, json.dumps(REQUESTS)],
        capture_output=True,
        text=True,
        check=False,
        env={**__import__("os").environ, "PYTHONPATH": str(src)},
    )
    if proc.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=f"sqlite:///{REPO / 'var' / 'emclm.sqlite3'}")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", type=Path, help="write the raw runs here")
    ap.add_argument("--src", type=Path, default=REPO / "src", help="the emclm source tree to time")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    runs = [one_run(args.db, args.src.resolve()) for _ in range(args.runs)]
    by_name: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    statuses: dict[str, set[int]] = {}
    for run in runs:
        for req in run["requests"]:
            by_name.setdefault(req["name"], []).append(req["ms"])
            cpu.setdefault(req["name"], []).append(req.get("cpu_ms", float("nan")))
            statuses.setdefault(req["name"], set()).add(req["status"])
    print(f"{args.runs} fresh processes on {args.db}, code {args.src} ({time.perf_counter() - t0:.0f} s in all)")
    startups = [r["startup_ms"] for r in runs]
    print(f"{'app start-up':32} p50 {statistics.median(startups):8.0f} ms   max {max(startups):8.0f} ms")
    for name, _ in REQUESTS:
        ms = by_name[name]
        st = ",".join(str(s) for s in sorted(statuses[name]))
        c = cpu[name]
        print(
            f"{name:32} p50 {statistics.median(ms):8.0f} ms   max {max(ms):8.0f} ms   "
            f"cpu p50 {statistics.median(c):7.0f} ms   status {st}"
        )
    if args.json:
        args.json.write_text(json.dumps({"db": args.db, "runs": runs}, indent=1))
    bad = [n for n, s in statuses.items() if s != {200}]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
