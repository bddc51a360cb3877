"""Course vectors for latency runs with embeddings on, without embedding every course (≈ 0.1-0.3 s a
course): embeds the first ``--sample`` indexed courses with the real model, then gives every other
indexed course without a vector a copy of one of them (cyclically). The latency of the embedding
path (query encoding, the product with the whole matrix, the extra candidates) is then that of a
fully embedded catalogue; the similarities are not meaningful for quality, so never evaluate
nDCG on such a database.

    PYTHONPATH=src python benchmarks/search_vectors_sample.py --database-url sqlite:///var/big.sqlite3 \\
        [--sample 200] [--copy-to postgresql://postgres@127.0.0.1:5432/emclm_search_big]

``--copy-to`` replaces the vectors of a database with the same courses (``search_pg_setup.py``'s copy,
expanded by ``search_latency.py --expand-to``) with these.
"""

from __future__ import annotations

import argparse

from sqlalchemy import delete, insert, select

from emclm.db.session import session_scope
from emclm.search.embeddings import MODEL, build_embeddings
from emclm.search.schema import search_document, search_embedding


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--sample", type=int, default=200)
    ap.add_argument("--copy-to")
    args = ap.parse_args()
    with session_scope(args.database_url) as session:
        made = build_embeddings(session, limit=args.sample)
    with session_scope(args.database_url) as session:
        vectors = list(
            session.execute(select(search_embedding.c.vector).order_by(search_embedding.c.course_id)).scalars()
        )
        have = select(search_embedding.c.course_id)
        missing = list(
            session.execute(
                select(search_document.c.course_id)
                .where(search_document.c.course_id.not_in(have))
                .order_by(search_document.c.course_id)
            ).scalars()
        )
        rows = [
            {"course_id": cid, "model": MODEL, "text_hash": "copied", "vector": vectors[i % len(vectors)]}
            for i, cid in enumerate(missing)
        ]
        for start in range(0, len(rows), 10_000):
            session.execute(insert(search_embedding), rows[start : start + 10_000])
        all_rows = [dict(r._mapping) for r in session.execute(select(search_embedding))]
    print(f"embedded {made}, copied to {len(rows)}, vectors {len(all_rows)}")
    if args.copy_to:
        with session_scope(args.copy_to) as session:
            session.execute(delete(search_embedding))
            for start in range(0, len(all_rows), 10_000):
                session.execute(insert(search_embedding), all_rows[start : start + 10_000])
        print(f"copied {len(all_rows)} vectors to {args.copy_to}")


if __name__ == "__main__":
    main()
