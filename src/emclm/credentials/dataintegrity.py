"""Data Integrity proofs: ``DataIntegrityProof`` with the ``eddsa-rdfc-2022`` (also under its draft name
``eddsa-2022``), ``eddsa-jcs-2022`` or ``ecdsa-rdfc-2019`` (P-256) cryptosuite, and ``Ed25519Signature2020``; every proof of a proof set, and proof chains (``previousProof``).

Each suite hashes a canonical form of the proof options and of the document without its proof —
the RDF Dataset Canonicalization (RDFC-1.0, formerly URDNA2015) for ``eddsa-rdfc-2022`` and
``Ed25519Signature2020``, the JSON Canonicalization Scheme (RFC 8785) for ``eddsa-jcs-2022`` —
as ``sha256(canon(proof options)) || sha256(canon(document))``, and verifies an Ed25519 signature over
those 64 bytes. JSON-LD contexts come only from
:class:`~emclm.credentials.documents.DocumentLoader` (allow-list and document cache, no network).
"""

from __future__ import annotations

import copy
import hashlib
import json
from contextvars import ContextVar
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from emclm.credentials import did
from emclm.credentials.documents import DocumentError, DocumentLoader

SUITES = {"eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020", "ecdsa-rdfc-2019", "eddsa-2022"}
ECDSA_SUITES = {"ecdsa-rdfc-2019"}  # P-256 only (P-384 would hash with SHA-384)
# "eddsa-2022" is the name eddsa-rdfc-2022 had in the drafts some issuers signed with: the same algorithm


class ProofError(Exception):
    """A proof that cannot be checked (as opposed to one that is checked and does not verify)."""


@dataclass
class ProofResult:
    suite: str
    verification_method: str
    ok: bool
    detail: str
    controller: str | None = None


MAX_PERMUTATIONS = 50_000  # RDFC-1.0 N-degree hashing budget per canonicalisation (a credential needs a few)
_budget: ContextVar[list[int] | None] = ContextVar("emclm_rdfc_budget", default=None)


class TooComplex(Exception):
    """A "poison" graph: its blank nodes would need more permutations than the budget allows."""


def _install_permutation_budget() -> None:
    """RDFC-1.0 is exponential on graphs of indistinguishable blank nodes (the specification tells
    verifiers to bound it). pyld has no bound, so its permutation generator is wrapped with one that
    counts against the budget of the canonicalisation running in this context (none: unbounded)."""
    from pyld import canon

    if getattr(canon.permutations, "emclm_budget", False):
        return
    original = canon.permutations

    def bounded(elements):
        for permutation in original(elements):
            budget = _budget.get()
            if budget is not None:
                budget[0] -= 1
                if budget[0] < 0:
                    raise TooComplex(f"more than {MAX_PERMUTATIONS} blank-node permutations")
            yield permutation

    bounded.emclm_budget = True
    canon.permutations = bounded


def canonize(doc: dict, loader: DocumentLoader) -> str:
    """RDFC-1.0 canonical N-Quads of a JSON-LD document, with contexts from the loader only, within
    :data:`MAX_PERMUTATIONS`."""
    from pyld import jsonld

    _install_permutation_budget()
    token = _budget.set([MAX_PERMUTATIONS])
    try:
        return jsonld.normalize(
            doc,
            {
                "algorithm": "URDNA2015",
                "format": "application/n-quads",
                "documentLoader": loader.pyld_loader(),
                "safe": True,
            },
        )
    except jsonld.JsonLdError as exc:
        raise ProofError(_jsonld_reason(exc)) from exc
    except RecursionError as exc:
        raise ProofError("the document is nested too deeply to canonicalise") from exc
    except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:  # pyld on malformed JSON-LD
        raise ProofError(f"JSON-LD: not valid JSON-LD ({exc})") from exc
    except TooComplex as exc:
        raise ProofError(f"the document's blank nodes are too complex to canonicalise ({exc})") from exc
    finally:
        _budget.reset(token)


