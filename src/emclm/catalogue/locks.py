"""One harvest per source at a time (decision 0022).

Every writer of a source's records takes the source's lock first: ``emclm harvest``, the build's
demo harvest and the push path (Richie's course-run hook). A second harvest of the same source
waits up to ``wait_s`` seconds and then refuses with :class:`SourceBusy`, which names the source,
the process holding it and since when, instead of dying mid-way with "database is locked".

- PostgreSQL: a session-level ``pg_try_advisory_lock`` on a connection of its own (64-bit key
  from the source name); the holder writes ``emclm pid@host since`` into its ``application_name``
  so a refused harvest can say who holds the lock (``pg_locks`` joined to ``pg_stat_activity``).
  The server releases it when the holder's connection ends, also on SIGKILL.
- SQLite: ``fcntl.flock`` on a lock file next to the database (``<db>.harvest-<source>.lock``),
  holding the holder's pid, host and start as JSON. The kernel releases it when the process ends.

Holding the lock proves that no other process harvests the source, so the harvest that takes it
marks the source's runs still ``running`` as ``abandoned`` (see ``harvest``).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from emclm.config import get_settings
from emclm.db.base import utcnow
from emclm.db.session import normalise_url

POLL_S = 0.2

_lock_engines: dict[str, Engine] = {}


@dataclass
class Holder:
    pid: int | None
    host: str | None
    since: str | None

    def describe(self) -> str:
        who = f"pid {self.pid} on {self.host}" if self.pid else "another process"
        return f"{who} since {self.since}" if self.since else who


class SourceBusy(RuntimeError):
    """Another process is harvesting this source."""

    def __init__(self, source: str, holder: Holder | None, waited_s: float):
        self.source = source
        self.holder = holder
        self.waited_s = waited_s
        who = holder.describe() if holder else "another process"
        super().__init__(
            f"source {source} is already being harvested by {who}; waited {waited_s:.0f} s "
            "(--lock-wait SECONDS to wait longer)"
        )


def this_host() -> str:
    return socket.gethostname()[:255]


def process_alive(pid: int | None, host: str | None) -> bool | None:
    """Whether process ``pid`` on ``host`` still runs: ``None`` when that cannot be told (another host)."""
    if not pid:
        return None
    if host and host != this_host():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _key(source: str) -> int:
    """The source's advisory-lock key: a signed 64-bit integer."""
    return int.from_bytes(hashlib.sha256(f"emclm-harvest:{source}".encode()).digest()[:8], "big", signed=True)


def _lock_file(url: str, source: str) -> Path:
    path = url.split("///", 1)[-1] if "///" in url else ""
    if not path or path == ":memory:" or path.startswith("file:"):
        base = get_settings().var_dir / "locks" / "emclm"
    else:
        base = Path(path)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", source)[:80]
    digest = hashlib.sha256(source.encode()).hexdigest()[:8]
    base.parent.mkdir(parents=True, exist_ok=True)
    return base.with_name(f"{base.name}.harvest-{safe}-{digest}.lock")


def _since() -> str:
    return utcnow().replace(microsecond=0).isoformat()


@contextmanager
def _sqlite_lock(url: str, source: str, wait_s: float | None) -> Iterator[Holder]:
    path = _lock_file(url, source)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    started = time.monotonic()
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waited = time.monotonic() - started
                if wait_s is not None and waited >= wait_s:
                    raise SourceBusy(source, _read_holder(path), waited) from None
                time.sleep(POLL_S)
        me = Holder(os.getpid(), this_host(), _since())
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me.__dict__).encode(), 0)
        try:
            yield me
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _read_holder(path: Path) -> Holder | None:
    try:
        data = json.loads(path.read_text() or "null")
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    return Holder(data.get("pid"), data.get("host"), data.get("since"))


def _pg_engine(url: str) -> Engine:
    engine = _lock_engines.get(url)
    if engine is None:
        # a connection of its own, never pooled: the lock lives exactly as long as it
        engine = _lock_engines[url] = create_engine(url, poolclass=NullPool)
    return engine


def _pg_holder(conn, key: int) -> Holder | None:
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    row = conn.execute(
        text(
            "SELECT a.application_name, a.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :hi AND l.objid = :lo AND l.objsubid = 1"
        ),
        {"hi": unsigned >> 32, "lo": unsigned & 0xFFFFFFFF},
    ).first()
    if row is None:
        return None
    match = re.fullmatch(r"emclm (\d+)@(\S*) (\S+)", row[0] or "")
    if match is None:
        return Holder(None, None, None)
    return Holder(int(match.group(1)), match.group(2), match.group(3))


@contextmanager
def _pg_lock(url: str, source: str, wait_s: float | None) -> Iterator[Holder]:
    key = _key(source)
    started = time.monotonic()
    with _pg_engine(url).connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        while not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
            waited = time.monotonic() - started
            if wait_s is not None and waited >= wait_s:
                raise SourceBusy(source, _pg_holder(conn, key), waited)
            time.sleep(POLL_S)
        me = Holder(os.getpid(), this_host()[:20], _since())
        conn.execute(
            text("SELECT set_config('application_name', :n, false)"), {"n": f"emclm {me.pid}@{me.host} {me.since}"}
        )
        try:
            yield me
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})


@contextmanager
def source_lock(database_url: str | None, source: str, wait_s: float | None = 0.0) -> Iterator[Holder]:
    """Hold the harvest lock of ``source`` for the ``with`` block. ``wait_s``: how long to wait for
    it (``None``: as long as it takes; 0: not at all); then :class:`SourceBusy`."""
    url = normalise_url(database_url or get_settings().database_url)
    lock = _sqlite_lock if url.startswith("sqlite") else _pg_lock
    with lock(url, source, wait_s) as holder:
        yield holder
