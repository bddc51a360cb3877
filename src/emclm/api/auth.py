"""Password sign-in and the account's life cycle (decision 0020).

- ``POST /api/auth/signup``                  e-mail + password → an unverified learner account; a verification link by mail
- ``GET  /api/auth/verify?token=…``          the link from that mail: the address is verified (single use)
- ``POST /api/auth/login``                   e-mail + password → a fresh session cookie (throttled: 429 + Retry-After)
- ``POST /api/auth/logout``                  ends this session
- ``POST /api/auth/logout-everywhere``       ends every session of the account
- ``POST /api/auth/password-reset``          e-mail → a reset link by mail (the answer never tells whether it exists)
- ``POST /api/auth/password-reset/confirm``  token + new password; ends every session
- ``GET  /api/auth/me``                      the signed-in account
- ``GET|POST /api/auth/tokens``, ``DELETE /api/auth/tokens/{id}``  one's personal access tokens (shown once)
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from pydantic import ConfigDict, Field
from sqlalchemy.orm import Session

from emclm.accounts import store
from emclm.accounts.mail import send_mail
from emclm.accounts.store import Principal
from emclm.api.deps import current_principal, get_session
from emclm.api.errors import responses, unprocessable
from emclm.api.types import ApiModel, DbId, utc_iso
from emclm.config import get_settings

router = APIRouter(prefix="/auth", tags=["accounts"])


class Credentials(ApiModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(..., max_length=320)
    password: str = Field(..., max_length=1024)


class EmailOnly(ApiModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(..., max_length=320)


class ResetConfirm(ApiModel):
    model_config = ConfigDict(extra="forbid")
    token: str = Field(..., max_length=200)
    password: str = Field(..., max_length=1024)


def _base_url(request: Request) -> str:
    return get_settings().public_base_url.rstrip("/") or str(request.base_url).rstrip("/")


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _secure(request: Request) -> bool:
    mode = get_settings().cookie_secure
    return mode == "always" or (mode == "auto" and request.url.scheme == "https")


@router.post("/signup", status_code=202, responses=responses(422))
def signup(body: Credentials, request: Request, session: Session = Depends(get_session, scope="function")) -> dict:
    try:
        email = store.normalise_email(body.email)
    except store.AccountError as exc:
        raise unprocessable(str(exc), ("body", "email")) from None
    try:
        store.check_password_strength(body.password, f"account {email}")
    except store.AccountError as exc:
        raise unprocessable(str(exc), ("body", "password")) from None
    if store.get_account(session, email) is None:
        account = store.create_account(session, email, body.password)
        store.add_membership(session, account, ["learner"])
        secret = store.issue_link(session, account, "verify_email")
        session.commit()  # the account exists before the mail that points to it leaves
        send_mail(
            email,
            "Confirm your e-mail address",
            "Open this link to confirm your address and activate your emclm account:\n\n"
            f"{_base_url(request)}/api/auth/verify?token={secret}\n\n"
            f"The link works once, within {get_settings().verify_link_hours} hours.",
        )
    # the same answer whether or not the address had an account: sign-up does not reveal who is registered
    return {"status": "check your mailbox for the verification link"}


@router.get("/verify", responses=responses(400, 422))
def verify(token: str, session: Session = Depends(get_session, scope="function")) -> dict:
    try:
        account = store.verify_email(session, token[:200])
    except store.AccountError as exc:
        raise HTTPException(400, detail=str(exc)) from None
    return {"email": account.email, "verified_at": utc_iso(account.verified_at)}


@router.post("/login", responses=responses(401, 403, 422, 429))
def login(body: Credentials, request: Request, session: Session = Depends(get_session, scope="function")) -> Response:
    settings = get_settings()
    address = _client_address(request)
    wait = store.login_retry_after(session, body.email, address)
    if wait:
        return JSONResponse(
            {"detail": "login: too many failed attempts; try again later"},
            status_code=429,
            headers={"Retry-After": str(wait)},
        )
    account = store.sign_in(session, body.email, body.password)
    if account is None:
        store.record_login_failure(session, body.email, address)
        session.commit()
        raise HTTPException(401, detail="login: e-mail or password is wrong")
    if account.verified_at is None:
        raise HTTPException(403, detail="login: confirm your e-mail address first (see the verification mail)")
    old = request.cookies.get(settings.session_cookie_name)
    if old:
        store.end_session(session, old)  # never carry a pre-login session id over (session fixation)
    _, cookie = store.start_session(session, account)
    response = JSONResponse(store.account_dict(account))
    response.set_cookie(
        settings.session_cookie_name,
        cookie,
        max_age=settings.session_absolute_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )
    return response


@router.post("/logout", responses=responses(401, 403))
def logout(request: Request, session: Session = Depends(get_session, scope="function")) -> Response:
    settings = get_settings()
    cookie = request.cookies.get(settings.session_cookie_name)
    ended = store.end_session(session, cookie) if cookie else False
    response = JSONResponse({"ended": int(ended)})
    response.delete_cookie(settings.session_cookie_name, path="/", httponly=True, samesite="lax")
    return response


@router.post("/logout-everywhere", responses=responses(401, 403))
def logout_everywhere(
    principal: Principal | None = Depends(current_principal), session: Session = Depends(get_session, scope="function")
) -> Response:
    if principal is None or principal.account_id is None:
        raise HTTPException(403, detail="logout-everywhere: only for an account")
    response = JSONResponse({"ended": store.end_all_sessions(session, principal.account_id)})
    response.delete_cookie(get_settings().session_cookie_name, path="/", httponly=True, samesite="lax")
    return response


@router.post("/password-reset", status_code=202, responses=responses(422))
def password_reset(
    body: EmailOnly, request: Request, session: Session = Depends(get_session, scope="function")
) -> dict:
    try:
        account = store.get_account(session, body.email)
    except store.AccountError as exc:
        raise unprocessable(str(exc), ("body", "email")) from None
    if account is not None and not account.disabled:
        secret = store.issue_link(session, account, "reset_password")
        session.commit()
        send_mail(
            account.email,
            "Reset your emclm password",
            "Someone asked to reset the password of this address. If it was you, send this token with your new "
            f"password to {_base_url(request)}/api/auth/password-reset/confirm :\n\n{secret}\n\n"
            f"It works once, within {get_settings().reset_link_minutes} minutes. Otherwise ignore this mail.",
        )
    return {"status": "if the address has an account, a reset link is on its way"}


@router.post("/password-reset/confirm", responses=responses(400, 422))
def password_reset_confirm(body: ResetConfirm, session: Session = Depends(get_session, scope="function")) -> dict:
    try:
        account = store.reset_password(session, body.token, body.password)
    except store.AccountError as exc:
        if "password" in str(exc):
            raise unprocessable(str(exc), ("body", "password")) from None
        raise HTTPException(400, detail=str(exc)) from None
    return {"email": account.email, "status": "password changed; every session was ended"}


@router.get("/me", responses=responses(401, 403))
def me(
    principal: Principal | None = Depends(current_principal), session: Session = Depends(get_session, scope="function")
) -> dict:
    from emclm.accounts.models import Account

    account = session.get(Account, principal.account_id) if principal and principal.account_id else None
    if account is None:
        raise HTTPException(403, detail="me: only for an account")
    return {**store.account_dict(account), "via": principal.via}


class TokenRequest(ApiModel):
    model_config = ConfigDict(extra="forbid")
    scopes: list[str] = Field(..., min_length=1, max_length=10)
    name: str = Field("", max_length=120)
    expires_in_days: int | None = Field(None, ge=1, le=3650)


def _own_account(principal: Principal | None, what: str):
    if principal is None or principal.account_id is None:
        raise HTTPException(403, detail=f"{what}: only for an account")
    return principal.account_id


@router.get("/tokens", responses=responses(401, 403))
def my_tokens(
    principal: Principal | None = Depends(current_principal), session: Session = Depends(get_session, scope="function")
):
    from emclm.accounts.models import Account

    account = session.get(Account, _own_account(principal, "tokens"))
    return [store.token_dict(t) for t in store.list_tokens(session, account)]


@router.post("/tokens", status_code=201, responses=responses(401, 403, 422))
def create_my_token(
    body: TokenRequest,
    principal: Principal | None = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> dict:
    """A personal access token for the signed-in browser's account, shown once (policy
    ``account:create_token``: a token cannot mint tokens, it could widen its own scopes)."""
    from datetime import timedelta

    from emclm.accounts.models import Account

    account = session.get(Account, _own_account(principal, "tokens"))  # session-only: see the policy
    try:
        row, secret = store.create_token(
            session,
            body.scopes,
            account=account,
            name=body.name,
            expires_in=timedelta(days=body.expires_in_days) if body.expires_in_days else None,
        )
    except store.AccountError as exc:
        raise unprocessable(str(exc), ("body", "scopes")) from None
    return {**store.token_dict(row), "secret": secret}


@router.delete("/tokens/{token_id}", responses=responses(401, 403, 404, 422))
def revoke_my_token(
    token_id: DbId,
    principal: Principal | None = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> dict:
    """Revoke one of one's own tokens; another account's token id answers 404, as an unknown one does."""
    from emclm.accounts.models import ApiToken

    account_id = _own_account(principal, "tokens")
    row = session.get(ApiToken, token_id)
    if row is None or row.account_id != account_id:
        raise HTTPException(404, detail=f"token {token_id} not found")
    return store.token_dict(store.revoke_token(session, token_id))
