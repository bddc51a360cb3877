"""Issue #20 item 4: one harvest per source at a time (a clear refusal, or a wait), runs whose
process died are marked ``abandoned``, and ``emclm harvest --history`` shows them (decision 0022)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harvest_support import ListSource, make_record  # noqa: E402

from emclm.catalogue.harvest import harvest, harvest_history, ingest  # noqa: E402
from emclm.catalogue.locks import SourceBusy, source_lock, this_host  # noqa: E402
from emclm.catalogue.models import Course, HarvestRun  # noqa: E402
from emclm.cli import app  # noqa: E402
from emclm.db.session import session_scope  # noqa: E402

runner = CliRunner()


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_second_harvest_of_a_busy_source_is_refused_with_who_and_since(db_url):
    with source_lock(db_url, "t") as holder:
        with pytest.raises(SourceBusy) as refused:
            harvest(ListSource("t", [make_record(1)]), db_url)
        message = str(refused.value)
        assert message.startswith("source t is already being harvested by ")
        assert f"pid {os.getpid()}" in message and f"since {holder.since}" in message
        with pytest.raises(SourceBusy):
            ingest([make_record(2)], "t", db_url, lock_wait=0)
        # another source is not held up
        assert harvest(ListSource("other", [make_record(3)]), db_url).created == 1
    assert harvest(ListSource("t", [make_record(1)]), db_url).created == 1  # released


def test_lock_wait_waits_for_the_other_harvest(db_url):
    held = threading.Event()

    def hold():
        with source_lock(db_url, "t"):
            held.set()
            time.sleep(1.5)

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(10)
    started = time.monotonic()
    with pytest.raises(SourceBusy):
        harvest(ListSource("t", [make_record(1)]), db_url, lock_wait=0.3)
    report = harvest(ListSource("t", [make_record(1)]), db_url, lock_wait=30)
    thread.join()
    assert report.created == 1 and time.monotonic() - started >= 1.0


def test_the_lock_is_released_when_the_holder_dies(db_url, tmp_path):
    """SIGKILL of the holder: the kernel (flock) or the server (advisory lock) releases it."""
    code = (
        f"import sys, time; sys.path[:0] = [{str(Path(__file__).resolve().parents[2] / 'src')!r}]\n"
        "from emclm.catalogue.locks import source_lock\n"
        f"with source_lock({db_url!r}, 't'):\n"
        "    print('HELD', flush=True); time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "HELD"
        with pytest.raises(SourceBusy, match=f"pid {child.pid} on"):
            harvest(ListSource("t", [make_record(1)]), db_url)
    finally:
        child.kill()
        child.wait()
    assert harvest(ListSource("t", [make_record(1)]), db_url, lock_wait=10).created == 1


def test_runs_of_dead_processes_become_abandoned(db_url):
    dead = _dead_pid()
    with session_scope(db_url) as s:
        s.add(HarvestRun(source="t", status="running", errors=[], pid=dead, host=this_host()))
        s.add(HarvestRun(source="elsewhere", status="running", errors=[], pid=dead, host="other-host"))
        s.add(HarvestRun(source="alive", status="running", errors=[], pid=os.getpid(), host=this_host()))
    # the history already tells a dead process on this host from a live one or one it cannot see
    shown = {r["source"]: r["status"] for r in harvest_history(db_url)}
    assert shown == {"t": "abandoned", "elsewhere": "running", "alive": "running"}
    # the next harvest of a source, holding its lock, marks every run of it still "running" abandoned
    report = harvest(ListSource("elsewhere", [make_record(1)]), db_url)
    assert report.abandoned_runs == 1 and report.status == "complete"
    with session_scope(db_url) as s:
        rows = {(r.source, r.status) for r in s.scalars(select(HarvestRun))}
        mine = s.scalars(select(HarvestRun).where(HarvestRun.status == "complete")).one()
        assert (mine.pid, mine.host) == (os.getpid(), this_host())
    assert rows == {("t", "abandoned"), ("elsewhere", "abandoned"), ("alive", "running"), ("elsewhere", "complete")}


def test_cli_refuses_a_busy_source_and_shows_the_history(sqlite_url, tmp_path):
    data = tmp_path / "partner.json"
    data.write_text(json.dumps([{"source_record_id": "1", "title": "A course"}]))
    sources = tmp_path / "sources.toml"
    sources.write_text(
        f'[[source]]\nname = "partner"\nkind = "partner_json"\npath = "{data}"\n'
        '[source.options]\nprovider_code = "partner"\n'
    )
    common = ["--sources-file", str(sources), "--database-url", sqlite_url]
    from emclm.db.migrate import upgrade

    upgrade(sqlite_url)
    with source_lock(sqlite_url, "partner"):
        busy = runner.invoke(app, ["harvest", "partner", "--lock-wait", "0.5", *common])
    assert busy.exit_code == 1
    assert "source partner is already being harvested by pid" in " ".join(busy.output.split())
    done = runner.invoke(app, ["harvest", "partner", "--json", *common])
    assert done.exit_code == 0, done.output
    with session_scope(sqlite_url) as s:
        assert s.scalar(select(Course.title)) == "A course"
        s.add(HarvestRun(source="partner", status="running", errors=[], pid=_dead_pid(), host=this_host()))
    history = runner.invoke(app, ["harvest", "--history", "--json", "--database-url", sqlite_url])
    assert [r["status"] for r in json.loads(history.output)] == ["abandoned", "complete"]
    table = runner.invoke(
        app, ["harvest", "--history", "partner", "--database-url", sqlite_url], env={"COLUMNS": "200"}
    )
    assert "abandoned" in table.output and "complete" in table.output
