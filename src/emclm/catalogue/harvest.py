"""Run a ``Source`` into the catalogue: batched, incremental, resumable, reported.

One transaction per batch. Each batch commits, together, the courses it changed, the
``last_seen_at`` of the records it saw (the pass's seen set), the checkpoint of its last item, the
fetcher's conditional-request validators and the run's counts. A harvest killed at any point
(even SIGKILL) therefore leaves whole courses only, and the next run resumes from the last
committed checkpoint with the seen set intact.

Records a complete pass did not see are withdrawn only when the pass finishes uninterrupted (a
resumed pass counts: what was seen before the kill is in ``last_seen_at``). A fresh pass that
yields nothing at all writes and withdraws nothing: either the source reported its feed not
modified (``source.not_modified = True``, or a 304 reported as an incomplete empty pass), or the
feed is empty, which is far more often a broken feed than an empty catalogue. The fetcher's stored
validators are handed back only to a fresh pass; a resumed pass fetches unconditionally.

See docs/decisions/0003-harvest-incremental-and-resumable.md.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import inspect, select, text, update
from sqlalchemy.orm import Session

from emclm.catalogue.locks import SourceBusy, process_alive, source_lock, this_host
from emclm.catalogue.models import HarvestRun, HarvestState
from emclm.catalogue.normalise import sanitise_record
from emclm.catalogue.records import CourseRecord
from emclm.catalogue.store import CatalogueStore, withdraw_missing
from emclm.db.base import utcnow
from emclm.db.session import sessionmaker_for
from emclm.ingest import RecordError, Source, SourceItem

log = logging.getLogger(__name__)

MAX_STORED_ERRORS = 200
_ANALYZED_TABLES = ("catalogue_course", "catalogue_course_run", "catalogue_course_source", "catalogue_course_key")


@dataclass
class HarvestError:
    source: str
    record_id: str | None
    field: str | None
    message: str
    # "error": the record was not stored; "warning": it was stored without the named field
    level: str = "error"

    @classmethod
    def from_record_error(cls, exc: RecordError) -> HarvestError:
        return cls(exc.source, exc.record_id, exc.field_name, exc.message)

    def __str__(self) -> str:
        return f"{self.source}: record {self.record_id or '?'}: field {self.field or '?'}: {self.message}"


@dataclass
class HarvestReport:
    source: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    failed: int = 0
    errors: list[HarvestError] = field(default_factory=list)
    # records stored without a field that was unsafe (a javascript: link …), decision 0022
    warnings: list[HarvestError] = field(default_factory=list)
    duration_s: float = 0.0
    # complete: the pass saw the whole source (withdrawals applied); partial: an incremental slice
    # or push; not_modified: the feed had not changed (nothing written); empty: the source yielded
    # nothing (nothing written, nothing withdrawn); interrupted: the source failed mid-way (what
    # was committed stays; the next run resumes)
    status: str = "running"
    resumed: bool = False
    # earlier runs of the source found still "running" (their process died), now "abandoned"
    abandoned_runs: int = 0

    @property
    def seen(self) -> int:
        return self.created + self.updated + self.unchanged

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["duration_s"] = round(self.duration_s, 3)
        return data


ProgressCallback = Callable[[HarvestReport], None]


def _jsonable(value: Any) -> Any:
    """The checkpoint as stored: JSON, or None when a source hands back something that is not
    (the next run then restarts the pass, which is safe, only slower)."""
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        log.warning("checkpoint %r is not JSON-serialisable; a resume would restart the pass", value)
        return None


def _validators(source: Source) -> dict | None:
    fetch = getattr(source, "fetch", None)
    validators = getattr(fetch, "validators", None)
    return validators if isinstance(validators, dict) else None


class _Run:
    """One harvest invocation: owns the state row, the run row and the batch transactions."""

    def __init__(
        self,
        session: Session,
        source_name: str,
        report: HarvestReport,
        priority: int | None,
        state_values: dict[str, Any] | None = None,
        before_commit: Callable[[Session, list[CourseRecord], list[str]], None] | None = None,
    ):
        self.session = session
        # a push's audit row (emclm.accounts.audit): written in each batch's transaction, before its commit
        self.before_commit = before_commit
        self.report = report
        self.source_name = source_name
        self.store = CatalogueStore(session, source_name, priority)
        self.run_row: HarvestRun | None = None
        # values the state row takes with every commit (None: a push, no state row)
        self.state_values = state_values
        self._analyze_at = 500

    def _write_state(self, now: datetime, **values: Any) -> None:
        """Set the harvest-state row just before a commit (a rollback may have discarded earlier sets)."""
        if self.state_values is None:
            return
        state = self.session.get(HarvestState, self.source_name)
        if state is None:
            state = HarvestState(source=self.source_name, validators={})
            self.session.add(state)
        for key, value in {**self.state_values, **values}.items():
            setattr(state, key, value)
        state.last_run_at = now

    def commit_batch(
        self,
        records: list[CourseRecord],
        errors: list[RecordError],
        deleted: list[str],
        checkpoint: Any = None,
        validators: dict | None = None,
    ) -> None:
        """Store a batch and the harvest's position in one transaction."""
        session = self.session
        now = utcnow()
        report = self.report
        self._sanitise(records)
        try:
            outcomes = self.store.upsert_many(records, now)
        except Exception:  # noqa: BLE001 - a bad record never aborts a batch
            # something the validation did not foresee (the database or its driver refused a
            # value): redo the batch record by record, each in a savepoint
            log.warning("batch of %s refused as a whole; storing it record by record", self.source_name, exc_info=True)
            session.rollback()
            if self.run_row is not None and inspect(self.run_row).identity is None:
                self.run_row = None  # it was pending, the rollback discarded it
            self.store = CatalogueStore(session, self.source_name, self.store.priority)
            outcomes = []
            for record in records:
                nested = session.begin_nested()
                try:
                    outcomes.append(self.store.upsert_many([record], now)[0])
                    nested.commit()
                except Exception as exc:  # noqa: BLE001
                    nested.rollback()
                    self.store = CatalogueStore(session, self.source_name, self.store.priority)
                    outcomes.append(
                        RecordError(
                            self.source_name,
                            getattr(record, "source_record_id", None),
                            None,
                            f"database rejected the record: {type(exc).__name__}: "
                            f"{str(getattr(exc, 'orig', None) or exc).splitlines()[0][:300]}",
                        )
                    )
        for outcome in outcomes:
            if isinstance(outcome, RecordError):
                errors.append(outcome)
            else:
                setattr(report, outcome, getattr(report, outcome) + 1)
        # a record that exists but failed to normalise is still there: keep it (do not withdraw)
        failed_ids = [e.record_id for e in errors if e.record_id]
        if failed_ids:
            self.store.touch(failed_ids, now)
        if deleted:
            report.withdrawn += self.store.withdraw(deleted, now)
        report.failed += len(errors)
        for exc in errors:
            if len(report.errors) < MAX_STORED_ERRORS:
                report.errors.append(HarvestError.from_record_error(exc))
        values: dict[str, Any] = {"checkpoint": _jsonable(checkpoint)}
        if validators is not None:
            values["validators"] = dict(validators)
        self._write_state(now, **values)
        self._save_run_row()
        if self.before_commit is not None and (records or deleted):
            self.before_commit(session, records, deleted)
        session.commit()
        self._refresh_statistics()

    def _sanitise(self, records: list[CourseRecord]) -> None:
        """Every record, from any source or push, loses its non-http(s) links and control characters
        before it is stored; each dropped link is a warning naming the record and the field."""
        for record in records:
            for field_name, message in sanitise_record(record):
                warning = HarvestError(
                    self.source_name, getattr(record, "source_record_id", None), field_name, message, "warning"
                )
                log.warning("%s", warning)
                if len(self.report.warnings) < MAX_STORED_ERRORS:
                    self.report.warnings.append(warning)

    def _refresh_statistics(self) -> None:
        """On PostgreSQL, ANALYZE the catalogue tables as a first harvest grows them (after 500,
        1,000, 2,000 … new courses). With the statistics of a near-empty table the planner reads
        every provenance of the source through the single-column ``source`` index instead of the
        ``(source, record_id)`` unique index: 50 ms a batch at 75k rows and growing."""
        if self.session.get_bind().dialect.name != "postgresql" or self.report.created < self._analyze_at:
            return
        self.session.execute(text("ANALYZE " + ", ".join(_ANALYZED_TABLES)))
        self.session.commit()
        self._analyze_at = self.report.created * 2

    def _save_run_row(self, status: str | None = None, finished: datetime | None = None) -> None:
        r = self.report
        if self.run_row is None:
            self.run_row = HarvestRun(
                source=self.source_name,
                resumed=r.resumed,
                status="running",
                errors=[],
                pid=os.getpid(),
                host=this_host(),
            )
            self.session.add(self.run_row)
        row = self.run_row
        row.created, row.updated, row.unchanged = r.created, r.updated, r.unchanged
        row.withdrawn, row.failed = r.withdrawn, r.failed
        row.errors = [asdict(e) for e in (r.errors + r.warnings)[:MAX_STORED_ERRORS]]
        if status:
            row.status = status
        if finished:
            row.finished_at = finished


