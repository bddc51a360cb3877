"""Single sign-on pages (issue 16, decision 0029): the sign-in page's button posts to ``/signin/oidc/{name}``
(with the CSRF token), which sends the browser to the provider; the provider sends it back to
``/signin/oidc/{name}/callback``, which starts a fresh session as password sign-in does.

The domain does the protocol (``emclm.accounts.oidc``); here are only the cookie that binds the sign-on to
this browser (the ``state`` secret: HttpOnly, SameSite=Lax so the provider's top-level redirect carries it,
limited to the callback's path and to the sign-on's lifetime) and the pages.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from emclm.accounts import oidc
from emclm.api.auth import set_session_cookie
from emclm.api.deps import get_session
from emclm.config import get_settings
from emclm.web import csrf, i18n
from emclm.web.accounts import _base_url, _safe_next
from emclm.web.routes import render, ui_lang

router = APIRouter(include_in_schema=False)
_ = i18n.gettext
STATE_COOKIE = "emclm_oidc_state"


def _secure(request: Request) -> bool:
    mode = get_settings().cookie_secure
    return mode == "always" or (mode == "auto" and request.url.scheme == "https")


def _refused(request: Request, lang: str, exc: oidc.OidcError, status: int = 400) -> HTMLResponse:
    i18n.activate(lang)
    if isinstance(exc, oidc.EmailNotVerified):
        text = _(
            "The sign-in service did not confirm your e-mail address, so no account was opened or linked. "
            "Confirm the address at that service (or here, from our mail), then try again."
        )
    elif "state" in str(exc):
        text = _("This single sign-on was not started in this browser, was already used or has expired.")
    else:
        text = _("Single sign-on did not work: %(detail)s") % {"detail": str(exc)}
    context = {"active": "signin", "what": "sso_error", "error": text, "detail": str(exc)}
    response = render(request, lang, "message.html", context, status)
    response.delete_cookie(STATE_COOKIE, path="/signin/oidc", httponly=True, samesite="lax")
    return response


@router.post("/signin/oidc/{name}")
def oidc_start(
    request: Request,
    name: str,
    next: str = Form("/account", max_length=500),
    session: Session = Depends(get_session, scope="function"),
    lang: str = Depends(ui_lang),
):
    redirect_uri = f"{_base_url(request)}/signin/oidc/{name}/callback"
    try:
        url, state = oidc.start(session, name, redirect_uri, _safe_next(next))
    except oidc.OidcError as exc:
        status = 404 if "not configured" in str(exc) else 502
        return _refused(request, lang, exc, status)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        STATE_COOKIE,
        state,
        max_age=get_settings().oidc_request_minutes * 60,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/signin/oidc",
    )
    return response


@router.get("/signin/oidc/{name}/callback", response_class=HTMLResponse)
def oidc_callback(
    request: Request,
    name: str,
    state: str = "",
    code: str = "",
    error: str = "",
    session: Session = Depends(get_session, scope="function"),
    lang: str = Depends(ui_lang),
):
    settings = get_settings()
    if error:
        exc = oidc.OidcError(f"oidc provider {name}: the provider answered {error[:80]!r}")
        return _refused(request, lang, exc)
    try:
        done = oidc.finish(session, name, state=state[:200], code=code, cookie_state=request.cookies.get(STATE_COOKIE))
    except oidc.OidcError as exc:
        return _refused(request, lang, exc, 403 if isinstance(exc, oidc.EmailNotVerified) else 400)
    # a fresh session, as password sign-in: one sent with the redirect is ended, never carried over
    old = request.cookies.get(settings.session_cookie_name)
    signed = oidc.sign_in(session, done.account, old)
    response = RedirectResponse(_safe_next(done.next_path), status_code=303)
    set_session_cookie(response, request, signed)
    response.delete_cookie(STATE_COOKIE, path="/signin/oidc", httponly=True, samesite="lax")
    csrf.renew(request)
    csrf.remember(request, response)
    return response
