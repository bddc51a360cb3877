"""Personal data (issue #16): consents per purpose, "download my data", "delete my account" (after which no
row of any table still holds the address, on both engines), and the purge of inactive accounts."""

from __future__ import annotations

import json
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import MetaData, String, cast, func, select
from typer.testing import CliRunner

from emclm.accounts import audit, store
from emclm.accounts.models import Account, AuditEvent
from emclm.api.app import create_app
from emclm.cli import app as cli_app
from emclm.config import get_settings
from emclm.db.base import utcnow
from emclm.db.session import get_engine, session_scope
from emclm.skills.models import CourseSkill

from .conftest import make_account

PASSWORD = "a sufficiently long secret"
ORIGIN = {"Origin": "http://testserver"}
EVE = "eve.personal@example.org"


def rows_holding(url: str, needle: str) -> list[tuple[str, str]]:
    """(table, column) of every row, in every table of the database (reflected, not our models), whose value
    as text contains ``needle`` (case-insensitive)."""
    engine = get_engine(url)
    meta = MetaData()
    meta.reflect(bind=engine)
    found = []
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            for column in table.columns:
                hits = conn.scalar(
                    select(func.count())
                    .select_from(table)
                    .where(func.lower(cast(column, String)).like(f"%{needle.lower()}%"))
                )
                if hits:
                    found.append((table.name, column.name))
    return found


def _signed_in(url: str, email: str = EVE, role: str = "curator") -> TestClient:
    with session_scope(url) as s:
        org = store.get_organisation(s, "EMC Alliance") if role != "learner" else None
        make_account(s, email, role, org, password=PASSWORD)
    client = TestClient(create_app(url))
    r = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return client


def test_consents_are_given_withdrawn_and_listed_per_purpose(world):
    client = _signed_in(world.url, role="learner")
    r = client.get("/api/auth/consents")
    assert [(c["purpose"], c["in_force"]) for c in r.json()] == [
        ("account", False),
        ("alerts", False),
        ("profile_sharing", False),
    ]
    r = client.post("/api/auth/consents", json={"purpose": "alerts"}, headers=ORIGIN)
    assert r.status_code == 201 and r.json()["in_force"] and r.json()["text_version"]
    assert client.post("/api/auth/consents", json={"purpose": "alerts"}, headers=ORIGIN).status_code == 201
    r = client.post("/api/auth/consents", json={"purpose": "marketing"}, headers=ORIGIN)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "purpose"]
    r = client.delete("/api/auth/consents/alerts", headers=ORIGIN)
    assert r.status_code == 200 and r.json()["withdrawn_at"] and not r.json()["in_force"]
    assert client.delete("/api/auth/consents/alerts", headers=ORIGIN).status_code == 404
    alerts = next(c for c in client.get("/api/auth/consents").json() if c["purpose"] == "alerts")
    assert alerts["in_force"] is False and alerts["withdrawn_at"] is not None
    with session_scope(world.url) as s:
        actions = list(
            s.scalars(select(AuditEvent.action).where(AuditEvent.actor_label == EVE).order_by(AuditEvent.id))
        )
    assert actions == ["auth.login", "consent.give", "consent.withdraw"]  # giving again changed nothing
    assert TestClient(create_app(world.url)).get("/api/auth/consents").status_code == 401


def _eve_everywhere(world, client) -> int:
    """Eve leaves traces in every table a person can reach: a session, a token, consents, a curator
    decision, an e-mail link, failed sign-ins, audit rows as actor and as the subject of others' actions."""
    r = client.post(
        f"/api/courses/{world.course_id}/skills/{world.skill_id}/decision", json={"decision": "confirm"}, headers=ORIGIN
    )
    assert r.status_code == 200 and r.json()["curated_by"] == EVE
    assert client.post("/api/auth/tokens", json={"scopes": ["read"]}, headers=ORIGIN).status_code == 201
    assert client.post("/api/auth/consents", json={"purpose": "profile_sharing"}, headers=ORIGIN).status_code == 201
    with session_scope(world.url) as s:
        account = store.get_account(s, EVE)
        store.issue_link(s, account, "reset_password")
        store.record_login_failure(s, EVE.upper(), "203.0.113.9")
        audit.record(s, "cli:root", "account.create", ("account", account.id), after={"email": EVE, "note": EVE})
        return account.id


def test_download_my_data_holds_everything_but_no_secret(world):
    client = _signed_in(world.url)
    _eve_everywhere(world, client)
    r = client.get("/api/auth/me/export")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    data = r.json()
    assert data["account"]["email"] == EVE
    assert [m["roles"] for m in data["account"]["memberships"]] == [["curator"]]
    assert len(data["tokens"]) == 2 and len(data["sessions"]) == 1
    assert [c["purpose"] for c in data["consents"]] == ["profile_sharing"]
    assert data["email_links"][0]["purpose"] == "reset_password"
    assert len(data["failed_sign_ins"]) == 1
    assert data["course_tag_decisions"] == [
        {"course_id": world.course_id, "skill_id": world.skill_id, "status": "confirmed",
         "curated_at": data["course_tag_decisions"][0]["curated_at"]}
    ]  # fmt: skip
    actions = {e["action"] for e in data["audit_events"]}
    assert {"auth.login", "course_tag.decide", "token.create", "consent.give", "account.create"} <= actions
    text = json.dumps(data)
    with session_scope(world.url) as s:
        account = store.get_account(s, EVE)
        secrets = [account.password_hash]
        from emclm.accounts.models import ApiToken, AuthSession, LinkToken

        for model, column in (
            (ApiToken, ApiToken.token_hash),
            (AuthSession, AuthSession.id_hash),
            (LinkToken, LinkToken.token_hash),
        ):
            secrets += list(s.scalars(select(column).where(model.account_id == account.id)))
    assert len(secrets) == 5 and not [x for x in secrets if x in text]
    assert "hash" not in text


