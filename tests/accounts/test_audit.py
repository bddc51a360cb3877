"""The audit log (issue #16): append-only in the database on both engines, written in the transaction of
the change it records, filled by every state-changing route and command, readable and exportable by admins
only."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from emclm.accounts import audit, store
from emclm.accounts.models import AuditEvent, AuditUnlock
from emclm.api.app import create_app
from emclm.cli import app as cli_app
from emclm.db.session import get_engine, session_scope
from emclm.skills.models import CourseSkill

from .conftest import make_account
from .test_auth_flows import inbox  # noqa: F401 - the real local SMTP server fixture

ORIGIN = {"Origin": "http://testserver"}


def _events(url, **where) -> list[AuditEvent]:
    with session_scope(url) as s:
        q = select(AuditEvent).order_by(AuditEvent.id)
        for key, value in where.items():
            q = q.where(getattr(AuditEvent, key) == value)
        return list(s.scalars(q))


def _one_event(url) -> int:
    with session_scope(url) as s:
        row = audit.record(s, "cli:test", "test.event", ("thing", 1), before={"a": 1}, after={"a": 2})
        return row.id


def test_update_and_delete_of_audit_rows_are_refused_by_the_database(db_url):
    event_id = _one_event(db_url)
    engine = get_engine(db_url)
    for statement in (
        "UPDATE audit_event SET action = 'forged' WHERE id = :id",
        "UPDATE audit_event SET actor_label = 'someone else' WHERE id = :id",
        "DELETE FROM audit_event WHERE id = :id",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement), {"id": event_id})
    if engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text("TRUNCATE audit_event"))
    [row] = _events(db_url)
    assert (row.action, row.actor_label) == ("test.event", "cli:test")


def test_the_pseudonymisation_unlock_allows_only_the_actor_and_states(db_url):
    """Unlocked (as erasure does, in its own transaction), the actor may change but what happened may not;
    and the unlock does not outlive its transaction."""
    event_id = _one_event(db_url)
    engine = get_engine(db_url)

    def unlock(conn):
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL emclm.audit_pseudonymise = 'on'"))
        else:
            conn.execute(text("INSERT INTO audit_unlock (reason) VALUES ('pseudonymise')"))

    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        unlock(conn)
        conn.execute(text("UPDATE audit_event SET action = 'forged' WHERE id = :id"), {"id": event_id})
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        unlock(conn)
        conn.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": event_id})
    with engine.begin() as conn:
        unlock(conn)
        conn.execute(text("UPDATE audit_event SET actor_label = 'erased-x' WHERE id = :id"), {"id": event_id})
        if engine.dialect.name != "postgresql":
            conn.execute(text("DELETE FROM audit_unlock"))
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:  # locked again
        conn.execute(text("UPDATE audit_event SET actor_label = 'again' WHERE id = :id"), {"id": event_id})
    [row] = _events(db_url)
    assert (row.action, row.actor_label) == ("test.event", "erased-x")
    with session_scope(db_url) as s:
        assert s.scalar(select(AuditUnlock.id)) is None


def _decide(client, world, token, decision="reject"):
    return client.post(
        f"/api/courses/{world.course_id}/skills/{world.skill_id}/decision",
        json={"decision": decision},
        headers={"Authorization": f"Bearer {token}"},
    )


def test_a_curator_decision_is_audited_with_before_and_after(world):
    client = TestClient(create_app(world.url))
    assert _decide(client, world, world.tokens["curator"], "confirm").status_code == 200
    assert _decide(client, world, world.tokens["admin"], "reject").status_code == 200
    first, second = _events(world.url, action="course_tag.decide")
    assert first.actor_label == "curator@example.org" and first.before_state is None
    assert first.after_state == {"status": "confirmed", "curated_by": "curator@example.org"}
    assert first.resource_type == "course_skill" and first.resource_id == f"{world.course_id}:{world.skill_id}"
    assert first.organisation_id is not None  # the curator's one organisation
    assert second.actor_label == "admin@example.org"
    assert second.before_state == {"status": "confirmed", "curated_by": "curator@example.org"}
    assert second.after_state == {"status": "rejected", "curated_by": "admin@example.org"}


def test_a_refused_change_writes_no_audit_row(world):
    client = TestClient(create_app(world.url))
    assert _decide(client, world, world.tokens["learner"]).status_code == 403
    assert _events(world.url, action="course_tag.decide") == []


def test_a_failing_audit_write_rolls_the_change_back(sqlite_world):
    """The audit row and the change are one transaction: when the database refuses the audit row (a trigger
    of this test), the curator's decision is not stored either."""
    world = sqlite_world
    with get_engine(world.url).begin() as conn:
        conn.execute(
            text(
                "CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_event "
                "BEGIN SELECT RAISE(ABORT, 'audit refused by the test'); END"
            )
        )
    client = TestClient(create_app(world.url), raise_server_exceptions=False)
    assert _decide(client, world, world.tokens["curator"]).status_code == 500
    with session_scope(world.url) as s:
        assert s.scalars(select(CourseSkill).where(CourseSkill.course_id == world.course_id)).first() is None