def _abandon_dead_runs(session: Session, source_name: str, report: HarvestReport) -> None:
    """Mark the source's runs still ``running`` as ``abandoned``: called with the source's lock held,
    which proves that no process runs them any more (killed, crashed, the machine restarted)."""
    now = utcnow()
    result = session.execute(
        update(HarvestRun)
        .where(HarvestRun.source == source_name, HarvestRun.status == "running")
        .values(status="abandoned", finished_at=now)
    )
    if not result.rowcount:
        session.rollback()  # nothing to mark: no commit (a not-modified feed writes nothing)
        return
    session.commit()
    if result.rowcount:
        report.abandoned_runs = result.rowcount
        log.warning("source %s: %d earlier run(s) found dead, marked abandoned", source_name, result.rowcount)


def harvest(
    source: Source,
    database_url: str | None = None,
    batch_size: int = 200,
    progress: ProgressCallback | None = None,
    *,
    priority: int | None = None,
    lock_wait: float | None = 0.0,
) -> HarvestReport:
    """Harvest ``source`` into the catalogue; see the module docstring. Never raises for a bad
    record; a source failing mid-way is reported as ``interrupted`` with its error.

    Takes the source's lock first (``emclm.catalogue.locks``), waiting up to ``lock_wait`` seconds
    (``None``: as long as it takes); raises :class:`~emclm.catalogue.locks.SourceBusy` when another
    process still holds it."""
    with source_lock(database_url, source.name, lock_wait):
        return _harvest(source, database_url, batch_size, progress, priority)


