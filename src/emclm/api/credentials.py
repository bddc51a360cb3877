"""REST route for verifying a credential.

- ``POST /api/credentials/verify``  a credential as the JSON body (JSON-LD object, or a VC-JWT as a JSON
  string), as ``text/plain`` (a VC-JWT), or as an uploaded file (``multipart/form-data``, field ``file``:
  JSON, JWT, baked PNG or SVG) → the verification report (the same object as
  ``emclm credentials verify --json``). Nothing is fetched from the network (decision 0027).
"""

from __future__ import annotations

import json

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from emclm.api.errors import ValidationMessage, unprocessable

router = APIRouter(tags=["credentials"])


class CheckOut(BaseModel):
    name: str = Field(..., description="signature, not_before, expiry, status, schema or issuer")
    ok: bool | None = Field(..., description="true passed, false failed, null nothing to check / unknown offline")
    detail: str


class ReportOut(BaseModel):
    file: str
    verified: bool
    format: str = Field(..., description="json-ld, jwt, png+json-ld, png+jwt, svg+json-ld, svg+jwt or unknown")
    issuer: str | None
    checks: list[CheckOut]
    errors: list[str]


class ErrorOut(BaseModel):
    detail: str


_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "description": "The credential (a JSON-LD object), or a VC-JWT as a JSON string",
                "oneOf": [{"type": "object"}, {"type": "string", "minLength": 1}],
            }
        },
        "text/plain": {"schema": {"type": "string", "minLength": 1, "description": "A VC-JWT (compact JWS)"}},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "additionalProperties": False,
                "properties": {
                    "file": {"type": "string", "format": "binary", "description": "JSON, JWT, baked PNG or SVG"}
                },
            }
        },
    },
}


def max_bytes() -> int:
    from emclm.credentials.verify import MAX_INPUT_BYTES

    return MAX_INPUT_BYTES


async def _read_limited(request: Request) -> bytes:
    limit = max_bytes()
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise HTTPException(413, detail=f"body: larger than {limit // (1024 * 1024)} MB")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit + 64 * 1024:
            raise HTTPException(413, detail=f"body: larger than {limit // (1024 * 1024)} MB")
        chunks.append(chunk)
    return b"".join(chunks)


async def credential_bytes(request: Request) -> tuple[bytes, str]:
    """(the credential's bytes, a file name) from a JSON, text or multipart body."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "multipart/form-data":
        try:
            form = await request.form(max_files=1, max_fields=16)
        except Exception as exc:  # noqa: BLE001 - starlette's multipart errors have no common base
            raise unprocessable(f"body: not a readable multipart form ({exc})", ("body",)) from None
        extra = sorted(set(form.keys()) - {"file"})
        if extra:
            raise unprocessable(f"{extra[0]}: unknown form field (only 'file' is accepted)", ("body", "form"))
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise unprocessable("file: the form has no uploaded file field named 'file'", ("body", "file"))
        data = await upload.read(max_bytes() + 1)
        if len(data) > max_bytes():
            raise HTTPException(413, detail=f"file: larger than {max_bytes() // (1024 * 1024)} MB")
        return data, upload.filename or "upload"
    body = await _read_limited(request)
    if not body:
        raise unprocessable("body: missing; send the credential as JSON, text or an uploaded file", ("body",))
    if media == "application/json" or media.endswith("+json"):
        try:
            value = json.loads(body)
        except (ValueError, RecursionError):
            raise HTTPException(400, detail="body: not JSON") from None
        if isinstance(value, str) and value:
            return value.encode("utf-8"), "body"
        if not isinstance(value, dict):
            raise unprocessable(
                "body: must be a credential (a JSON object) or a VC-JWT (a JSON string)", ("body", "body")
            )
        return body, "body"
    if media in ("text/plain", "application/jwt", "application/vc+jwt", ""):
        return body, "body"
    raise HTTPException(415, detail=f"content-type: {media} is not accepted (JSON, text/plain or multipart/form-data)")


@router.post(
    "/credentials/verify",
    response_model=ReportOut,
    openapi_extra={"requestBody": _BODY},
    responses={
        400: {"model": ErrorOut, "description": "A body declared as JSON that is not JSON"},
        413: {"model": ErrorOut, "description": "The input is too large"},
        415: {"model": ErrorOut, "description": "Unsupported content type"},
        422: {"model": ValidationMessage, "description": "No body, or a multipart form without its file"},
    },
    summary="Verify a credential (JSON-LD with Data Integrity proofs, VC-JWT, baked PNG/SVG)",
)
async def verify_credential(request: Request) -> dict:
    """Checks ``signature``, ``not_before``, ``expiry``, ``status``, ``schema`` and ``issuer``. Whatever was
    received is answered 200 with the report, like the CLI's one object per file: a credential that does not
    verify, and input that is no credential at all (``format: unknown``, the reason in ``errors``), have
    ``verified: false``. 400 only for a JSON body that is not JSON."""
    from emclm.config import get_settings
    from emclm.credentials.documents import DocumentLoader
    from emclm.credentials.verify import verify_bytes

    data, name = await credential_bytes(request)
    loader = DocumentLoader(get_settings().credentials_documents_dir)
    report = await run_in_threadpool(verify_bytes, data, file=name, loader=loader)
    return report.as_json()
