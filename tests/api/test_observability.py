"""Liveness, readiness, request ids, JSON logs and Prometheus metrics (issue #19, decision 0026)."""

from __future__ import annotations

import json
import logging
import os
import re
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from fastapi.testclient import TestClient

from emclm.accounts.policy import PUBLIC
from emclm.api.app import create_app
from emclm.api.routes_policy import ROUTE_POLICY
from emclm.config import get_settings
from emclm.db.migrate import alembic_config, upgrade
from emclm.db.session import session_scope


@pytest.fixture
def migrated_url(sqlite_url):
    upgrade(sqlite_url)
    return sqlite_url


@pytest.fixture
def settings_env(monkeypatch):
    """Set EMCLM_* variables for one test; settings and logging are as before afterwards."""
    root = logging.getLogger()
    handlers = list(root.handlers)
    level = root.level

    def set_env(**values):
        for key, value in values.items():
            monkeypatch.setenv(f"EMCLM_{key.upper()}", value)
        get_settings.cache_clear()

    yield set_env
    monkeypatch.undo()
    get_settings.cache_clear()
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("uvicorn.access").disabled = False


def test_healthz_names_version_and_process(migrated_url):
    from emclm import __version__

    r = TestClient(create_app(migrated_url)).get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "version": __version__, "pid": os.getpid()}


def test_readyz_needs_a_reachable_database_at_the_code_head(migrated_url, tmp_path):
    from emclm.db.migrate import code_heads

    r = TestClient(create_app(migrated_url)).get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "ready" and set(r.json()["schema"]) == code_heads()

    empty = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    r = TestClient(create_app(empty)).get("/readyz")
    assert r.status_code == 503
    assert "no revision" in r.json()["schema"] and "emclm db upgrade" in r.json()["schema"]

    old = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    command.upgrade(alembic_config(old), "0001")
    r = TestClient(create_app(old)).get("/readyz")
    assert r.status_code == 503 and "['0001']" in r.json()["schema"]

    r = TestClient(create_app("postgresql://postgres@127.0.0.1:1/nowhere")).get("/readyz")
    assert r.status_code == 503 and r.json()["database"] == "unreachable: OperationalError"
    assert "127.0.0.1" not in r.text  # where the database is stays in the log


@pytest.mark.parametrize(
    "sent,echoed",
    [
        ("req-42.a:b_c", "req-42.a:b_c"),  # sane: kept, so a proxy's id follows the request through
        ("x" * 129, None),  # too long
        ("a b", None),  # space
        ("<script>", None),
        ("", None),
    ],
)
def test_request_id_is_the_callers_when_sane_else_a_new_uuid(migrated_url, sent, echoed):
    client = TestClient(create_app(migrated_url))
    r = client.get("/healthz", headers={"X-Request-ID": sent})
    got = r.headers["x-request-id"]
    if echoed is not None:
        assert got == echoed
    else:
        assert re.fullmatch(r"[0-9a-f]{32}", got), got
        assert got != client.get("/healthz", headers={"X-Request-ID": sent}).headers["x-request-id"]


def test_json_logs_carry_request_id_route_status_and_duration(migrated_url, settings_env, capsys, monkeypatch):
    settings_env(log_format="json")
    app = create_app(migrated_url)
    probe_log = logging.getLogger("emclm.test.probe")

    @app.get("/test-probe")
    def probe() -> dict:  # a sync route: runs in the threadpool, where the request id must still be known
        probe_log.warning("inside the route")
        return {}

    @app.get("/test-crash")
    def crash() -> dict:
        raise RuntimeError("probe failure")

    monkeypatch.setitem(ROUTE_POLICY, ("GET", "/test-probe"), PUBLIC)
    monkeypatch.setitem(ROUTE_POLICY, ("GET", "/test-crash"), PUBLIC)
    client = TestClient(app, raise_server_exceptions=False)
    capsys.readouterr()
    assert client.get("/test-probe", headers={"X-Request-ID": "probe-1"}).status_code == 200
    assert client.get("/test-crash", headers={"X-Request-ID": "crash-1"}).status_code == 500
    assert client.get("/api/courses/999999", headers={"X-Request-ID": "missing-1"}).status_code == 404
    records = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    inside = [r for r in records if r["logger"] == "emclm.test.probe"]
    assert inside and inside[0]["request_id"] == "probe-1" and inside[0]["message"] == "inside the route"
    access = {r["request_id"]: r for r in records if r["logger"] == "emclm.access"}
    assert access["missing-1"]["route"] == "/api/courses/{course_id}"
    assert access["missing-1"]["path"] == "/api/courses/999999"
    assert (access["missing-1"]["method"], access["missing-1"]["status"]) == ("GET", 404)
    assert access["probe-1"]["status"] == 200 and access["probe-1"]["pid"] == os.getpid()
    assert isinstance(access["probe-1"]["duration_ms"], float) and access["probe-1"]["duration_ms"] >= 0
    # an unhandled error: logged with its request id and traceback, counted as a 500 of its route
    crashed = [r for r in records if r["logger"] == "emclm.error" and r["request_id"] == "crash-1"]
    assert crashed and "RuntimeError: probe failure" in crashed[0]["exc"]
    assert (access["crash-1"]["route"], access["crash-1"]["status"]) == ("/test-crash", 500)


