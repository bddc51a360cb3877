"""Class Central course listings (the 2019 JSON scrape shipped as demo data).

Class Central is an aggregator: every record names the real platform (FutureLearn, Miríadax,
FUN, EduOpen, iversity, EMMA, Coursera, edX …). The record's ``provider_code`` is that PLATFORM,
and ``platform_course_id`` is derived from the platform's own course URL (after unwrapping
affiliate redirects), so the same course harvested directly from the platform is the same
course. Platforms without a known URL pattern keep ``platform_course_id=None`` and are
identified by their clean course URL.

``config.path`` is one JSON file (``.gz`` allowed) or a glob matching several (the demo has one
file per subject); files are read in sorted order and the checkpoint is the record's index over
all of them. A record id seen twice (a course listed under two subjects) is yielded once, with
the subjects of both listings as keywords.

Shape of one record: ``{"id", "name", "provider", "link", "overview", "description" (escaped
HTML), "syllabus", "categories": [...], "schools": [...] | "school", "subject", "details":
{"provider", "cost", "session", "language", "certificate", "start date": "Self paced" | [dates],
"duration", "effort"}}``.

Errors: a record without id, name or link, or with a start date that is not a date, is an error
item naming the record and the field. A file that is not JSON (or not UTF-8) is ONE error item
naming the file and makes the run incomplete (``complete = False``).
"""

from __future__ import annotations

import glob
import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from emclm.catalogue.normalise import (
    ISCED_F_LABELS,
    clean_text,
    detect_language,
    language_code,
    pace_code,
    parse_date,
    parse_duration_weeks,
    parse_effort,
    parse_price,
    slug,
    subject_code,
)
from emclm.catalogue.records import CourseRecord, CourseRunRecord
from emclm.catalogue.sources.partner_json import FieldProblem, FileProblem, FileSource
from emclm.ingest import JsonTooDeep, SourceItem, json_loads