def test_token_create_and_revoke_and_sign_in_are_audited(world):
    client = TestClient(create_app(world.url))
    with session_scope(world.url) as s:
        make_account(s, "pat@example.org", "learner", password="a sufficiently long secret")
    r = client.post("/api/auth/login", json={"email": "pat@example.org", "password": "a sufficiently long secret"})
    assert r.status_code == 200
    r = client.post("/api/auth/tokens", json={"scopes": ["read"], "name": "laptop"}, headers=ORIGIN)
    assert r.status_code == 201, r.text
    token_id, secret = r.json()["id"], r.json()["secret"]
    assert client.delete(f"/api/auth/tokens/{token_id}", headers=ORIGIN).status_code == 200
    actions = [(e.action, e.actor_label) for e in _events(world.url) if e.actor_label == "pat@example.org"]
    assert actions == [
        ("auth.login", "pat@example.org"),
        ("token.create", "pat@example.org"),
        ("token.revoke", "pat@example.org"),
    ]
    [created] = _events(world.url, action="token.create")
    assert secret not in json.dumps(created.after_state) and created.after_state["name"] == "laptop"
    [revoked] = _events(world.url, action="token.revoke")
    assert revoked.before_state["revoked_at"] is None and revoked.after_state["revoked_at"] is not None
    # a refused creation (unknown scope) leaves no row
    assert client.post("/api/auth/tokens", json={"scopes": ["root"]}, headers=ORIGIN).status_code == 422
    assert len(_events(world.url, action="token.create")) == 1


def test_cli_changes_are_audited_as_the_operating_system_user(db_url):
    runner = CliRunner()
    res = runner.invoke(
        cli_app,
        ["users", "create", "ann@example.org", "--role", "curator", "--organisation", "EMC Alliance",
         "--organisation-type", "alliance", "--token", "read", "--json", "--database-url", db_url],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    token_id = json.loads(res.stdout)["token"]["id"]
    res = runner.invoke(
        cli_app, ["organisations", "create", "PES Gent", "--type", "pes_office", "--database-url", db_url]
    )
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli_app, ["tokens", "revoke", str(token_id), "--database-url", db_url])
    assert res.exit_code == 0, res.output
    events = _events(db_url)
    assert [e.action for e in events] == [
        "organisation.create",
        "account.create",
        "membership.grant",
        "token.create",
        "organisation.create",
        "token.revoke",
    ]
    assert all(e.actor_label.startswith("cli:") for e in events)
    grant = events[2]
    assert grant.after_state["roles"] == ["curator"] and grant.organisation_id == grant.after_state["organisation_id"]
    # a refused command leaves nothing behind
    res = runner.invoke(cli_app, ["users", "create", "ann@example.org", "--role", "learner", "--database-url", db_url])
    assert res.exit_code == 2
    assert len(_events(db_url)) == 6


def _admin_get(client, world, path, role="admin", **params):
    return client.get(path, params=params, headers={"Authorization": f"Bearer {world.tokens[role]}"})


