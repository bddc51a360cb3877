"""``emclm db backup PATH`` / ``emclm db restore PATH``: a consistent copy of a live database.

- SQLite: the sqlite3 online backup API, from the live database (readers and writers may keep it open;
  what is committed but still in the ``-wal`` file is included, which a file copy would miss). The backup
  is itself a SQLite database file.
- PostgreSQL: ``pg_dump --format=custom`` (one consistent snapshot) and ``pg_restore --clean --if-exists``.
  The client tools must be on ``PATH``; a clear :class:`BackupError` says so when they are not.

A restore replaces the target database's content; the engines this process holds for that URL are
disposed of (:func:`emclm.db.session.dispose_engine`) so the next session sees the restored data.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import make_url

from emclm.config import get_settings
from emclm.db.session import dispose_engine, normalise_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message names the database or file and the reason."""


def _sqlite_path(url: str) -> Path:
    path = make_url(url).database
    if not path or path == ":memory:":
        raise BackupError(f"database {url}: an in-memory SQLite database cannot be backed up or restored")
    return Path(path)


def _pg_tool(name: str) -> str:
    tool = shutil.which(name)
    if tool is None:
        raise BackupError(
            f"{name} not found on PATH: PostgreSQL backups need the PostgreSQL client tools "
            "(Debian: apt-get install postgresql-client)"
        )
    return tool


def _pg_args(url: str) -> tuple[list[str], dict[str, str]]:
    """libpq connection options for the pg tools; the password goes through the environment, never argv."""
    u = make_url(url)
    if not u.database:
        raise BackupError(f"database URL {u.render_as_string(hide_password=True)}: no database name")
    args = ["--dbname", u.database]
    if u.host:
        args += ["--host", u.host]
    if u.port:
        args += ["--port", str(u.port)]
    if u.username:
        args += ["--username", u.username]
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = u.password
    return args + ["--no-password"], env


def _run(cmd: list[str], env: dict[str, str], what: str) -> None:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BackupError(f"{what} failed (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}")


def backup(path: Path, url: str | None = None) -> Path:
    """Write a backup of the database at ``url`` (default: settings) to ``path``; never overwrites."""
    url = normalise_url(url or get_settings().database_url)
    path = Path(path)
    if path.exists():
        raise BackupError(f"backup file {path}: exists already (choose a new name)")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if url.startswith("sqlite"):
            source_path = _sqlite_path(url)
            if not source_path.exists():
                raise BackupError(f"database {source_path}: no such file")
            with closing(sqlite3.connect(source_path)) as source, closing(sqlite3.connect(partial)) as target:
                source.backup(target)
        else:
            args, env = _pg_args(url)
            _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(partial), *args], env, "pg_dump")
        partial.rename(path)  # only a complete backup gets the asked-for name
    finally:
        partial.unlink(missing_ok=True)
    return path


def _kind(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "pg_dump"
    raise BackupError(f"backup file {path}: neither a SQLite database nor a pg_dump custom-format archive")


def _has_tables(url: str) -> bool:
    from sqlalchemy import inspect

    from emclm.db.session import get_engine

    return bool(inspect(get_engine(url)).get_table_names())


def restore(path: Path, url: str | None = None, *, force: bool = False) -> None:
    """Replace the content of the database at ``url`` with the backup at ``path``.

    Refuses a target that holds tables unless ``force`` (a restore destroys what is there)."""
    url = normalise_url(url or get_settings().database_url)
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"backup file {path}: no such file")
    kind = _kind(path)
    is_sqlite = url.startswith("sqlite")
    if is_sqlite and kind != "sqlite":
        raise BackupError(f"backup file {path}: a pg_dump archive cannot be restored into SQLite database {url}")
    if not is_sqlite and kind != "pg_dump":
        raise BackupError(f"backup file {path}: a SQLite backup cannot be restored into PostgreSQL")
    if not force and (not is_sqlite or _sqlite_path(url).exists()) and _has_tables(url):
        raise BackupError(
            f"database {make_url(url).render_as_string(hide_password=True)}: holds tables already; "
            "restore with --force to replace them"
        )
    dispose_engine(url)
    if is_sqlite:
        target_path = _sqlite_path(url)
        target_path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(path)) as source, closing(sqlite3.connect(target_path)) as target:
            source.backup(target)  # page by page into the target, under its lock: no torn file for readers
    else:
        args, env = _pg_args(url)
        _run(
            [_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--exit-on-error", *args, str(path)],
            env,
            "pg_restore",
        )
    dispose_engine(url)
