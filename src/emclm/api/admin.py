"""Administration (decision 0024): the audit log.

- ``GET /api/admin/audit``      audit events, newest first, filtered and paged (JSON)
- ``GET /api/admin/audit.csv``  the same selection as CSV (cells a spreadsheet would run as formulas are quoted)
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from emclm.accounts import audit
from emclm.api.deps import get_session
from emclm.api.errors import responses

router = APIRouter(prefix="/admin", tags=["administration"])

CSV_MAX_ROWS = 100_000


class AuditFilters:
    def __init__(
        self,
        action: str | None = Query(None, max_length=64, description="an action, or a prefix ending in '.': auth."),
        actor: str | None = Query(None, max_length=320, description="the actor's label (e-mail or pseudonym)"),
        resource_type: str | None = Query(None, max_length=64),
        resource_id: str | None = Query(None, max_length=255),
        organisation_id: int | None = Query(None, ge=1),
        since: datetime | None = Query(None, description="ISO date-time, inclusive"),
        until: datetime | None = Query(None, description="ISO date-time, exclusive"),
    ):
        self.values = {
            "action": action,
            "actor": actor,
            "resource_type": resource_type,
            "resource_id": resource_id,
            "organisation_id": organisation_id,
            "since": since,
            "until": until,
        }


@router.get("/audit", responses=responses(401, 403, 404, 422))
def audit_events(
    filters: AuditFilters = Depends(),
    page: int = Query(1, ge=1),
    page_size: int = Query(50, ge=1, le=500),
    session: Session = Depends(get_session, scope="function"),
) -> dict:
    rows, total = audit.query(session, **filters.values, page=page, page_size=page_size)
    return {"items": [audit.event_dict(r) for r in rows], "total": total, "page": page, "page_size": page_size}


@router.get("/audit.csv", responses=responses(401, 403, 404, 422))
def audit_events_csv(
    filters: AuditFilters = Depends(), session: Session = Depends(get_session, scope="function")
) -> Response:
    rows, _ = audit.query(session, **filters.values, page=1, page_size=CSV_MAX_ROWS)
    return Response(
        audit.to_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="emclm-audit.csv"'},
    )
