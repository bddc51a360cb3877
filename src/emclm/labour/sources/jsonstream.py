"""Stream the objects of a JSON file whatever its envelope: a JSON array, JSON lines, an
Elasticsearch response (``hits.hits[]._source``), ``{"testannonser": [...]}``, ``{"@graph": [...]}``
or one object; HTML pages with ``<script type="application/ld+json">`` blocks too.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ijson

from emclm.ingest import DepthLimitedReader, JsonTooDeep, json_loads
from emclm.labour.sources.base import open_binary

_LDJSON = re.compile(rb"<script[^>]*application/ld\+json[^>]*>(.*?)</script>", re.S | re.I)
ENVELOPES = ("hits", "testannonser", "@graph", "ads", "jobs", "items", "results", "data")
MAX_HTML = 20 * 1024 * 1024


class JsonItemError(ValueError):
    pass


def _peek(fh, n: int = 65536) -> bytes:
    head = fh.peek(n) if hasattr(fh, "peek") else b""
    return head[:n]


def iter_objects(path: Path) -> Iterator[Any]:
    """Yield each top-level item; a line of JSON lines that does not parse yields a ``JsonItemError``;
    a JSON document that breaks mid-way raises ``ValueError`` after the items before the break."""
    try:
        yield from _iter_objects(path)
    except ijson.JSONError as exc:
        raise ValueError(f"JSON breaks off: {str(exc).splitlines()[0]}") from exc
    except JsonTooDeep as exc:
        raise ValueError(f"{exc} (a file error, not a vacancy)") from None


def _iter_objects(path: Path) -> Iterator[Any]:
    name = path.name.removesuffix(".gz")
    with open_binary(path) as raw:
        fh = io.BufferedReader(raw) if not hasattr(raw, "peek") else raw
        head = _peek(fh).lstrip(b"\xef\xbb\xbf \t\r\n")
        if name.endswith((".html", ".htm")) or head[:1] == b"<":
            data = fh.read(MAX_HTML)
            for block in _LDJSON.findall(data):
                try:
                    obj = json_loads(DepthLimitedReader(io.BytesIO(block)).read())
                except ValueError as exc:
                    yield JsonItemError(f"ld+json block does not parse: {exc}")
                    continue
                yield from _unwrap(obj)
            return
        if name.endswith((".jsonl", ".ndjson")) or (head[:1] == b"{" and b"}\n{" in head.replace(b"}\r\n{", b"}\n{")):
            for lineno, line in enumerate(fh, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    obj = json_loads(line)
                except ValueError as exc:
                    yield JsonItemError(f"line {lineno}: not JSON: {exc}")
                    continue
                yield obj
            return
        # the streaming parser reads through a depth guard: ijson's C backend needs memory
        # quadratic in the nesting depth (a 200,000-deep array exhausts the machine)
        guarded = DepthLimitedReader(fh)
        if head[:1] == b"[":
            yield from ijson.items(guarded, "item", use_float=True)
            return
        # an object: find an envelope key within the first bytes, else the object itself
        prefix = None
        text = head.decode("utf-8", "ignore")
        if re.search(r'"hits"\s*:\s*\{', text) and '"_source"' in text:
            prefix = "hits.hits.item._source"
        else:
            for key in ENVELOPES[1:]:
                if re.search(r'"%s"\s*:\s*\[' % re.escape(key), text):
                    prefix = f"{key}.item"
                    break
        if prefix:
            yield from ijson.items(guarded, prefix, use_float=True)
            return
        yield from _unwrap(json_loads(guarded.read()))


def _unwrap(obj: Any) -> Iterator[Any]:
    if isinstance(obj, list):
        for o in obj:
            yield from _unwrap(o)
    elif isinstance(obj, dict) and "@graph" in obj and isinstance(obj["@graph"], list):
        yield from obj["@graph"]
    else:
        yield obj
