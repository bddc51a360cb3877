"""The route × role matrix: every route of the app (API and pages, read from the app's own route table)
against anonymous and every role, each outcome checked against the policy. A new route without an entry
in ``emclm.api.routes_policy.ROUTE_POLICY`` fails here (and is refused at run time)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from emclm.accounts.models import ROLES
from emclm.accounts.policy import POLICY, PUBLIC, SIGNED
from emclm.api.app import create_app
from emclm.api.routes_policy import PUBLIC_MOUNTS, ROUTE_POLICY, app_mounts, app_routes
from emclm.web import csrf

CSRF = "c" * 43  # any well-formed double-submit pair (emclm.web.csrf)
ROUTES = sorted({(m, p) for m, p, _ in app_routes(create_app("sqlite://"))})
PRINCIPALS = ("anonymous", *ROLES)


def test_every_route_has_a_policy_entry_and_every_entry_a_route():
    app = create_app("sqlite://")
    routes = {(m, p) for m, p, _ in app_routes(app)}
    missing = sorted(routes - ROUTE_POLICY.keys())
    assert missing == [], f"routes without an entry in emclm.api.routes_policy.ROUTE_POLICY: {missing}"
    stale = sorted(ROUTE_POLICY.keys() - routes)
    assert stale == [], f"ROUTE_POLICY entries without a route: {stale}"
    assert set(app_mounts(app)) <= set(PUBLIC_MOUNTS)
    for action in ROUTE_POLICY.values():
        assert action in (PUBLIC, SIGNED) or action in POLICY, action


def test_every_state_changing_route_is_guarded():
    """Anything but GET is public only when it is one of the listed compute-only POSTs."""
    compute_only = {"/api/skills/extract", "/api/guidance/gap", "/api/guidance/pathway", "/api/guidance/transitions"}
    # verifying a credential: computes from the body, stores nothing, fetches nothing (decision 0027)
    compute_only |= {"/api/credentials/verify", "/verify"}
    # creating or recovering an identity cannot require one (throttled / single-use links, tests/accounts)
    identity = {"/api/auth/signup", "/api/auth/login", "/api/auth/password-reset", "/api/auth/password-reset/confirm"}
    identity |= {"/signin", "/signup", "/reset", "/reset/confirm"}  # the same flows as pages (emclm.web.accounts)
    identity |= {"/signin/oidc/{name}"}  # starting single sign-on (decision 0029; tests/accounts/test_oidc.py)
    for (method, path), action in ROUTE_POLICY.items():
        if method != "GET" and action == PUBLIC:
            assert path in compute_only | identity, f"{method} {path} changes state but is public"


@pytest.fixture(scope="module")
def matrix_world(tmp_path_factory):
    from emclm.db.migrate import upgrade

    from .conftest import build_world

    url = f"sqlite:///{tmp_path_factory.mktemp('matrix') / 'emclm.sqlite3'}"
    upgrade(url)
    world = build_world(url)
    return world, TestClient(create_app(url), raise_server_exceptions=False)


def _fill(path: str, world) -> str:
    values = {"course_id": world.course_id, "skill_id": world.skill_id, "token_id": 999999}
    values |= {"organisation_id": 999999, "membership_id": 999999}
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: str(values.get(m.group(1), "x")), path)


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize("method,path", ROUTES)
def test_route_by_role(matrix_world, method, path, principal):
    world, client = matrix_world
    headers = {} if principal == "anonymous" else {"Authorization": f"Bearer {world.tokens[principal]}"}
    if method != "GET" and not path.startswith("/api/"):  # a page's form carries the browser's CSRF token
        headers |= {"X-CSRF-Token": CSRF, "Cookie": f"{csrf.COOKIE}={CSRF}"}
    body = {"decision": "confirm"} if path.endswith("/decision") else {}
    r = client.request(method, _fill(path, world), headers=headers, json=body if method != "GET" else None)
    action = ROUTE_POLICY[(method, path)]
    if action == PUBLIC:
        assert r.status_code not in (401, 403), (r.status_code, r.text[:300])
    elif action == SIGNED:  # a token is no substitute for the signature
        assert r.status_code in (401, 503), (r.status_code, r.text[:300])
    elif principal == "anonymous":
        assert r.status_code == 401, r.text
        assert r.headers["www-authenticate"] == "Bearer"
    elif POLICY[action].session_only:  # every caller here holds a token
        assert r.status_code == 403, r.text
        assert "session" in (r.json()["detail"] if path.startswith("/api/") else r.text), r.text
    elif principal in POLICY[action].roles or principal in POLICY[action].provider_scoped:
        # allowed: the route runs (it may still answer 404/422 for the filler ids and the empty body);
        # the world's provider organisation is linked to the course's provider, so the decision succeeds
        assert r.status_code not in (401, 403), r.text
        if path.endswith("/decision"):
            assert r.status_code == 200, r.text
    else:
        assert r.status_code == 403, r.text
