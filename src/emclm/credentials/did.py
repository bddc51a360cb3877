"""Keys from verification methods: ``did:key`` (Ed25519, P-256), ``did:web`` and HTTPS controller documents
from the document cache, and the key encodings they use (Multikey ``publicKeyMultibase``,
``publicKeyBase58``, ``publicKeyJwk``)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from urllib.parse import unquote, urldefrag

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from emclm.credentials.documents import DocumentError, DocumentLoader

B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(B58_ALPHABET)}
ED25519_PUB = b"\xed\x01"
P256_PUB = b"\x80\x24"

PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey


class KeyError_(Exception):
    """A verification method cannot be resolved to a public key; the message says which and why."""


def b58decode(text: str) -> bytes:
    if len(text) > 4096:
        raise ValueError("base58 text too long")
    num = 0
    for ch in text:
        if ch not in _B58_INDEX:
            raise ValueError(f"not base58: {ch!r}")
        num = num * 58 + _B58_INDEX[ch]
    body = num.to_bytes((num.bit_length() + 7) // 8, "big") if num else b""
    pad = len(text) - len(text.lstrip("1"))
    return b"\x00" * pad + body


def b58encode(data: bytes) -> str:
    num = int.from_bytes(data, "big")
    out = ""
    while num:
        num, rem = divmod(num, 58)
        out = B58_ALPHABET[rem] + out
    pad = len(data) - len(data.lstrip(b"\x00"))
    return "1" * pad + out


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def multibase_decode(value: str) -> bytes:
    """``z`` base58btc, ``u`` base64url (no padding), ``m`` base64."""
    if not isinstance(value, str) or not value:
        raise ValueError("empty multibase value")
    prefix, body = value[0], value[1:]
    if prefix == "z":
        return b58decode(body)
    if prefix == "u":
        return b64url_decode(body)
    if prefix == "m":
        return base64.b64decode(body + "=" * (-len(body) % 4))
    raise ValueError(f"unsupported multibase prefix {prefix!r}")


def key_from_multikey(value: str) -> PublicKey:
    raw = multibase_decode(value)
    if raw.startswith(ED25519_PUB) and len(raw) == 34:
        return ed25519.Ed25519PublicKey.from_public_bytes(raw[2:])
    if raw.startswith(P256_PUB) and len(raw) == 35:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw[2:])
    if len(raw) == 32:  # a bare Ed25519 key (older Ed25519VerificationKey2020 documents)
        return ed25519.Ed25519PublicKey.from_public_bytes(raw)
    raise ValueError("neither an Ed25519 (0xed01) nor a P-256 (0x8024) multikey")


def key_from_jwk(jwk: dict) -> PublicKey:
    if not isinstance(jwk, dict):
        raise ValueError("publicKeyJwk is not an object")
    if "d" in jwk:
        raise ValueError("the JWK contains a private key part ('d'); refused")
    kty, crv = jwk.get("kty"), jwk.get("crv")
    if kty == "OKP" and crv == "Ed25519":
        return ed25519.Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"]))
    if kty == "EC" and crv == "P-256":
        x, y = b64url_decode(jwk["x"]), b64url_decode(jwk["y"])
        return ec.EllipticCurvePublicNumbers(
            int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
        ).public_key()
    if kty == "RSA":
        n, e = int.from_bytes(b64url_decode(jwk["n"]), "big"), int.from_bytes(b64url_decode(jwk["e"]), "big")
        return rsa.RSAPublicNumbers(e, n).public_key()
    raise ValueError(f"unsupported JWK (kty={kty!r}, crv={crv!r})")


@dataclass
class VerificationMethod:
    id: str
    controller: str
    key: PublicKey
    jwk: dict | None = None


def _method_key(method: dict) -> PublicKey:
    if "publicKeyMultibase" in method:
        return key_from_multikey(method["publicKeyMultibase"])
    if "publicKeyJwk" in method:
        return key_from_jwk(method["publicKeyJwk"])
    if "publicKeyBase58" in method:
        return ed25519.Ed25519PublicKey.from_public_bytes(b58decode(method["publicKeyBase58"]))
    raise ValueError("no publicKeyMultibase, publicKeyJwk or publicKeyBase58")


def did_key_document(did: str) -> dict:
    """The DID document ``did:key`` implies: one Multikey verification method, for every purpose."""
    fingerprint = did.split(":", 2)[2]
    key_from_multikey(fingerprint)  # validates
    vm_id = f"{did}#{fingerprint}"
    vm = {"id": vm_id, "type": "Multikey", "controller": did, "publicKeyMultibase": fingerprint}
    return {"id": did, "verificationMethod": [vm], "assertionMethod": [vm_id], "authentication": [vm_id]}


def did_web_url(did: str) -> str:
    """``did:web:example.com:user:alice`` → ``https://example.com/user/alice/did.json``;
    ``did:web:example.com`` → ``https://example.com/.well-known/did.json``."""
    parts = did.split(":")[2:]
    if not parts or not parts[0]:
        raise ValueError(f"{did}: not a did:web identifier")
    host = unquote(parts[0])
    path = "/".join(unquote(p) for p in parts[1:])
    return f"https://{host}/{path}/did.json" if path else f"https://{host}/.well-known/did.json"


