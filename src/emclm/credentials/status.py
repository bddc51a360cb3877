"""Credential status: Bitstring Status List (``BitstringStatusListEntry``) and its predecessor
StatusList2021 (``StatusList2021Entry``).

The status-list credential is taken from the document cache only, and is itself verified — signature,
validity window, type — by the same verifier (passed in as ``verify_list``), so an expired, not yet
valid, mistyped or tampered list fails the check. ``encodedList`` is GZIP-compressed, base64url
(multibase ``u`` for Bitstring Status List); bit 0 is the most significant bit of the first byte.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

from emclm.credentials import did
from emclm.credentials.documents import DocumentError, DocumentLoader

MAX_LIST_BYTES = 16 * 1024 * 1024  # decompressed (the spec's minimum list is 16 KB; 128 Mbit is plenty)
ENTRY_TYPES = {
    "BitstringStatusListEntry": ("BitstringStatusListCredential", "BitstringStatusList"),
    "StatusList2021Entry": ("StatusList2021Credential", "StatusList2021"),
}


class StatusResult:
    def __init__(self, ok: bool | None, detail: str):
        self.ok, self.detail = ok, detail


def _types(value) -> list:
    return value if isinstance(value, list) else [value]


def decode_list(encoded: str) -> bytes:
    if not isinstance(encoded, str) or not encoded:
        raise ValueError("encodedList is missing")
    body = encoded[1:] if encoded.startswith("u") else encoded
    compressed = did.b64url_decode(body)
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    data = inflater.decompress(compressed, MAX_LIST_BYTES + 1)
    if len(data) > MAX_LIST_BYTES or inflater.unconsumed_tail:
        raise ValueError(f"encodedList decompresses to more than {MAX_LIST_BYTES} bytes")
    return data


def _bit(data: bytes, index: int) -> int:
    byte = data[index // 8]
    return (byte >> (7 - index % 8)) & 1


def check(
    credential: dict,
    loader: DocumentLoader,
    verify_list: Callable[[dict], tuple[bool, list[str]]],
    issuer_id: str | None,
) -> StatusResult:
    raw = credential.get("credentialStatus")
    if raw is None:
        return StatusResult(None, "no credentialStatus: the issuer publishes no revocation or suspension list")
    entries = raw if isinstance(raw, list) else [raw]
    details: list[str] = []
    unknown = False
    for entry in entries:
        result = _check_entry(entry, loader, verify_list, issuer_id)
        if result.ok is False:
            return result
        if result.ok is None:
            unknown = True
        details.append(result.detail)
    return StatusResult(None if unknown else True, "; ".join(details))


def _check_entry(entry, loader, verify_list, issuer_id) -> StatusResult:
    if not isinstance(entry, dict):
        return StatusResult(False, "credentialStatus entry is not a JSON object")
    kind = entry.get("type")
    if not isinstance(kind, str) or kind not in ENTRY_TYPES:
        return StatusResult(None, f"status type {kind!r} is not supported; its status is unknown")
    list_type, subject_type = ENTRY_TYPES[kind]
    purpose = entry.get("statusPurpose")
    url = entry.get("statusListCredential")
    try:
        index = int(entry.get("statusListIndex"))
        if index < 0:
            raise ValueError
    except (TypeError, ValueError):
        return StatusResult(False, f"statusListIndex {entry.get('statusListIndex')!r} is not a non-negative integer")
    size = entry.get("statusSize", 1)
    if size not in (1, "1"):
        return StatusResult(None, f"statusSize {size!r} (status messages) is not supported; status unknown")
    try:
        status_list = loader.load(url) if isinstance(url, str) else None
    except DocumentError as exc:
        return StatusResult(None, f"status list not available offline: {exc}")
    if not isinstance(status_list, dict):
        return StatusResult(False, f"status list {url}: not a credential (JSON object)")
    if list_type not in [t for t in _types(status_list.get("type")) if isinstance(t, str)]:
        return StatusResult(False, f"status list {url}: its type is {status_list.get('type')!r}, not {list_type}")
    subject = status_list.get("credentialSubject")
    if not isinstance(subject, dict) or subject.get("type") != subject_type:
        return StatusResult(False, f"status list {url}: its credentialSubject is not a {subject_type}")
    list_purposes = _types(subject.get("statusPurpose"))
    if not isinstance(purpose, str) or purpose not in list_purposes:
        return StatusResult(False, f"status list {url}: serves {list_purposes}, not the entry's purpose {purpose!r}")
    ok, problems = verify_list(status_list)
    if not ok:
        return StatusResult(False, f"status list {url} does not verify: {'; '.join(problems)}")
    list_issuer = status_list.get("issuer")
    list_issuer = list_issuer.get("id") if isinstance(list_issuer, dict) else list_issuer
    if issuer_id and list_issuer != issuer_id:
        return StatusResult(False, f"status list {url} is issued by {list_issuer}, not by the credential's issuer")
    try:
        bits = decode_list(subject.get("encodedList"))
    except (ValueError, zlib.error) as exc:
        return StatusResult(False, f"status list {url}: encodedList unreadable ({exc})")
    if index >= len(bits) * 8:
        return StatusResult(False, f"statusListIndex {index} is beyond the list's {len(bits) * 8} entries")
    if _bit(bits, index):
        word = {"revocation": "revoked", "suspension": "suspended"}.get(purpose, f"flagged ({purpose})")
        return StatusResult(False, f"{word}: entry {index} of {url} is set")
    return StatusResult(True, f"not {purpose or 'flagged'}: entry {index} of {url} is clear")
