"""`emclm pathway` / `emclm transitions` and POST /api/guidance/* over the real-journey database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from emclm.api.app import create_app
from emclm.cli import app as cli_app
from emclm.db.migrate import upgrade

from .guidance_data import ICT_HELP_DESK_AGENT, SALES_ASSISTANT, SKILL, load_esco_subset, load_journey_courses

SRC = Path(__file__).resolve().parents[2] / "src"
CLI_KEYS = {"gap", "pathway", "uncovered", "optimal", "objective"}
GAP_KEYS = {"uri", "label", "essential", "courses_available"}
COURSE_KEYS = {"course_id", "title", "url", "covers", "workload_hours"}


def check_cli_shape(out: dict) -> None:
    assert set(out) == CLI_KEYS
    assert all(set(g) == GAP_KEYS for g in out["gap"])
    assert all(isinstance(g["essential"], bool) and isinstance(g["courses_available"], int) for g in out["gap"])
    assert all(set(c) == COURSE_KEYS for c in out["pathway"])
    assert isinstance(out["optimal"], bool)
    assert isinstance(out["objective"], (int, float))
    assert all(isinstance(u, str) for u in out["uncovered"])


def test_cli_pathway_json_in_a_real_process(sqlite_url):
    """The real command line, in its own process: stdout must be exactly the JSON document (the
    solver's banner must not leak into it)."""
    upgrade(sqlite_url)
    load_esco_subset(sqlite_url)
    load_journey_courses(sqlite_url)
    env = {**os.environ, "PYTHONPATH": str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from emclm.cli import app; app()",
            "pathway",
            "--from",
            "shop assistant",
            "--to",
            "ICT help desk agent",
            "--lang",
            "en",
            "--free",
            "--max-hours",
            "60",
            "--json",
            "--database-url",
            sqlite_url,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    check_cli_shape(out)
    assert sum(c["workload_hours"] for c in out["pathway"]) <= 60
    assert out["optimal"] is True
    assert out["uncovered"]  # 60 h is not enough


def test_cli_pathway_and_transitions(guidance_db):
    runner = CliRunner()
    res = runner.invoke(
        cli_app,
        ["pathway", "--from", "shop assistant", "--to", ICT_HELP_DESK_AGENT, "--json", "--database-url", guidance_db],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    check_cli_shape(out)
    assert len([g for g in out["gap"] if g["essential"]]) == 17
    assert SKILL + "6430eb0d-c6de-46b7-a7fc-3dd2e8e62a69" in out["uncovered"]  # use ICT ticketing system

    res = runner.invoke(cli_app, ["transitions", "--from", "shop assistant", "--json", "--database-url", guidance_db])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["transitions"][0]["occupation_uri"] == SALES_ASSISTANT
    assert {"gap_size", "courses_to_close", "score"} <= set(data["transitions"][0])

    res = runner.invoke(
        cli_app,
        ["pathway", "--from", "shop assistant", "--to", "ict help desk", "--json", "--database-url", guidance_db],
    )
    assert res.exit_code == 2
    assert "ambiguous" in res.stderr and "ICT help desk manager" in res.stderr

    res = runner.invoke(
        cli_app, ["pathway", "--to", ICT_HELP_DESK_AGENT, "--cost", "time", "--database-url", guidance_db]
    )
    assert res.exit_code == 2 and "--cost" in res.stderr


def test_api_gap_pathway_transitions(guidance_db):
    client = TestClient(create_app(guidance_db))
    profile = {"occupations": ["shop assistant"]}
    r = client.post("/api/guidance/gap", json={"profile": profile, "target": "ICT help desk agent"})
    assert r.status_code == 200, r.text
    gap = r.json()
    assert gap["essential_missing"] == 17
    no_course = [s for g in gap["groups"] for s in g["skills"] if s["no_course"]]
    assert {s["label"] for s in no_course if s["essential"]} == {
        "assist customers",
        "keep task records",
        "prioritise requests",
        "use ICT ticketing system",
    }

    r = client.post(
        "/api/guidance/pathway",
        json={
            "profile": profile,
            "target": "ICT help desk agent",
            "constraints": {"languages": ["en"], "free_only": True, "max_total_hours": 60},
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    check_cli_shape({k: body[k] for k in CLI_KEYS})
    assert body["method"] == "milp" and body["optimal"] is True
    assert body["total_hours"] <= 60
    assert body["explanations"] and all(
        e["covers"] and all(c["evidence"] for c in e["covers"]) for e in body["explanations"]
    )

    r = client.post("/api/guidance/transitions", json={"profile": profile, "k": 3})
    assert r.status_code == 200
    assert len(r.json()["transitions"]) == 3

    r = client.post("/api/guidance/gap", json={"profile": profile, "target": "ict help desk"})
    assert r.status_code == 409
    assert len(r.json()["detail"]["candidates"]) == 2
    r = client.post("/api/guidance/pathway", json={"target": "ICT help desk agent", "constraints": {"cost": "time"}})
    assert r.status_code == 422
