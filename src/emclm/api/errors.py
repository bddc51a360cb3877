"""Error answers of the API in the one shape its OpenAPI document declares.

A 422 is always FastAPI's validation shape, ``{"detail": [{"loc": [...], "msg": ..., "type": ...}]}``,
whether pydantic or a route found the problem (:func:`unprocessable`, with the ``loc`` naming the
field). Other errors are ``{"detail": <message>}`` (:class:`Message`); :func:`responses` declares them
on a route. The validation handler never echoes the refused input (it may be huge, or a NaN that JSON
cannot carry)."""

from __future__ import annotations

import math
from typing import Any

from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

MESSAGES = {
    400: "Bad request (for example an invalid or used link token)",
    401: "No valid credential",
    403: "The caller may not do this",
    404: "Not found",
    409: "Ambiguous: several records match; the answer lists the candidates",
    413: "Request body too large",
    422: "Validation error: each item names the field (loc) and what is wrong",
    429: "Too many requests: wait Retry-After seconds",
    503: "Not configured or not available",
}


class Message(BaseModel):
    """A non-validation error: ``detail`` is a message, or an object with ``error`` (and candidates)."""

    detail: str | dict[str, Any]


class ValidationItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ValidationMessage(BaseModel):
    detail: list[ValidationItem]


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` of a route: the given error statuses with their schema."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        model = ValidationMessage if code == 422 else Message
        out[code] = {"model": model, "description": MESSAGES[code]}
    return out


def declare_middleware_answers(schema: dict, rate_limited: frozenset[tuple[str, str]]) -> dict:
    """What the app's middlewares and body parser may answer, declared in the OpenAPI document: on every
    operation with a body 400 (a body that is not UTF-8) and 413 (over the body limit); 429 on the
    rate-limited operations. Mutates and returns ``schema``."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Message", Message.model_json_schema(ref_template="#/components/schemas/{model}"))
    ref = {"$ref": "#/components/schemas/Message"}
    for path, item in schema.get("paths", {}).items():
        for method, op in item.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            codes = []
            if "requestBody" in op or method.upper() in ("POST", "PUT", "PATCH"):
                codes += [400, 413]
            if (method.upper(), path) in rate_limited:
                codes.append(429)
            for code in codes:
                op["responses"].setdefault(
                    str(code), {"description": MESSAGES[code], "content": {"application/json": {"schema": ref}}}
                )
    return schema


def unprocessable(msg: str, loc: tuple[str | int, ...], kind: str = "value_error") -> HTTPException:
    """A 422 in the validation shape; ``loc`` names the field, e.g. ``("query", "eqf_level")``."""
    return HTTPException(422, detail=[{"loc": list(loc), "msg": msg, "type": kind}])


def unprocessable_from(exc: Exception, where: str, default: str) -> HTTPException:
    """A 422 for a domain error whose message starts with the field it is about (``"region: …"``, the
    project's convention); ``default`` when it does not."""
    msg = str(exc)
    head = msg.split(":", 1)[0].strip()
    field = head if head.isidentifier() else default
    return unprocessable(msg, (where, field))


def _safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_safe(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def validation_items(exc: RequestValidationError) -> list[dict[str, Any]]:
    """The errors without the refused ``input`` (never echoed) and with JSON-safe ``ctx``."""
    items = []
    for err in exc.errors():
        item = {"loc": [_safe(p) for p in err.get("loc", ())], "msg": str(err.get("msg", "")), "type": err.get("type")}
        if err.get("ctx"):
            item["ctx"] = _safe(err["ctx"])
        items.append(item)
    return items


def validation_response(exc: RequestValidationError) -> JSONResponse:
    return JSONResponse({"detail": validation_items(exc)}, status_code=422)