def test_delete_my_account_leaves_no_row_holding_the_address(db_url):
    from .conftest import build_world

    world = build_world(db_url)
    client = _signed_in(world.url)
    account_id = _eve_everywhere(world, client)
    assert rows_holding(world.url, EVE)  # the scan does find the address while the account exists
    with session_scope(world.url) as s:
        events_before = s.scalar(select(func.count()).select_from(AuditEvent))
        eve_events = s.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.actor_account_id == account_id)
        )
        _, token = store.create_token(s, ["read"], account=s.get(Account, account_id))

    # a token cannot erase (only the signed-in browser); a wrong or missing confirmation erases nothing
    r = TestClient(create_app(world.url)).post(
        "/api/auth/me/erase", json={"confirm_email": EVE}, headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 403
    r = client.post("/api/auth/me/erase", json={"confirm_email": "someone@example.org"}, headers=ORIGIN)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "confirm_email"]
    r = client.post("/api/auth/me/erase", json={}, headers=ORIGIN)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "confirm_email"]
    assert client.get("/api/auth/me").status_code == 200

    r = client.post("/api/auth/me/erase", json={"confirm_email": " Eve.Personal@example.org "}, headers=ORIGIN)
    assert r.status_code == 200, r.text
    alias = r.json()["audit_pseudonym"]
    assert alias.startswith("erased-") and alias == audit.pseudonym(EVE)
    assert rows_holding(world.url, EVE) == []
    assert rows_holding(world.url, "eve.personal") == []
    assert client.get("/api/auth/me").status_code == 401  # the session went with the account

    with session_scope(world.url) as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == events_before + 1  # nothing deleted
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.actor_label == alias)) == (
            eve_events + 1
        )
        erase = s.scalars(select(AuditEvent).where(AuditEvent.action == "account.erase")).one()
        assert erase.resource_id == str(account_id) and erase.before_state["roles"] == ["curator"]
        created = s.scalars(select(AuditEvent).where(AuditEvent.action == "account.create")).one()
        assert created.after_state == {"email": alias, "note": alias} and created.actor_label == "cli:root"
        tag = s.scalars(select(CourseSkill).where(CourseSkill.course_id == world.course_id)).one()
        assert (tag.status, tag.curated_by) == ("confirmed", alias)  # the decision stays, pseudonymised
        assert store.get_account(s, "curator@example.org") is not None  # nobody else was touched


def test_the_pseudonym_is_keyed(monkeypatch):
    settings = get_settings()
    monkeypatch.setattr(settings, "audit_pseudonym_key", "key one")
    first = audit.pseudonym("a@example.org")
    assert first == audit.pseudonym(" A@example.org") and first != audit.pseudonym("b@example.org")
    monkeypatch.setattr(settings, "audit_pseudonym_key", "key two")
    assert audit.pseudonym("a@example.org") != first


def test_purge_inactive_erases_only_accounts_unused_for_the_retention_period(db_url):
    now = utcnow()
    with session_scope(db_url) as s:
        old = store.create_account(s, "old@example.org", verified=True)
        old.last_seen_at = now - timedelta(days=400)
        never = store.create_account(s, "never@example.org")
        never.created_at = now - timedelta(days=500)
        recent = store.create_account(s, "recent@example.org", verified=True)
        recent.last_seen_at = now - timedelta(days=10)
        young = store.create_account(s, "young@example.org")  # created today, never used
        store.add_membership(s, old, ["learner"])
        audit.record(s, old, "account.signup", ("account", old.id))
    runner = CliRunner()
    res = runner.invoke(
        cli_app, ["users", "purge-inactive", "--days", "365", "--dry-run", "--json", "--database-url", db_url]
    )
    assert res.exit_code == 0, res.output
    assert sorted(json.loads(res.stdout)["accounts"]) == sorted([old.id, never.id])
    with session_scope(db_url) as s:
        assert s.scalar(select(func.count()).select_from(Account)) == 4
    res = runner.invoke(cli_app, ["users", "purge-inactive", "--days", "365", "--json", "--database-url", db_url])
    assert res.exit_code == 0, res.output
    assert len(json.loads(res.stdout)["erased"]) == 2
    with session_scope(db_url) as s:
        assert sorted(a.email for a in store.list_accounts(s)) == ["recent@example.org", "young@example.org"]
        erased = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "account.erase")))
        assert {e.actor_label for e in erased} == {"system:retention"}
        assert {e.resource_id for e in erased} == {str(old.id), str(never.id)}
    assert rows_holding(db_url, "old@example.org") == [] and rows_holding(db_url, "never@example.org") == []
    assert young.id and recent.id


def test_purge_inactive_defaults_to_the_retention_setting(db_url, monkeypatch):
    monkeypatch.setattr(get_settings(), "account_retention_days", 30)
    with session_scope(db_url) as s:
        store.create_account(s, "a@example.org").created_at = utcnow() - timedelta(days=31)
        store.create_account(s, "b@example.org").created_at = utcnow() - timedelta(days=29)
    res = CliRunner().invoke(cli_app, ["users", "purge-inactive", "--json", "--database-url", db_url])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["days"] == 30 and len(out["erased"]) == 1
    with session_scope(db_url) as s:
        assert [a.email for a in store.list_accounts(s)] == ["b@example.org"]
