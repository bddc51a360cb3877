"""Issue #19: schemathesis over every operation of /api/openapi.json, in process (ASGI), with a bounded
number of examples: no 5xx, every status declared, every response matching its declared schema and
content type. On SQLite over a copy of the built database (ESCO + the demo catalogue), and on
PostgreSQL over a small harvested catalogue with a smaller budget. Anonymous callers (routes that need
an account answer their declared 401/403); mail goes to a local SMTP sink; the Richie hook has a secret."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest
import schemathesis
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "catalogue"))

from harvest_support import ListSource, make_record  # noqa: E402

from emclm.api.app import create_app  # noqa: E402
from emclm.catalogue.harvest import harvest  # noqa: E402
from emclm.config import get_settings  # noqa: E402
from emclm.db.migrate import upgrade  # noqa: E402
from tests.conftest import copy_sqlite  # noqa: E402

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, content_type_conformance]
TIMEOUT = 60  # seconds a call may take (schemathesis' default 10 s is short on a shared 2-core machine)
COMMON = dict(deadline=None, derandomize=True, suppress_health_check=list(HealthCheck), database=None)


class _Sink:
    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        return "250 OK"


@pytest.fixture(scope="module")
def mail_sink():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    controller = Controller(_Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    s = get_settings()
    saved = (s.smtp_host, s.smtp_port, s.richie_hook_secret)
    # a configured hook (unsigned calls: 401), not the 503 of an unconfigured one
    s.smtp_host, s.smtp_port, s.richie_hook_secret = "127.0.0.1", port, "schemathesis-secret"
    try:
        yield
    finally:
        s.smtp_host, s.smtp_port, s.richie_hook_secret = saved
        controller.stop()


def _warm(app) -> None:
    """Load the per-process indexes (labels, search, skill extractor) once, before the timed calls: a
    first look-up pays for loading them and would pass schemathesis' 10 s read timeout on a busy machine."""
    with TestClient(app) as client:
        for path in ("/api/taxonomy/labels?q=data&type=skill", "/api/search?q=data", "/api/search/suggest?q=dat"):
            assert client.get(path).status_code == 200, path
        assert client.post("/api/skills/extract", json={"text": "data analysis with Python"}).status_code == 200
        # an occupation named by no word of any label: the resolver's fallback loads on first use
        assert client.post("/api/guidance/gap", json={"target": "0"}).status_code in (200, 404, 409)
        # a profile given as text: skills extracted from it
        assert client.post("/api/guidance/transitions", json={"profile": {"text": "0"}}).status_code == 200


@pytest.fixture(scope="module")
def sqlite_schema(built_db_path, tmp_path_factory, mail_sink):
    target = tmp_path_factory.mktemp("schemathesis") / "emclm.sqlite3"
    copy_sqlite(built_db_path, target)
    app = create_app(f"sqlite:///{target}")
    _warm(app)
    return schemathesis.openapi.from_asgi("/api/openapi.json", app)


@pytest.fixture
def pg_schema(pg_url, mail_sink):
    upgrade(pg_url)
    harvest(ListSource("test", [make_record(i) for i in range(5)]), pg_url)
    app = create_app(pg_url)
    _warm(app)
    return schemathesis.openapi.from_asgi("/api/openapi.json", app)


sqlite_api = schemathesis.pytest.from_fixture("sqlite_schema")
pg_api = schemathesis.pytest.from_fixture("pg_schema")


@sqlite_api.parametrize()
@settings(max_examples=5, **COMMON)
def test_every_operation_on_sqlite(case):
    case.call_and_validate(checks=CHECKS, timeout=TIMEOUT)


@pytest.mark.postgres
@pg_api.parametrize()
@settings(max_examples=3, **COMMON)
def test_every_operation_on_postgresql(case):
    case.call_and_validate(checks=CHECKS, timeout=TIMEOUT)
