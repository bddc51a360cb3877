"""The tests' copies of the built database: a copy made while another connection has it open in WAL
mode holds what that connection committed (a file copy skips the ``-wal`` file and can be stale)."""

from __future__ import annotations

import sqlite3
from contextlib import closing

from tests.conftest import copy_sqlite


def test_a_copy_holds_what_is_committed_but_still_in_the_wal(tmp_path):
    src, dst = tmp_path / "src.sqlite3", tmp_path / "copy.sqlite3"
    with closing(sqlite3.connect(src)) as writer:
        assert writer.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
        writer.execute("PRAGMA wal_autocheckpoint=0")  # keep the commits in the -wal file
        writer.execute("CREATE TABLE t (x INTEGER)")
        writer.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(100)])
        writer.commit()
        assert (tmp_path / "src.sqlite3-wal").stat().st_size > 0
        copy_sqlite(src, dst)  # while the writer still has the database open
        with closing(sqlite3.connect(dst)) as copy:
            assert copy.execute("SELECT COUNT(*), SUM(x) FROM t").fetchone() == (100, 4950)
            assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
