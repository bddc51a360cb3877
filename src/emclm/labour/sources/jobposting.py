"""schema.org ``JobPosting`` in JSON-LD or plain JSON (arrays, JSON lines, HTML pages with
ld+json blocks, and wrappers that carry the posting under a key such as ``originalJobPosting``).

Fields: ``title``, ``description`` (HTML stripped), ``hiringOrganization``, ``datePosted``,
``validThrough``, ``jobLocation[].address`` (text or ``PostalAddress``: ``addressCountry``,
``addressRegion``, ``addressLocality``, ``postalCode``), ``occupationalCategory`` (text or
``CategoryCode``; a 4-digit code is read as ISCO-08, or the system named in
``inCodeSet``/options), ``skills``, ``inLanguage``, ``identifier``, ``url``, ``totalJobOpenings``.

Options: ``country`` and ``lang`` (defaults when the posting does not say),
``region_key`` (a wrapper key holding the region, e.g. ``ort``), ``occupation_system``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from emclm.labour.records import VacancyRecord
from emclm.labour.sources.base import BadValue, SourceItem, VacancySource, parse_date, strip_html
from emclm.labour.sources.jsonstream import JsonItemError, iter_objects

_ISCO = re.compile(r"^\d{4}$")


def _first(value: Any) -> Any:
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _text(value: Any) -> str | None:
    value = _first(value)
    if value is None:
        return None
    if isinstance(value, dict):
        return _text(value.get("name") or value.get("value") or value.get("@value"))
    s = str(value).strip()
    return s or None


def _is_posting(obj: Any) -> bool:
    if not isinstance(obj, dict):
        return False
    t = obj.get("@type")
    types = t if isinstance(t, list) else [t]
    return any(isinstance(x, str) and x.rsplit("/", 1)[-1] == "JobPosting" for x in types)


class JobPostingSource(VacancySource):
    kind = "jobposting"
    suffixes = (".json", ".jsonl", ".ndjson", ".jsonld", ".html", ".htm")

    def parse_file(self, path: Path) -> Iterator[SourceItem]:
        for obj in iter_objects(path):
            if isinstance(obj, JsonItemError):
                yield self.bad(f"{path.name}", None, str(obj))
                continue
            try:
                yield self.parse(obj)
            except BadValue as exc:
                yield self.bad(self._id(obj), str(exc).split(":", 1)[0], str(exc))

    def _unwrap(self, obj: dict) -> tuple[dict | None, dict]:
        if _is_posting(obj):
            return obj, {}
        for value in obj.values():
            if _is_posting(value):
                return value, obj
        if "title" in obj and ("description" in obj or "datePosted" in obj):  # plain JSON posting
            return obj, {}
        return None, obj

    def _id(self, obj: Any) -> str | None:
        if not isinstance(obj, dict):
            return None
        posting, wrapper = self._unwrap(obj)
        posting = posting or {}
        ident = _text(posting.get("identifier")) or _text(wrapper.get("id")) or posting.get("url")
        return str(ident) if ident else None

    def parse(self, obj: Any) -> SourceItem:
        if not isinstance(obj, dict):
            return self.bad(None, None, f"not a JSON object: {type(obj).__name__}")
        posting, wrapper = self._unwrap(obj)
        if posting is None:
            return self.bad(self._id(obj), "@type", "not a schema.org JobPosting")
        title = _text(posting.get("title"))
        text = strip_html(
            _text(posting.get("description"))
            if not isinstance(posting.get("description"), str)
            else posting.get("description")
        )
        rid = self._id(obj) or hashlib.sha1(f"{title}|{posting.get('datePosted')}|{text}".encode()).hexdigest()[:20]
        if not title:
            return self.bad(rid, "title", "missing title")
        employer = _text(posting.get("hiringOrganization"))
        country = region = locality = postcode = None
        for loc in (
            posting.get("jobLocation") if isinstance(posting.get("jobLocation"), list) else [posting.get("jobLocation")]
        ):
            if not loc:
                continue
            addr = loc.get("address") if isinstance(loc, dict) else loc
            if isinstance(addr, dict):
                country = country or _text(addr.get("addressCountry"))
                region = region or _text(addr.get("addressRegion"))
                locality = locality or _text(addr.get("addressLocality"))
                postcode = postcode or _text(addr.get("postalCode"))
            elif isinstance(addr, str):
                region = region or addr
            break
        region_key = self.config.options.get("region_key")
        if region_key and wrapper.get(region_key):
            region = str(wrapper[region_key])
        codes: dict[str, str] = {}
        occ_label = None
        system = self.config.options.get("occupation_system")
        for cat in (
            posting.get("occupationalCategory")
            if isinstance(posting.get("occupationalCategory"), list)
            else [posting.get("occupationalCategory")]
        ):
            if cat is None:
                continue
            if isinstance(cat, dict):
                code = _text(cat.get("codeValue"))
                code_set = (_text(cat.get("inCodeSet")) or system or "").lower()
                if code:
                    codes[
                        "isco08"
                        if "isco" in code_set or (not code_set and _ISCO.match(code))
                        else (code_set or "unknown")
                    ] = code
                occ_label = occ_label or _text(cat.get("name"))
            else:
                s = str(cat).strip()
                m = re.match(r"^(\d{4})\b", s)
                if m and (system in (None, "isco08")):
                    codes["isco08"] = m.group(1)
                else:
                    occ_label = occ_label or s
        skills_raw = posting.get("skills")
        skills: list[str] = []
        for s in skills_raw if isinstance(skills_raw, list) else ([skills_raw] if skills_raw else []):
            name = _text(s)
            if name:
                skills.extend(x.strip() for x in name.split(",") if x.strip()) if isinstance(s, str) and len(
                    name
                ) < 300 else skills.append(name)
        openings = posting.get("totalJobOpenings")
        record = VacancyRecord(
            source_record_id=str(rid),
            title=strip_html(title) or title,
            text=text,
            employer=employer,
            lang=_text(posting.get("inLanguage")) or self.default_lang,
            url=_text(posting.get("url")),
            country=country or self.default_country,
            region_text=", ".join(x for x in (locality, region) if x)
            if (locality and region and locality != region)
            else (region or locality),
            postcode=postcode,
            date_posted=parse_date(posting.get("datePosted"), "datePosted"),
            date_expires=parse_date(posting.get("validThrough"), "validThrough"),
            occupation_codes=codes,
            occupation_label=occ_label or (_text(wrapper.get("yrke")) if wrapper else None),
            declared_skills=skills,
            number_of_vacancies=int(openings) if isinstance(openings, (int, float)) else None,
        )
        return SourceItem(record=record)
