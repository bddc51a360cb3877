"""Small helpers shared by the protocol sources (futurelearn, richie, moochub, openedx, oaipmh,
schemaorg): fetching a page into data-or-error-item, lenient scalar coercion for real-world
quirks (string booleans, numbers as strings), tracking-free URLs and the warnings list.

Conventions every protocol source follows:

- a raw record without what ``CourseRecord`` requires (an id, a title) is an error item naming
  the source, the record and the field; the batch goes on;
- a malformed *optional* field is dropped and reported in ``source.warnings`` (``RecordError``s),
  the record is still imported;
- a page that cannot be fetched or parsed is one error item (record id None, field "page"),
  ``source.complete`` becomes False, and the run stops cleanly (paging cannot continue without
  the page);
- a 304 Not Modified on a whole-feed fetch yields nothing and sets ``complete = False`` so harvest
  does not mistake "unchanged" for "everything withdrawn".
"""

from __future__ import annotations

import html
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from emclm.catalogue.http import FetchError
from emclm.catalogue.normalise import parse_date
from emclm.catalogue.xmlsafe import XMLError
from emclm.ingest import RecordError, Source, SourceItem

TRUE_STRINGS = {"true", "yes", "1", "y", "oui", "ja", "si", "sí"}
FALSE_STRINGS = {"false", "no", "0", "n", "non", "nein"}
TRACKING_PREFIXES = ("utm_", "mc_", "fbclid", "gclid")


def warn(source: Source, record_id: str | None, field_name: str, message: str) -> None:
    if not hasattr(source, "warnings"):
        source.warnings = []  # type: ignore[attr-defined]
    source.warnings.append(RecordError(source.name, record_id, field_name, message))  # type: ignore[attr-defined]


def page_error(source: Source, url: str, exc: Exception, checkpoint: Any = None) -> SourceItem:
    """One failed page: an error item, and the run is no longer complete."""
    source.complete = False
    item = source.error(None, "page", f"{url}: {exc}")
    item.checkpoint = checkpoint
    return item


def fetch_json(source: Source, url: str, *, params: dict | None = None, headers: dict | None = None):
    """(data, None) or (None, error item); a NotModified response gives (NOT_MODIFIED, None)."""
    try:
        resp = source.fetch(url, params=params, headers=headers)
        if getattr(resp, "not_modified", False):
            return NOT_MODIFIED, None
        return resp.json(), None
    except (FetchError, ValueError) as exc:
        return None, page_error(source, url, exc)


def fetch_bytes(source: Source, url: str, *, params: dict | None = None, headers: dict | None = None):
    try:
        resp = source.fetch(url, params=params, headers=headers)
        if getattr(resp, "not_modified", False):
            return NOT_MODIFIED, None
        return resp.content, None
    except (FetchError, XMLError, ValueError) as exc:
        return None, page_error(source, url, exc)


class _NotModified:
    def __repr__(self) -> str:
        return "NOT_MODIFIED"


NOT_MODIFIED: Any = _NotModified()


def as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        v = value.strip().lower()
        if v in TRUE_STRINGS:
            return True
        if v in FALSE_STRINGS:
            return False
    return None


def as_float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip().replace(",", "."))
        except ValueError:
            return None
    return None


def as_decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        if isinstance(value, float):
            return Decimal(str(value))
        if isinstance(value, (int, Decimal)):
            return Decimal(value)
        if isinstance(value, str) and value.strip():
            return Decimal(value.strip().replace(",", "."))
    except InvalidOperation:
        return None
    return None


def as_str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        text = html.unescape(str(value)).strip()
        return text or None
    return None


def run_date(value: Any) -> date | None:
    """An ISO date/datetime; Richie's "no end" sentinel (year 9999) and garbage become None."""
    if value in (None, ""):
        return None
    if isinstance(value, str) and value.startswith("9999"):
        return None
    try:
        parsed = parse_date(value)
    except (TypeError, ValueError):
        return None
    if parsed is not None and parsed.year >= 9999:
        return None
    return parsed


def strip_tracking(url: str | None) -> str | None:
    """The URL without ``utm_*`` (and similar) tracking parameters and without a fragment."""
    if not url:
        return url
    parts = urlsplit(url)
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.lower().startswith(TRACKING_PREFIXES)
    ]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def unique(values: list) -> list:
    out: list = []
    for v in values:
        if v is not None and v not in out:
            out.append(v)
    return out


_ISO_DURATION = re.compile(
    r"^P(?:(?P<w>\d+(?:[.,]\d+)?)W)?(?:(?P<d>\d+(?:[.,]\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:[.,]\d+)?)H)?(?:(?P<m>\d+(?:[.,]\d+)?)M)?(?:(?P<s>\d+(?:[.,]\d+)?)S)?)?$",
    re.I,
)


def iso_duration_hours(value: Any) -> float | None:
    """An ISO 8601 *effort* duration → hours, literally: "PT25H" → 25, "PT1H30M" → 1.5,
    "P2D" → 48, "P1W" → 168. Years and months (no fixed length) and garbage → None."""
    if not isinstance(value, str):
        return None
    match = _ISO_DURATION.match(value.strip())
    if not match or value.strip().upper() in ("P", "PT") or value.strip().upper().endswith("T"):
        return None
    parts = {k: float(v.replace(",", ".")) for k, v in match.groupdict().items() if v}
    if not parts:
        return None
    hours = (
        parts.get("w", 0) * 168
        + parts.get("d", 0) * 24
        + parts.get("h", 0)
        + parts.get("m", 0) / 60
        + parts.get("s", 0) / 3600
    )
    return round(hours, 2) if hours > 0 else None
