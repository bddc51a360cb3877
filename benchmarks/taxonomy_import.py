"""Full ESCO import (English v1.1.1 + the shipped extra languages) into a fresh database.

    .venv/bin/python benchmarks/taxonomy_import.py                 # SQLite in a temp folder
    .venv/bin/python benchmarks/taxonomy_import.py --postgres postgresql://postgres@127.0.0.1:5432/test

Prints wall time of the first import, of an unchanged re-import, and the peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from emclm.config import get_settings
from emclm.db.migrate import upgrade
from emclm.db.session import session_scope
from emclm.taxonomy.importer import default_paths, import_esco
from emclm.taxonomy.queries import stats


def run(url: str) -> dict:
    upgrade(url)
    paths = default_paths(get_settings().esco_dir)
    t0 = time.perf_counter()
    with session_scope(url) as s:
        import_esco(s, paths, version="1.1.1")
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    with session_scope(url) as s:
        import_esco(s, paths, version="1.1.1")
    second = time.perf_counter() - t0
    with session_scope(url) as s:
        counts = stats(s)
    return {
        "first_import_s": round(first, 2),
        "unchanged_reimport_s": round(second, 2),
        "skills": counts["skills"],
        "occupations": counts["occupations"],
        "relations": counts["relations"],
        "languages": counts["languages"],
        "labels": sum(counts["labels_by_language"].values()),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--postgres", help="admin URL of a PostgreSQL server; a scratch database is created and dropped"
    )
    args = parser.parse_args()
    if args.postgres:
        name = f"emclm_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(
            args.postgres.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            result = run(args.postgres.rsplit("/", 1)[0] + "/" + name)
        finally:
            from emclm.db.session import _engines

            for eng in _engines.values():
                eng.dispose()
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        result["engine"] = "postgresql"
    else:
        with tempfile.TemporaryDirectory() as tmp:
            result = run(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        result["engine"] = "sqlite"
    print(json.dumps(result))


if __name__ == "__main__":
    main()