def _jsonld_reason(exc: Exception) -> str:
    """The innermost message of a pyld error chain (it names the URL that could not be loaded)."""
    seen = exc
    while True:
        cause = getattr(seen, "cause", None) or seen.__cause__
        if cause is None or cause is seen:
            break
        seen = cause
    if isinstance(seen, DocumentError):
        return str(seen)
    message = getattr(seen, "message", None) or str(seen)
    details = getattr(seen, "details", None)
    if isinstance(details, dict):
        extra = {k: v for k, v in details.items() if k in ("url", "term", "context", "event")}
        if extra:
            message = f"{message} {extra}"
    return f"JSON-LD: {message}"


UNDEFINED = "urn:emclm:undefined-term:"


def _declares_vocab(ctx, loader: DocumentLoader) -> bool:
    for entry in ctx if isinstance(ctx, list) else [ctx]:
        if isinstance(entry, str):
            try:
                entry = loader.load(entry)
            except DocumentError:
                continue
            entry = entry.get("@context") if isinstance(entry, dict) else None
        if isinstance(entry, list):
            if _declares_vocab(entry, loader):
                return True
        elif isinstance(entry, dict) and "@vocab" in entry:
            return True
    return False


def undefined_terms(document: dict, loader: DocumentLoader) -> list[str]:
    """Properties and types of ``document`` its contexts do not define. JSON-LD drops them silently, so
    RDF canonicalisation would leave them outside the signature; a verifier must refuse them. Found by
    expanding once more with a sentinel ``@vocab`` after the document's own contexts (skipped when those
    declare a ``@vocab`` of their own: then nothing is dropped)."""
    from pyld import jsonld

    ctx = document.get("@context")
    if _declares_vocab(ctx, loader):
        return []
    probe = dict(document)
    probe["@context"] = (ctx if isinstance(ctx, list) else [ctx]) + [{"@vocab": UNDEFINED}]
    try:
        expanded = jsonld.expand(probe, {"documentLoader": loader.pyld_loader()})
    except jsonld.JsonLdError as exc:
        raise ProofError(_jsonld_reason(exc)) from exc
    except RecursionError as exc:
        raise ProofError("the document is nested too deeply to expand") from exc
    except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:  # pyld on malformed JSON-LD
        raise ProofError(f"JSON-LD: not valid JSON-LD ({exc})") from exc
    found: set[str] = set()
    stack = [expanded]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key.startswith(UNDEFINED):
                    found.add(key[len(UNDEFINED) :])
                if key == "@type":
                    found.update(
                        t[len(UNDEFINED) :]
                        for t in (value if isinstance(value, list) else [value])
                        if isinstance(t, str) and t.startswith(UNDEFINED)
                    )
                stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
    return sorted(found)


def jcs(value) -> str:
    """RFC 8785 JSON Canonicalization: keys sorted by UTF-16 code units, no whitespace, ES6 numbers."""
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: kv[0].encode("utf-16-be"))
        return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{jcs(v)}" for k, v in items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(jcs(v) for v in value) + "]"
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ProofError("JCS: NaN and infinity have no JSON form")
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        text = repr(value)
        if "e" in text:
            mantissa, exp = text.split("e")
            text = f"{mantissa}e{'+' if not exp.startswith('-') else '-'}{int(exp.lstrip('+-'))}"
        return text
    raise ProofError(f"JCS: {type(value).__name__} is not JSON")


def suite_of(proof: dict) -> str | None:
    value = proof.get("cryptosuite") if proof.get("type") == "DataIntegrityProof" else proof.get("type")
    return value if isinstance(value, str) else None


def hash_data(document: dict, proof: dict, loader: DocumentLoader) -> tuple[str, str, bytes]:
    """(canonical proof options, canonical document, 64-byte hash data) for ``proof`` over ``document``
    (``document`` without its ``proof``)."""
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    options["@context"] = document.get("@context")
    if suite_of(proof) == "eddsa-jcs-2022":
        if "@context" in proof and proof["@context"] != document.get("@context"):
            raise ProofError("the proof's @context differs from the document's")
        proof_canon, doc_canon = jcs(options), jcs(document)
    else:
        proof_canon = canonize(options, loader)
        doc_canon = canonize(document, loader)
    data = hashlib.sha256(proof_canon.encode()).digest() + hashlib.sha256(doc_canon.encode()).digest()
    return proof_canon, doc_canon, data


