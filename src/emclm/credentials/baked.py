"""Baked badges (Open Badges 3.0 §5.3): the credential inside an image.

PNG: an ``iTXt`` chunk with the keyword ``openbadgecredential`` (uncompressed or zlib-compressed text:
JSON or a compact JWT). SVG: an ``<openbadges:credential>`` element in the namespace
``https://purl.imsglobal.org/ob/v3p0``, its text the JSON or its ``verify`` attribute the JWT.
"""

from __future__ import annotations

import struct
import zlib

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
KEYWORD = b"openbadgecredential"
OB_NS = "https://purl.imsglobal.org/ob/v3p0"
MAX_TEXT = 4 * 1024 * 1024


class BakedError(Exception):
    """The image carries no credential, or carries it in a broken chunk / element."""


def is_png(data: bytes) -> bool:
    return data.startswith(PNG_MAGIC)


def is_svg(data: bytes) -> bool:
    head = data[:4096].lstrip().lower()
    return head.startswith(b"<") and b"<svg" in data[:65536].lower()


def from_png(data: bytes) -> str:
    pos = len(PNG_MAGIC)
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if len(body) != length:
            raise BakedError("PNG chunk truncated")
        pos += 12 + length
        if kind == b"iTXt" and body.startswith(KEYWORD + b"\x00"):
            rest = body[len(KEYWORD) + 1 :]
            if len(rest) < 2:
                raise BakedError("iTXt openbadgecredential chunk truncated")
            compressed, _method = rest[0], rest[1]
            lang_end = rest.index(b"\x00", 2)
            tkey_end = rest.index(b"\x00", lang_end + 1)
            text = rest[tkey_end + 1 :]
            if compressed:
                inflater = zlib.decompressobj()
                text = inflater.decompress(text, MAX_TEXT + 1)
                if len(text) > MAX_TEXT:
                    raise BakedError("compressed credential in the PNG is too large")
            return text.decode("utf-8")
        if kind == b"IEND":
            break
    raise BakedError("PNG has no iTXt chunk with the keyword openbadgecredential")


def from_svg(data: bytes) -> str:
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        root = ElementTree.fromstring(data)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise BakedError(f"SVG is not well-formed or safe XML ({exc})") from exc
    for el in root.iter(f"{{{OB_NS}}}credential"):
        if el.get("verify"):
            return el.get("verify").strip()
        if el.text and el.text.strip():
            return el.text.strip()
        raise BakedError("the openbadges:credential element is empty")
    raise BakedError(f"SVG has no openbadges:credential element (namespace {OB_NS})")


def bake_png(png: bytes, text: str) -> bytes:
    """``png`` with an ``openbadgecredential`` iTXt chunk inserted after IHDR (used to make fixtures)."""
    if not is_png(png):
        raise BakedError("not a PNG")
    body = KEYWORD + b"\x00\x00\x00\x00\x00" + text.encode("utf-8")
    chunk = struct.pack(">I", len(body)) + b"iTXt" + body + struct.pack(">I", zlib.crc32(b"iTXt" + body))
    ihdr_end = len(PNG_MAGIC) + 8 + struct.unpack(">I", png[8:12])[0] + 4
    return png[:ihdr_end] + chunk + png[ihdr_end:]
