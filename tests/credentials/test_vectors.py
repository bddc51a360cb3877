"""The W3C vc-di-eddsa and 1EdTech OB 3.0 test vectors, byte for byte where they give intermediate values
(canonical N-Quads, hashes, signature), and tampered copies that must fail on the right check."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, datetime

import pytest

from emclm.credentials import dataintegrity, did
from emclm.credentials.documents import DocumentLoader
from emclm.credentials.verify import verify_bytes, verify_path
from tests.credentials.support import OB, VECTORS, load, sign_di, w3c_key, write_documents

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def checks(report) -> dict:
    return {c.name: c.ok for c in report.checks}


def run(credential: dict, loader: DocumentLoader | None = None):
    return verify_bytes(json.dumps(credential).encode(), loader=loader, now=NOW)


@pytest.mark.parametrize(
    ("folder", "suffix"),
    [("eddsa-rdfc-2022", "DataInt"), ("Ed25519Signature2020", "EdSig"), ("eddsa-jcs-2022", "JCS")],
)
def test_intermediate_values_byte_for_byte(folder, suffix):
    base = VECTORS / folder
    signed = load(base / f"signed{suffix}.json")
    proof = signed.pop("proof")
    proof_canon, doc_canon, data = dataintegrity.hash_data(signed, proof, DocumentLoader())
    assert doc_canon == (base / f"canonDoc{suffix}.txt").read_text()
    assert proof_canon == (base / f"proofCanon{suffix}.txt").read_text()
    assert hashlib.sha256(doc_canon.encode()).hexdigest() == (base / f"docHash{suffix}.txt").read_text().strip()
    assert hashlib.sha256(proof_canon.encode()).hexdigest() == (base / f"proofHash{suffix}.txt").read_text().strip()
    assert data.hex() == (base / f"combinedHash{suffix}.txt").read_text().strip()
    signature = w3c_key().sign(data)  # Ed25519 is deterministic: the published key gives the published bytes
    assert signature.hex() == (base / f"sigHex{suffix}.txt").read_text().strip()
    assert did.multibase_decode(proof["proofValue"]) == signature
    assert "z" + did.b58encode(signature) == (base / f"sigBTC58{suffix}.txt").read_text().strip()


def ob_documents(tmp_path) -> DocumentLoader:
    """The issuer profile of the OB 3.0 vector as its controller document (what --documents would hold)."""
    pair = load(OB / "ob-keypair.json")
    profile = {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://w3id.org/security/multikey/v1"],
        "id": pair["controller"],
        "verificationMethod": [
            {
                "id": pair["id"],
                "type": "Multikey",
                "controller": pair["controller"],
                "publicKeyMultibase": pair["publicKeyMultibase"],
            }
        ],
        "assertionMethod": [pair["id"]],
    }
    return DocumentLoader(write_documents(tmp_path / "docs", {pair["controller"]: profile}))


def test_open_badges_vector_byte_for_byte(tmp_path):
    pair = load(OB / "ob-keypair.json")
    signed = load(OB / "ob-signed-credential.json")
    proof = signed.pop("proof")
    proof_canon, doc_canon, data = dataintegrity.hash_data(signed, proof, DocumentLoader())
    assert doc_canon == (OB / "obv3p0" / "document-canon.txt").read_text()
    assert proof_canon == (OB / "obv3p0" / "proof-canon.txt").read_text()
    assert data[32:].hex() == pair["expected"]["documentHashHex"]
    assert data[:32].hex() == pair["expected"]["proofHashHex"]
    assert did.multibase_decode(proof["proofValue"]).hex() == pair["expected"]["signatureHex"]
    report = verify_path(OB / "ob-signed-credential.json", ob_documents(tmp_path), now=NOW)
    assert report.verified, report.errors
    assert report.format == "json-ld"
    assert checks(report) == {
        "signature": True,
        "not_before": True,
        "expiry": None,
        "status": None,
        "schema": True,
        "issuer": True,
    }


@pytest.mark.parametrize(
    "name",
    [
        "eddsa-rdfc-2022/signedDataInt.json",
        "Ed25519Signature2020/signedEdSig.json",
        "eddsa-jcs-2022/signedJCS.json",
        "proof-set-chain/signedProofSet1.json",
        "proof-set-chain/signedProofSet2.json",
        "proof-set-chain/signedProofChain1.json",
        "proof-set-chain/signedProofChain2.json",
    ],
)
def test_every_signed_vector_verifies(name):
    report = verify_path(VECTORS / name, now=NOW)
    assert report.verified, report.errors
    assert report.errors == []
    assert [c.name for c in report.checks] == ["signature", "not_before", "expiry", "status", "schema", "issuer"]
    proofs = load(VECTORS / name)["proof"]
    assert report.check("signature").detail.count(": valid") == (len(proofs) if isinstance(proofs, list) else 1)


def _tamper_subject(c):
    c["credentialSubject"]["alumniOf"] = "The School of Forgeries"


def _tamper_date(c):
    c["validFrom"] = "2022-01-01T00:00:00Z"


def _tamper_proof_created(c):
    p = c["proof"] if isinstance(c["proof"], dict) else c["proof"][-1]
    p["created"] = "2023-02-25T23:36:38Z"


def _tamper_proof_value(c):
    p = c["proof"] if isinstance(c["proof"], dict) else c["proof"][-1]
    sig = bytearray(did.multibase_decode(p["proofValue"]))
    sig[5] ^= 1
    p["proofValue"] = "z" + did.b58encode(bytes(sig))


def _tamper_key(c):
    p = c["proof"] if isinstance(c["proof"], dict) else c["proof"][-1]
    other = load(VECTORS / "proof-set-chain" / "multiKeyPairs.json")["keyPair3"]["publicKeyMultibase"]
    p["verificationMethod"] = f"did:key:{other}#{other}"


def _tamper_extra_term(c):
    c["credentialSubject"]["honours"] = "summa cum laude"


@pytest.mark.parametrize(
    "name",
    [
        "eddsa-rdfc-2022/signedDataInt.json",
        "Ed25519Signature2020/signedEdSig.json",
        "eddsa-jcs-2022/signedJCS.json",
        "proof-set-chain/signedProofSet2.json",
        "proof-set-chain/signedProofChain2.json",
    ],
)
@pytest.mark.parametrize(
    "tamper",
    [_tamper_subject, _tamper_date, _tamper_proof_created, _tamper_proof_value, _tamper_key, _tamper_extra_term],
)
def test_tampered_copies_fail_on_the_signature(name, tamper):
    credential = load(VECTORS / name)
    assert run(credential).verified
    forged = copy.deepcopy(credential)
    tamper(forged)
    report = run(forged)
    assert not report.verified
    assert checks(report)["signature"] is False
    assert checks(report)["not_before"] is True and checks(report)["schema"] is True  # only the right check fails
    assert any(e.startswith("signature: ") for e in report.errors)


def test_undefined_term_outside_the_signature_is_refused():
    """With a VCDM 1.1 context (no @vocab) an undefined property is dropped by JSON-LD: RDF canonicalisation
    would not see it, so a forger could add one without breaking the signature. It must fail."""
    key = w3c_key()
    fp = load(VECTORS / "keyPair.json")["publicKeyMultibase"]
    credential = {
        "@context": ["https://www.w3.org/2018/credentials/v1", "https://w3id.org/security/suites/ed25519-2020/v1"],
        "type": ["VerifiableCredential"],
        "issuer": f"did:key:{fp}",
        "issuanceDate": "2024-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:learner"},
    }
    signed = sign_di(credential, key, f"did:key:{fp}#{fp}", suite="Ed25519Signature2020")
    report = run(signed)
    assert report.verified, report.errors
    assert checks(report)["issuer"] is True  # did:key issuer, signed by its own key
    forged = copy.deepcopy(signed)
    forged["credentialSubject"]["grade"] = "A+"
    report = run(forged)
    assert checks(report)["signature"] is False
    assert "grade not defined by the credential's JSON-LD contexts" in report.check("signature").detail


def test_every_proof_of_a_proof_set_is_checked():
    credential = load(VECTORS / "proof-set-chain/signedProofSet2.json")
    first_broken = copy.deepcopy(credential)
    _tamper_proof_value({"proof": first_broken["proof"][0]})
    report = run(first_broken)
    assert checks(report)["signature"] is False
    assert "proof 1 of 2" in report.check("signature").detail and "does not match" in report.check("signature").detail
    assert "proof 2 of 2: eddsa-rdfc-2022 proof by" in report.check("signature").detail


@pytest.mark.parametrize(
    "proof",
    [
        {
            "type": "DataIntegrityProof",
            "cryptosuite": "bbs-2023",
            "proofPurpose": "assertionMethod",
            "verificationMethod": "did:example:1#k",
            "proofValue": "u0000",
        },
        {
            "type": "RsaSignature2018",
            "proofPurpose": "assertionMethod",
            "verificationMethod": "did:example:1#k",
            "jws": "a..b",
        },
    ],
)
def test_an_unknown_proof_is_reported_not_passed(proof):
    credential = load(VECTORS / "eddsa-rdfc-2022/signedDataInt.json")
    credential["proof"] = [credential["proof"], proof]
    report = run(credential)
    assert not report.verified
    assert checks(report)["signature"] is False
    kind = proof.get("cryptosuite") or proof["type"]
    assert (
        f"unsupported {'cryptosuite' if 'cryptosuite' in proof else 'proof type'} {kind!r}"
        in report.check("signature").detail
    )
    only = copy.deepcopy(credential)
    only["proof"] = proof
    assert checks(run(only))["signature"] is False


def test_a_missing_previous_proof_fails_the_chain():
    credential = load(VECTORS / "proof-set-chain/signedProofChain2.json")
    credential["proof"] = [
        p for p in credential["proof"] if p.get("id") != "urn:uuid:d94f792a-c546-4d06-b38a-da070ab56c23"
    ]
    report = run(credential)
    assert checks(report)["signature"] is False
    assert (
        "previousProof urn:uuid:d94f792a-c546-4d06-b38a-da070ab56c23 is not among the proofs"
        in report.check("signature").detail
    )


def test_a_context_outside_the_allow_list_is_named_and_nothing_is_fetched():
    report = verify_path(VECTORS / "eddsa-rdfc-2022/employ/signedDataInt.json", now=NOW)
    assert not report.verified
    assert "https://w3id.org/citizenship/v4rc1: not in the allow-list" in report.check("signature").detail
