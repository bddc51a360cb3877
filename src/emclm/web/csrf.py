"""CSRF protection of the pages (decision 0025): a double-submit token.

Every rendered page carries the browser's CSRF token (``csrf_token`` in the templates, in a hidden form
field of that name and in ``<meta name="csrf-token">``, which ``static/js/csrf.js`` sends with every htmx
request as the header ``X-CSRF-Token``). The token also lives in an HttpOnly cookie; a state-changing page
request (anything but GET/HEAD/OPTIONS outside ``/api``) whose submitted token does not equal the cookie is
refused with a localised 403 page. A cross-site page can neither read the token nor set the cookie.

Exempt: ``/api`` (its cookie path has the Origin check of decision 0020) and any request with an
``Authorization: Bearer`` header (a browser never adds one by itself; such a request is authenticated by
the token, never by the cookie). The token is replaced at sign-in and sign-out.
"""

from __future__ import annotations

import hmac
import re
import secrets

from fastapi import HTTPException, Request, Response

from emclm.config import get_settings

COOKIE = "emclm_csrf"
FIELD = "csrf_token"
HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SHAPE = re.compile(r"^[A-Za-z0-9_\-]{43}$")


class CsrfRefused(HTTPException):
    """A state-changing page request without the browser's CSRF token (answered with a 403 page)."""

    def __init__(self, detail: str):
        super().__init__(403, detail=detail)


def _valid(value: str | None) -> bool:
    return bool(value) and bool(_SHAPE.match(value))


def token(request: Request) -> str:
    """The browser's CSRF token: the one of its cookie, else a new one (set by :func:`remember`)."""
    fresh = getattr(request.state, "csrf_token", None)
    if fresh:
        return fresh
    cookie = request.cookies.get(COOKIE)
    value = cookie if _valid(cookie) else secrets.token_urlsafe(32)
    request.state.csrf_token = value
    return value


def renew(request: Request) -> str:
    """A new token (at sign-in and sign-out: a token seen before does not outlive the session change)."""
    request.state.csrf_token = secrets.token_urlsafe(32)
    return request.state.csrf_token


def remember(request: Request, response: Response) -> None:
    """Store the request's token in the cookie when it is not already there."""
    value = getattr(request.state, "csrf_token", None)
    if value and value != request.cookies.get(COOKIE):
        mode = get_settings().cookie_secure
        response.set_cookie(
            COOKIE,
            value,
            httponly=True,
            samesite="lax",
            secure=mode == "always" or (mode == "auto" and request.url.scheme == "https"),
            path="/",
        )


def _is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


async def protect(request: Request) -> None:
    """A dependency of the whole app: refuse a state-changing page request without the right token."""
    if request.method in SAFE_METHODS or _is_api(request.url.path):
        return
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credential.strip():
        return
    cookie = request.cookies.get(COOKIE)
    sent = request.headers.get(HEADER)
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get(FIELD)
            sent = value if isinstance(value, str) else None
    if not _valid(cookie):
        raise CsrfRefused(f"CSRF: {request.method} {request.url.path}: the browser has no CSRF cookie")
    if not sent or not hmac.compare_digest(sent.encode(), cookie.encode()):
        raise CsrfRefused(f"CSRF: {request.method} {request.url.path}: the form's csrf_token is missing or wrong")
