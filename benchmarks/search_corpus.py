"""A tiny loader of the shared demo course listings (Class Central 2019, edX 2021) for search
tests and benchmarks, used until the catalogue's own demo import is merged.

Each course is identified by its listing URL (``Course.url``); judged queries refer to URLs,
so they survive database rebuilds and the switch to the real catalogue import.

    PYTHONPATH=src python benchmarks/search_corpus.py --database-url sqlite:///var/search-demo.sqlite3
"""

from __future__ import annotations

import argparse
import csv
import json
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from emclm.catalogue.models import Course, CourseRun, Organisation, Provider
from emclm.taxonomy.text import fold

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "courses"
LANGS = {
    "english": "en",
    "spanish": "es",
    "español": "es",
    "french": "fr",
    "français": "fr",
    "italian": "it",
    "italiano": "it",
    "german": "de",
    "deutsch": "de",
    "portuguese": "pt",
    "português": "pt",
    "dutch": "nl",
    "russian": "ru",
    "chinese": "zh",
    "中文": "zh",
    "arabic": "ar",
    "thai": "th",
    "japanese": "ja",
    "turkish": "tr",
    "hindi": "hi",
    "czech": "cs",
    "swedish": "sv",
    "hebrew": "he",
    "polish": "pl",
}
_NUM = re.compile(r"(\d+(?:\.\d+)?)")


def _hours_per_week(effort: str | None) -> float | None:
    if not effort:
        return None
    nums = [float(x) for x in _NUM.findall(effort)]
    if not nums:
        return None
    hours = sum(nums[:2]) / len(nums[:2])
    return hours / 60 if "minute" in effort.lower() else hours


def _weeks(duration: str | None) -> float | None:
    if not duration:
        return None
    m = _NUM.search(duration)
    if not m:
        return None
    v = float(m.group(1))
    d = duration.lower()
    return v / 7 if "day" in d else (v * 4.3 if "month" in d else v)


def _cc_date(s: str) -> date | None:
    s = re.sub(r"(\d+)(st|nd|rd|th)", r"\1", s.strip())
    for fmt in ("%d %b, %Y", "%b %Y", "%d %B, %Y"):
        try:
            return datetime.strptime(s, fmt).date()
        except ValueError:
            continue
    return None


def _provider(session: Session, cache: dict, name: str) -> Provider:
    code = fold(name).replace(" ", "-") or "unknown"
    if code not in cache:
        p = session.execute(select(Provider).where(Provider.code == code)).scalar_one_or_none()
        if p is None:
            p = Provider(code=code, name=name)
            session.add(p)
        cache[code] = p
    return cache[code]


def _org(session: Session, cache: dict, name: str | None) -> Organisation | None:
    if not name:
        return None
    key = fold(name)[:255]
    if key not in cache:
        o = session.execute(select(Organisation).where(Organisation.key == key)).scalar_one_or_none()
        if o is None:
            o = Organisation(key=key, name=name)
            session.add(o)
        cache[key] = o
    return cache[key]


