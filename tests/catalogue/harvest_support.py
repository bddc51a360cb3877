"""A small in-memory Source for harvest tests (and the kill-and-resume subprocess)."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

from emclm.catalogue.records import CourseRecord, CourseRunRecord
from emclm.ingest import Source, SourceConfig, SourceItem


def make_record(
    n: int, *, provider: str = "testmooc", title: str | None = None, runs: int | list = 2, **over
) -> CourseRecord:
    """A valid record; ``runs`` is a number of generated runs or the run records themselves."""
    values = dict(
        source_record_id=f"rec-{n}",
        provider_code=provider,
        provider_name="Test MOOC",
        platform_course_id=f"course-{n}",
        title=title or f"Course {n}",
        description=f"Description of course {n}",
        organisation_name="Université de Test" if n % 2 else "Test University",
        language="fr" if n % 3 == 0 else "en",
        languages=["fr"] if n % 3 == 0 else ["en"],
        workload_hours=float(10 + n % 7),
        pace="scheduled",
        price=Decimal("0"),
        certificate_type="free",
        url=f"https://www.testmooc.example/courses/{n}/",
        runs=runs
        if isinstance(runs, list)
        else [
            CourseRunRecord(run_key=f"{n}-r{j}", start_date=date(2026, 1 + j, 1), end_date=date(2026, 2 + j, 1))
            for j in range(runs)
        ],
    )
    values.update(over)
    return CourseRecord(**values)


class ListSource(Source):
    """Yields the given records (or items); checkpoint = index of the next item. ``delay`` slows
    each item down (kill tests); ``fail_after`` raises after that many items."""

    kind = "test_list"

    def __init__(self, name: str, records, *, complete: bool = True, delay: float = 0.0, fail_after: int | None = None):
        super().__init__(SourceConfig(name=name, kind=self.kind))
        self.records = list(records)
        self.complete = complete
        self.delay = delay
        self.fail_after = fail_after
        self.started_from = None

    def items(self, checkpoint=None):
        start = int(checkpoint or 0)
        self.started_from = start
        for i in range(start, len(self.records)):
            if self.fail_after is not None and i >= self.fail_after:
                raise ConnectionError("feed went away")
            if self.delay:
                time.sleep(self.delay)
            rec = self.records[i]
            if isinstance(rec, SourceItem):
                rec.checkpoint = i + 1
                yield rec
            else:
                yield SourceItem(record=rec, checkpoint=i + 1)
        if self.fail_after is not None and self.fail_after >= len(self.records):
            raise ConnectionError("feed went away before its end was confirmed")
