"""Shared fixtures.

- ``db_url``: a fresh, migrated database, once on SQLite and once on PostgreSQL
  (``EMCLM_TEST_POSTGRES_URL``, default postgresql://postgres@127.0.0.1:5432/test). Each test gets
  its own PostgreSQL database, created from the server and dropped afterwards. When PostgreSQL is
  unreachable the PostgreSQL case skips on a developer machine and FAILS under CI=true.
- ``esco_db_url``: a copy of the built embedded database (full ESCO + extra languages + demo
  catalogue) that ``make test`` builds in var/ before running the suite.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import uuid
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from emclm.config import get_settings
from emclm.db.migrate import upgrade

# The normal suite runs without the request rate limit (one client makes thousands of requests);
# tests/api/test_hardening.py switches it on where it is the subject.
os.environ.setdefault("EMCLM_RATE_LIMIT_ENABLED", "false")
# File sources read only inside configured folders (decision 0022): the tests' fixtures and their
# temporary directories are such folders (subprocesses started by tests inherit this too).
os.environ.setdefault(
    "EMCLM_FILE_SOURCE_ROOTS", json.dumps([str(Path(__file__).resolve().parent / "fixtures"), tempfile.gettempdir()])
)

PG_URL = os.environ.get("EMCLM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _pg_admin_engine():
    return create_engine(PG_URL, isolation_level="AUTOCOMMIT")


def _postgres_available() -> str | None:
    try:
        with _pg_admin_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        return None
    except Exception as exc:  # noqa: BLE001 - any connection failure
        return str(exc).splitlines()[0]


@pytest.fixture
def pg_url():
    problem = _postgres_available()
    if problem:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI but unreachable at {PG_URL}: {problem}")
        pytest.skip(f"PostgreSQL unreachable ({problem}); required when CI=true")
    name = f"emclm_t_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_URL.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        from emclm.db.session import _engines

        eng = _engines.pop(url, None)
        if eng is not None:
            eng.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'emclm.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh database with every migration applied, on each supported engine."""
    if request.param == "sqlite":
        url = request.getfixturevalue("sqlite_url")
    else:
        url = request.getfixturevalue("pg_url")
    upgrade(url)
    return url


def copy_sqlite(src: Path, dst: Path) -> None:
    """Copy the SQLite database ``src`` to ``dst`` with SQLite's online backup API: a consistent copy
    including what is committed but still in the ``-wal`` file (a file copy skips it), even while another
    process has the database open. Every test that copies the built database goes through here."""
    with closing(sqlite3.connect(src)) as source, closing(sqlite3.connect(dst)) as target:
        source.backup(target)


@pytest.fixture(scope="session")
def built_db_path() -> Path:
    """The embedded database built by ``emclm db build`` (``make test`` builds it first)."""
    settings = get_settings()
    path = Path(settings.database_url.split("///", 1)[-1])
    if not path.exists():
        from emclm.build import build_embedded

        build_embedded(settings.database_url)
    return path


@pytest.fixture(scope="session")
def esco_db_url(built_db_path, tmp_path_factory) -> str:
    """A private copy of the built database (ESCO + demo catalogue), shared by a test session."""
    target = tmp_path_factory.mktemp("esco") / "emclm.sqlite3"
    copy_sqlite(built_db_path, target)
    return f"sqlite:///{target}"
