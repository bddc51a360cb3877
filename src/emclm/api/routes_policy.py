"""Which policy action guards each route of the app (API and pages). One entry per (method, path).

``PUBLIC``: anyone, for reading (catalogue, search, taxonomy, labour-market views, pages) and for POSTs
that only compute from the request body and store nothing (skill extraction of pasted text, the guidance
calculators). ``SIGNED``: machine-to-machine, verified by the route with a shared secret. Any other value
is an action of :data:`emclm.accounts.policy.POLICY`.

``emclm.api.deps.authorise`` (a dependency of the whole app) refuses a route missing here, and
``tests/accounts/test_route_policy.py`` enumerates the app's route table against this table: a new route
without an entry fails that test. ``docs/security.md`` shows this table.
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from emclm.accounts.policy import PUBLIC, SIGNED

ROUTE_POLICY: dict[tuple[str, str], str] = {
    # API: reading
    ("GET", "/api/openapi.json"): PUBLIC,
    ("GET", "/api/docs"): PUBLIC,
    ("GET", "/api/taxonomy/skills/{skill_id:path}"): PUBLIC,
    ("GET", "/api/taxonomy/occupations/{occupation_id:path}"): PUBLIC,
    ("GET", "/api/taxonomy/labels"): PUBLIC,
    ("GET", "/api/taxonomy/stats"): PUBLIC,
    ("GET", "/api/courses"): PUBLIC,
    ("GET", "/api/courses/{course_id}"): PUBLIC,
    ("GET", "/api/courses/{course_id}/skills"): PUBLIC,
    ("GET", "/api/courses/{course_id}/recognition"): PUBLIC,
    ("GET", "/api/search"): PUBLIC,
    ("GET", "/api/search/suggest"): PUBLIC,
    ("GET", "/api/labour/demand"): PUBLIC,
    ("GET", "/api/labour/gaps"): PUBLIC,
    ("GET", "/api/labour/regions"): PUBLIC,
    # API: POSTs that compute and store nothing
    ("POST", "/api/skills/extract"): PUBLIC,
    ("POST", "/api/guidance/gap"): PUBLIC,
    ("POST", "/api/guidance/pathway"): PUBLIC,
    ("POST", "/api/guidance/transitions"): PUBLIC,
    ("POST", "/api/credentials/verify"): PUBLIC,  # verifies the body, stores nothing, fetches nothing
    # API: state changes
    ("POST", "/api/sources/richie/course-runs-sync"): SIGNED,  # HMAC-SHA256 with EMCLM_RICHIE_HOOK_SECRET
    ("POST", "/api/courses/{course_id}/skills/{skill_id}/decision"): "course_tags:decide",
    ("PUT", "/api/courses/{course_id}/recognition"): "course_recognition:correct",
    # accounts: anonymous by nature (creating or recovering an identity); throttled or single-use links
    ("POST", "/api/auth/signup"): PUBLIC,
    ("GET", "/api/auth/verify"): PUBLIC,
    ("POST", "/api/auth/login"): PUBLIC,
    ("POST", "/api/auth/password-reset"): PUBLIC,
    ("POST", "/api/auth/password-reset/confirm"): PUBLIC,
    # accounts: the signed-in caller's own account
    ("POST", "/api/auth/logout"): "account:self",
    ("POST", "/api/auth/logout-everywhere"): "account:self",
    ("GET", "/api/auth/me"): "account:self",
    ("GET", "/api/auth/tokens"): "account:self",
    ("POST", "/api/auth/tokens"): "account:create_token",
    ("DELETE", "/api/auth/tokens/{token_id}"): "account:self",
    # running as a service (api/observability.py): liveness and readiness carry no data; /metrics requires
    # EMCLM_METRICS_TOKEN as a bearer token when it is set (checked by the route)
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    # personal data (decision 0024)
    ("GET", "/api/auth/consents"): "account:self",
    ("POST", "/api/auth/consents"): "account:self",
    ("DELETE", "/api/auth/consents/{purpose}"): "account:self",
    ("GET", "/api/auth/me/export"): "account:self",
    ("POST", "/api/auth/me/erase"): "account:erase",
    # administration
    ("GET", "/api/admin/audit"): "audit:read",
    ("GET", "/api/admin/audit.csv"): "audit:read",
    # pages
    ("GET", "/"): PUBLIC,
    ("GET", "/favicon.ico"): PUBLIC,
    ("GET", "/about"): PUBLIC,
    ("GET", "/search"): PUBLIC,
    ("GET", "/courses/{course_id}"): PUBLIC,
    ("GET", "/skills/{ident}"): PUBLIC,
    ("GET", "/occupations/{ident}"): PUBLIC,
    ("GET", "/plan"): PUBLIC,
    ("GET", "/transitions"): PUBLIC,
    ("GET", "/suggest/occupations"): PUBLIC,
    ("GET", "/labour"): PUBLIC,
    # identity pages (decision 0025): every POST also needs the page's CSRF token (emclm.web.csrf)
    ("GET", "/signin"): PUBLIC,
    ("POST", "/signin"): PUBLIC,
    ("GET", "/signup"): PUBLIC,
    ("POST", "/signup"): PUBLIC,
    ("GET", "/signup/verify"): PUBLIC,
    ("GET", "/reset"): PUBLIC,
    ("POST", "/reset"): PUBLIC,
    ("POST", "/reset/confirm"): PUBLIC,
    # single sign-on (decision 0029): starting needs the page's CSRF token; the callback is bound to the browser
    # by the state cookie and is single use
    ("POST", "/signin/oidc/{name}"): PUBLIC,
    ("GET", "/signin/oidc/{name}/callback"): PUBLIC,
    ("POST", "/signout"): "account:self",
    ("POST", "/signout-everywhere"): "account:self",
    ("GET", "/account"): "account:self",
    ("POST", "/account/tokens"): "account:create_token",
    ("POST", "/account/tokens/{token_id}/revoke"): "account:self",
    ("GET", "/organisations/{organisation_id}/members"): "organisation:members",
    ("POST", "/organisations/{organisation_id}/members"): "organisation:members",
    ("POST", "/organisations/{organisation_id}/members/{membership_id}/remove"): "organisation:members",
    ("GET", "/verify"): PUBLIC,
    ("POST", "/verify"): PUBLIC,  # verifies a pasted or uploaded credential; stores nothing
    # pages: privacy and one's own data (web/account_data.py)
    ("GET", "/privacy"): PUBLIC,
    ("GET", "/account/data"): "account:self",
    ("GET", "/account/data/export"): "account:self",
    ("POST", "/account/data/consents"): "account:self",
    ("POST", "/account/data/erase"): "account:erase",
    ("GET", "/admin/audit"): "audit:read",
}

# Mounted applications (static files) are not routes with methods; they are listed here instead.
PUBLIC_MOUNTS = ("/static",)


def app_routes(app: FastAPI) -> Iterator[tuple[str, str, object]]:
    """Every (method, full path, endpoint) of the app, from its own route table (HEAD counts as GET)."""
    for route in iter_route_contexts(app.routes):
        methods = route.methods or set()
        for method in sorted(methods - {"HEAD"}) or ([] if not methods else ["GET"]):
            yield method, route.path, route.endpoint


def app_mounts(app: FastAPI) -> list[str]:
    return [r.path for r in iter_route_contexts(app.routes) if not r.methods]
