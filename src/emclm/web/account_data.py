"""Pages about personal data (decision 0024): the privacy notice, one's own data (consents, download,
erasure) and the administrators' audit log. Plain HTML forms (POST, with the ``csrf_token`` field the
CSRF check fills in); every change goes through the accounts domain, which writes its audit row in the
same transaction.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from sqlalchemy.orm import Session

from emclm.accounts import audit, consent, erasure
from emclm.accounts.models import CONSENT_PURPOSES, Account
from emclm.accounts.store import AccountError, Principal
from emclm.api.deps import current_principal, get_session
from emclm.config import get_settings
from emclm.web.routes import render, ui_lang

router = APIRouter(include_in_schema=False)

AUDIT_PAGE_SIZE = 50


@router.get("/privacy", response_class=HTMLResponse)
def privacy(request: Request, lang: str = Depends(ui_lang)):
    return render(
        request,
        lang,
        "privacy.html",
        {
            "active": "privacy",
            "retention_days": get_settings().account_retention_days,
            "text_versions": consent.TEXT_VERSIONS,
        },
    )


def _account(session: Session, principal: Principal | None) -> Account | None:
    return session.get(Account, principal.account_id) if principal and principal.account_id else None


def _data_page(request: Request, lang: str, session: Session, account: Account | None, **context) -> HTMLResponse:
    status = context.pop("status_code", 200)
    return render(
        request,
        lang,
        "account_data.html",
        {
            "account": account,
            "consents": consent.summary(session, account) if account else [],
            **context,
        },
        status_code=status,
    )


@router.get("/account/data", response_class=HTMLResponse)
def account_data(
    request: Request,
    lang: str = Depends(ui_lang),
    principal: Principal | None = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
):
    return _data_page(request, lang, session, _account(session, principal), done=request.query_params.get("done"))


@router.get("/account/data/export")
def account_data_export(
    principal: Principal | None = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
):
    import emclm.models  # noqa: F401 - every area's personal-data holder registers with its models

    account = _account(session, principal)
    if account is None:
        return JSONResponse({"detail": "export: only for an account"}, status_code=403)
    return JSONResponse(
        erasure.export_account(session, account),
        headers={"Content-Disposition": 'attachment; filename="emclm-my-data.json"'},
    )


@router.post("/account/data/consents", response_class=HTMLResponse)
def account_data_consent(
    request: Request,
    purpose: str = Form(..., max_length=32),
    choice: str = Form(..., pattern="^(give|withdraw)$"),
    csrf_token: str = Form(""),
    lang: str = Depends(ui_lang),
    principal: Principal | None = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
):
    account = _account(session, principal)
    if account is None:
        return _data_page(request, lang, session, None, status_code=403)
    if purpose not in CONSENT_PURPOSES:
        return _data_page(request, lang, session, account, error="purpose", status_code=422)
    if choice == "give":
        consent.give(session, account, purpose, principal)
    else:
        consent.withdraw(session, account, purpose, principal)
    return RedirectResponse("/account/data?done=consent", status_code=303)


@router.post("/account/data/erase", response_class=HTMLResponse)
def account_data_erase(
    request: Request,
    confirm_email: str = Form("", max_length=320),
    csrf_token: str = Form(""),
    lang: str = Depends(ui_lang),
    principal: Principal | None = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
):
    import emclm.models  # noqa: F401 - every area's personal-data holder registers with its models

    account = _account(session, principal)
    if account is None:
        return _data_page(request, lang, session, None, status_code=403)
    try:
        erasure.confirm_and_erase(session, account, confirm_email, principal)
    except AccountError:
        return _data_page(request, lang, session, account, error="confirm_email", status_code=422)
    response = render(request, lang, "account_erased.html", {})
    response.delete_cookie(get_settings().session_cookie_name, path="/", httponly=True, samesite="lax")
    return response


@router.get("/admin/audit", response_class=HTMLResponse)
def admin_audit(
    request: Request,
    action: str | None = Query(None, max_length=64),
    actor: str | None = Query(None, max_length=320),
    page: int = Query(1, ge=1),
    lang: str = Depends(ui_lang),
    session: Session = Depends(get_session, scope="function"),
):
    rows, total = audit.query(session, action=action or None, actor=actor or None, page=page, page_size=AUDIT_PAGE_SIZE)
    pages = max(1, -(-total // AUDIT_PAGE_SIZE))
    filters = {k: v for k, v in {"action": action, "actor": actor}.items() if v}
    return render(
        request,
        lang,
        "admin_audit.html",
        {
            "events": [audit.event_dict(r) for r in rows],
            "total": total,
            "page": page,
            "pages": pages,
            "filters": filters,
        },
    )