def _harvest(
    source: Source,
    database_url: str | None,
    batch_size: int,
    progress: ProgressCallback | None,
    priority: int | None,
) -> HarvestReport:
    started = time.perf_counter()
    name = source.name
    report = HarvestReport(source=name)
    session = sessionmaker_for(database_url)()
    try:
        _abandon_dead_runs(session, name, report)
        state = session.get(HarvestState, name)
        checkpoint = None
        if state is not None and state.status == "running" and state.pass_started_at is not None:
            report.resumed = True
            checkpoint = state.checkpoint
            pass_started_at = state.pass_started_at
        else:
            pass_started_at = utcnow()
        if priority is None:
            priority = state.priority if state is not None else 0
        validators = _validators(source)
        # Conditional requests only start a fresh pass: a resumed pass needs the data itself
        # (a 304 for a feed whose first half was stored would leave the second half unseen).
        if validators is not None and state is not None and state.validators and not report.resumed:
            for url, value in state.validators.items():
                validators.setdefault(url, value)
        state_values = {
            "status": "running",
            "pass_started_at": pass_started_at,
            "priority": priority,
            "kind": getattr(source, "kind", None) or None,
        }
        session.rollback()  # nothing is written before the first batch: a not-modified feed writes nothing
        run = _Run(session, name, report, priority, state_values)

        batch_records: list[CourseRecord] = []
        batch_errors: list[RecordError] = []
        batch_deleted: list[str] = []
        last_checkpoint = checkpoint
        n_items = 0
        committed = False

        def flush_batch() -> None:
            nonlocal batch_records, batch_errors, batch_deleted, committed
            run.commit_batch(batch_records, batch_errors, batch_deleted, last_checkpoint, _validators(source))
            committed = True
            batch_records, batch_errors, batch_deleted = [], [], []
            if progress is not None:
                progress(report)

        try:
            for item in source.items(checkpoint):
                n_items += 1
                if not isinstance(item, SourceItem):
                    item = SourceItem(record=item)
                if item.record is not None:
                    batch_records.append(item.record)
                if item.error is not None:
                    batch_errors.append(item.error)
                deleted_id = getattr(item, "deleted_id", None)
                if deleted_id:
                    batch_deleted.append(str(deleted_id))
                last_checkpoint = item.checkpoint
                if len(batch_records) + len(batch_errors) + len(batch_deleted) >= batch_size:
                    flush_batch()
            if batch_records or batch_errors or batch_deleted:
                flush_batch()
        except Exception as exc:  # noqa: BLE001 - a failing source is reported, not raised
            log.exception("source %s failed mid-way", name)
            session.rollback()
            # what the committed batches reached stays (with its checkpoint): the next run resumes
            report.status = "interrupted"
            report.errors.append(HarvestError(name, None, None, f"source failed: {type(exc).__name__}: {exc}"))
            report.failed += 1
            if committed:
                run._save_run_row(status="interrupted", finished=utcnow())
                session.commit()
            report.duration_s = time.perf_counter() - started
            return report

        if n_items == 0 and not report.resumed:
            # Not modified (``source.not_modified``, or a 304 reported as an incomplete empty pass)
            # or an empty feed: write nothing, withdraw nothing.
            session.rollback()
            not_modified = getattr(source, "not_modified", False) or not getattr(source, "complete", True)
            report.status = "not_modified" if not_modified else "empty"
            if not not_modified:
                log.warning("source %s yielded nothing; nothing withdrawn", name)
            report.duration_s = time.perf_counter() - started
            return report

        now = utcnow()
        if getattr(source, "complete", True):
            report.withdrawn += withdraw_missing(session, name, None, pass_started_at, now)
            report.status = "complete"
            extra = {"last_complete_at": now}
        else:
            report.status = "partial"
            extra = {}
        v = _validators(source)
        if v is not None:
            extra["validators"] = dict(v)
        run._write_state(now, status=report.status, checkpoint=None, pass_started_at=None, **extra)
        run._save_run_row(status=report.status, finished=now)
        session.commit()
        report.duration_s = time.perf_counter() - started
        if progress is not None:
            progress(report)
        return report
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def ingest(
    records: Iterable[CourseRecord | SourceItem],
    source_name: str,
    database_url: str | None = None,
    *,
    batch_size: int = 200,
    priority: int | None = None,
    before_commit: Callable[[Session, list[CourseRecord], list[str]], None] | None = None,
    lock_wait: float | None = 30.0,
) -> HarvestReport:
    """Store pushed records (e.g. Richie's course-run sync hook): a partial pass, never withdraws
    what was not pushed. ``SourceItem``s with ``deleted_id`` withdraw that record. ``before_commit(session,
    records, deleted_ids)`` runs inside each batch's transaction (the push's audit row). Holds the
    source's lock like a harvest (waits up to ``lock_wait`` seconds, then ``SourceBusy``)."""
    with source_lock(database_url, source_name, lock_wait):
        return _ingest(records, source_name, database_url, batch_size, priority, before_commit)