# Class Central provider name → (code, display name, home page, country)
PLATFORMS: dict[str, tuple[str, str, str | None, str | None]] = {
    "coursera": ("coursera", "Coursera", "https://www.coursera.org", "US"),
    "edx": ("edx", "edX", "https://www.edx.org", "US"),
    "futurelearn": ("futurelearn", "FutureLearn", "https://www.futurelearn.com", "GB"),
    "miríadax": ("miriadax", "Miríadax", "https://miriadax.net", "ES"),
    "miriadax": ("miriadax", "Miríadax", "https://miriadax.net", "ES"),
    "france université numerique": ("fun-mooc", "FUN MOOC", "https://www.fun-mooc.fr", "FR"),
    "france université numérique": ("fun-mooc", "FUN MOOC", "https://www.fun-mooc.fr", "FR"),
    "fun": ("fun-mooc", "FUN MOOC", "https://www.fun-mooc.fr", "FR"),
    "eduopen": ("eduopen", "EduOpen", "https://learn.eduopen.org", "IT"),
    "iversity": ("iversity", "iversity", "https://iversity.org", "DE"),
    "emma": ("emma", "EMMA (European Multiple MOOC Aggregator)", "https://platform.europeanmoocs.eu", None),
    "polimi open knowledge": ("polimi", "Polimi Open Knowledge", "https://www.pok.polimi.it", "IT"),
    "federica": ("federica", "Federica Web Learning", "https://www.federica.eu", "IT"),
    "openhpi": ("openhpi", "openHPI", "https://open.hpi.de", "DE"),
    "opensap": ("opensap", "openSAP", "https://open.sap.com", "DE"),
    "upv [x]": ("upvx", "UPV[X]", "https://www.upvx.es", "ES"),
    "ionis": ("ionisx", "IONISx", "https://courses.ionisx.com", "FR"),
    "openclassrooms": ("openclassrooms", "OpenClassrooms", "https://openclassrooms.com", "FR"),
    "canvas network": ("canvas-network", "Canvas Network", "https://www.canvas.net", "US"),
    "kadenze": ("kadenze", "Kadenze", "https://www.kadenze.com", "US"),
    "swayam": ("swayam", "SWAYAM", "https://swayam.gov.in", "IN"),
    "thaimooc": ("thaimooc", "Thai MOOC", "https://thaimooc.org", "TH"),
    "open education by blackboard": (
        "blackboard-open-education",
        "Open Education by Blackboard",
        "https://openeducation.blackboard.com",
        "US",
    ),
    "novoed": ("novoed", "NovoEd", "https://novoed.com", "US"),
    "desire2learn": ("d2l", "D2L Open Courses", "https://opencourses.desire2learn.com", "CA"),
    "mooc-ed": ("mooc-ed", "MOOC-Ed (Friday Institute)", "https://place.fi.ncsu.edu", "US"),
    "stanford openedx": ("stanford-lagunita", "Stanford Lagunita", "https://lagunita.stanford.edu", "US"),
    "udacity": ("udacity", "Udacity", "https://www.udacity.com", "US"),
    "rwaq (رواق)": ("rwaq", "Rwaq (رواق)", "https://www.rwaq.org", "SA"),
    "complexity explorer": ("complexity-explorer", "Complexity Explorer", "https://www.complexityexplorer.org", "US"),
    "gacco": ("gacco", "gacco", "https://gacco.org", "JP"),
    "stepik": ("stepik", "Stepik", "https://stepik.org", None),
    "edraak": ("edraak", "Edraak", "https://www.edraak.org", "JO"),
    "open2study": ("open2study", "Open2Study", "https://www.open2study.com", "AU"),
    "openlearning": ("openlearning", "OpenLearning", "https://www.openlearning.com", "AU"),
    "janux": ("janux", "Janux", "https://janux.ou.edu", "US"),
    "edcast": ("edcast", "EdCast", "https://www.edcast.com", "US"),
    "+acumen": ("plusacumen", "+Acumen", "https://www.plusacumen.org", "US"),
    "xuetangx": ("xuetangx", "XuetangX", "https://www.xuetangx.com", "CN"),
    "world science u": ("world-science-u", "World Science U", "https://www.worldscienceu.com", "US"),
}

# Course-page host → platform key in PLATFORMS (the URL wins over Class Central's label, e.g.
# an "Independent" course hosted on mooc.house or an "Edraak" listing that links to Rwaq).
HOSTS = {
    "coursera.org": "coursera", "edx.org": "edx", "futurelearn.com": "futurelearn", "miriadax.net": "miriadax",
    "fun-mooc.fr": "fun", "learn.eduopen.org": "eduopen", "iversity.org": "iversity",
    "platform.europeanmoocs.eu": "emma", "pok.polimi.it": "polimi open knowledge", "federica.eu": "federica",
    "open.hpi.de": "openhpi", "open.sap.com": "opensap", "courses.ionisx.com": "ionis",
    "openclassrooms.com": "openclassrooms", "rwaq.org": "rwaq (رواق)", "edraak.org": "edraak",
    "lagunita.stanford.edu": "stanford openedx", "kadenze.com": "kadenze", "udacity.com": "udacity",
    "thaimooc.org": "thaimooc", "xuetangx.com": "xuetangx", "stepik.org": "stepik",
}  # fmt: skip
EXTRA_HOSTS = {  # platforms only met through "Independent" listings
    "mooc.house": ("mooc-house", "mooc.house", "https://mooc.house", "DE"),
    "opencourseworld.de": ("opencourseworld", "OpenCourseWorld", "https://opencourseworld.de", "DE"),
}

_REDIRECT_PARAMS = ("RD_PARM1", "murl", "p", "url", "u", "dest", "destination", "target")
_TRACKING = re.compile(r"^(utm_.*|coupon|clickref|ranMID|ranEAID|ranSiteID|dcmancr|ref|siteID)$", re.I)

