"""Configured vacancy sources: ``data/sources-vacancies.toml``, a list of ``[[vacancy_source]]`` tables
(``name``, ``kind``, ``path``, ``options``) — the shared ``emclm.ingest.SourceConfig`` shape."""

from __future__ import annotations

import tomllib
from pathlib import Path

from emclm.config import get_settings
from emclm.ingest import SourceConfig
from emclm.labour.sources import KINDS, guess_kind


def sources_file() -> Path:
    return get_settings().data_dir / "sources-vacancies.toml"


def load_vacancy_sources(path: Path | None = None) -> dict[str, SourceConfig]:
    path = path or sources_file()
    if not path.exists():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out: dict[str, SourceConfig] = {}
    for i, entry in enumerate(data.get("vacancy_source", [])):
        name = entry.get("name")
        kind = entry.get("kind")
        if not name or kind not in KINDS:
            raise ValueError(f"{path}: vacancy_source #{i + 1}: needs a name and a kind in {sorted(KINDS)}")
        raw = entry.get("path")
        paths = raw if isinstance(raw, list) else [raw]
        resolved = [str(p if Path(p).is_absolute() else (path.parent / p)) for p in paths if p]
        out[name] = SourceConfig(
            name=name,
            kind=kind,
            path=resolved if len(resolved) != 1 else resolved[0],
            options=dict(entry.get("options", {})),
        )
    return out


def source_for(
    arg: str, kind: str | None = None, options: dict | None = None, configured: dict[str, SourceConfig] | None = None
) -> SourceConfig:
    """A configured source by name, or an ad-hoc one for a file or folder (kind guessed)."""
    configured = load_vacancy_sources() if configured is None else configured
    if arg in configured:
        cfg = configured[arg]
        if options:
            cfg.options = {**cfg.options, **options}
        return cfg
    p = Path(arg)
    if not p.exists():
        raise ValueError(
            f"no configured vacancy source and no file or folder named {arg!r} (configured: {sorted(configured)})"
        )
    return SourceConfig(name=f"file:{p.name}", kind=kind or guess_kind(p), path=str(p), options=dict(options or {}))
