"""Backups and upgrades lose nothing (issue #19).

- ``emclm db backup`` of a live database restored with ``emclm db restore`` into a NEW database holds the same
  rows in every table and answers a search the same way, on SQLite and on PostgreSQL.
- A database created by the first release's migrations (revision 0001), with data in it, upgrades to head
  with every row still there, and the upgraded catalogue is searchable.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from contextlib import closing

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, select, text
from typer.testing import CliRunner

from emclm.cli import app as cli
from emclm.db.backup import BackupError, backup, restore
from emclm.db.migrate import alembic_config, current_heads, upgrade
from emclm.db.session import get_engine, session_scope
from emclm.search import SearchRequest, index_courses, search
from tests.conftest import _pg_admin_engine
from tests.search.conftest import TODAY, URL, seed_courses, seed_esco


def _row_counts(url: str) -> dict[str, int]:
    engine = get_engine(url)
    names = sorted(inspect(engine).get_table_names())
    with engine.connect() as conn:
        return {name: conn.execute(text(f'SELECT COUNT(*) FROM "{name}"')).scalar_one() for name in names}


def _search_urls(url: str, q: str, lang: str) -> list[str]:
    with session_scope(url) as session:
        res = search(session, SearchRequest(q=q, lang=lang, embeddings=False, today=TODAY))
    return [h.url for h in res.results]


@pytest.fixture
def new_db_url(db_url, tmp_path, request):
    """A second, empty database on the same engine as ``db_url`` (no schema: the restore brings it)."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    name = f"emclm_r_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = db_url.rsplit("/", 1)[0] + "/" + name
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
def catalogue_db(db_url):
    """ESCO subset + real course listings + search index, on each engine."""
    from emclm.search.concepts import build_label_keys

    with session_scope(db_url) as session:
        seed_esco(session)
        seed_courses(session)
        build_label_keys(session)
        index_courses(session, None)
    return db_url


def test_backup_restored_into_a_new_database_holds_every_row_and_searches_alike(catalogue_db, new_db_url, tmp_path):
    source = catalogue_db
    before_counts = _row_counts(source)
    assert before_counts["catalogue_course"] >= 10 and before_counts["esco_label"] > 0
    assert before_counts["search_document"] == before_counts["catalogue_course"]
    before_search = _search_urls(source, "statistiques", "fr")
    assert URL["stat_r_fr"] in before_search

    path = tmp_path / "emclm.backup"
    runner = CliRunner()
    res = runner.invoke(cli, ["db", "backup", str(path), "--database-url", source])
    assert res.exit_code == 0, res.output
    assert path.stat().st_size > 0
    res = runner.invoke(cli, ["db", "restore", str(path), "--database-url", new_db_url])
    assert res.exit_code == 0, res.output

    assert _row_counts(new_db_url) == before_counts
    assert current_heads(new_db_url) == current_heads(source)
    assert _search_urls(new_db_url, "statistiques", "fr") == before_search


def test_restore_refuses_a_database_with_tables_unless_forced(catalogue_db, tmp_path):
    path = backup(tmp_path / "b.dump", catalogue_db)
    with pytest.raises(BackupError, match="holds tables already; restore with --force"):
        restore(path, catalogue_db)
    with session_scope(catalogue_db) as session:  # a change made after the backup …
        session.execute(text("DELETE FROM catalogue_course_run"))
    restore(path, catalogue_db, force=True)  # … is undone by a forced restore
    assert _row_counts(catalogue_db)["catalogue_course_run"] == 2
    with pytest.raises(BackupError, match="exists already"):
        backup(path, catalogue_db)


def test_a_file_that_is_no_backup_is_refused_by_name(tmp_path, sqlite_url):
    junk = tmp_path / "notes.txt"
    junk.write_text("hello")
    with pytest.raises(BackupError, match=r"notes\.txt: neither a SQLite database nor a pg_dump"):
        restore(junk, sqlite_url)


def test_sqlite_backup_includes_what_is_still_in_the_wal(tmp_path):
    """The backup reads the live database: commits still in the -wal file (a file copy would miss them)."""
    src = tmp_path / "live.sqlite3"
    with closing(sqlite3.connect(src)) as writer:
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("PRAGMA wal_autocheckpoint=0")
        writer.execute("CREATE TABLE t (x INTEGER)")
        writer.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(50)])
        writer.commit()
        path = backup(tmp_path / "live.backup", f"sqlite:///{src}")
    with closing(sqlite3.connect(path)) as copy:
        assert copy.execute("SELECT COUNT(*), SUM(x) FROM t").fetchone() == (50, 1225)


def test_missing_pg_tool_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump on this PATH
    with pytest.raises(BackupError, match="pg_dump not found on PATH"):
        backup(tmp_path / "x.dump", "postgresql://postgres@127.0.0.1:5432/whatever")


# --- upgrading a database of the first release -----------------------------------------------------------------

NOW = "2026-11-28 12:00:00+00:00"


