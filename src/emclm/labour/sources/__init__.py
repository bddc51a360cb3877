"""Vacancy sources by kind: ``jobposting`` (schema.org), ``jobtech`` (Arbetsförmedlingen), ``tabular`` (XLSX/CSV + mapping)."""

from __future__ import annotations

from pathlib import Path

from emclm.ingest import SourceConfig
from emclm.labour.sources.base import VacancySource
from emclm.labour.sources.jobposting import JobPostingSource
from emclm.labour.sources.jobtech import JobTechSource
from emclm.labour.sources.tabular import TabularSource

KINDS: dict[str, type[VacancySource]] = {
    JobPostingSource.kind: JobPostingSource,
    JobTechSource.kind: JobTechSource,
    TabularSource.kind: TabularSource,
}


def make_source(config: SourceConfig) -> VacancySource:
    try:
        cls = KINDS[config.kind]
    except KeyError:
        raise ValueError(
            f"vacancy source {config.name}: unknown kind {config.kind!r} (one of {sorted(KINDS)})"
        ) from None
    return cls(config)


def guess_kind(path: Path) -> str:
    """For ``emclm vacancies import FILE``: tables → tabular; JSON naming Swedish fields → jobtech; else jobposting."""
    name = path.name.removesuffix(".gz")
    if name.endswith((".csv", ".tsv", ".xlsx")):
        return "tabular"
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
        return guess_kind(files[0]) if files else "jobposting"
    from emclm.labour.sources.base import open_binary

    with open_binary(path) as fh:
        head = fh.read(65536)
    if any(k in head for k in (b'"headline"', b'"rubrik"', b'"annonsrubrik"', b'"workplace_address"')):
        return "jobtech"
    return "jobposting"
