"""Copy a demo SQLite database (ESCO + catalogue + course vectors) into a PostgreSQL database and
build the PostgreSQL search index there, timing the build.

    PYTHONPATH=src python benchmarks/search_pg_setup.py --from sqlite:///var/search-demo.sqlite3 \\
        --to postgresql://postgres@127.0.0.1:5432/emclm_search_demo
"""

from __future__ import annotations

import argparse
import time

from sqlalchemy import create_engine, func, insert, select, text

from emclm.db.migrate import upgrade
from emclm.db.session import get_engine, normalise_url, session_scope
from emclm.models import metadata
from emclm.search.schema import search_embedding

TABLES = [
    "catalogue_provider",
    "catalogue_organisation",
    "esco_concept",
    "esco_label",
    "esco_occupation_skill",
    "catalogue_course",
    "catalogue_course_run",
    "course_skill",
]


def copy_table(src, dst, table, chunk: int = 5000) -> int:
    n = 0
    with src.connect() as s, dst.begin() as d:
        result = s.execution_options(stream_results=True).execute(select(table))
        while True:
            rows = result.fetchmany(chunk)
            if not rows:
                break
            d.execute(insert(table), [dict(r._mapping) for r in rows])
            n += len(rows)
        if "id" in table.c:
            d.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"GREATEST((SELECT max(id) FROM {table.name}), 1))"
                )
            )
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--from", dest="src", required=True)
    ap.add_argument("--to", dest="dst", required=True)
    args = ap.parse_args()
    admin_url, dbname = normalise_url(args.dst).rsplit("/", 1)
    admin = create_engine(admin_url + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{dbname}"'))
    upgrade(args.dst)
    src, dst = get_engine(args.src), get_engine(args.dst)
    for name in TABLES:
        t = time.perf_counter()
        n = copy_table(src, dst, metadata.tables[name])
        print(f"copied {name}: {n} rows in {time.perf_counter() - t:.1f}s")
    n = copy_table(src, dst, search_embedding)
    print(f"copied search_embedding: {n}")
    from emclm.search import index_courses
    from emclm.search.concepts import build_label_keys

    t = time.perf_counter()
    with session_scope(args.dst) as session:
        k = index_courses(session, None)
    print(f"index build (PostgreSQL): {k} courses in {time.perf_counter() - t:.1f}s")
    t = time.perf_counter()
    with session_scope(args.dst) as session:
        k = build_label_keys(session)
    print(f"label keys (PostgreSQL): {k} in {time.perf_counter() - t:.1f}s")
    with session_scope(args.dst) as session:
        session.execute(text("ANALYZE"))
        print(
            "courses:",
            session.execute(select(func.count()).select_from(metadata.tables["catalogue_course"])).scalar_one(),
        )


if __name__ == "__main__":
    main()
