"""Vacancy ingest + tag throughput, and memory over a long synthetic stream.

Two measurements:

1. ``real``: the shipped Polish demo ads (OJALAB 2021, 6,568 ads) imported end to end into a
   fresh copy of the ESCO database: parse, normalise (NUTS, ISCO/ESCO occupation), tag skills,
   store. Reports ads/s (wall and CPU) — the target is ≥ 50 ads/s on 2 cores.
2. ``synthetic``: a generated stream of N schema.org JobPosting JSON lines (gzipped, streamed
   from disk) through the same pipeline; RSS is sampled after every batch, so a flat line means
   memory does not grow with the number of ads. ``--parse-only`` streams N ads through the
   source and the place normaliser (NUTS) without occupation coding and the database, fast enough
   for N = 1,000,000 (occupation coding costs ~5–15 ms/ad of CPU and holds no per-ad state).

    PYTHONPATH=src python benchmarks/labour_ingest.py --db-copy-of var/emclm.sqlite3 real
    PYTHONPATH=src python benchmarks/labour_ingest.py --db-copy-of var/emclm.sqlite3 synthetic --ads 50000
    PYTHONPATH=src python benchmarks/labour_ingest.py --db-copy-of var/emclm.sqlite3 synthetic --ads 1000000 --parse-only
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

TITLES = [
    "Magazynier",
    "Kierowca kat. C+E",
    "Sprzedawca",
    "Programista Java",
    "Księgowa",
    "Pomoc kuchenna",
    "Sjuksköterska",
    "Lagerarbetare",
    "Barnskötare",
    "Elektryk",
    "Spawacz MIG/MAG",
    "Data analyst",
    "Przedstawiciel handlowy",
    "Specjalista ds. rekrutacji",
    "Mechanik samochodowy",
    "Kucharz",
]
REGIONS = [
    ("PL", "Kraków, małopolskie"),
    ("PL", "Lublin, lubelskie"),
    ("PL", "Piaseczno, piaseczyński, mazowieckie"),
    ("PL", "Gdańsk (Pomorskie)"),
    ("SE", "Stockholms län"),
    ("SE", "Uppsala län"),
    ("PL", "Atlantyda"),
]
WORDS = (
    "praca zespół doświadczenie obsługa klienta magazyn dokumentacja umowa o pracę wynagrodzenie "
    "komunikacja planowanie jakość bezpieczeństwo język angielski prawo jazdy excel"
).split()


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20  # MiB


def write_synthetic(path: Path, n: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as fh:
        for i in range(n):
            country, region = rnd.choice(REGIONS)
            ad = {
                "@type": "JobPosting",
                "identifier": f"syn-{i}",
                "title": rnd.choice(TITLES),
                "description": " ".join(rnd.choice(WORDS) for _ in range(120)),
                "datePosted": f"2021-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
                "inLanguage": "sv" if country == "SE" else "pl",
                "jobLocation": {"address": {"addressCountry": country, "addressRegion": region}},
            }
            if i % 997 == 0:
                ad["title"] = ""  # a bad row now and then
            fh.write(json.dumps(ad, ensure_ascii=False) + "\n")


def fresh_db(src: Path, tmp: Path) -> str:
    target = tmp / "bench.sqlite3"
    shutil.copyfile(src, target)
    url = f"sqlite:///{target}"
    from emclm.db.migrate import upgrade

    upgrade(url)
    return url


def run_import(url: str, source, batch_size: int) -> dict:
    from emclm.db.session import session_scope
    from emclm.labour.importer import import_vacancies
    from emclm.labour.normalise import Normaliser
    from emclm.labour.tagging import VacancySkillTagger

    t0 = time.perf_counter()
    with session_scope(url) as s:
        normaliser = Normaliser.from_session(s)
        tagger = VacancySkillTagger.from_session(s, url)
    setup_s = time.perf_counter() - t0
    samples: list[tuple[int, float]] = []
    c0, w0 = time.process_time(), time.perf_counter()
    report = import_vacancies(
        url,
        source,
        batch_size=batch_size,
        normaliser=normaliser,
        tagger=tagger,
        progress=lambda r: samples.append((r.seen, round(rss_mb(), 1))),
    )
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    return {
        "ads": report.seen,
        "stored": report.created + report.updated + report.unchanged,
        "bad_rows": report.errors,
        "setup_s": round(setup_s, 1),
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "ads_per_s_wall": round(report.seen / wall, 1),
        "ads_per_s_cpu": round(report.seen / cpu, 1),
        "skill_tagger": report.skill_tagger,
        "rss_mb_first_batch": samples[0][1] if samples else None,
        "rss_mb_last_batch": samples[-1][1] if samples else None,
        "rss_mb_samples": samples[:: max(1, len(samples) // 10)],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db-copy-of", default=str(REPO / "var" / "emclm.sqlite3"), help="built ESCO database to copy")
    ap.add_argument("--batch-size", type=int, default=500)
    sub = ap.add_subparsers(dest="mode", required=True)
    sub.add_parser("real")
    syn = sub.add_parser("synthetic")
    syn.add_argument("--ads", type=int, default=50_000)
    syn.add_argument("--parse-only", action="store_true")
    args = ap.parse_args()

    from emclm.ingest import SourceConfig
    from emclm.labour.sources import make_source

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if args.mode == "real":
            url = fresh_db(Path(args.db_copy_of), tmp)
            src = make_source(
                SourceConfig(
                    name="pl-ojalab-2021",
                    kind="tabular",
                    path=str(REPO / "data/labour/demo/pl-ojalab-2021.csv.gz"),
                    options={"preset": "ojalab"},
                )
            )
            out = {"mode": "real", **run_import(url, src, args.batch_size)}
        else:
            path = tmp / "synthetic.jsonl.gz"
            t0 = time.perf_counter()
            write_synthetic(path, args.ads)
            gen_s = round(time.perf_counter() - t0, 1)
            src = make_source(SourceConfig(name="synthetic", kind="jobposting", path=str(path)))
            if args.parse_only:
                from emclm.db.session import session_scope
                from emclm.ingest import RecordError
                from emclm.labour.normalise import Normaliser

                with session_scope(f"sqlite:///{args.db_copy_of}") as s:
                    norm = Normaliser.from_session(s)
                samples, n, bad = [], 0, 0
                c0, w0 = time.process_time(), time.perf_counter()
                for item in src.items():
                    n += 1
                    if item.error:
                        bad += 1
                    else:
                        try:
                            norm.place("synthetic", item.record)
                        except RecordError:
                            bad += 1
                    if n % max(1, args.ads // 20) == 0:
                        samples.append((n, round(rss_mb(), 1)))
                wall, cpu = time.perf_counter() - w0, time.process_time() - c0
                out = {
                    "mode": "synthetic-parse+place",
                    "ads": n,
                    "bad_rows": bad,
                    "generate_s": gen_s,
                    "wall_s": round(wall, 1),
                    "ads_per_s_wall": round(n / wall, 1),
                    "ads_per_s_cpu": round(n / cpu, 1),
                    "rss_mb_samples": samples,
                }
            else:
                url = fresh_db(Path(args.db_copy_of), tmp)
                out = {"mode": "synthetic", "generate_s": gen_s, **run_import(url, src, args.batch_size)}
        out["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