# platform code → regex on the URL path whose group 1 is the platform's own course id
_OPEN_EDX = re.compile(r"/courses?/(course-v1:[^/?#]+|[^/]+/[^/]+/[^/]+)(?:/|$)")
_ID_PATTERNS: dict[str, re.Pattern[str]] = {
    "coursera": re.compile(r"^/(?:learn|course|specializations)/([^/?#]+)"),
    "edx": re.compile(r"^/course/([^/?#]+)"),
    "futurelearn": re.compile(r"^/courses/([^/?#]+)"),
    "miriadax": re.compile(r"^/web/([^/?#]+)"),
    "emma": re.compile(r"^/course_([^/?#]+)"),
    "iversity": re.compile(r"^/(?:[a-z]{2}/)?courses/([^/?#]+)"),
    "openhpi": re.compile(r"^/courses/([^/?#]+)"),
    "opensap": re.compile(r"^/courses/([^/?#]+)"),
    "mooc-house": re.compile(r"^/courses/([^/?#]+)"),
    "federica": re.compile(r"^/c/([^/?#]+)"),
    "kadenze": re.compile(r"^/courses/([^/?#]+)"),
    "udacity": re.compile(r"^/course/([^/?#]+)"),
    "rwaq": re.compile(r"^/courses/([^/?#]+)"),
    "stepik": re.compile(r"^/course/(\d+)"),
    "openclassrooms": re.compile(r"^/(?:[a-z]{2}/)?courses/([^/?#]+)"),
}
_OPEN_EDX_PLATFORMS = {"fun-mooc", "polimi", "ionisx", "thaimooc", "xuetangx", "gacco", "stanford-lagunita", "edraak"}


_NO_DATE = {"", "na", "n/a", "tba", "tbd", "to be announced", "date to be announced", "coming soon"}


def unwrap_link(link: str) -> str:
    """The platform's course URL behind an affiliate redirect, without tracking parameters."""
    url = (link or "").strip()
    for _ in range(3):
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        target = next(
            (query[name][0] for name in _REDIRECT_PARAMS if name in query and query[name][0].startswith("http")),
            None,
        )
        if not target:
            break
        url = unquote(target) if "%3A" in target[:12] else target
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept), ""))


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def platform_for(provider: str | None, url: str) -> tuple[str, str, str | None, str | None]:
    """(code, name, home page, country) of the platform that really hosts the course."""
    host = _host(url)
    for known, key in HOSTS.items():
        if host == known or host.endswith("." + known):
            return PLATFORMS[key]
    if host in EXTRA_HOSTS:
        return EXTRA_HOSTS[host]
    if host.endswith(".upvx.es"):
        return PLATFORMS["upv [x]"]
    name = (provider or "").strip()
    key = name.casefold()
    if key in PLATFORMS:
        return PLATFORMS[key]
    if key in ("independent", "") and host:
        return (slug(host), host, f"https://{host}", None)
    return (slug(name) or "unknown", name or "unknown", None, None)


def platform_course_id(code: str, url: str) -> str | None:
    """The platform's own id for a course from its URL ("futurelearn" + /courses/jazz-piano →
    "jazz-piano"; Open edX "course-v1:ENSMP+76002+session04" → "ENSMP+76002", without the run)."""
    parts = urlsplit(url)
    path = unquote(parts.path or "")
    if code in _OPEN_EDX_PLATFORMS:
        match = _OPEN_EDX.search(path)
        if not match:
            return None
        raw = match.group(1)
        if raw.startswith("course-v1:"):
            pieces = raw[len("course-v1:") :].split("+")
        else:
            pieces = raw.split("/")
        return "+".join(pieces[:2]) if len(pieces) >= 2 else raw
    if code == "eduopen":
        ids = parse_qs(parts.query).get("courseid")
        return ids[0] if ids else None
    pattern = _ID_PATTERNS.get(code)
    if pattern:
        match = pattern.search(path)
        if match:
            return match.group(1).strip().lower() if code != "stepik" else match.group(1)
    return None


