"""Push endpoints of platforms: Richie's course-run synchronisation hook (FUN-MOOC and other Richie sites).

Richie's LMS sync posts one course run as JSON with ``Authorization: SIG-HMAC-SHA256 <hex>``, the HMAC-SHA256
of the raw body under a shared secret (``EMCLM_RICHIE_HOOK_SECRET``). A verified run is stored through the
harvest's push path (`ingest`), which never withdraws anything. The pushed record carries no title of its
own, so it is stored at the lowest priority: it creates a course known only through the hook, and never
overwrites a course that a richer source (the platform's catalogue API) lists.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from emclm.api.errors import responses, unprocessable
from emclm.catalogue.harvest import SourceBusy, ingest
from emclm.catalogue.sources.richie import record_from_sync_payload, verify_sync_signature
from emclm.config import get_settings
from emclm.ingest import RecordError

router = APIRouter(tags=["sources"])
MAX_BODY = 256 * 1024
SOURCE_NAME = "fun-mooc-sync"
PUSH_LOCK_WAIT_S = 20.0


@router.post(
    "/sources/richie/course-runs-sync",
    summary="Richie course-run sync hook (HMAC-SHA256 signed)",
    responses=responses(400, 401, 413, 422, 503),
)
async def richie_course_run_sync(request: Request) -> dict:
    secret = get_settings().richie_hook_secret
    if not secret:
        raise HTTPException(503, "the Richie sync hook is not configured (EMCLM_RICHIE_HOOK_SECRET is empty)")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        raise HTTPException(413, f"body larger than {MAX_BODY} bytes")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise HTTPException(413, f"body larger than {MAX_BODY} bytes")
    if not verify_sync_signature(body, request.headers.get("authorization"), secret):
        raise HTTPException(401, "missing or invalid SIG-HMAC-SHA256 signature")
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HTTPException(400, f"body is not valid JSON: {exc}") from exc
    try:
        record = record_from_sync_payload(payload, SOURCE_NAME)
    except RecordError as exc:
        raise unprocessable(str(exc), ("body",)) from exc

    def audit_push(session, records, deleted) -> None:
        from emclm.accounts import audit

        audit.record(
            session,
            "richie-hook",
            "catalogue.push",
            ("source", SOURCE_NAME),
            after={"records": [r.source_record_id for r in records], "withdrawn": list(deleted)},
        )

    try:
        # in a worker thread: the push waits (up to PUSH_LOCK_WAIT_S) for the source's lock
        report = await run_in_threadpool(
            ingest,
            [record],
            SOURCE_NAME,
            request.app.state.database_url,
            priority=-1,
            lock_wait=PUSH_LOCK_WAIT_S,
            before_commit=audit_push,
        )
    except SourceBusy as exc:
        raise HTTPException(503, str(exc), headers={"Retry-After": "30"}) from exc
    if report.failed:
        raise unprocessable("; ".join(str(e) for e in report.errors) or "record refused", ("body",))
    return {"success": True}