def _first_release_rows(conn) -> None:
    """Representative rows written with raw SQL against the schema of revision 0001."""
    conn.execute(
        text(
            "INSERT INTO esco_concept (id, uri, concept_type, skill_type, reuse_level, status) VALUES "
            "(1, 'http://data.europa.eu/esco/skill/s1', 'skill', 'knowledge', 'cross-sector', 'released'), "
            "(2, 'http://data.europa.eu/esco/occupation/o1', 'occupation', NULL, NULL, 'released')"
        )
    )
    conn.execute(
        text(
            "INSERT INTO esco_label (id, concept_id, lang, kind, text, norm) VALUES "
            "(1, 1, 'en', 'preferred', 'statistics', 'statistics'), "
            "(2, 1, 'fr', 'preferred', 'statistiques', 'statistiques'), "
            "(3, 2, 'en', 'preferred', 'data analyst', 'data analyst')"
        )
    )
    conn.execute(
        text(
            "INSERT INTO esco_occupation_skill (id, occupation_id, skill_id, relation_type) "
            "VALUES (1, 2, 1, 'essential')"
        )
    )
    conn.execute(
        text(
            "INSERT INTO catalogue_provider (id, code, name, created_at, updated_at) "
            "VALUES (1, 'fun', 'FUN MOOC', :t, :t), (2, 'edx', 'edX', :t, :t)"
        ),
        {"t": NOW},
    )
    conn.execute(
        text(
            "INSERT INTO catalogue_organisation (id, key, name, created_at, updated_at) VALUES "
            "(1, 'universite paris-saclay', 'Université Paris-Saclay', :t, :t), "
            "(2, 'harvardx', 'HarvardX', :t, :t)"
        ),
        {"t": NOW},
    )
    courses = [
        (1, "fun:stat", 1, 1, "Introduction à la statistique avec R", "Statistiques descriptives et tests.", "fr"),
        (2, "edx:graphs", 2, 2, "Graph theory for beginners", "Vertices, edges and shortest paths.", "en"),
    ]
    for cid, key, prov, org, title, desc, lang in courses:
        conn.execute(
            text(
                "INSERT INTO catalogue_course (id, key, provider_id, organisation_id, title, description, "
                "title_i18n, description_i18n, learning_outcomes, keywords, language, languages, "
                "subtitle_languages, language_detected, workload_hours, price, first_seen_at, last_changed_at, "
                "created_at, updated_at) VALUES (:id, :key, :prov, :org, :title, :desc, '{}', '{}', '[]', "
                ":kw, :lang, :langs, '[]', false, 20, 0, :t, :t, :t, :t)"
            ),
            {
                "id": cid,
                "key": key,
                "prov": prov,
                "org": org,
                "title": title,
                "desc": desc,
                "kw": json.dumps(["statistics"] if cid == 1 else ["graphs"]),
                "lang": lang,
                "langs": json.dumps([lang]),
                "t": NOW,
            },
        )
    conn.execute(
        text(
            "INSERT INTO catalogue_course_run (id, course_id, run_key, start_date, created_at, updated_at) "
            "VALUES (1, 1, 'session12', '2027-01-10', :t, :t)"
        ),
        {"t": NOW},
    )
    conn.execute(
        text(
            "INSERT INTO catalogue_course_source (id, course_id, source, record_id, content_hash, first_seen_at, "
            "last_seen_at) VALUES (1, 1, 'fun', 'stat-r', 'abc', :t, :t), (2, 2, 'edx', 'graphs', 'def', :t, :t)"
        ),
        {"t": NOW},
    )
    conn.execute(
        text(
            "INSERT INTO course_skill (id, course_id, skill_id, score, evidence, tagger_version, status, "
            "curated_by, updated_at) VALUES (1, 1, 1, 0.91, '[]', 'v1', 'confirmed', 'curator@example.org', :t)"
        ),
        {"t": NOW},
    )


FIRST_RELEASE_COUNTS = {
    "esco_concept": 2,
    "esco_label": 3,
    "esco_occupation_skill": 1,
    "catalogue_provider": 2,
    "catalogue_organisation": 2,
    "catalogue_course": 2,
    "catalogue_course_run": 1,
    "catalogue_course_source": 2,
    "course_skill": 1,
}


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request):
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


def test_first_release_database_upgrades_to_head_and_loses_nothing(empty_url):
    url = empty_url
    command.upgrade(alembic_config(url), "0001")
    assert current_heads(url) == {"0001"}
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.begin() as conn:
            _first_release_rows(conn)
    finally:
        engine.dispose()

    upgrade(url)  # to head

    from emclm.db.migrate import code_heads

    assert current_heads(url) == code_heads()
    counts = _row_counts(url)
    for table, n in FIRST_RELEASE_COUNTS.items():
        assert counts[table] == n, f"{table}: {counts[table]} rows after the upgrade, {n} before"
    from emclm.catalogue.models import Course, CourseRun
    from emclm.skills.models import CourseSkill

    with session_scope(url) as session:
        titles = dict(session.execute(select(Course.id, Course.title)).all())
        assert titles == {1: "Introduction à la statistique avec R", 2: "Graph theory for beginners"}
        run = session.execute(select(CourseRun)).scalar_one()
        assert (run.course_id, run.run_key, run.start_date.isoformat()) == (1, "session12", "2027-01-10")
        tag = session.execute(select(CourseSkill)).scalar_one()
        assert (tag.course_id, tag.skill_id, tag.status, tag.curated_by) == (1, 1, "confirmed", "curator@example.org")
        index_courses(session, None)  # the upgraded catalogue is indexed like any other
    assert _search_titles(url, "graph theory")[:1] == ["Graph theory for beginners"]


def _search_titles(url: str, q: str) -> list[str]:
    with session_scope(url) as session:
        res = search(session, SearchRequest(q=q, lang="en", embeddings=False, today=TODAY))
    return [h.title for h in res.results]