def _organisations(raw: dict) -> list[str]:
    names = raw.get("schools")
    if isinstance(names, str):
        names = [names]
    if not names and isinstance(raw.get("school"), str):
        names = [raw["school"]]
    return [n.strip() for n in names or [] if isinstance(n, str) and n.strip()]


def _subject(categories: list[str], file_subject: str | None) -> str | None:
    for name in categories:
        code = subject_code(name)
        if code:
            return code
    return subject_code(file_subject)


class ClassCentralSource(FileSource):
    kind: ClassVar[str] = "classcentral"

    def _paths(self) -> list[Path]:
        pattern = self.config.path or ""
        if any(ch in pattern for ch in "*?["):
            paths = sorted(Path(p) for p in glob.glob(pattern))
            if not paths:
                raise FileProblem(f"{pattern}: no file matches")
            return paths
        return [self.path]

    def _load(self, path: Path) -> list[tuple[str | None, Any]]:
        try:
            data = json_loads(self.read_text(path))
        except JsonTooDeep as exc:
            raise FileProblem(f"{path}: {exc}") from exc
        except json.JSONDecodeError as exc:
            raise FileProblem(f"{path}: not valid JSON: {exc}") from exc
        if isinstance(data, dict):
            return list(data.items())
        if isinstance(data, list):
            return [(None, item) for item in data]
        raise FileProblem(f"{path}: expected a JSON object of courses or a list, got {type(data).__name__}")

    def items(self, checkpoint: Any = None) -> Iterator[SourceItem]:
        try:
            entries: list[tuple[str | None, Any]] = []
            for path in self._paths():
                entries.extend(self._load(path))
        except FileProblem as exc:
            yield self.file_error(str(exc))
            return
        # A course listed under several subjects: keep its first listing, with all subjects.
        first_index: dict[str, int] = {}
        extra_categories: dict[int, list[str]] = {}
        for index, (key, raw) in enumerate(entries):
            rid = raw.get("id") if isinstance(raw, dict) else None
            rid = str(rid or key or "").strip()
            if not rid:
                continue
            if rid in first_index:
                cats = raw.get("categories") if isinstance(raw.get("categories"), list) else []
                extra_categories.setdefault(first_index[rid], []).extend(
                    [c for c in cats if isinstance(c, str)] + [raw.get("subject") or ""]
                )
            else:
                first_index[rid] = index
        for index in range(self.resume_from(checkpoint), len(entries)):
            key, raw = entries[index]
            rid = str((raw.get("id") if isinstance(raw, dict) else None) or key or "").strip() or None
            if rid and first_index.get(rid) != index:
                continue  # a repeated listing, merged into the first one
            try:
                record = self.to_record(raw, key, extra_categories.get(index, []))
            except FieldProblem as exc:
                item = self.error(rid or f"#{index}", exc.field_name, exc.message)
            else:
                item = SourceItem(record=record)
            item.checkpoint = index
            yield item

    def to_record(self, raw: Any, key: str | None = None, more_categories: list[str] | None = None) -> CourseRecord:
        if not isinstance(raw, dict):
            raise FieldProblem("(record)", f"expected an object, got {type(raw).__name__}")
        details = raw.get("details") if isinstance(raw.get("details"), dict) else {}
        record_id = str(raw.get("id") or key or "").strip()
        if not record_id:
            raise FieldProblem("id", "missing")
        title = clean_text(raw.get("name") if isinstance(raw.get("name"), str) else None)
        if not title:
            raise FieldProblem("name", "missing")
        link = raw.get("link")
        if not isinstance(link, str) or not link.strip().startswith("http"):
            raise FieldProblem("link", f"missing or not a URL: {link!r}")
        url = unwrap_link(link)
        code, provider_name, provider_url, _country = platform_for(details.get("provider") or raw.get("provider"), url)

        description = clean_text(raw.get("description")) or clean_text(raw.get("overview"))
        syllabus = clean_text(raw.get("syllabus"))
        if syllabus:
            description = f"{description}\n\nSyllabus\n{syllabus}" if description else syllabus

        categories = [c for c in raw.get("categories") or [] if isinstance(c, str)]
        keywords: list[str] = []
        for name in categories + [c for c in more_categories or [] if c]:
            name = name.strip()
            if name and name not in keywords and not re.fullmatch(r"[a-z-]+", name):
                keywords.append(name)
        subject = _subject(categories + (more_categories or []), raw.get("subject"))

        language_text = details.get("language")
        language = language_code(language_text) if isinstance(language_text, str) else None
        if language_text and language is None:
            raise FieldProblem("details.language", f"unknown language {language_text!r}")
        detected = False
        if language is None:
            language = detect_language(f"{title}. {description or ''}")
            detected = language is not None

        effort = parse_effort(details.get("effort"))
        weeks = parse_duration_weeks(details.get("duration"))
        workload = effort.total_hours
        if workload is None and effort.hours_per_week and weeks:
            workload = round(effort.hours_per_week * weeks, 1)

        cost = parse_price(details.get("cost"))
        cert_text = details.get("certificate")
        cert = parse_price(cert_text)
        certificate_type = cert.certificate_type
        if cert_text and certificate_type is None and re.fullmatch(r"\s*certificate available\s*", cert_text, re.I):
            # Class Central writes "Paid Certificate Available" or a price for paid ones; a bare
            # "Certificate Available" on a course without an audit track is a free certificate.
            if "audit" not in str(details.get("cost", "")).lower():
                certificate_type = "free"

        session = details.get("session")
        starts = details.get("start date")
        runs, pace = self._runs(starts, session, language, url)

        organisations = _organisations(raw)
        return CourseRecord(
            source_record_id=record_id,
            provider_code=code,
            provider_name=provider_name,
            provider_url=provider_url,
            platform_course_id=platform_course_id(code, url),
            title=title[:1024],
            description=description,
            keywords=keywords,
            organisation_name=organisations[0] if organisations else None,
            language=language,
            languages=[language] if language else [],
            language_detected=detected,
            subject=subject,
            subject_label=ISCED_F_LABELS.get(subject) if subject else (categories[0] if categories else None),
            workload_hours=workload,
            hours_per_week=effort.hours_per_week,
            duration_weeks=weeks,
            pace=pace,
            price=cost.price,
            currency=cost.currency or cert.currency,
            free_audit=cost.free_audit,
            certificate_type=certificate_type,
            certificate_price=cert.certificate_price,
            url=url,
            runs=runs,
        )

    @staticmethod
    def _runs(starts: Any, session: Any, language: str | None, url: str) -> tuple[list[CourseRunRecord], str | None]:
        values = starts if isinstance(starts, list) else [starts] if starts else []
        dates: list[date] = []
        self_paced = pace_code(session) == "self_paced" if isinstance(session, str) else False
        for value in values:
            if not isinstance(value, str):
                raise FieldProblem("details.start date", f"not a date: {value!r}")
            if pace_code(value) == "self_paced":
                self_paced = True
                continue
            if value.strip().casefold() in _NO_DATE or re.fullmatch(r"\s*\d{4}\s*", value):
                continue  # no date, or only a year: too vague for a run
            parsed = parse_date(value, "en")
            if parsed is None:
                raise FieldProblem("details.start date", f"not a date: {value!r}")
            if parsed not in dates:
                dates.append(parsed)
        runs = [
            CourseRunRecord(run_key=d.isoformat(), start_date=d, pace="scheduled", language=language)
            for d in sorted(dates)
        ]
        if self_paced:
            runs.append(CourseRunRecord(run_key="self_paced", pace="self_paced", language=language, url=url))
        if self_paced:
            pace = "self_paced"
        elif dates:
            pace = "scheduled"
        else:
            pace = pace_code(session) if isinstance(session, str) else None
        return runs, pace
