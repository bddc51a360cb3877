"""``emclm serve --workers 2``: a change made through one worker is read through the other (issue #19).

Each worker process keeps search state of its own (postings, facet columns, vectors), keyed by the
database's index generation. The test starts a real server with two workers, lets BOTH workers build that
state (searches), then changes the catalogue through whichever worker answers — a curator rejects a course's
skill tag (bearer token) and Richie pushes a new paid course run (signed hook) — and reads back through new
connections until each worker pid (from ``/healthz`` on the same keep-alive connection) has answered with the
new state: the tag gone from the course and from search, the new course in the facet counts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from emclm.cli import app as cli
from emclm.db.session import session_scope
from emclm.search import index_courses
from emclm.skills.models import CourseSkill
from tests.conftest import FIXTURES
from tests.search.conftest import STATISTICS, seed_courses, seed_esco

RICHIE_SECRET = "workers-test-richie-secret"
RICHIE_PAYLOAD = (FIXTURES / "sources/richie/richie_tests_course_run_sync_payload.json").read_bytes()
SRC = Path(__file__).resolve().parents[2] / "src"
START_TIMEOUT_S = 120
CONVERGE_TIMEOUT_S = 60


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def world(db_url):
    """A small catalogue on each engine; course 'homepage' carries a STATISTICS tag its text never mentions."""
    from emclm.search.concepts import build_label_keys

    with session_scope(db_url) as session:
        concepts = seed_esco(session)
        courses = seed_courses(session)
        build_label_keys(session)
        session.add(CourseSkill(course_id=courses["homepage"], skill_id=concepts[STATISTICS], score=1.0))
        session.flush()
        index_courses(session, None)
    res = CliRunner().invoke(
        cli,
        ["users", "create", "curator@example.org", "--role", "curator", "--token", "courses:curate"]
        + ["--organisation", "EMC alliance", "--organisation-type", "alliance"]
        + ["--json", "--database-url", db_url],
    )
    assert res.exit_code == 0, res.output
    token = json.loads(res.output)["token"]["secret"]
    return db_url, courses["homepage"], concepts[STATISTICS], token


@pytest.fixture
def server(world, tmp_path):
    url = world[0]
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
        "EMCLM_RICHIE_HOOK_SECRET": RICHIE_SECRET,
        "EMCLM_LOG_FORMAT": "json",
    }
    log = open(tmp_path / "server.log", "w+b")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "emclm.cli", "serve", "--workers", "2", "--port", str(port), "--database-url", url],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the workers stop with it
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert proc.poll() is None, f"emclm serve exited: {_tail(log)}"
            try:
                if httpx.get(base + "/readyz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"emclm serve not ready after {START_TIMEOUT_S}s: {_tail(log)}"
            time.sleep(0.5)
        yield base, world, log
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()


def _output(log) -> str:
    log.flush()
    log.seek(0)
    return log.read().decode(errors="replace")


def _tail(log) -> str:
    return _output(log)[-3000:]


def _through_each_worker(base: str, read, *, want=None) -> dict[int, object]:
    """``read(client)`` through new connections until both worker pids have answered (and, when ``want`` is
    given, each has answered ``want``). One connection: ``/healthz`` and ``read`` reach the same worker."""
    seen: dict[int, object] = {}
    deadline = time.monotonic() + CONVERGE_TIMEOUT_S
    while True:
        with httpx.Client(base_url=base, timeout=30) as client:
            pid = client.get("/healthz").json()["pid"]
            value = read(client)
            assert client.get("/healthz").json()["pid"] == pid  # still the same worker
        if want is None or value == want:
            seen[pid] = value
        last = (pid, value)
        if len(seen) >= 2:
            return seen
        assert time.monotonic() < deadline, f"only workers {sorted(seen)} answered {want!r} in time; last: {last}"


def _tag_state(course_id: int, skill_id: int):
    def read(client: httpx.Client):
        skills = client.get(f"/api/courses/{course_id}/skills").json()["skills"]
        tagged = any(s["uri"] == STATISTICS for s in skills)
        found = course_id in [
            h["id"] for h in client.get("/api/search", params={"q": STATISTICS, "per_page": 50}).json()["results"]
        ]
        paid = {
            f["value"]: f["count"] for f in client.get("/api/search", params={"per_page": 1}).json()["facets"]["price"]
        }
        return tagged, found, paid.get("paid", 0)

    return read


def test_a_change_through_one_worker_is_read_through_the_other(server):
    base, (url, course_id, skill_id, token), log = server
    read = _tag_state(course_id, skill_id)
    # both workers build their per-process search state for the current index generation
    before = _through_each_worker(base, read)
    assert set(before.values()) == {(True, True, 0)}, before

    with httpx.Client(base_url=base, timeout=30) as client:
        writer = client.get("/healthz").json()["pid"]
        r = client.post(
            f"/api/courses/{course_id}/skills/{skill_id}/decision",
            json={"decision": "reject"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "rejected"
        sig = "SIG-HMAC-SHA256 " + hmac.new(RICHIE_SECRET.encode(), RICHIE_PAYLOAD, hashlib.sha256).hexdigest()
        r = client.post(
            "/api/sources/richie/course-runs-sync",
            content=RICHIE_PAYLOAD,
            headers={"Authorization": sig, "Content-Type": "application/json"},
        )
        assert r.status_code == 200, r.text

    after = _through_each_worker(base, read, want=(False, False, 1))
    assert writer in after and len(after) == 2  # the writer and the other worker both answer the new state

    # the JSON access records name both workers
    records = [json.loads(line) for line in _output(log).splitlines() if line.startswith("{")]
    assert len({r["pid"] for r in records if r.get("logger") == "emclm.access"}) >= 2
