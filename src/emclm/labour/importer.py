"""Import vacancies from a source: normalise, code, tag, store — streaming, idempotent, resumable.

``import_vacancies(url, source)`` reads the source's items one by one and writes them in batches
(one transaction per batch). After each batch the run's ``VacancyImport`` row records the
source checkpoint, so a run that stops (crash, Ctrl-C) resumes after the last stored batch
when started again (``resume=True``, the default). A record whose content hash is unchanged is
counted and left alone; one that changed is updated with its skills. A bad record (missing
title, bad date, unknown region, …) is counted, sampled in the report with its source, id and
field, and skipped. Memory stays flat: only one batch is held at a time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import delete, select

from emclm.db.base import utcnow
from emclm.db.session import session_scope
from emclm.ingest import RecordError
from emclm.labour.models import Vacancy, VacancyImport, VacancySkill
from emclm.labour.normalise import NORMALISER_VERSION, NormalisedVacancy, Normaliser
from emclm.labour.sources.base import VacancySource
from emclm.labour.tagging import VacancySkillTagger

log = logging.getLogger(__name__)
MAX_ERROR_SAMPLES = 50


@dataclass
class ImportReport:
    source: str
    seen: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    resumed_from: Any = None
    status: str = "running"
    skill_tagger: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def _last_open_run(session, source: str) -> VacancyImport | None:
    return session.execute(
        select(VacancyImport).where(VacancyImport.source == source).order_by(VacancyImport.id.desc()).limit(1)
    ).scalar_one_or_none()


def import_vacancies(
    url: str | None,
    source: VacancySource,
    *,
    batch_size: int = 500,
    resume: bool = True,
    tag_skills: bool = True,
    normaliser: Normaliser | None = None,
    tagger: VacancySkillTagger | None = None,
    limit: int | None = None,
    progress: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    report = ImportReport(source=source.name)
    with session_scope(url) as session:
        last = _last_open_run(session, source.name)
        checkpoint = None
        if resume and last is not None and last.status != "done":
            run = last
            checkpoint = last.checkpoint
            report.resumed_from = checkpoint
            for key in ("seen", "created", "updated", "unchanged", "errors"):
                setattr(report, key, getattr(last, key) or 0)
            report.error_samples = list(last.error_samples or [])
        else:
            run = VacancyImport(source=source.name, status="running", error_samples=[])
            session.add(run)
            session.flush()
        run.status = "running"
        run_id = run.id
        normaliser = normaliser or Normaliser.from_session(session)
        if tag_skills and tagger is None:
            tagger = VacancySkillTagger.from_session(session, url)
    report.skill_tagger = tagger.description if tagger else None

    batch: list[tuple[NormalisedVacancy, Any]] = []
    last_checkpoint = checkpoint

    def note_error(err: RecordError) -> None:
        report.errors += 1
        if len(report.error_samples) < MAX_ERROR_SAMPLES:
            report.error_samples.append(str(err))

    def flush() -> None:
        nonlocal batch
        if tagger is not None and batch:
            tagger.tag_batch([nv for nv, _ in batch])  # one extractor call per batch and language
        with session_scope(url) as session:
            _store(session, source.name, batch, report)
            run = session.get(VacancyImport, run_id)
            for key in ("seen", "created", "updated", "unchanged", "errors"):
                setattr(run, key, getattr(report, key))
            run.error_samples = list(report.error_samples)
            run.checkpoint = last_checkpoint
        batch = []
        if progress:
            progress(report)

    try:
        for item in source.items(checkpoint):
            last_checkpoint = item.checkpoint
            report.seen += 1
            if item.error is not None:
                note_error(item.error)
            else:
                try:
                    nv = normaliser.normalise(source.name, item.record)
                    batch.append((nv, item.checkpoint))
                except RecordError as err:
                    note_error(err)
            if len(batch) >= batch_size or (report.seen % (batch_size * 4) == 0):
                flush()
            if limit is not None and report.seen >= limit:
                break
        flush()
        report.status = "done" if limit is None or report.seen < limit else "partial"
    except BaseException:
        report.status = "failed"
        with session_scope(url) as session:
            run = session.get(VacancyImport, run_id)
            run.status = "failed"
        raise
    with session_scope(url) as session:
        run = session.get(VacancyImport, run_id)
        run.status = "done" if report.status == "done" else "partial"
        run.finished_at = utcnow()
    return report


def _store(session, source: str, batch: list[tuple[NormalisedVacancy, Any]], report: ImportReport) -> None:
    if not batch:
        return
    ids = list({nv.record.source_record_id for nv, _ in batch})
    existing: dict[str, Vacancy] = {}
    for start in range(0, len(ids), 500):
        for v in session.execute(
            select(Vacancy).where(Vacancy.source == source, Vacancy.record_id.in_(ids[start : start + 500]))
        ).scalars():
            existing[v.record_id] = v
    now = utcnow()
    for nv, _ in batch:
        rec = nv.record
        digest = nv.content_hash
        row = existing.get(rec.source_record_id)
        if row is not None and row.content_hash == digest:
            row.last_seen_at = now
            report.unchanged += 1
            continue
        if row is None:
            row = Vacancy(source=source, record_id=rec.source_record_id, first_seen_at=now)
            session.add(row)
            existing[rec.source_record_id] = row
            report.created += 1
        else:
            session.execute(delete(VacancySkill).where(VacancySkill.vacancy_id == row.id))
            report.updated += 1
        row.content_hash = digest
        row.last_seen_at = now
        row.title = rec.title[:1024]
        row.text = rec.text
        row.employer = (rec.employer or None) and rec.employer[:512]
        row.lang = rec.lang
        row.url = (rec.url or None) and rec.url[:2048]
        row.country = nv.country
        row.region_text = (rec.region_text or None) and rec.region_text[:512]
        row.nuts_code = nv.nuts
        row.nuts1 = nv.nuts[:3] if nv.nuts and len(nv.nuts) >= 3 else None
        row.nuts2 = nv.nuts[:4] if nv.nuts and len(nv.nuts) >= 4 else None
        row.nuts3 = nv.nuts[:5] if nv.nuts and len(nv.nuts) >= 5 else None
        row.date_posted = rec.date_posted
        row.date_expires = rec.date_expires
        row.date_collected = rec.date_collected
        row.month = rec.month
        row.occupation_codes = dict(rec.occupation_codes)
        row.occupation_label = (rec.occupation_label or None) and rec.occupation_label[:512]
        row.isco_code = nv.isco
        row.occupation_id = nv.occupation_id
        row.occupation_method = nv.occupation_method
        row.occupation_score = nv.occupation_score
        row.number_of_vacancies = rec.number_of_vacancies if isinstance(rec.number_of_vacancies, int) else None
        row.weight = rec.weight if rec.weight is not None else 1.0
        row.tagger_version = f"{NORMALISER_VERSION}"
        session.flush()
        for skill_id, score, method, evidence in nv.skills:
            session.add(
                VacancySkill(vacancy_id=row.id, skill_id=skill_id, score=score, method=method, evidence=evidence)
            )
    session.flush()
