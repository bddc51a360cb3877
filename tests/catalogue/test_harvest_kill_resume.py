"""A harvest SIGKILLed mid-way (even between flush and COMMIT) leaves whole courses only, and the
next run resumes from the last committed checkpoint to the state an uninterrupted harvest reaches."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from sqlalchemy import select

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harvest_support import ListSource, make_record  # noqa: E402

from emclm.catalogue.harvest import harvest  # noqa: E402
from emclm.catalogue.models import Course, CourseSource, HarvestState  # noqa: E402
from emclm.db.migrate import upgrade  # noqa: E402
from emclm.db.session import session_scope  # noqa: E402

SRC = HERE.parents[1] / "src"
BATCH = 5


def first_pass():
    return [make_record(i) for i in range(40)]


def second_pass():
    # 0–9 changed (batches 1–2), 40–49 new (batches 3–4), 10–29 unchanged, 30–39 gone
    return (
        [make_record(i, title=f"Course {i} v2") for i in range(10)]
        + [make_record(i) for i in range(40, 50)]
        + [make_record(i) for i in range(10, 30)]
    )


CHILD = textwrap.dedent(
    """
    import sys, time
    sys.path[:0] = [{src!r}, {here!r}]
    from sqlalchemy import event
    from sqlalchemy.orm import Session
    from harvest_support import ListSource
    from test_harvest_kill_resume import second_pass
    from emclm.catalogue.harvest import harvest

    commits = 0

    @event.listens_for(Session, "before_commit")
    def _hold(session):
        # the third batch (new courses) is flushed but not committed: the worst moment to die
        global commits
        commits += 1
        print("FLUSHED", commits, flush=True)
        if commits == 3:
            time.sleep(120)

    harvest(ListSource("slow", second_pass()), {url!r}, batch_size={batch})
    """
)


def dump(url):
    """Everything the catalogue says, without ids and timestamps."""
    with session_scope(url) as s:
        return sorted(
            (
                c.key,
                c.title,
                c.content_hash,
                c.withdrawn_at is None,
                tuple(sorted((r.run_key, str(r.start_date), r.withdrawn_at is None) for r in c.runs)),
                tuple(sorted((p.source, p.record_id, p.content_hash, p.withdrawn_at is None) for p in c.sources)),
            )
            for c in s.scalars(select(Course))
        )


def test_kill_between_flush_and_commit_then_resume(db_url, tmp_path):
    harvest(ListSource("slow", first_pass()), db_url, batch_size=BATCH)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD.format(src=str(SRC), here=str(HERE), url=db_url, batch=BATCH)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
    )
    try:
        # let two batches commit, kill while the third is flushed but not committed
        flushed = 0
        for line in child.stdout:
            if line.startswith("FLUSHED"):
                flushed += 1
                if flushed == 3:
                    break
        assert flushed == 3, "the child harvest ended before the third batch"
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL

    committed = 2 * BATCH
    expected_items = second_pass()
    with session_scope(db_url) as s:
        state = s.get(HarvestState, "slow")
        assert (state.status, state.checkpoint) == ("running", committed)
        courses = s.scalars(select(Course)).all()
        # no half-written course: every course has all its runs and its provenance
        assert all(len(c.runs) == 2 and len(c.sources) == 1 for c in courses)
        titles = {c.key: c.title for c in courses}
        # exactly the committed batches changed: 0–9 are v2; the flushed third batch (new 40–44) is gone
        assert all(titles[f"testmooc:course-{i}"] == f"Course {i} v2" for i in range(10))
        assert len(courses) == 40 and not any(f"testmooc:course-{i}" in titles for i in range(40, 50))
        assert all(c.withdrawn_at is None for c in courses)  # no withdrawals before a complete pass
        seen = s.scalars(select(CourseSource.record_id).where(CourseSource.last_seen_at >= state.pass_started_at)).all()
        assert sorted(seen) == sorted(r.source_record_id for r in expected_items[:committed])

    source = ListSource("slow", second_pass())
    report = harvest(source, db_url, batch_size=BATCH)
    assert report.resumed and source.started_from == committed
    assert report.abandoned_runs == 1  # the killed run is no longer shown as running (decision 0022)
    assert (report.created, report.updated, report.unchanged, report.withdrawn) == (10, 0, 20, 10)

    # the state an uninterrupted harvest reaches
    reference = f"sqlite:///{tmp_path / 'reference.sqlite3'}"
    upgrade(reference)
    harvest(ListSource("slow", first_pass()), reference, batch_size=BATCH)
    harvest(ListSource("slow", second_pass()), reference, batch_size=BATCH)
    assert dump(db_url) == dump(reference)