def iter_records():
    """Yield dicts: url, title, description, language, provider, organisation, subject, ... ."""
    for f in sorted((SHARED / "classcentral-2019").glob("*.json")):
        for cid, v in json.loads(f.read_text()).items():
            det = v.get("details") or {}
            cost = det.get("cost") or ""
            cert = det.get("certificate") or ""
            starts = [d for d in (_cc_date(s) for s in (det.get("start date") or []) if isinstance(s, str)) if d]
            hpw, weeks = _hours_per_week(det.get("effort")), _weeks(det.get("duration"))
            price = (
                Decimal(0)
                if cost.startswith("Free")
                else (Decimal(_NUM.search(cost).group(1)) if _NUM.search(cost) else None)
            )
            yield {
                "key": f"classcentral:{cid}",
                "url": v.get("link"),
                "title": v.get("name") or cid,
                "description": "\n".join(x for x in (v.get("overview"), v.get("syllabus")) if x),
                "language": LANGS.get((det.get("language") or "").lower()),
                "provider": v.get("provider") or det.get("provider") or "Independent",
                "organisation": v.get("school"),
                "subject": (v.get("categories") or [v.get("subject")])[0],
                "keywords": v.get("categories") or [],
                "pace": "self_paced" if det.get("session") == "Self Paced" else "scheduled",
                "price": price,
                "free_audit": cost.startswith("Free") or None,
                "certificate_type": None if not cert else ("paid" if ("$" in cert or "Paid" in cert) else "free"),
                "hours_per_week": hpw,
                "duration_weeks": weeks,
                "workload_hours": round(hpw * weeks, 1) if hpw and weeks else None,
                "starts": starts,
            }
    with open(SHARED / "edx-2021" / "edx_courses.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            hpw, weeks = _hours_per_week(row["course_effort"]), _weeks(row["course_length"])
            price_text = row["price"] or ""
            yield {
                "key": f"edx:{row['course_url']}",
                "url": row["course_url"],
                "title": row["title"],
                "description": "\n".join(
                    x for x in (row["summary"], row["course_description"], row["course_syllabus"]) if x
                ),
                "language": LANGS.get(row["language"].lower()),
                "provider": "edX",
                "organisation": row["institution"],
                "subject": row["subject"],
                "keywords": [row["subject"]] if row["subject"] else [],
                "pace": "self_paced" if row["course_type"].startswith("Self") else "scheduled",
                "price": Decimal(0) if price_text.upper().startswith("FREE") else None,
                "free_audit": price_text.upper().startswith("FREE") or None,
                "certificate_type": "verified" if "Verified" in price_text else None,
                "hours_per_week": hpw,
                "duration_weeks": weeks,
                "workload_hours": round(hpw * weeks, 1) if hpw and weeks else None,
                "starts": [],
            }


def load_demo(session: Session, limit: int | None = None, urls: set[str] | None = None) -> list[int]:
    """Insert the demo listings (deduplicated by URL); returns the new course ids."""
    providers: dict = {}
    orgs: dict = {}
    seen: set[str] = set(session.execute(select(Course.url)).scalars())
    ids = []
    for rec in iter_records():
        if not rec["url"] or rec["url"] in seen or (urls is not None and rec["url"] not in urls):
            continue
        seen.add(rec["url"])
        course = Course(
            key=rec["key"][:512],
            provider=_provider(session, providers, rec["provider"]),
            organisation=_org(session, orgs, rec["organisation"]),
            title=rec["title"][:1024],
            description=rec["description"],
            keywords=rec["keywords"],
            language=rec["language"],
            languages=[rec["language"]] if rec["language"] else [],
            subject_label=rec["subject"],
            pace=rec["pace"],
            price=rec["price"],
            free_audit=rec["free_audit"],
            certificate_type=rec["certificate_type"],
            hours_per_week=rec["hours_per_week"],
            duration_weeks=rec["duration_weeks"],
            workload_hours=rec["workload_hours"],
            url=rec["url"],
        )
        for d in sorted(set(rec["starts"])):
            course.runs.append(CourseRun(run_key=d.isoformat(), start_date=d, pace=rec["pace"]))
        session.add(course)
        session.flush()
        ids.append(course.id)
        if limit is not None and len(ids) >= limit:
            break
    return ids


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--database-url", required=True)
    args = ap.parse_args()
    from emclm.db.migrate import upgrade
    from emclm.db.session import session_scope
    from emclm.search import index_courses

    upgrade(args.database_url)
    with session_scope(args.database_url) as session:
        ids = load_demo(session)
        n = index_courses(session, ids)
    print(f"loaded {len(ids)} courses, indexed {n}")


if __name__ == "__main__":
    main()


def canonical_url(url: str | None) -> str:
    """A URL as a matching key: affiliate redirects unwrapped (Class Central's linksynergy / awin
    links point at the platform page in a parameter), scheme, ``www.``, query and trailing slash
    dropped. Judgements store the listing's URL; the catalogue import may store the unwrapped one."""
    from urllib.parse import parse_qs, urlsplit

    if not url:
        return ""
    parts = urlsplit(url)
    qs = parse_qs(parts.query)
    for key in ("RD_PARM1", "p", "murl", "url"):
        if (
            key in qs
            and qs[key][0].startswith("http")
            and parts.netloc.split(".")[-2] in ("linksynergy", "awin1", "dpbolvw", "anrdoezrs", "pjatr")
        ):
            return canonical_url(qs[key][0])
    host = parts.netloc.lower().removeprefix("www.")
    return f"{host}{parts.path.rstrip('/')}"
