"""The identity pages (issue 16, decision 0025): sign in, sign up, verify the address, reset the password,
my account (memberships, tokens), sign out (everywhere) and an organisation's members for its admins.

Every page takes the domain road of the API (``emclm.accounts.flows``); every form carries the CSRF token
(``emclm.web.csrf``, checked for the whole app in ``emclm.api.app``); who may open which page is the policy
table (``emclm.api.routes_policy``), checked by ``emclm.api.deps.authorise`` before a route runs.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from emclm.accounts import flows, oidc
from emclm.accounts.models import ROLES, SCOPES
from emclm.accounts.store import AccountError, Principal
from emclm.api.auth import delete_session_cookie, set_session_cookie
from emclm.api.deps import current_principal, get_session, require
from emclm.config import get_settings
from emclm.web import csrf, i18n
from emclm.web.routes import env, render, ui_lang

router = APIRouter(include_in_schema=False)
_ = i18n.gettext


def role_name(role: str) -> str:
    """A role in the user's language (templates: ``role_name(r)``)."""
    names = {
        "learner": _("Learner"),
        "counsellor": _("Counsellor"),
        "employer": _("Employer"),
        "provider": _("Course provider"),
        "curator": _("Curator"),
        "admin": _("Administrator"),
    }
    return names.get(role, role)


env.globals["role_name"] = role_name


