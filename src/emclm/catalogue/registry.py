"""Configured harvest sources: the settings file and the kind → ``Source`` class lookup.

``data/sources.toml`` (``Settings.resolved_sources_file``) holds one ``[[source]]`` table per
source::

    [[source]]
    name = "futurelearn"          # unique; the provenance name stored with every record
    kind = "futurelearn"          # module emclm.catalogue.sources.<kind>
    url = "https://…"             # for protocol sources; or
    path = "catalogue/x.csv.gz"   # for file sources, relative to the data dir (globs allowed)
    priority = 10                 # higher wins when two sources describe one course
    rate_limit_s = 1.0            # at least this many seconds between requests to one host
    enabled = true                # false: listed, not harvested by --all
    options = { … }               # kind-specific

A platform's own feed gets a higher ``priority`` than an aggregator listing the same courses.
"""

from __future__ import annotations

import importlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emclm.config import get_settings
from emclm.ingest import Source, SourceConfig

_KIND = re.compile(r"^[a-z][a-z0-9_]*$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")
_KNOWN_KEYS = {"name", "kind", "url", "path", "priority", "rate_limit_s", "enabled", "options", "description"}


class SourcesFileError(ValueError):
    """The sources settings file is wrong; the message names the file, the entry and the field."""


@dataclass
class ConfiguredSource(SourceConfig):
    priority: int = 0
    rate_limit_s: float = 1.0
    enabled: bool = True
    description: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def load_sources(path: Path | str | None = None, data_dir: Path | None = None) -> list[ConfiguredSource]:
    """Read and check the sources settings file; paths come back absolute (under the data dir)."""
    settings = get_settings()
    path = Path(path) if path is not None else settings.resolved_sources_file
    data_dir = data_dir or settings.data_dir
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SourcesFileError(f"{path}: sources file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SourcesFileError(f"{path}: not valid TOML: {exc}") from exc
    entries = raw.get("source", [])
    if not isinstance(entries, list):
        raise SourcesFileError(f"{path}: expected [[source]] tables")
    configs: list[ConfiguredSource] = []
    names: set[str] = set()
    for index, entry in enumerate(entries):
        where = f"{path}: [[source]] #{index + 1}"

        def fail(field_name: str, message: str) -> None:
            raise SourcesFileError(f"{where}: field {field_name}: {message}")  # noqa: B023 (called in this iteration)

        name = entry.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            fail("name", f"expected a name of letters, digits, '.', '_' or '-', got {name!r}")
        where = f"{path}: source {name!r}"
        if name in names:
            fail("name", "used twice")
        names.add(name)
        kind = entry.get("kind")
        if not isinstance(kind, str) or not _KIND.match(kind):
            fail("kind", f"expected a source module name, got {kind!r}")
        unknown = set(entry) - _KNOWN_KEYS
        if unknown:
            fail(sorted(unknown)[0], f"unknown setting (known: {', '.join(sorted(_KNOWN_KEYS))})")
        url, rel = entry.get("url"), entry.get("path")
        if url is not None and (not isinstance(url, str) or not re.match(r"^https?://", url)):
            fail("url", f"expected an http(s) URL, got {url!r}")
        if rel is not None and not isinstance(rel, str):
            fail("path", f"expected a path, got {rel!r}")
        if url is None and rel is None:
            fail("url", "a source needs a url or a path")
        priority = entry.get("priority", 0)
        if isinstance(priority, bool) or not isinstance(priority, int):
            fail("priority", f"expected an integer, got {priority!r}")
        rate = entry.get("rate_limit_s", 1.0)
        if isinstance(rate, bool) or not isinstance(rate, int | float) or rate < 0:
            fail("rate_limit_s", f"expected seconds ≥ 0, got {rate!r}")
        enabled = entry.get("enabled", True)
        if not isinstance(enabled, bool):
            fail("enabled", f"expected true or false, got {enabled!r}")
        options = entry.get("options", {})
        if not isinstance(options, dict):
            fail("options", "expected a table")
        resolved = None
        if rel is not None:
            p = Path(rel)
            resolved = str(p if p.is_absolute() else Path(data_dir) / p)
        configs.append(
            ConfiguredSource(
                name=name,
                kind=kind,
                url=url,
                path=resolved,
                options=dict(options),
                priority=priority,
                rate_limit_s=float(rate),
                enabled=enabled,
                description=entry.get("description"),
            )
        )
    return configs


def source_class(kind: str) -> type[Source]:
    """The ``Source`` subclass of ``emclm.catalogue.sources.<kind>`` whose ``kind`` is ``kind``."""
    if not _KIND.match(kind or ""):
        raise LookupError(f"not a source kind: {kind!r}")
    try:
        module = importlib.import_module(f"emclm.catalogue.sources.{kind}")
    except ModuleNotFoundError as exc:
        if exc.name == f"emclm.catalogue.sources.{kind}":
            raise LookupError(f"no source module for kind {kind!r} (emclm/catalogue/sources/{kind}.py)") from exc
        raise
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, Source) and value is not Source and value.kind == kind:
            return value
    raise LookupError(f"module emclm.catalogue.sources.{kind} has no Source subclass with kind = {kind!r}")


def make_fetcher(config: ConfiguredSource):
    """The HTTP fetcher for a protocol source (None for file sources)."""
    if not config.url:
        return None
    from emclm.catalogue.http import Fetcher  # the HTTP client lives beside the protocol sources

    return Fetcher(settings=get_settings(), min_interval_s=config.rate_limit_s)


def build_source(config: ConfiguredSource, fetch=None) -> Source:
    cls = source_class(config.kind)
    return cls(config, fetch if fetch is not None else make_fetcher(config))


def find_sources(names: list[str], configs: list[ConfiguredSource]) -> list[ConfiguredSource]:
    by_name = {c.name: c for c in configs}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise LookupError(f"unknown source(s): {', '.join(missing)}; configured: {', '.join(by_name) or 'none'}")
    return [by_name[n] for n in names]
