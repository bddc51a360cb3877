"""The audit log: an append-only record of every state change (decision 0024).

:func:`record` adds the row to the caller's session, so the change and its audit row commit (or roll back)
together. The database refuses UPDATE and DELETE on ``audit_event`` (triggers of migration 0021); the one
exception is :func:`pseudonymise`, which erasure calls to replace a person's label (and any copy of their
e-mail address in the before/after states) with a keyed pseudonym.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, delete, func, or_, select, text
from sqlalchemy.orm import Session

from emclm.accounts.models import Account, AuditEvent, AuditUnlock
from emclm.accounts.store import Principal, _iso
from emclm.config import get_settings
from emclm.db.base import utcnow

Actor = Principal | Account | str | None


class AuditError(ValueError):
    """Bad input to the audit log; the message names the field."""


def _actor(actor: Actor) -> tuple[int | None, str, int | None]:
    """(account id, label, organisation id) of whoever acts."""
    if isinstance(actor, Principal):
        org = actor.organisation_id
        if org is None:
            orgs = {m[0] for m in actor.memberships if m[0] is not None}
            org = next(iter(orgs)) if len(orgs) == 1 else None
        return actor.account_id, actor.name, org
    if isinstance(actor, Account):  # the person acting on their own account before any sign-in (sign-up, links)
        return actor.id, actor.email, None
    if isinstance(actor, str) and actor.strip():
        return None, actor.strip()[:320], None
    return None, "anonymous", None


def record(
    session: Session,
    actor: Actor,
    action: str,
    resource: tuple[str, Any],
    before: dict | None = None,
    after: dict | None = None,
    *,
    organisation_id: int | None = None,
    request_id: str | None = None,
) -> AuditEvent:
    """Add one audit row to ``session`` (committed with the caller's change, never on its own).

    ``actor``: a :class:`Principal`, an :class:`Account` (sign-up, e-mail links), or a label for a non-person actor (``cli:<user>``, ``richie-hook``,
    ``system:retention``). ``resource``: (type, id)."""
    if not action or len(action) > 64:
        raise AuditError(f"audit event: action {action!r} must have 1 to 64 characters")
    resource_type, resource_id = resource
    account_id, label, actor_org = _actor(actor)
    row = AuditEvent(
        at=utcnow(),
        actor_account_id=account_id,
        actor_label=label,
        organisation_id=organisation_id if organisation_id is not None else actor_org,
        action=action,
        resource_type=str(resource_type)[:64],
        resource_id=None if resource_id is None else str(resource_id)[:255],
        before_state=_jsonable(before),
        after_state=_jsonable(after),
        request_id=(request_id or None) and request_id[:64],
    )
    session.add(row)
    session.flush()
    return row


def _jsonable(state: dict | None) -> dict | None:
    if state is None:
        return None
    return json.loads(json.dumps(state, default=str, ensure_ascii=False))


def event_dict(row: AuditEvent) -> dict:
    return {
        "id": row.id,
        "at": _iso(row.at),
        "actor_account_id": row.actor_account_id,
        "actor": row.actor_label,
        "organisation_id": row.organisation_id,
        "action": row.action,
        "resource_type": row.resource_type,
        "resource_id": row.resource_id,
        "before": row.before_state,
        "after": row.after_state,
        "request_id": row.request_id,
    }


def query(
    session: Session,
    *,
    action: str | None = None,
    actor: str | None = None,
    resource_type: str | None = None,
    resource_id: str | None = None,
    organisation_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page: int = 1,
    page_size: int = 50,
) -> tuple[list[AuditEvent], int]:
    """Audit rows, newest first, filtered (``action`` also matches a prefix ending in a dot: ``auth.``)."""
    conditions = []
    if action:
        conditions.append(AuditEvent.action.startswith(action) if action.endswith(".") else AuditEvent.action == action)
    if actor:
        conditions.append(AuditEvent.actor_label == actor)
    if resource_type:
        conditions.append(AuditEvent.resource_type == resource_type)
    if resource_id:
        conditions.append(AuditEvent.resource_id == resource_id)
    if organisation_id is not None:
        conditions.append(AuditEvent.organisation_id == organisation_id)
    if since is not None:
        conditions.append(AuditEvent.at >= since)
    if until is not None:
        conditions.append(AuditEvent.at < until)
    total = session.scalar(select(func.count()).select_from(AuditEvent).where(*conditions)) or 0
    rows = session.scalars(
        select(AuditEvent)
        .where(*conditions)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    return list(rows), total


CSV_COLUMNS = ("id", "at", "actor", "actor_account_id", "organisation_id", "action", "resource_type", "resource_id")


def csv_cell(value: Any) -> str:
    """A cell a spreadsheet shows as text: one starting with = + - @ (or a tab / carriage return) is
    prefixed with a quote so that it is never run as a formula."""
    if value is None:
        return ""
    out = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    if out and out[0] in "=+-@\t\r":
        out = "'" + out
    return out


def to_csv(rows: Iterable[AuditEvent]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([*CSV_COLUMNS, "before", "after", "request_id"])
    for row in rows:
        d = event_dict(row)
        writer.writerow(
            [csv_cell(d[c]) for c in CSV_COLUMNS]
            + [csv_cell(d["before"]), csv_cell(d["after"]), csv_cell(d["request_id"])]
        )
    return buf.getvalue()


# --- pseudonymisation (erasure only) -----------------------------------------------------------------------


def _key() -> bytes:
    settings = get_settings()
    if settings.audit_pseudonym_key:
        return settings.audit_pseudonym_key.encode()
    path = settings.var_dir / "audit-pseudonym.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(path, "x", encoding="ascii") as fh:  # "x": two processes never overwrite each other's key
                fh.write(secrets.token_hex(32))
            path.chmod(0o600)
        except FileExistsError:
            pass
    return path.read_text(encoding="ascii").strip().encode()


def pseudonym(email: str) -> str:
    """``erased-<hmac>``: the same person gets the same pseudonym (their events stay linkable to each other),
    and without the key the address cannot be recovered or confirmed by guessing."""
    return "erased-" + hmac.new(_key(), email.strip().lower().encode(), hashlib.sha256).hexdigest()[:24]


def _replace(state: Any, email: str, alias: str) -> Any:
    if isinstance(state, dict):
        return {k: _replace(v, email, alias) for k, v in state.items()}
    if isinstance(state, list):
        return [_replace(v, email, alias) for v in state]
    if isinstance(state, str) and email in state.lower():
        return alias
    return state


def pseudonymise(session: Session, account_id: int, email: str) -> int:
    """Replace the person's label and every copy of their address in the before/after states of the audit
    rows (theirs as actor, or mentioning them) with :func:`pseudonym`; the only UPDATE the triggers allow,
    unlocked for this transaction alone. The number of rows changed."""
    email = email.strip().lower()
    alias = pseudonym(email)
    pattern = f"%{email}%"
    rows = list(
        session.scalars(
            select(AuditEvent).where(
                or_(
                    AuditEvent.actor_account_id == account_id,
                    func.lower(AuditEvent.actor_label) == email,
                    func.lower(cast(AuditEvent.before_state, String)).like(pattern),
                    func.lower(cast(AuditEvent.after_state, String)).like(pattern),
                )
            )
        )
    )
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SET LOCAL emclm.audit_pseudonymise = 'on'"))
    else:
        session.add(AuditUnlock(reason="pseudonymise"))
        session.flush()
    try:
        for row in rows:
            if row.actor_account_id == account_id or row.actor_label.lower() == email:
                row.actor_label = alias
            row.before_state = _replace(row.before_state, email, alias)
            row.after_state = _replace(row.after_state, email, alias)
        session.flush()
    finally:
        if dialect == "postgresql":
            session.execute(text("SET LOCAL emclm.audit_pseudonymise = 'off'"))
        else:
            session.execute(delete(AuditUnlock).where(AuditUnlock.reason == "pseudonymise"))
    return len(rows)