def controller_document(controller: str, loader: DocumentLoader) -> dict:
    if controller.startswith("did:key:"):
        return did_key_document(controller)
    if controller.startswith("did:web:"):
        url = did_web_url(controller)
        if loader.knows(controller):
            doc = loader.load(controller)
        else:
            doc = loader.load(url)
    elif controller.startswith(("https://", "http://")):
        doc = loader.load(controller)
    else:
        raise KeyError_(f"{controller}: unsupported identifier (did:key, did:web and https documents are)")
    if not isinstance(doc, dict):
        raise KeyError_(f"{controller}: its document is not a JSON object")
    return doc


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def resolve(
    verification_method: str | dict, loader: DocumentLoader, purpose: str = "assertionMethod"
) -> VerificationMethod:
    """The public key of a verification method, checked to be authorised by its controller for ``purpose``."""
    if isinstance(verification_method, dict):
        vm_id = verification_method.get("id")
    else:
        vm_id = verification_method
    if not isinstance(vm_id, str) or not vm_id:
        raise KeyError_("the proof's verificationMethod has no id")
    controller = urldefrag(vm_id)[0]
    try:
        doc = controller_document(controller, loader)
    except (DocumentError, ValueError) as exc:
        raise KeyError_(f"verification method {vm_id}: {exc}") from exc
    if doc.get("id") not in (None, controller):
        raise KeyError_(f"verification method {vm_id}: the document of {controller} says its id is {doc.get('id')}")
    candidates = [m for m in _as_list(doc.get("verificationMethod")) if isinstance(m, dict)]
    candidates += [m for m in _as_list(doc.get(purpose)) if isinstance(m, dict)]
    if doc.get("id") == vm_id or urldefrag(vm_id)[1] == "":
        candidates.append(doc)
    frag = urldefrag(vm_id)[1]

    def matches(m: dict) -> bool:
        mid = m.get("id", "")
        return mid == vm_id or (frag and mid == f"#{frag}")

    method = next((m for m in candidates if matches(m)), None)
    if method is None:
        raise KeyError_(f"verification method {vm_id}: not found in the document of {controller}")
    allowed = _as_list(doc.get(purpose))
    if doc is not method and not any(
        (isinstance(a, str) and (a == vm_id or a == f"#{frag}")) or (isinstance(a, dict) and matches(a))
        for a in allowed
    ):
        raise KeyError_(f"verification method {vm_id}: its controller {controller} does not list it under {purpose}")
    m_controller = method.get("controller", controller)
    if m_controller != controller:
        raise KeyError_(f"verification method {vm_id}: its controller is {m_controller}, not {controller}")
    try:
        key = _method_key(method)
    except (ValueError, KeyError, TypeError) as exc:
        raise KeyError_(f"verification method {vm_id}: {exc}") from exc
    return VerificationMethod(id=vm_id, controller=controller, key=key, jwk=method.get("publicKeyJwk"))
