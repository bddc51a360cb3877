"""Every search figure in docs/benchmarks/search.md, in one run (about an hour on 2 cores).

    PYTHONPATH=src python benchmarks/search_bench_all.py --esco-db var/emclm.sqlite3 [--out docs/benchmarks/search-results.json]

Steps: copy the built ESCO database, load the demo listings (benchmarks/search_corpus.py), build
the index and label keys (timed), embed the courses (timed; skip with --no-embed), copy it all to
PostgreSQL, evaluate nDCG@10 on both, measure latency at the demo size on both, expand both to
100,000 courses (timed index build) and measure latency again.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PY = sys.executable


def run(*args: str) -> str:
    print("$", " ".join(args), flush=True)
    out = subprocess.run([PY, *args], check=True, capture_output=True, text=True)
    print(out.stdout[-3000:], flush=True)
    return out.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--esco-db", required=True, type=Path)
    ap.add_argument("--work", type=Path, default=Path("var/search-bench"))
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432")
    ap.add_argument("--embeddings-from", type=Path, help="a demo database that already has course vectors")
    ap.add_argument("--no-embed", action="store_true")
    ap.add_argument("--big", type=int, default=100_000)
    ap.add_argument("--out", type=Path, default=Path("docs/benchmarks/search-results.json"))
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    demo = args.work / "demo.sqlite3"
    for p in args.work.glob("*.sqlite3*"):
        p.unlink()
    shutil.copyfile(args.esco_db, demo)
    sqlite = f"sqlite:///{demo}"
    res: dict = {}
    t = time.perf_counter()
    run(str(HERE / "search_corpus.py"), "--database-url", sqlite)
    res["demo_load_and_index_s"] = round(time.perf_counter() - t, 1)
    out = run("-c", "from emclm.cli import app; app()", "search-index", "rebuild", "--database-url", sqlite)
    res["sqlite_rebuild"] = out.strip().splitlines()
    if args.embeddings_from:
        import sqlite3

        con = sqlite3.connect(demo)
        con.execute("ATTACH ? AS o", (str(args.embeddings_from),))
        con.execute(
            "INSERT INTO search_embedding SELECT e.* FROM o.search_embedding e JOIN o.catalogue_course oc"
            " ON oc.id = e.course_id JOIN catalogue_course c ON c.id = e.course_id AND c.url = oc.url"
        )
        con.commit()
        con.close()
    elif not args.no_embed:
        t = time.perf_counter()
        run(
            "-c",
            "from emclm.db.session import session_scope\nfrom emclm.search.embeddings import build_embeddings\n"
            f"with session_scope({sqlite!r}) as s: print(build_embeddings(s))",
        )
        res["embed_s"] = round(time.perf_counter() - t, 1)
    pg_demo = f"{args.pg}/emclm_search_demo"
    res["pg_setup"] = run(str(HERE / "search_pg_setup.py"), "--from", sqlite, "--to", pg_demo).strip().splitlines()
    for name, url in (("sqlite", sqlite), ("postgresql", pg_demo)):
        for emb in (False, True):
            f = args.work / f"eval-{name}-{'emb' if emb else 'noemb'}.json"
            run(
                str(HERE / "search_eval.py"),
                "--database-url",
                url,
                "--json",
                str(f),
                *([] if emb else ["--no-embeddings"]),
            )
            res[f"eval_{name}_{'emb' if emb else 'noemb'}"] = {
                k: v for k, v in json.loads(f.read_text()).items() if k != "per_query"
            }
            res.setdefault("per_query", {})[f"{name}_{'emb' if emb else 'noemb'}"] = json.loads(f.read_text())[
                "per_query"
            ]
        f = args.work / f"lat-{name}-demo.json"
        run(str(HERE / "search_latency.py"), "--database-url", url, "--json", str(f))
        res[f"latency_{name}_demo"] = json.loads(f.read_text())
    big = args.work / "big.sqlite3"
    shutil.copyfile(demo, big)
    pg_big = f"{args.pg}/emclm_search_big"
    run(str(HERE / "search_pg_setup.py"), "--from", f"sqlite:///{big}", "--to", pg_big)
    for name, url in (("sqlite", f"sqlite:///{big}"), ("postgresql", pg_big)):
        f = args.work / f"lat-{name}-big.json"
        run(str(HERE / "search_latency.py"), "--database-url", url, "--expand-to", str(args.big), "--json", str(f))
        res[f"latency_{name}_big"] = json.loads(f.read_text())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, ensure_ascii=False, indent=1))
    print("written", args.out)


if __name__ == "__main__":
    main()
