"""Verify any credential: JSON-LD with Data Integrity proofs, VC-JWT, or either baked into a PNG / SVG.

:func:`verify_bytes` never raises on bad input: it returns a :class:`Report` whose ``errors`` say what
was wrong (not JSON, too large, nested too deeply, unknown or private context, ...). The report always
has the six checks, in this order: ``signature``, ``not_before``, ``expiry``, ``status``, ``schema``,
``issuer``; ``ok`` is true (passed), false (failed) or null (nothing to check / cannot be known offline).
A credential is ``verified`` when its signature passed and no check failed.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from emclm.credentials import baked, dataintegrity, schema, status
from emclm.credentials import jwt as vcjwt
from emclm.credentials.documents import DocumentError, DocumentLoader

log = logging.getLogger(__name__)

CHECKS = ("signature", "not_before", "expiry", "status", "schema", "issuer")
MAX_INPUT_BYTES = 5 * 1024 * 1024  # an image with a credential baked in
MAX_CREDENTIAL_BYTES = 512 * 1024  # the credential itself (JSON or JWT)
MAX_DEPTH = 48


class InputError(Exception):
    """The input is not a credential this verifier can read; the message says why in plain words."""


@dataclass
class Check:
    name: str
    ok: bool | None
    detail: str

    def as_json(self) -> dict:
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


@dataclass
class Report:
    file: str
    verified: bool = False
    format: str = "unknown"
    issuer: str | None = None
    checks: list[Check] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    credential: dict | None = None  # the credential read (for the page); not part of the JSON report

    def check(self, name: str) -> Check:
        return next(c for c in self.checks if c.name == name)

    def as_json(self) -> dict:
        return {
            "file": self.file,
            "verified": self.verified,
            "format": self.format,
            "issuer": self.issuer,
            "checks": [c.as_json() for c in self.checks],
            "errors": list(self.errors),
        }


def _depth_ok(value, limit: int = MAX_DEPTH) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return False
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return True


def parse_json(text: str) -> dict:
    if len(text.encode("utf-8")) > MAX_CREDENTIAL_BYTES:
        raise InputError(f"the credential is larger than {MAX_CREDENTIAL_BYTES // 1024} KB")
    try:
        value = json.loads(text)
    except RecursionError as exc:
        raise InputError(f"the JSON is nested more than {MAX_DEPTH} levels deep") from exc
    except ValueError as exc:
        raise InputError(f"not JSON and not a JWT: {exc}") from exc
    if not _depth_ok(value):
        raise InputError(f"the JSON is nested more than {MAX_DEPTH} levels deep")
    if not isinstance(value, dict):
        raise InputError(f"the JSON is a {type(value).__name__}, not a credential object")
    return value


def _read(data: bytes) -> tuple[str, str]:
    """(format prefix, credential text) from raw bytes."""
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(f"the input is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MB")
    prefix = ""
    if baked.is_png(data):
        prefix, text = "png+", baked.from_png(data)
    elif baked.is_svg(data):
        prefix, text = "svg+", baked.from_svg(data)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError("not UTF-8 text, and not a PNG or SVG image") from exc
    if not text.strip():
        raise InputError("the input is empty")
    return prefix, text


def _parse_date(value) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a date string")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = datetime.combine(date.fromisoformat(value), datetime.min.time())
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _window(credential: dict, now: datetime) -> tuple[Check, Check]:
    start_key = next((k for k in ("validFrom", "issuanceDate") if k in credential), None)
    end_key = next((k for k in ("validUntil", "expirationDate") if k in credential), None)
    if start_key is None:
        not_before = Check("not_before", None, "no start date (validFrom / issuanceDate) stated")
    else:
        try:
            start = _parse_date(credential[start_key])
            if start > now:
                not_before = Check("not_before", False, f"not valid yet: {start_key} is {credential[start_key]}")
            else:
                not_before = Check("not_before", True, f"valid since {credential[start_key]} ({start_key})")
        except ValueError:
            not_before = Check("not_before", False, f"{start_key} {credential[start_key]!r} is not a date")
    if end_key is None:
        expiry = Check("expiry", None, "no end date (validUntil / expirationDate): it does not expire")
    else:
        try:
            end = _parse_date(credential[end_key])
            if end <= now:
                expiry = Check("expiry", False, f"expired: {end_key} was {credential[end_key]}")
            else:
                expiry = Check("expiry", True, f"valid until {credential[end_key]} ({end_key})")
        except ValueError:
            expiry = Check("expiry", False, f"{end_key} {credential[end_key]!r} is not a date")
    return not_before, expiry


def issuer_id(credential: dict) -> str | None:
    issuer = credential.get("issuer")
    value = issuer.get("id") if isinstance(issuer, dict) else issuer
    return value if isinstance(value, str) else None


def _issuer_check(credential: dict, controllers: list[str | None], extra_problem: str | None = None) -> Check:
    ident = issuer_id(credential)
    if ident is None:
        return Check("issuer", False, "the credential names no issuer")
    if extra_problem:
        return Check("issuer", False, extra_problem)
    known = [c for c in controllers if c]
    if known and all(c == ident for c in known) and len(known) == len(controllers):
        return Check("issuer", True, f"signed with a key that {ident} controls")
    if not controllers:
        return Check("issuer", None, f"issued by {ident}; no signature links a key to it")
    others = sorted({c or "a key embedded in the credential" for c in controllers if c != ident})
    return Check(
        "issuer",
        None,
        f"names {ident} as issuer but is signed by {', '.join(others)}; nothing shows that key belongs to {ident}",
    )


def verify_credential(
    credential: dict,
    loader: DocumentLoader,
    now: datetime,
    *,
    jwt_token: vcjwt.Jwt | None = None,
    check_status: bool = True,
) -> list[Check]:
    """The six checks of one credential (already parsed)."""
    controllers: list[str | None] = []
    issuer_problem = None
    if jwt_token is not None:
        ok, detail, controller = vcjwt.verify_signature(jwt_token, loader)
        signature = Check("signature", ok, detail)
        controllers.append(controller)
        iss = jwt_token.payload.get("iss")
        if isinstance(jwt_token.payload.get("vc"), dict) and iss and issuer_id(credential) not in (None, iss):
            issuer_problem = f"the JWT's iss {iss} differs from the credential's issuer {issuer_id(credential)}"
    else:
        results = dataintegrity.verify_all(credential, loader)
        if not results:
            signature = Check("signature", False, "no proof: the credential is not signed")
        else:
            ok = all(r.ok for r in results)
            n = len(results)
            details = [f"proof {i + 1} of {n}: {r.detail}" if n > 1 else r.detail for i, r in enumerate(results)]
            signature = Check("signature", ok, "; ".join(details))
            controllers = [r.controller for r in results if r.ok]
    not_before, expiry = _window(credential, now)
    if jwt_token is not None:  # the JWT's own nbf / exp bind too
        for claim in ("nbf", "exp"):
            value = jwt_token.payload.get(claim)
            if isinstance(value, int | float) and not isinstance(value, bool):
                moment = datetime.fromtimestamp(min(max(value, 0), 253402300799), UTC)
                if claim == "nbf" and moment > now:
                    not_before = Check("not_before", False, f"not valid yet: the JWT's nbf is {moment.isoformat()}")
                if claim == "exp" and moment <= now:
                    expiry = Check("expiry", False, f"expired: the JWT's exp was {moment.isoformat()}")
    if check_status:

        def verify_list(doc: dict) -> tuple[bool, list[str]]:
            checks = verify_credential(doc, loader, now, check_status=False)
            failed = [f"{c.name}: {c.detail}" for c in checks if c.ok is False]
            return (not failed and checks[0].ok is True), failed

        result = status.check(credential, loader, verify_list, issuer_id(credential))
        status_check = Check("status", result.ok, result.detail)
    else:
        status_check = Check("status", None, "not checked (a status list itself)")
    found = schema.problems(credential)
    shape = "Open Badges 3.0" if schema.is_open_badge(credential) else "Verifiable Credential"
    version = schema.vc_version(credential)
    schema_check = Check(
        "schema",
        not found,
        "; ".join(found) if found else f"{shape} shape (VCDM {version or '?'}) is complete",
    )
    return [
        signature,
        not_before,
        expiry,
        status_check,
        schema_check,
        _issuer_check(credential, controllers, issuer_problem),
    ]


def verify_bytes(
    data: bytes, *, file: str = "-", loader: DocumentLoader | None = None, now: datetime | None = None
) -> Report:
    """Read and verify one input (JSON, JWT, PNG or SVG); never raises on bad input."""
    report = Report(file=file)
    now = now or datetime.now(UTC)
    try:
        loader = loader or DocumentLoader()
        prefix, text = _read(data)
        token = None
        if vcjwt.looks_like_jwt(text):
            if len(text) > MAX_CREDENTIAL_BYTES:
                raise InputError(f"the JWT is larger than {MAX_CREDENTIAL_BYTES // 1024} KB")
            token = vcjwt.parse(text)
            if not _depth_ok(token.payload):
                raise InputError(f"the JWT payload is nested more than {MAX_DEPTH} levels deep")
            credential = token.credential
            report.format = prefix + "jwt"
        else:
            credential = parse_json(text)
            report.format = prefix + "json-ld"
        report.credential = credential
        report.issuer = issuer_id(credential)
        report.checks = verify_credential(credential, loader, now, jwt_token=token)
    except (InputError, baked.BakedError, vcjwt.JwtError, DocumentError) as exc:
        report.errors.append(str(exc))
    except Exception as exc:  # noqa: BLE001 - bad input must give a report, never a crash
        log.exception("verifying %s", file)
        report.errors.append(f"could not verify ({type(exc).__name__}: {exc})")
    if not report.checks:
        report.checks = [Check(name, None, "not checked: the input could not be read") for name in CHECKS]
    report.errors += [f"{c.name}: {c.detail}" for c in report.checks if c.ok is False]
    report.verified = not report.errors and report.checks[0].ok is True
    return report


def verify_path(path: Path, loader: DocumentLoader | None = None, now: datetime | None = None) -> Report:
    try:
        size = path.stat().st_size
        if size > MAX_INPUT_BYTES:
            report = verify_bytes(b"", file=str(path), loader=loader, now=now)
            report.errors = [f"{path}: {size} bytes is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MB"]
            return report
        data = path.read_bytes()
    except OSError as exc:
        report = Report(
            file=str(path), checks=[Check(n, None, "not checked: the file could not be read") for n in CHECKS]
        )
        report.errors.append(f"{path}: cannot be read ({exc.strerror or exc})")
        return report
    return verify_bytes(data, file=str(path), loader=loader, now=now)