def test_only_admins_read_and_export_the_audit_log(world):
    client = TestClient(create_app(world.url))
    with session_scope(world.url) as s:
        for i in range(7):
            audit.record(s, "cli:test", "test.bulk", ("thing", i), after={"i": i})
        audit.record(s, '=HYPERLINK("http://evil")', "test.formula", ("thing", "-1+1"), after={"x": "@SUM(A1)"})
    for role in ("learner", "curator", "counsellor", "provider", "employer"):
        assert _admin_get(client, world, "/api/admin/audit", role).status_code == 403, role
        assert _admin_get(client, world, "/api/admin/audit.csv", role).status_code == 403, role
    assert client.get("/api/admin/audit").status_code == 401
    r = _admin_get(client, world, "/api/admin/audit", action="test.bulk", page=2, page_size=5)
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 7 and [e["resource_id"] for e in body["items"]] == ["1", "0"]  # newest first
    assert _admin_get(client, world, "/api/admin/audit", action="test.").json()["total"] == 8
    r = _admin_get(client, world, "/api/admin/audit.csv", action="test.formula")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    header, row = list(csv.reader(io.StringIO(r.text)))
    assert row[header.index("actor")] == '\'=HYPERLINK("http://evil")'
    assert row[header.index("resource_id")] == "'-1+1"
    assert row[header.index("action")] == "test.formula"
    assert json.loads(row[header.index("after")]) == {"x": "@SUM(A1)"}  # JSON starts with {: left as it is
    assert audit.csv_cell("+1") == "'+1" and audit.csv_cell("@x") == "'@x" and audit.csv_cell("ok") == "ok"


def test_the_admin_audit_page_lists_events_and_links_the_export(world):
    client = TestClient(create_app(world.url))
    with session_scope(world.url) as s:
        audit.record(s, "cli:test", "test.page", ("thing", 1), before={"v": "<b>old</b>"}, after={"v": "new"})
    r = _admin_get(client, world, "/admin/audit")
    assert r.status_code == 200
    assert "test.page" in r.text and "/api/admin/audit.csv" in r.text
    assert "<b>old</b>" not in r.text  # escaped
    assert _admin_get(client, world, "/admin/audit", "curator").status_code == 403


def test_signup_records_the_account_consent_and_the_audit_event(world, inbox):
    client = TestClient(create_app(world.url))
    r = client.post("/api/auth/signup", json={"email": "New@Example.org", "password": "a sufficiently long secret"})
    assert r.status_code == 202
    inbox.last_for("new@example.org")
    with session_scope(world.url) as s:
        account = store.get_account(s, "new@example.org")
        from emclm.accounts import consent

        row = consent.current(s, account, "account")
        assert row is not None and row.text_version == consent.TEXT_VERSIONS["account"]
        account_id = account.id
    actions = [e.action for e in _events(world.url, actor_account_id=account_id)]
    assert actions == ["account.signup", "consent.give"]


def test_a_signed_push_is_audited_in_its_batch_and_a_refused_one_is_not(db_url, monkeypatch):
    from emclm.config import get_settings
    from tests.api.test_richie_hook import PAYLOAD, SECRET, URL, _sign

    monkeypatch.setattr(get_settings(), "richie_hook_secret", SECRET)
    client = TestClient(create_app(db_url))
    assert client.post(URL, content=PAYLOAD, headers={"Authorization": _sign(PAYLOAD, "wrong")}).status_code == 401
    assert _events(db_url) == []
    r = client.post(URL, content=PAYLOAD, headers={"Authorization": _sign(PAYLOAD), "Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    [event] = _events(db_url)
    assert (event.actor_label, event.action, event.resource_id) == ("richie-hook", "catalogue.push", "fun-mooc-sync")
    assert len(event.after_state["records"]) == 1 and event.after_state["withdrawn"] == []


def test_demo_accounts_are_audited_and_never_with_their_password(db_url):
    from emclm.accounts.demo import create_demo_accounts
    from emclm.accounts.models import ROLES

    with session_scope(db_url) as s:
        created = create_demo_accounts(s)
    events = _events(db_url)
    assert [e.action for e in events].count("account.create") == len(ROLES)
    assert [e.action for e in events].count("membership.grant") == len(ROLES)
    assert {e.actor_label for e in events} == {"system:demo"}
    dumped = json.dumps([[e.before_state, e.after_state] for e in events])
    assert not [a for a in created if a["password"] in dumped]
