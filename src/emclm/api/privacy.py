"""The signed-in person's own data (decision 0024).

- ``GET    /api/auth/consents``            one entry per purpose (account, alerts, profile_sharing): in force or not
- ``POST   /api/auth/consents``            ``{"purpose": …}``: give consent (to the current text version)
- ``DELETE /api/auth/consents/{purpose}``  withdraw it
- ``GET    /api/auth/me/export``           "download my data": everything stored about the person, as JSON
- ``POST   /api/auth/me/erase``            "delete my account": ``{"confirm_email": …}`` (from a signed-in browser)
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from emclm.accounts import consent, erasure
from emclm.accounts.models import CONSENT_PURPOSES, Account
from emclm.accounts.store import AccountError, Principal
from emclm.api.deps import current_principal, get_session
from emclm.api.errors import responses
from emclm.config import get_settings

router = APIRouter(prefix="/auth", tags=["accounts"])

Purpose = Literal["account", "alerts", "profile_sharing"]
assert set(Purpose.__args__) == set(CONSENT_PURPOSES)


def own_account(session: Session, principal: Principal | None, what: str) -> Account:
    account = session.get(Account, principal.account_id) if principal and principal.account_id else None
    if account is None:
        raise HTTPException(403, detail=f"{what}: only for an account")
    return account


class ConsentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    purpose: Purpose


class EraseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    confirm_email: str = Field(..., max_length=320, description="the account's own e-mail address, typed again")


def _invalid(loc: list[str], msg: str) -> HTTPException:
    return HTTPException(422, detail=[{"type": "value_error", "loc": loc, "msg": msg}])


@router.get("/consents", responses=responses(401, 403, 404, 422))
def my_consents(
    principal: Principal | None = Depends(current_principal), session: Session = Depends(get_session, scope="function")
) -> list[dict]:
    return consent.summary(session, own_account(session, principal, "consents"))


@router.post("/consents", responses=responses(401, 403, 404, 422), status_code=201)
def give_consent(
    body: ConsentRequest,
    principal: Principal | None = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> dict:
    account = own_account(session, principal, "consents")
    return consent.consent_dict(consent.give(session, account, body.purpose, principal))


@router.delete("/consents/{purpose}", responses=responses(401, 403, 404, 422))
def withdraw_consent(
    purpose: Purpose,
    principal: Principal | None = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> dict:
    account = own_account(session, principal, "consents")
    row = consent.withdraw(session, account, purpose, principal)
    if row is None:
        raise HTTPException(404, detail=f"consent {purpose}: none in force")
    return consent.consent_dict(row)


@router.get("/me/export", responses=responses(401, 403, 404, 422))
def export_my_data(
    principal: Principal | None = Depends(current_principal), session: Session = Depends(get_session, scope="function")
) -> Response:
    import emclm.models  # noqa: F401 - every area's personal-data holder registers with its models

    data = erasure.export_account(session, own_account(session, principal, "export"))
    return JSONResponse(data, headers={"Content-Disposition": 'attachment; filename="emclm-my-data.json"'})


@router.post("/me/erase", responses=responses(401, 403, 404, 422))
def erase_me(
    body: EraseRequest,
    principal: Principal | None = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    """Erase the account and its personal data at once; the audit log keeps a pseudonymised trace."""
    import emclm.models  # noqa: F401 - every area's personal-data holder registers with its models

    account = own_account(session, principal, "erase")
    try:
        alias = erasure.confirm_and_erase(session, account, body.confirm_email, principal)
    except AccountError as exc:
        raise _invalid(["body", "confirm_email"], str(exc)) from None
    response = JSONResponse({"erased": True, "audit_pseudonym": alias})
    response.delete_cookie(get_settings().session_cookie_name, path="/", httponly=True, samesite="lax")
    return response
