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

from emclm.accounts import flows, store
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
        flows.sign_up(
            session, body.email, body.password, lambda secret: f"{_base_url(request)}/api/auth/verify?token={secret}"
        )
    except store.AccountError as exc:
        field = "password" if "password" in str(exc).lower() else "email"
        raise unprocessable(str(exc), ("body", field)) from None
    # the same answer whether or not the address had an account: sign-up does not reveal who is registered
    return {"status": "check your mailbox for the verification link"}


@router.get("/verify", responses=responses(400, 422))
def verify(token: str, session: Session = Depends(get_session, scope="function")) -> dict:
    try:
        account = flows.verify(session, token)
    except store.AccountError as exc:
        raise HTTPException(400, detail=str(exc)) from None
    return {"email": account.email, "verified_at": utc_iso(account.verified_at)}


@router.post("/login", responses=responses(401, 403, 422, 429))
def login(body: Credentials, request: Request, session: Session = Depends(get_session, scope="function")) -> Response:
    settings = get_settings()
    try:
        signed = flows.sign_in(
            session,
            body.email,
            body.password,
            _client_address(request),
            request.cookies.get(settings.session_cookie_name),
        )
    except flows.Throttled as exc:
        return JSONResponse({"detail": str(exc)}, status_code=429, headers={"Retry-After": str(exc.retry_after)})
    except flows.WrongCredentials as exc:
        raise HTTPException(401, detail=str(exc)) from None
    except flows.NotVerified as exc:
        raise HTTPException(403, detail=str(exc)) from None
    response = JSONResponse(store.account_dict(signed.account))
    set_session_cookie(response, request, signed.cookie)
    return response


def set_session_cookie(response: Response, request: Request, cookie: str) -> None:
    """The session cookie of decision 0020: HttpOnly, SameSite=Lax, Secure on https (Settings)."""
    settings = get_settings()
    response.set_cookie(
        settings.session_cookie_name,
        cookie,
        max_age=settings.session_absolute_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )


def delete_session_cookie(response: Response) -> None:
    response.delete_cookie(get_settings().session_cookie_name, path="/", httponly=True, samesite="lax")


@router.post("/logout", responses=responses(401, 403))
def logout(request: Request, session: Session = Depends(get_session, scope="function")) -> Response:
    ended = flows.sign_out(
        session, request.cookies.get(get_settings().session_cookie_name), actor=current_principal(request)
    )
    response = JSONResponse({"ended": int(ended)})
    delete_session_cookie(response)
    return response


@router.post("/logout-everywhere", responses=responses(401, 403))
def logout_everywhere(
    principal: Principal | None = Depends(current_principal), session: Session = Depends(get_session, scope="function")
) -> Response:
    if principal is None or principal.account_id is None:
        raise HTTPException(403, detail="logout-everywhere: only for an account")
    response = JSONResponse({"ended": flows.sign_out_everywhere(session, principal.account_id, actor=principal)})
    delete_session_cookie(response)
    return response


@router.post("/password-reset", status_code=202, responses=responses(422))
def password_reset(
    body: EmailOnly, request: Request, session: Session = Depends(get_session, scope="function")
) -> dict:
    try:
        flows.request_reset(
            session,
            body.email,
            lambda secret: (
                "send this token with your new password to "
                f"{_base_url(request)}/api/auth/password-reset/confirm :\n\n{secret}"
            ),
        )
    except store.AccountError as exc:
        raise unprocessable(str(exc), ("body", "email")) from None
    return {"status": "if the address has an account, a reset link is on its way"}


@router.post("/password-reset/confirm", responses=responses(400, 422))
def password_reset_confirm(body: ResetConfirm, session: Session = Depends(get_session, scope="function")) -> dict:
    try:
        account = flows.confirm_reset(session, body.token, body.password)
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
    return [store.token_dict(t) for t in flows.list_personal_tokens(session, _own_account(principal, "tokens"))]


@router.post("/tokens", status_code=201, responses=responses(401, 403, 422))
def create_my_token(
    body: TokenRequest,
    principal: Principal | None = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> dict:
    """A personal access token for the signed-in browser's account, shown once (policy
    ``account:create_token``: a token cannot mint tokens, it could widen its own scopes)."""
    account_id = _own_account(principal, "tokens")  # session-only: see the policy
    try:
        row, secret = flows.create_personal_token(
            session, account_id, body.scopes, body.name, body.expires_in_days, actor=principal
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
    try:
        row = flows.revoke_personal_token(session, _own_account(principal, "tokens"), token_id, actor=principal)
    except flows.NotFound as exc:
        raise HTTPException(404, detail=str(exc)) from None
    return store.token_dict(row)