def _ingest(
    records: Iterable[CourseRecord | SourceItem],
    source_name: str,
    database_url: str | None,
    batch_size: int,
    priority: int | None,
    before_commit: Callable[[Session, list[CourseRecord], list[str]], None] | None = None,
) -> HarvestReport:
    started = time.perf_counter()
    report = HarvestReport(source=source_name, status="partial")
    session = sessionmaker_for(database_url)()
    try:
        _abandon_dead_runs(session, source_name, report)
        run = _Run(session, source_name, report, priority, before_commit=before_commit)
        records_b: list[CourseRecord] = []
        errors_b: list[RecordError] = []
        deleted_b: list[str] = []
        for item in records:
            if isinstance(item, SourceItem):
                if item.record is not None:
                    records_b.append(item.record)
                if item.error is not None:
                    errors_b.append(item.error)
                if getattr(item, "deleted_id", None):
                    deleted_b.append(str(item.deleted_id))
            else:
                records_b.append(item)
            if len(records_b) + len(errors_b) + len(deleted_b) >= batch_size:
                run.commit_batch(records_b, errors_b, deleted_b)
                records_b, errors_b, deleted_b = [], [], []
        run.commit_batch(records_b, errors_b, deleted_b)
        run._save_run_row(status="partial", finished=utcnow())
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    report.duration_s = time.perf_counter() - started
    return report


def harvest_state(database_url: str | None = None) -> dict[str, HarvestState]:
    """Every source's harvest state, by source name."""
    session = sessionmaker_for(database_url)()
    try:
        return {s.source: s for s in session.scalars(select(HarvestState))}
    finally:
        session.close()


def harvest_history(
    database_url: str | None = None, sources: list[str] | None = None, limit: int = 20
) -> list[dict[str, Any]]:
    """The latest runs (newest first), of the named sources or all. A run still ``running`` whose
    process is gone from this host is marked ``abandoned`` here too (the next harvest of its source
    would do it); one whose process runs elsewhere or still runs is shown as it is."""
    session = sessionmaker_for(database_url)()
    try:
        query = select(HarvestRun).order_by(HarvestRun.started_at.desc(), HarvestRun.id.desc()).limit(limit)
        if sources:
            query = query.where(HarvestRun.source.in_(sources))
        rows = list(session.scalars(query))
        dead = [r for r in rows if r.status == "running" and process_alive(r.pid, r.host) is False]
        for row in dead:
            row.status, row.finished_at = "abandoned", row.finished_at or utcnow()
        if dead:
            session.commit()
        return [
            {
                "id": r.id,
                "source": r.source,
                "status": r.status,
                "started_at": r.started_at.isoformat() if r.started_at else None,
                "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                "resumed": r.resumed,
                "created": r.created,
                "updated": r.updated,
                "unchanged": r.unchanged,
                "withdrawn": r.withdrawn,
                "failed": r.failed,
                "pid": r.pid,
                "host": r.host,
            }
            for r in rows
        ]
    finally:
        session.close()


__all__ = ["HarvestError", "HarvestReport", "SourceBusy", "harvest", "harvest_history", "harvest_state", "ingest"]
