"""VC-JWT (RS256, ES256, EdDSA; key from jwk, kid or the issuer's DID), did:web from the document cache,
Bitstring Status List (revoked, clear, and a status list that is itself expired, not yet valid, mistyped
or tampered), and baked PNG / SVG badges."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest

from emclm.credentials import baked
from emclm.credentials.documents import DocumentLoader
from emclm.credentials.verify import verify_bytes
from tests.credentials.support import (
    OB,
    baked_svg,
    did_key,
    encoded_list,
    jwk_of,
    load,
    new_key,
    sign_di,
    sign_jwt,
    tiny_png,
    w3c_key,
    write_documents,
)

NOW = datetime(2026, 12, 1, tzinfo=UTC)
V2 = "https://www.w3.org/ns/credentials/v2"


def checks(report) -> dict:
    return {c.name: c.ok for c in report.checks}


def badge(issuer: str) -> dict:
    credential = load(OB / "ob-signed-credential.json")
    credential.pop("proof")
    credential["issuer"]["id"] = issuer
    credential["validUntil"] = "2030-01-01T00:00:00Z"
    return credential


# --------------------------------------------------------------------------- VC-JWT


@pytest.mark.parametrize("alg", ["RS256", "ES256", "EdDSA"])
def test_jwt_with_the_key_in_the_header(alg):
    key = new_key(alg)
    credential = badge("https://example.edu/issuers/565049")
    token = sign_jwt(credential, key, {"alg": alg, "typ": "vc+jwt", "jwk": jwk_of(key)})
    report = verify_bytes(token.encode(), now=NOW)
    assert report.verified, report.errors
    assert report.format == "jwt"
    assert checks(report)["issuer"] is None  # an embedded key proves nothing about who holds it
    assert f"JWT {alg} signature valid" in report.check("signature").detail
    head, payload, sig = token.split(".")
    forged_payload = json.loads(__import__("base64").urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged_payload["credentialSubject"]["achievement"]["name"] = "Rocket Science"
    from tests.credentials.support import b64url

    forged = f"{head}.{b64url(json.dumps(forged_payload).encode())}.{sig}"
    report = verify_bytes(forged.encode(), now=NOW)
    assert checks(report)["signature"] is False and not report.verified


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_jwt_v1_with_kid_from_did_key(alg):
    key = new_key(alg)
    issuer, vm = did_key(key)
    credential = {
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"name": "A. Learner"},
    }
    payload = {"iss": issuer, "sub": "did:example:learner", "nbf": 1704067200, "exp": 1893456000, "vc": credential}
    token = sign_jwt(payload, key, {"alg": alg, "kid": vm})
    report = verify_bytes(token.encode(), now=NOW)
    assert report.verified, report.errors
    assert report.issuer == issuer and checks(report)["issuer"] is True
    assert checks(report)["not_before"] is True and checks(report)["expiry"] is True
    expired = sign_jwt({**payload, "exp": 1735689600}, key, {"alg": alg, "kid": vm})
    report = verify_bytes(expired.encode(), now=NOW)
    assert checks(report)["expiry"] is False and checks(report)["signature"] is True and not report.verified
    early = sign_jwt({**payload, "nbf": 1900000000}, key, {"alg": alg, "kid": vm})
    assert checks(verify_bytes(early.encode(), now=NOW))["not_before"] is False


def test_jwt_key_from_the_issuer_did_web(tmp_path):
    key = new_key("RS256")
    issuer = "did:web:badges.example.org:issuers:42"
    doc = {
        "@context": [V2],
        "id": issuer,
        "verificationMethod": [
            {"id": f"{issuer}#key-1", "type": "JsonWebKey", "controller": issuer, "publicKeyJwk": jwk_of(key)}
        ],
        "assertionMethod": ["#key-1"],
    }
    loader = DocumentLoader(write_documents(tmp_path / "docs", {"https://badges.example.org/issuers/42/did.json": doc}))
    token = sign_jwt(badge(issuer), key, {"alg": "RS256"})
    report = verify_bytes(token.encode(), loader=loader, now=NOW)
    assert report.verified, report.errors
    assert checks(report)["issuer"] is True
    assert "of the issuer's DID" in report.check("signature").detail
    without_cache = verify_bytes(token.encode(), now=NOW)
    assert checks(without_cache)["signature"] is False
    assert "https://badges.example.org/issuers/42/did.json" in without_cache.check("signature").detail


@pytest.mark.parametrize("alg", ["none", "HS256", "RS512"])
def test_jwt_algorithms_outside_the_list_are_refused(alg):
    key = new_key("EdDSA")
    token = sign_jwt(badge("https://example.edu/i"), key, {"alg": "EdDSA", "jwk": jwk_of(key)})
    head = __import__("base64").urlsafe_b64encode(json.dumps({"alg": alg, "jwk": jwk_of(key)}).encode()).rstrip(b"=")
    forged = head.decode() + "." + token.split(".", 1)[1]
    report = verify_bytes(forged.encode(), now=NOW)
    assert checks(report)["signature"] is False
    assert f"JWT algorithm {alg!r} is not accepted" in report.check("signature").detail


def test_a_did_web_issuer_signing_with_data_integrity(tmp_path):
    key = w3c_key()
    issuer = "did:web:uni.example"
    vm = f"{issuer}#key-1"
    from tests.credentials.support import multikey

    doc = {
        "@context": [V2],
        "id": issuer,
        "verificationMethod": [
            {"id": vm, "type": "Multikey", "controller": issuer, "publicKeyMultibase": multikey(key)}
        ],
        "assertionMethod": [vm],
    }
    loader = DocumentLoader(write_documents(tmp_path / "docs", {"https://uni.example/.well-known/did.json": doc}))
    signed = sign_di(badge(issuer), key, vm)
    report = verify_bytes(json.dumps(signed).encode(), loader=loader, now=NOW)
    assert report.verified, report.errors
    assert checks(report)["issuer"] is True
    doc["assertionMethod"] = []  # a key the controller does not authorise for assertions
    loader = DocumentLoader(write_documents(tmp_path / "docs2", {"https://uni.example/.well-known/did.json": doc}))
    report = verify_bytes(json.dumps(signed).encode(), loader=loader, now=NOW)
    assert checks(report)["signature"] is False and "does not list it under assertionMethod" in report.errors[0]


# --------------------------------------------------------------------------- status lists

LIST_URL = "https://uni.example/status/1"


def _status_setup(tmp_path, *, revoked: set[int], list_changes=None, tamper_list=None, name="docs"):
    key = w3c_key()
    issuer, vm = did_key(key)
    status_list = {
        "@context": [V2],
        "id": LIST_URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": "2024-01-01T00:00:00Z",
        "credentialSubject": {
            "id": f"{LIST_URL}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded_list(revoked),
        },
    }
    if list_changes:
        list_changes(status_list)
    signed_list = sign_di(status_list, key, vm)
    if tamper_list:
        tamper_list(signed_list)
    loader = DocumentLoader(write_documents(tmp_path / name, {LIST_URL: signed_list}))
    credential = badge(issuer)
    credential["@context"] = credential["@context"]  # v2 defines credentialStatus and BitstringStatusListEntry
    credential["credentialStatus"] = {
        "id": f"{LIST_URL}#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": LIST_URL,
    }
    return json.dumps(sign_di(credential, key, vm)).encode(), loader


def test_status_clear_and_revoked(tmp_path):
    data, loader = _status_setup(tmp_path, revoked={5, 94566, 94568})
    report = verify_bytes(data, loader=loader, now=NOW)
    assert report.verified, report.errors
    assert checks(report)["status"] is True
    data, loader = _status_setup(tmp_path, revoked={94567}, name="docs-revoked")
    report = verify_bytes(data, loader=loader, now=NOW)
    assert not report.verified
    assert checks(report)["status"] is False and checks(report)["signature"] is True
    assert report.check("status").detail.startswith("revoked: entry 94567")


def _expired(s):
    s["validUntil"] = "2025-01-01T00:00:00Z"


def _not_yet(s):
    s["validFrom"] = "2027-06-01T00:00:00Z"


def _mistyped(s):
    s["type"] = ["VerifiableCredential"]


def _tampered(s):
    s["credentialSubject"]["encodedList"] = encoded_list({1})  # a forged list after signing


@pytest.mark.parametrize(
    ("changes", "tamper", "words"),
    [
        (_expired, None, "expired"),
        (_not_yet, None, "not valid yet"),
        (_mistyped, None, "not BitstringStatusListCredential"),
        (None, _tampered, "does not match"),
    ],
)
def test_a_status_list_that_is_itself_bad_fails_the_check(tmp_path, changes, tamper, words):
    data, loader = _status_setup(tmp_path, revoked=set(), list_changes=changes, tamper_list=tamper)
    report = verify_bytes(data, loader=loader, now=NOW)
    assert not report.verified
    assert checks(report)["status"] is False and checks(report)["signature"] is True
    assert words in report.check("status").detail


def test_a_status_list_not_in_the_cache_is_unknown_not_passed(tmp_path):
    data, _ = _status_setup(tmp_path, revoked=set())
    report = verify_bytes(data, now=NOW)
    assert checks(report)["status"] is None
    assert "status list not available offline" in report.check("status").detail


# --------------------------------------------------------------------------- baked badges


@pytest.mark.parametrize("kind", ["json", "jwt"])
def test_baked_png_and_svg(tmp_path, kind):
    key = new_key("EdDSA")
    if kind == "json":
        issuer, vm = did_key(w3c_key())
        text = json.dumps(sign_di(badge(issuer), w3c_key(), vm))
    else:
        text = sign_jwt(badge("https://example.edu/i"), key, {"alg": "EdDSA", "jwk": jwk_of(key)})
    inner = "json-ld" if kind == "json" else "jwt"
    png = baked.bake_png(tiny_png(), text)
    report = verify_bytes(png, now=NOW)
    assert report.verified, report.errors
    assert report.format == f"png+{inner}"
    svg = baked_svg(text, as_attribute=kind == "jwt")
    report = verify_bytes(svg, now=NOW)
    assert report.verified, report.errors
    assert report.format == f"svg+{inner}"
    forged_text = (
        text.replace("Teamwork", "Leadership")
        if kind == "json"
        else text[:-3] + ("AAA" if text[-3:] != "AAA" else "BBB")
    )
    forged = baked.bake_png(tiny_png(), forged_text)
    assert checks(verify_bytes(forged, now=NOW))["signature"] is False


def test_an_image_without_a_credential_is_a_clear_error():
    report = verify_bytes(tiny_png(), now=NOW)
    assert not report.verified and report.format == "unknown"
    assert report.errors == ["PNG has no iTXt chunk with the keyword openbadgecredential"]
    report = verify_bytes(b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', now=NOW)
    assert "SVG has no openbadges:credential element" in report.errors[0]


def test_svg_with_an_external_entity_is_refused():
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<svg xmlns="http://www.w3.org/2000/svg">&x;</svg>'
    )
    report = verify_bytes(xxe, now=NOW)
    assert not report.verified and "not well-formed or safe XML" in report.errors[0]


def test_copy_is_not_shared():
    assert copy.deepcopy(badge("x")) == badge("x")


def test_ecdsa_rdfc_2019_with_a_p256_did_key_and_the_legacy_eddsa_2022_name():
    key = new_key("ES256")
    issuer, vm = did_key(key)
    assert issuer.startswith("did:key:zDn")
    signed = sign_di(badge(issuer), key, vm, suite="ecdsa-rdfc-2019")
    report = verify_bytes(json.dumps(signed).encode(), now=NOW)
    assert report.verified, report.errors
    forged = copy.deepcopy(signed)
    forged["validFrom"] = "2011-01-01T00:00:00Z"
    assert checks(verify_bytes(json.dumps(forged).encode(), now=NOW))["signature"] is False
    ed_issuer, ed_vm = did_key(w3c_key())
    legacy = sign_di(badge(ed_issuer), w3c_key(), ed_vm, suite="eddsa-2022")
    assert verify_bytes(json.dumps(legacy).encode(), now=NOW).verified
    wrong_key = sign_di(badge(issuer), w3c_key(), vm, suite="ecdsa-rdfc-2019")  # P-256 key named, Ed25519 signed
    assert checks(verify_bytes(json.dumps(wrong_key).encode(), now=NOW))["signature"] is False