def _sample(text: str, name: str, **labels) -> float | None:
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            got = dict(re.findall(r'(\w+)="([^"]*)"', line.rsplit(" ", 1)[0]))
            if got == {k: str(v) for k, v in labels.items()}:
                return float(line.rsplit(" ", 1)[1])
    return None


def test_metrics_latency_by_route_template_and_job_history(migrated_url):
    from emclm.catalogue.models import HarvestRun
    from emclm.labour.models import VacancyImport

    start = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    with session_scope(migrated_url) as s:
        s.add(HarvestRun(source="fun", started_at=start, finished_at=start + timedelta(seconds=90), status="complete"))
        s.add(
            HarvestRun(
                source="fun", started_at=start, finished_at=start + timedelta(seconds=30), status="partial", failed=3
            )
        )
        s.add(HarvestRun(source="edx", started_at=start, status="running"))
        s.add(
            VacancyImport(
                source="jobtech", started_at=start, finished_at=start + timedelta(seconds=5), status="done", errors=2
            )
        )
    client = TestClient(create_app(migrated_url))
    for course_id in (999998, 999999):
        assert client.get(f"/api/courses/{course_id}").status_code == 404
    assert client.get("/no/such/page-123").status_code == 404
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    count = "emclm_http_request_duration_seconds_count"
    assert _sample(text, count, method="GET", route="/api/courses/{course_id}", status=404) == 2.0
    assert _sample(text, count, method="GET", route="<unmatched>", status=404) == 1.0
    assert "999999" not in text and "page-123" not in text  # labels are templates, never raw paths
    runs, errors, seconds = "emclm_job_runs_total", "emclm_job_record_errors_total", "emclm_job_duration_seconds_total"
    assert _sample(text, runs, kind="harvest", source="fun", status="complete") == 1.0
    assert _sample(text, runs, kind="harvest", source="fun", status="partial") == 1.0
    assert _sample(text, runs, kind="harvest", source="edx", status="running") == 1.0
    assert _sample(text, errors, kind="harvest", source="fun") == 3.0
    assert _sample(text, seconds, kind="harvest", source="fun") == 120.0
    assert _sample(text, seconds, kind="harvest", source="edx") is None  # still running
    assert _sample(text, runs, kind="vacancy_import", source="jobtech", status="done") == 1.0
    assert _sample(text, errors, kind="vacancy_import", source="jobtech") == 2.0
    assert _sample(text, seconds, kind="vacancy_import", source="jobtech") == 5.0
    finished = start.timestamp() + 90
    assert _sample(text, "emclm_job_last_finished_timestamp_seconds", kind="harvest", source="fun") == finished
    assert _sample(text, "emclm_process_info", pid=os.getpid(), version=__import__("emclm").__version__) == 1.0

    # another app in the same process counts its own requests
    other = TestClient(create_app(migrated_url)).get("/metrics").text
    assert _sample(other, count, method="GET", route="/api/courses/{course_id}", status=404) is None


def test_metrics_token_when_configured(migrated_url, settings_env):
    settings_env(metrics_token="s3cret-scrape")
    client = TestClient(create_app(migrated_url))
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    r = client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape"})
    assert r.status_code == 200 and "emclm_http_request_duration_seconds" in r.text
    assert client.get("/healthz").status_code == 200  # liveness never needs it
