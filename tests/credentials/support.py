"""Makes the credentials the tests verify: Data Integrity proofs signed with the published W3C test key
(or keys made here), VC-JWTs, Bitstring status lists, document caches, baked images.

Signing uses ``cryptography`` directly; the hash it signs is the one the W3C vectors pin byte-for-byte
(tests/credentials/test_vectors.py), so a credential made here is what any conforming issuer would make.
"""

from __future__ import annotations

import base64
import copy
import gzip
import json
import struct
import zlib
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from emclm.credentials import dataintegrity, did
from emclm.credentials.documents import DocumentLoader

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "credentials"
VECTORS = FIXTURES / "w3c-vc-di-eddsa" / "TestVectors"
OB = FIXTURES / "ob3-1edtech-spec"


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def w3c_key() -> ed25519.Ed25519PrivateKey:
    """The W3C vc-di-eddsa test key (privateKeyMultibase: multicodec 0x8026 + 32-byte seed)."""
    raw = did.multibase_decode(load(VECTORS / "keyPair.json")["privateKeyMultibase"])
    assert raw[:2] == b"\x80\x26"
    return ed25519.Ed25519PrivateKey.from_private_bytes(raw[2:])


def multikey(key: ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey) -> str:
    pub = key.public_key()
    if isinstance(pub, ed25519.Ed25519PublicKey):
        raw = did.ED25519_PUB + pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    else:
        raw = did.P256_PUB + pub.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
    return "z" + did.b58encode(raw)


def did_key(key) -> tuple[str, str]:
    """(did, verification method id) of ``key`` as did:key."""
    fp = multikey(key)
    return f"did:key:{fp}", f"did:key:{fp}#{fp}"


def sign_di(
    credential: dict,
    key: ed25519.Ed25519PrivateKey,
    vm: str,
    suite: str = "eddsa-rdfc-2022",
    loader: DocumentLoader | None = None,
    **extra,
) -> dict:
    """``credential`` with one more proof (a proof set when it already has one)."""
    loader = loader or DocumentLoader()
    doc = {k: v for k, v in credential.items() if k != "proof"}
    if suite == "Ed25519Signature2020":
        proof = {"type": "Ed25519Signature2020"}
    else:
        proof = {"type": "DataIntegrityProof", "cryptosuite": suite}
    proof.update({"created": "2024-01-01T00:00:00Z", "verificationMethod": vm, "proofPurpose": "assertionMethod"})
    proof.update(extra)
    _, _, data = dataintegrity.hash_data(doc, proof, loader)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    else:
        signature = key.sign(data)
    proof["proofValue"] = "z" + did.b58encode(signature)
    out = copy.deepcopy(credential)
    existing = out.get("proof")
    out["proof"] = proof if existing is None else (existing if isinstance(existing, list) else [existing]) + [proof]
    return out


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwk_of(key) -> dict:
    pub = key.public_key()
    if isinstance(pub, ed25519.Ed25519PublicKey):
        raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)}
    if isinstance(pub, ec.EllipticCurvePublicKey):
        n = pub.public_numbers()
        return {"kty": "EC", "crv": "P-256", "x": b64url(n.x.to_bytes(32, "big")), "y": b64url(n.y.to_bytes(32, "big"))}
    n = pub.public_numbers()
    return {
        "kty": "RSA",
        "n": b64url(n.n.to_bytes((n.n.bit_length() + 7) // 8, "big")),
        "e": b64url(n.e.to_bytes(3, "big")),
    }


def sign_jwt(payload: dict, key, header: dict) -> str:
    alg = header["alg"]
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}".encode()
    if alg == "EdDSA":
        sig = key.sign(signing_input)
    elif alg == "ES256":
        r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    else:
        sig = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input.decode()}.{b64url(sig)}"


def new_key(kind: str):
    if kind == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    if kind == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def encoded_list(set_bits: set[int], size_bits: int = 131072) -> str:
    data = bytearray(size_bits // 8)
    for i in set_bits:
        data[i // 8] |= 0x80 >> (i % 8)
    return "u" + b64url(gzip.compress(bytes(data)))


def write_documents(directory: Path, docs: dict[str, object]) -> Path:
    """A document cache: each document in its own file, ``index.json`` mapping URL → file."""
    directory.mkdir(parents=True, exist_ok=True)
    index = {}
    for i, (url, doc) in enumerate(docs.items()):
        name = f"doc-{i}.json"
        (directory / name).write_text(json.dumps(doc), encoding="utf-8")
        index[url] = name
    (directory / "index.json").write_text(json.dumps(index), encoding="utf-8")
    return directory


def tiny_png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")
    )


def baked_svg(text: str, as_attribute: bool = False) -> bytes:
    inner = (
        f'<openbadges:credential verify="{text}"/>'
        if as_attribute
        else f"<openbadges:credential><![CDATA[{text}]]></openbadges:credential>"
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0" '
        f'width="10" height="10">{inner}<rect width="10" height="10"/></svg>'
    ).encode()
