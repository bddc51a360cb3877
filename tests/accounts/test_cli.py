"""`emclm users|organisations|tokens …` through Typer's CliRunner, against a real migrated database."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from emclm.accounts import store
from emclm.cli import app
from emclm.db.session import session_scope

runner = CliRunner()


def _run(db_url, *args, input=None):
    return runner.invoke(app, [*args, "--database-url", db_url], input=input)


def test_users_create_with_organisation_password_and_token(db_url):
    res = _run(
        db_url,
        "users", "create", "Cura@Example.org", "--role", "curator", "--organisation", "EMC Alliance",
        "--organisation-type", "alliance", "--password-stdin", "--token", "courses:curate", "--token", "read",
        "--json",
        input="a long enough password\n",
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["email"] == "cura@example.org"
    assert out["memberships"] == [
        {"organisation": "EMC Alliance", "organisation_type": "alliance", "roles": ["curator"]}
    ]
    secret = out["token"]["secret"]
    assert out["token"]["scopes"] == ["courses:curate", "read"]
    with session_scope(db_url) as s:
        account = store.get_account(s, "cura@example.org")
        assert store.verify_password(account, "a long enough password")
        principal = store.principal_from_token(s, secret)
        assert principal.email == "cura@example.org" and principal.roles == {"curator"}

    listed = json.loads(_run(db_url, "users", "list", "--json").stdout)
    assert [a["email"] for a in listed] == ["cura@example.org"]
    assert "secret" not in json.dumps(listed) and secret not in json.dumps(listed)
    orgs = json.loads(_run(db_url, "organisations", "list", "--json").stdout)
    assert [(o["name"], o["type"]) for o in orgs] == [("EMC Alliance", "alliance")]

    res = _run(db_url, "tokens", "revoke", str(out["token"]["id"]), "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["revoked_at"]
    with session_scope(db_url) as s:
        assert store.principal_from_token(s, secret) is None


def test_learner_needs_no_organisation_and_prints_no_token_unless_asked(db_url):
    res = _run(db_url, "users", "create", "l@example.org", "--role", "learner", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert "token" not in out and out["memberships"][0]["roles"] == ["learner"]


def test_bad_input_is_refused_naming_the_field_and_writes_nothing(db_url):
    cases = [
        (["users", "create", "x@example.org", "--role", "wizard"], "role 'wizard' is not one of"),
        (["users", "create", "x@example.org", "--role", "curator"], "organisation is required"),
        (["users", "create", "x@example.org", "--role", "employer", "--organisation", "Acme"], "--organisation-type"),
        (
            ["users", "create", "x@example.org", "--role", "employer", "--organisation", "Acme", "--organisation-type", "guild"],
            "type 'guild' is not one of",
        ),
        (["users", "create", "x@example.org", "--role", "learner", "--token", "root"], "scope 'root' is not one of"),
        (["users", "create", "nobody", "--role", "learner"], "email is not an e-mail address"),
        (["tokens", "revoke", "4242"], "token 4242: id not found"),
        (["organisations", "create", "Uni", "--type", "university", "--provider", "nope"], "provider 'nope'"),
    ]  # fmt: skip
    for args, message in cases:
        res = _run(db_url, *args)
        assert res.exit_code == 2, (args, res.output)
        assert message in res.stderr, (args, res.stderr)
    with session_scope(db_url) as s:
        assert store.list_accounts(s) == [] and store.list_organisations(s) == []


def test_password_on_stdin_too_short_is_refused(db_url):
    res = _run(db_url, "users", "create", "p@example.org", "--role", "learner", "--password-stdin", input="short\n")
    assert res.exit_code == 2 and "password is shorter than" in res.stderr