def _document_for(credential: dict, proofs: list[dict], proof: dict) -> dict:
    """The document ``proof`` signed: the credential without proofs, plus those it names as previous."""
    unsecured = {k: v for k, v in credential.items() if k != "proof"}
    previous = proof.get("previousProof")
    if previous is None:
        return unsecured
    if isinstance(previous, str):
        wanted = [previous]
    elif isinstance(previous, list) and all(isinstance(p, str) for p in previous):
        wanted = list(previous)
    else:
        raise ProofError("previousProof must be a proof id or a list of proof ids")
    found = [p for p in proofs if isinstance(p, dict) and p.get("id") in wanted]
    missing = set(wanted) - {p.get("id") for p in found}
    if missing:
        raise ProofError(f"previousProof {', '.join(sorted(map(str, missing)))} is not among the proofs")
    doc = copy.deepcopy(unsecured)
    doc["proof"] = found[0] if len(found) == 1 and isinstance(previous, str) else found
    return doc


def verify_proof(credential: dict, proofs: list[dict], proof: dict, loader: DocumentLoader) -> ProofResult:
    suite = suite_of(proof) or "?"
    vm = proof.get("verificationMethod")
    vm_id = vm.get("id") if isinstance(vm, dict) else vm
    label = f"{suite} proof by {vm_id}"
    if suite not in SUITES:
        kind = proof.get("type")
        what = f"cryptosuite {suite!r}" if kind == "DataIntegrityProof" else f"proof type {kind!r}"
        return ProofResult(suite, str(vm_id), False, f"unsupported {what}: it cannot be checked, so it does not count")
    if proof.get("proofPurpose") != "assertionMethod":
        return ProofResult(
            suite, str(vm_id), False, f"{label}: proofPurpose is {proof.get('proofPurpose')!r}, not assertionMethod"
        )
    value = proof.get("proofValue")
    try:
        signature = did.multibase_decode(value)
    except (ValueError, TypeError) as exc:
        return ProofResult(suite, str(vm_id), False, f"{label}: proofValue is not multibase ({exc})")
    try:
        method = did.resolve(vm, loader, purpose="assertionMethod")
    except did.KeyError_ as exc:
        return ProofResult(suite, str(vm_id), False, str(exc))
    if suite in ECDSA_SUITES:
        if not isinstance(method.key, ec.EllipticCurvePublicKey) or method.key.curve.name != "secp256r1":
            return ProofResult(suite, str(vm_id), False, f"{label}: the key is not a P-256 key", method.controller)
        if len(signature) != 64:
            return ProofResult(suite, str(vm_id), False, f"{label}: the signature is not 64 bytes (r || s)")
    elif not isinstance(method.key, ed25519.Ed25519PublicKey):
        return ProofResult(suite, str(vm_id), False, f"{label}: the key is not an Ed25519 key", method.controller)
    try:
        document = _document_for(credential, proofs, proof)
        if suite != "eddsa-jcs-2022":
            dropped = undefined_terms(document, loader)
            if dropped:
                return ProofResult(
                    suite,
                    str(vm_id),
                    False,
                    f"{label}: {', '.join(dropped)} not defined by the credential's JSON-LD contexts, "
                    "so the signature does not cover it",
                    method.controller,
                )
        _, _, data = hash_data(document, proof, loader)
    except ProofError as exc:
        return ProofResult(suite, str(vm_id), False, f"{label}: {exc}", method.controller)
    try:
        if suite in ECDSA_SUITES:
            r, s_ = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            method.key.verify(encode_dss_signature(r, s_), data, ec.ECDSA(hashes.SHA256()))
        else:
            method.key.verify(signature, data)
    except InvalidSignature:
        return ProofResult(
            suite,
            str(vm_id),
            False,
            f"{label}: the signature does not match the content (changed after signing, or another key)",
            method.controller,
        )
    return ProofResult(suite, str(vm_id), True, f"{label}: valid", method.controller)


def verify_all(credential: dict, loader: DocumentLoader) -> list[ProofResult]:
    raw = credential.get("proof")
    proofs = raw if isinstance(raw, list) else [raw] if raw is not None else []
    results = []
    for proof in proofs:
        if not isinstance(proof, dict):
            results.append(ProofResult("?", "?", False, "a proof is not a JSON object"))
            continue
        results.append(verify_proof(credential, proofs, proof, loader))
    return results
