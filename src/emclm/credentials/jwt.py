"""VC-JWT: a compact JWS whose payload is a credential (VC-JOSE-COSE, VCDM 2.0) or carries one in its
``vc`` claim (VCDM 1.1 JWT encoding). Algorithms RS256, ES256 and EdDSA (Ed25519); any other (``none``
included) is refused. The key comes from the header's ``jwk``, from its ``kid`` (a DID URL, resolved
through :mod:`emclm.credentials.did`), or from the issuer's DID."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from emclm.credentials import did
from emclm.credentials.documents import DocumentError, DocumentLoader

ALGORITHMS = ("RS256", "ES256", "EdDSA")
COMPACT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")


class JwtError(Exception):
    """Not a readable JWT (bad base64url, not JSON)."""


@dataclass
class Jwt:
    header: dict
    payload: dict
    signing_input: bytes
    signature: bytes
    credential: dict = field(default_factory=dict)


def looks_like_jwt(text: str) -> bool:
    return bool(COMPACT.match(text.strip()))


def _part(segment: str, what: str) -> dict:
    try:
        value = json.loads(did.b64url_decode(segment))
    except (ValueError, RecursionError) as exc:
        raise JwtError(f"the JWT {what} is not base64url JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise JwtError(f"the JWT {what} is not a JSON object")
    return value


def _date(seconds) -> str | None:
    if not isinstance(seconds, int | float) or isinstance(seconds, bool):
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return None


def parse(token: str) -> Jwt:
    token = token.strip()
    if not looks_like_jwt(token):
        raise JwtError("not a compact JWT (three base64url parts separated by dots)")
    h, p, s = token.split(".")
    header, payload = _part(h, "header"), _part(p, "payload")
    try:
        signature = did.b64url_decode(s)
    except ValueError as exc:
        raise JwtError(f"the JWT signature is not base64url ({exc})") from exc
    if isinstance(payload.get("vc"), dict):  # VCDM 1.1 JWT encoding: registered claims stand for properties
        credential = dict(payload["vc"])
        if "iss" in payload and "issuer" not in credential:
            credential["issuer"] = payload["iss"]
        if "jti" in payload and "id" not in credential:
            credential["id"] = payload["jti"]
        start_key = "validFrom" if "validFrom" in credential or _is_v2(credential) else "issuanceDate"
        if _date(payload.get("nbf")) and start_key not in credential:
            credential[start_key] = _date(payload["nbf"])
        end_key = "validUntil" if _is_v2(credential) else "expirationDate"
        if _date(payload.get("exp")) and end_key not in credential:
            credential[end_key] = _date(payload["exp"])
        subject = credential.get("credentialSubject")
        if isinstance(subject, dict) and "sub" in payload and "id" not in subject:
            credential["credentialSubject"] = {**subject, "id": payload["sub"]}
    else:
        credential = payload
    return Jwt(header, payload, f"{h}.{p}".encode(), signature, credential)


def _is_v2(credential: dict) -> bool:
    ctx = credential.get("@context")
    first = ctx[0] if isinstance(ctx, list) and ctx else ctx
    return first == "https://www.w3.org/ns/credentials/v2"


def _issuer_id(credential: dict) -> str | None:
    issuer = credential.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer if isinstance(issuer, str) else None


def key_for(token: Jwt, loader: DocumentLoader) -> tuple[did.PublicKey, str | None, str]:
    """(public key, its controller if known, where it came from)."""
    header = token.header
    if "jwk" in header:
        try:
            return did.key_from_jwk(header["jwk"]), None, "the key embedded in the JWT header (jwk)"
        except (ValueError, KeyError, TypeError) as exc:
            raise did.KeyError_(f"the JWT header's jwk: {exc}") from exc
    issuer = token.payload.get("iss") or _issuer_id(token.credential)
    kid = header.get("kid")
    if isinstance(kid, str) and kid:
        vm_id = f"{issuer}{kid}" if kid.startswith("#") and isinstance(issuer, str) else kid
        if vm_id.startswith("did:") and "#" not in vm_id and vm_id.startswith("did:key:"):
            vm_id = f"{vm_id}#{vm_id.split(':', 2)[2]}"
        method = did.resolve(vm_id, loader)
        return method.key, method.controller, f"key {vm_id} (kid)"
    if isinstance(issuer, str) and issuer.startswith("did:"):
        try:
            doc = did.controller_document(issuer, loader)
        except (DocumentError, ValueError) as exc:
            raise did.KeyError_(f"the issuer {issuer}: {exc}") from exc
        methods = doc.get("assertionMethod") or []
        first = methods[0] if isinstance(methods, list) and methods else None
        vm_id = first.get("id") if isinstance(first, dict) else first
        if not isinstance(vm_id, str):
            raise did.KeyError_(f"{issuer}: its DID document lists no assertionMethod key")
        if vm_id.startswith("#"):
            vm_id = issuer + vm_id
        method = did.resolve(vm_id, loader)
        return method.key, method.controller, f"key {vm_id} of the issuer's DID"
    raise did.KeyError_("the JWT names no key: no jwk or kid in its header and no DID issuer")


def verify_signature(token: Jwt, loader: DocumentLoader) -> tuple[bool, str, str | None]:
    """(ok, detail, the key's controller if known)."""
    alg = token.header.get("alg")
    if alg not in ALGORITHMS:
        return False, f"JWT algorithm {alg!r} is not accepted (only {', '.join(ALGORITHMS)})", None
    try:
        key, controller, source = key_for(token, loader)
    except did.KeyError_ as exc:
        return False, str(exc), None
    try:
        if alg == "EdDSA":
            if not isinstance(key, ed25519.Ed25519PublicKey):
                return False, f"alg EdDSA but {source} is not an Ed25519 key", controller
            key.verify(token.signature, token.signing_input)
        elif alg == "ES256":
            if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
                return False, f"alg ES256 but {source} is not a P-256 key", controller
            if len(token.signature) != 64:
                return False, "ES256 signature is not 64 bytes (r || s)", controller
            der = encode_dss_signature(
                int.from_bytes(token.signature[:32], "big"), int.from_bytes(token.signature[32:], "big")
            )
            key.verify(der, token.signing_input, ec.ECDSA(hashes.SHA256()))
        else:
            if not isinstance(key, rsa.RSAPublicKey):
                return False, f"alg RS256 but {source} is not an RSA key", controller
            if key.key_size < 2048:
                return False, f"RSA key of {key.key_size} bits is too short (at least 2048)", controller
            key.verify(token.signature, token.signing_input, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False, f"JWT {alg} signature does not match the content, checked with {source}", controller
    return True, f"JWT {alg} signature valid, checked with {source}", controller