def _base_url(request: Request) -> str:
    return get_settings().public_base_url.rstrip("/") or str(request.base_url).rstrip("/")


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _safe_next(value: str | None) -> str:
    """Where to go after signing in: a path of this site only (never ``//host`` or a scheme)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value and len(value) < 500:
        return value
    return "/account"


def _message(exc: AccountError, lang: str) -> str:
    """The domain's error in the user's language (the domain names record and field in English)."""
    i18n.activate(lang)
    text = str(exc)
    if "is not an e-mail address" in text:
        return _("This is not an e-mail address.")
    if "password is shorter" in text:
        return _("The password must have at least %(n)s characters.") % {"n": get_settings().password_min_length}
    if "password is longer" in text:
        return _("The password must have at most 1024 characters.")
    if "already used" in text:
        return _("This link was already used.")
    if "expired" in text:
        return _("This link has expired.")
    if "token is not valid" in text:
        return _("This link is not valid.")
    if "has no account" in text:
        return _("This address has no account yet: ask them to sign up first.")
    if "own membership" in text:
        return _("You cannot remove your own membership.")
    if "roles is empty" in text:
        return _("Choose at least one role.")
    if "scopes is empty" in text:
        return _("Choose at least one scope.")
    return _("That did not work: %(detail)s") % {"detail": text}


def _signed_in(principal: Principal | None) -> int:
    """The account id of the caller (the policy let only an identity in; an organisation key has none)."""
    if principal is None or principal.account_id is None:
        raise HTTPException(403, detail="account: only for an account")
    return principal.account_id


# --------------------------------------------------------------------------- sign in, sign out


def _signin_page(request: Request, lang: str, status: int = 200, **context) -> HTMLResponse:
    providers = [{"name": p.name, "label": p.label} for p in oidc.providers().values()]
    links = [{"name": name, "url": url} for name, url in oidc.links().items()]
    context.setdefault("next", _safe_next(request.query_params.get("next")))
    return render(
        request, lang, "signin.html", {"active": "signin", "providers": providers, "links": links, **context}, status
    )


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request, lang: str = Depends(ui_lang)):
    return _signin_page(request, lang, verified=request.query_params.get("verified") == "1")


@router.post("/signin", response_class=HTMLResponse)
def signin(
    request: Request,
    email: str = Form(..., max_length=320),
    password: str = Form(..., max_length=1024),
    next: str = Form("/account", max_length=500),
    session: Session = Depends(get_session, scope="function"),
    lang: str = Depends(ui_lang),
):
    settings = get_settings()
    try:
        signed = flows.sign_in(
            session, email, password, _client_address(request), request.cookies.get(settings.session_cookie_name)
        )
    except flows.Throttled as exc:
        i18n.activate(lang)
        response = _signin_page(
            request, lang, 429, email=email, error=_("Too many failed attempts: try again later."), next=next
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except flows.WrongCredentials:
        i18n.activate(lang)
        return _signin_page(request, lang, 401, email=email, error=_("E-mail or password is wrong."), next=next)
    except flows.NotVerified:
        i18n.activate(lang)
        error = _("Confirm your e-mail address first: open the link in the mail we sent you.")
        return _signin_page(request, lang, 403, email=email, error=error, next=next)
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(response, request, signed.cookie)
    csrf.renew(request)
    csrf.remember(request, response)
    return response


def _signed_out(request: Request) -> Response:
    response = RedirectResponse("/", status_code=303)
    delete_session_cookie(response)
    csrf.renew(request)
    csrf.remember(request, response)
    return response


@router.post("/signout")
def signout(request: Request, session: Session = Depends(get_session, scope="function")):
    flows.sign_out(session, request.cookies.get(get_settings().session_cookie_name), actor=current_principal(request))
    return _signed_out(request)


@router.post("/signout-everywhere")
def signout_everywhere(
    request: Request,
    principal: Principal | None = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
):
    flows.sign_out_everywhere(session, _signed_in(principal), actor=principal)
    return _signed_out(request)


# --------------------------------------------------------------------------- sign up, verify, reset


@router.get("/signup", response_class=HTMLResponse)
def signup_form(request: Request, lang: str = Depends(ui_lang)):
    return render(request, lang, "signup.html", {"active": "signup", "minimum": get_settings().password_min_length})


@router.post("/signup", response_class=HTMLResponse)
def signup(
    request: Request,
    email: str = Form("", max_length=320),
    password: str = Form("", max_length=1024),
    session: Session = Depends(get_session, scope="function"),
    lang: str = Depends(ui_lang),
):
    base = _base_url(request)
    try:
        flows.sign_up(session, email, password, lambda secret: f"{base}/signup/verify?token={secret}")
    except AccountError as exc:
        context = {"active": "signup", "minimum": get_settings().password_min_length, "email": email}
        return render(request, lang, "signup.html", {**context, "error": _message(exc, lang)}, 422)
    # the same answer whether or not the address had an account (sign-up does not reveal who is registered)
    return render(request, lang, "message.html", {"what": "signed_up"})


@router.get("/signup/verify", response_class=HTMLResponse)
def verify(
    request: Request,
    token: str = "",
    session: Session = Depends(get_session, scope="function"),
    lang: str = Depends(ui_lang),
):
    try:
        account = flows.verify(session, token)
    except AccountError as exc:
        return render(request, lang, "message.html", {"what": "link_error", "error": _message(exc, lang)}, 400)
    return render(request, lang, "message.html", {"what": "verified", "email": account.email})


@router.get("/reset", response_class=HTMLResponse)
def reset_form(request: Request, token: str = "", lang: str = Depends(ui_lang)):
    return render(request, lang, "reset.html", {"token": token[:200], "minimum": get_settings().password_min_length})


@router.post("/reset", response_class=HTMLResponse)
def reset_request(
    request: Request,
    email: str = Form("", max_length=320),
    session: Session = Depends(get_session, scope="function"),
    lang: str = Depends(ui_lang),
):
    base = _base_url(request)
    try:
        flows.request_reset(
            session, email, lambda secret: f"open this link to choose a new password:\n\n{base}/reset?token={secret}"
        )
    except AccountError as exc:
        context = {"token": "", "email": email, "minimum": get_settings().password_min_length}
        return render(request, lang, "reset.html", {**context, "error": _message(exc, lang)}, 422)
    return render(request, lang, "message.html", {"what": "reset_sent"})


@router.post("/reset/confirm", response_class=HTMLResponse)
def reset_confirm(
    request: Request,
    token: str = Form("", max_length=200),
    password: str = Form("", max_length=1024),
    session: Session = Depends(get_session, scope="function"),
    lang: str = Depends(ui_lang),
):
    try:
        flows.confirm_reset(session, token, password)
    except AccountError as exc:
        status = 422 if "password" in str(exc) else 400
        context = {"token": token, "minimum": get_settings().password_min_length, "error": _message(exc, lang)}
        return render(request, lang, "reset.html", context, status)
    return render(request, lang, "message.html", {"what": "reset_done"})


# --------------------------------------------------------------------------- my account


def _account_page(request: Request, lang: str, session: Session, account_id: int, status: int = 200, **context):
    account = flows.own_account(session, account_id)
    tokens = flows.list_personal_tokens(session, account_id)
    return render(
        request,
        lang,
        "account.html",
        {
            "active": "account",
            "account": account,
            "tokens": tokens,
            "scopes": SCOPES,
            "admin_of": [
                m.organisation for m in account.memberships if m.organisation is not None and "admin" in m.roles
            ],
            **context,
        },
        status,
    )


@router.get("/account", response_class=HTMLResponse)
def account_page(
    request: Request,
    principal: Principal | None = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
    lang: str = Depends(ui_lang),
):
    return _account_page(request, lang, session, _signed_in(principal))


@router.post("/account/tokens", response_class=HTMLResponse)
def create_token(
    request: Request,
    name: str = Form("", max_length=120),
    scopes: list[str] = Form([]),
    expires_in_days: str = Form("", max_length=5),
    principal: Principal | None = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
    lang: str = Depends(ui_lang),
):
    account_id = _signed_in(principal)
    try:
        days = int(expires_in_days) if expires_in_days.strip() else None
    except ValueError:
        days = 0  # refused by the flow, naming the field
    try:
        row, secret = flows.create_personal_token(session, account_id, scopes, name, days, actor=principal)
    except AccountError as exc:
        return _account_page(request, lang, session, account_id, 422, error=_message(exc, lang), form_name=name)
    return _account_page(request, lang, session, account_id, 201, new_token=row, new_secret=secret)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(
    token_id: int,
    principal: Principal | None = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
):
    try:
        flows.revoke_personal_token(session, _signed_in(principal), token_id, actor=principal)
    except flows.NotFound:
        raise HTTPException(404, detail=f"token {token_id} not found") from None
    return RedirectResponse("/account", status_code=303)


# --------------------------------------------------------------------------- an organisation's members


def _organisation_admin(session: Session, principal: Principal | None, organisation_id: int):
    """The organisation, when the caller is one of its admins (policy ``organisation:members``, narrowed to
    this organisation); another organisation answers 404 as an unknown one does."""
    require(principal, "organisation:members")
    account = flows.own_account(session, _signed_in(principal))
    try:
        org = flows.organisation(session, organisation_id)
    except flows.NotFound:
        raise HTTPException(404, detail=f"organisation {organisation_id} not found") from None
    if not flows.is_organisation_admin(account, organisation_id):
        raise HTTPException(404, detail=f"organisation {organisation_id} not found")
    return org, account


def _members_page(request, lang, session, org, status: int = 200, **context):
    return render(
        request,
        lang,
        "members.html",
        {"organisation": org, "members": flows.members(session, org.id), "roles": ROLES, **context},
        status,
    )


@router.get("/organisations/{organisation_id}/members", response_class=HTMLResponse)
def members_page(
    request: Request,
    organisation_id: int,
    principal: Principal | None = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
    lang: str = Depends(ui_lang),
):
    org, _account = _organisation_admin(session, principal, organisation_id)
    return _members_page(request, lang, session, org)


@router.post("/organisations/{organisation_id}/members", response_class=HTMLResponse)
def add_member(
    request: Request,
    organisation_id: int,
    email: str = Form("", max_length=320),
    roles: list[str] = Form([]),
    principal: Principal | None = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
    lang: str = Depends(ui_lang),
):
    org, _account = _organisation_admin(session, principal, organisation_id)
    try:
        membership = flows.add_member(session, org.id, email, roles, actor=principal)
    except AccountError as exc:
        return _members_page(request, lang, session, org, 422, error=_message(exc, lang), email=email)
    return _members_page(request, lang, session, org, added=membership.account.email)


@router.post("/organisations/{organisation_id}/members/{membership_id}/remove", response_class=HTMLResponse)
def remove_member(
    request: Request,
    organisation_id: int,
    membership_id: int,
    principal: Principal | None = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
    lang: str = Depends(ui_lang),
):
    org, account = _organisation_admin(session, principal, organisation_id)
    try:
        removed = flows.remove_member(session, org.id, membership_id, account.id)
    except flows.NotFound:
        raise HTTPException(404, detail=f"membership {membership_id} not found") from None
    except AccountError as exc:
        return _members_page(request, lang, session, org, 422, error=_message(exc, lang))
    return _members_page(request, lang, session, org, removed=removed.email)
