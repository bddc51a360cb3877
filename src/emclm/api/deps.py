"""Request-scoped database sessions, the caller's identity and the one authorisation check."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import FastAPI, HTTPException, Request
from sqlalchemy.orm import Session

from emclm.accounts.policy import PUBLIC, SIGNED, Refusal, check, may_attempt
from emclm.accounts.store import Principal
from emclm.config import get_settings
from emclm.db.session import sessionmaker_for


def configure(app: FastAPI, database_url: str | None) -> None:
    app.state.sessionmaker = sessionmaker_for(database_url)
    app.state.database_url = database_url


def get_session(request: Request) -> Iterator[Session]:
    session = request.app.state.sessionmaker()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# --- identity and authorisation (decision 0020) ------------------------------------------------------------

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def current_principal(request: Request) -> Principal | None:
    """Who is calling: ``Authorization: Bearer <token>`` first, else the session cookie; None when
    anonymous or when the credential is unknown, revoked or expired. Resolved once per request; the
    lookup records ``last_used_at`` / ``last_seen_at`` in its own short transaction."""
    if hasattr(request.state, "principal"):
        return request.state.principal
    from emclm.accounts import store

    principal = None
    header = request.headers.get("authorization", "")
    cookie = request.cookies.get(get_settings().session_cookie_name)
    if header or cookie:
        session = request.app.state.sessionmaker()
        try:
            if header:
                scheme, _, credential = header.partition(" ")
                if scheme.lower() == "bearer" and credential.strip():
                    principal = store.principal_from_token(session, credential.strip())
            elif cookie:
                principal = store.principal_from_session(session, cookie)
            session.commit()
        finally:
            session.close()
    request.state.principal = principal
    return principal


def _route_actions(app: FastAPI) -> dict[tuple[str, object], str | None]:
    table = getattr(app.state, "route_actions", None)
    if table is None:
        from emclm.api.routes_policy import ROUTE_POLICY, app_routes

        table = {(method, endpoint): ROUTE_POLICY.get((method, path)) for method, path, endpoint in app_routes(app)}
        app.state.route_actions = table
    return table


def _same_origin(request: Request) -> bool:
    """CSRF defence for cookie-authenticated state changes: the browser's Origin (or, failing that, the
    Referer) must be this site."""
    own = f"{request.url.scheme}://{request.url.netloc}"
    origin = request.headers.get("origin")
    if origin:
        return origin == own
    referer = request.headers.get("referer", "")
    return referer == own or referer.startswith(own + "/")


def refuse(exc: Refusal) -> HTTPException:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return HTTPException(exc.status, detail=exc.detail, headers=headers)


def authorise(request: Request) -> None:
    """The one authorisation check, a dependency of the whole app: the route's action (from
    ``routes_policy``) against the caller. A route without an entry is refused (fail closed)."""
    method = "GET" if request.method == "HEAD" else request.method
    action = _route_actions(request.app).get((method, request.scope.get("endpoint")))
    if action is None:
        raise HTTPException(403, detail=f"{method} {request.url.path}: no authorisation policy for this route")
    if action in (PUBLIC, SIGNED):
        return
    principal = current_principal(request)
    if principal is not None and principal.via == "session" and method not in SAFE_METHODS:
        if not _same_origin(request):
            raise HTTPException(403, detail="CSRF: a signed-in browser's change must come from this site (Origin)")
    try:
        may_attempt(principal, action)
    except Refusal as exc:
        raise refuse(exc) from None


def require(principal: Principal | None, action: str, *, provider_id: int | None = None) -> Principal:
    """The resource-level decision inside a route (for example a provider on its own courses)."""
    try:
        check(principal, action, provider_id=provider_id)
    except Refusal as exc:
        raise refuse(exc) from None
    return principal
