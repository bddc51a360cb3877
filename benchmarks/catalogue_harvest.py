"""Catalogue harvest: normalise rate, store rate, unchanged-rerun speed-up, on SQLite and PostgreSQL.

    PYTHONPATH=src .venv/bin/python benchmarks/catalogue_harvest.py                     # configured demo sources
    PYTHONPATH=src .venv/bin/python benchmarks/catalogue_harvest.py --expand 100000     # + 100k synthetic expansion
    PYTHONPATH=src .venv/bin/python benchmarks/catalogue_harvest.py --postgres postgresql://postgres@127.0.0.1:5432/test
    PYTHONPATH=src .venv/bin/python benchmarks/catalogue_harvest.py --source edx-2021 --source classcentral-2019
    PYTHONPATH=src .venv/bin/python benchmarks/catalogue_harvest.py --synthetic 3000    # no demo data needed

1. **normalise**: run the configured demo sources (``data/sources.toml``, enabled file sources, or
   ``--source``) and keep their items in memory: records/s of parsing + normalisation.
   ``--synthetic N`` instead generates N records in the ``CourseRecord`` shape.
2. **store**: harvest those items into a fresh database (first run: everything created), then again
   (unchanged run: everything unchanged). Records/s of each and the speed-up.
3. ``--expand N``: the same store runs over N records cloned from the demo items (ids, URLs and
   titles made unique; text and runs kept), the catalogue size a multi-platform portal reaches.

Prints one JSON line per measurement and a Markdown table for docs/benchmarks/catalogue.md.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import resource
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, text

from emclm.catalogue.harvest import harvest
from emclm.catalogue.records import CourseRecord, CourseRunRecord
from emclm.catalogue.registry import build_source, find_sources, load_sources
from emclm.db.migrate import upgrade
from emclm.db.session import _engines, normalise_url
from emclm.ingest import Source, SourceConfig, SourceItem


class MemorySource(Source):
    """Replays items already normalised, so the store is measured alone."""

    kind = "memory"

    def __init__(self, name: str, items: list[SourceItem]):
        super().__init__(SourceConfig(name=name, kind=self.kind))
        self._items = items

    def items(self, checkpoint=None):
        start = int(checkpoint or 0)
        for i in range(start, len(self._items)):
            item = self._items[i]
            yield SourceItem(record=item.record, error=item.error, checkpoint=i + 1)


def synthetic_records(n: int, seed: int = 7) -> list[SourceItem]:
    rnd = random.Random(seed)
    words = (
        "data",
        "learning",
        "design",
        "education",
        "mathematics",
        "history",
        "health",
        "climate",
        "art",
        "management",
        "teaching",
        "statistics",
        "programming",
        "ethics",
        "europe",
        "language",
    )
    providers = [
        ("futurelearn", "FutureLearn"),
        ("fun-mooc", "FUN MOOC"),
        ("openhpi", "openHPI"),
        ("miriadax", "Miríadax"),
        ("eduopen", "EduOpen"),
        ("iversity", "iversity"),
    ]
    items = []
    for i in range(n):
        code, pname = providers[i % len(providers)]
        title = " ".join(rnd.choice(words) for _ in range(4)).capitalize()
        desc = " ".join(rnd.choice(words) for _ in range(160))
        runs = [
            CourseRunRecord(
                run_key=f"{i}-{j}",
                start_date=date(2026, 1, 1) + timedelta(days=60 * j),
                end_date=date(2026, 3, 1) + timedelta(days=60 * j),
                pace="scheduled",
                language="en",
            )
            for j in range(rnd.randint(1, 4))
        ]
        rec = CourseRecord(
            source_record_id=f"syn-{i}",
            provider_code=code,
            provider_name=pname,
            platform_course_id=f"c{i}",
            title=title,
            description=desc,
            organisation_name=f"University {i % 400}",
            language=rnd.choice("en fr es de it".split()),
            keywords=[rnd.choice(words) for _ in range(5)],
            workload_hours=float(rnd.randint(4, 80)),
            pace="scheduled",
            price=Decimal("0"),
            certificate_type="paid",
            certificate_price=Decimal("49"),
            url=f"https://{code}.example/courses/{i}",
            runs=runs,
        )
        items.append(SourceItem(record=rec))
    return items


def expand(items: list[SourceItem], n: int) -> list[SourceItem]:
    """``n`` records cloned from ``items``: unique ids, platform ids, URLs and titles."""
    records = [it.record for it in items if it.record is not None]
    out = []
    for i in range(n):
        base = records[i % len(records)]
        copy_no = i // len(records)
        if copy_no == 0:
            out.append(SourceItem(record=base))
            continue
        rec = replace(
            base,
            source_record_id=f"{base.source_record_id}~{copy_no}",
            platform_course_id=f"{base.platform_course_id}~{copy_no}" if base.platform_course_id else None,
            url=f"{base.url.rstrip('/')}-{copy_no}" if base.url else None,
            title=f"{base.title} ({copy_no})",
            runs=[copy.copy(r) for r in base.runs],
        )
        out.append(SourceItem(record=rec))
    return out


def normalise(source_names: list[str] | None) -> tuple[list[SourceItem], dict]:
    configs = load_sources()
    chosen = find_sources(source_names, configs) if source_names else [c for c in configs if c.enabled and c.path]
    items: list[SourceItem] = []
    t0, c0 = time.perf_counter(), time.process_time()
    per_source = {}
    for config in chosen:
        s0 = time.perf_counter()
        got = list(build_source(config).items())
        per_source[config.name] = {"items": len(got), "s": round(time.perf_counter() - s0, 2)}
        for it in got:
            if it.record is not None:  # one source name for the replay: prefix ids to keep them distinct
                it.record = replace(it.record, source_record_id=f"{config.name}/{it.record.source_record_id}")
        items.extend(got)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    n = sum(1 for it in items if it.record is not None)
    return items, {
        "phase": "normalise",
        "sources": per_source,
        "records": n,
        "errors": len(items) - n,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "records_per_s": round(n / wall) if wall else None,
    }


def store_runs(items: list[SourceItem], url: str, engine_name: str, label: str, batch_size: int) -> dict:
    upgrade(url)
    results = {"phase": "store", "engine": engine_name, "data": label, "records": len(items)}
    for run in ("first", "unchanged"):
        t0, c0 = time.perf_counter(), time.process_time()
        report = harvest(MemorySource("bench", items), url, batch_size=batch_size)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        results[run] = {
            "wall_s": round(wall, 2),
            "cpu_s": round(cpu, 2),
            "records_per_s": round(len(items) / wall),
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "failed": report.failed,
        }
    results["speedup"] = round(results["first"]["wall_s"] / max(results["unchanged"]["wall_s"], 1e-9), 1)
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return results


class Postgres:
    def __init__(self, admin_url: str):
        self.admin = create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT")
        self.base = normalise_url(admin_url).rsplit("/", 1)[0]

    def __enter__(self):
        self.name = f"emclm_bench_catalogue_{uuid.uuid4().hex[:8]}"
        with self.admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = f"{self.base}/{self.name}"
        return self.url

    def __exit__(self, *exc):
        eng = _engines.pop(self.url, None)
        if eng is not None:
            eng.dispose()
        with self.admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--source", action="append", help="configured source name (repeatable); default: enabled file sources"
    )
    parser.add_argument("--synthetic", type=int, help="generate this many records instead of reading sources")
    parser.add_argument("--expand", type=int, default=0, help="also run the store over this many cloned records")
    parser.add_argument(
        "--postgres", help="admin URL of a PostgreSQL server (scratch databases are created and dropped)"
    )
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--batch-size", type=int, default=200)
    args = parser.parse_args()

    if args.synthetic:
        t0 = time.perf_counter()
        items = synthetic_records(args.synthetic)
        base_label = f"synthetic {args.synthetic}"
        print(json.dumps({"phase": "generate", "records": len(items), "wall_s": round(time.perf_counter() - t0, 2)}))
    else:
        items, info = normalise(args.source)
        base_label = "demo (" + ", ".join(info["sources"]) + ")"
        print(json.dumps(info), flush=True)
        if not items:
            sys.exit("no records: configure file sources in data/sources.toml or pass --synthetic N")

    datasets = [(base_label, items)]
    if args.expand:
        datasets.append((f"expansion {args.expand}", expand(items, args.expand)))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, data in datasets:
            engines = []
            if not args.no_sqlite:
                engines.append(("SQLite", None))
            if args.postgres:
                engines.append(("PostgreSQL", args.postgres))
            for engine_name, admin in engines:
                if admin is None:
                    url = f"sqlite:///{Path(tmp) / f'bench-{uuid.uuid4().hex[:6]}.sqlite3'}"
                    result = store_runs(data, url, engine_name, label, args.batch_size)
                else:
                    with Postgres(admin) as url:
                        result = store_runs(data, url, engine_name, label, args.batch_size)
                print(json.dumps(result), flush=True)
                rows.append(result)
    print()
    print("| data | engine | records | first run | unchanged run | speed-up |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        f, u = r["first"], r["unchanged"]
        print(
            f"| {r['data']} | {r['engine']} | {r['records']:,} | {f['wall_s']} s ({f['records_per_s']:,}/s) "
            f"| {u['wall_s']} s ({u['records_per_s']:,}/s) | {r['speedup']}× |"
        )


if __name__ == "__main__":
    main()
