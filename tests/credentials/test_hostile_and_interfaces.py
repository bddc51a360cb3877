"""Bad input gets a clear error and never a crash; the CLI's JSON lines, the API and the /verify page."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from emclm.credentials.documents import DocumentError, DocumentLoader, is_private_address
from emclm.credentials.verify import MAX_CREDENTIAL_BYTES, verify_bytes
from tests.credentials.support import OB, VECTORS, load, write_documents

NOW = datetime(2026, 12, 1, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[2]
SIGNED = VECTORS / "eddsa-rdfc-2022" / "signedDataInt.json"
KEYS = ["file", "verified", "format", "issuer", "checks", "errors"]
NAMES = ["signature", "not_before", "expiry", "status", "schema", "issuer"]


def _with_context(url: str) -> bytes:
    credential = load(SIGNED)
    credential["@context"] = [*credential["@context"], url]
    return json.dumps(credential).encode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"this is not json", "not JSON and not a JWT"),
        (b"", "the input is empty"),
        (b"\xff\xfe\x00garbage", "not UTF-8 text"),
        (b"[1, 2, 3]", "the JSON is a list, not a credential object"),
        (b'{"a":' * 100 + b"1" + b"}" * 100, "nested more than 48 levels deep"),
        (b"[" * 200000 + b"]" * 200000, "nested more than 48 levels deep"),
        (b'{"x": "' + b"a" * (MAX_CREDENTIAL_BYTES + 10) + b'"}', "larger than 512 KB"),
        (b"a" * (6 * 1024 * 1024), "larger than 5 MB"),
        (b"eyJhbGciOiJub25lIn0.bm90IGpzb24.", "the JWT payload is not base64url JSON"),
    ],
    ids=["not-json", "empty", "not-utf8", "list", "deep", "very-deep", "huge-json", "huge-file", "bad-jwt"],
)
def test_bad_input_is_a_clear_error_never_a_crash(data, message):
    report = verify_bytes(data, now=NOW)
    assert not report.verified
    assert list(report.as_json()) == KEYS
    assert [c["name"] for c in report.as_json()["checks"]] == NAMES
    assert any(message in e for e in report.errors), report.errors


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("https://evil.example/context.jsonld", "not in the allow-list of local JSON-LD contexts"),
        ("http://127.0.0.1:6379/", "refused: it points at a private address"),
        ("http://169.254.169.254/latest/meta-data", "refused: it points at a private address"),
        ("http://[::1]/ctx", "refused: it points at a private address"),
        ("http://localhost/ctx", "refused: it points at a private address"),
        ("http://10.1.2.3/ctx", "refused: it points at a private address"),
        ("http://2130706433/ctx", "refused: it points at a private address"),
    ],
)
def test_unknown_and_private_contexts_are_refused(url, words):
    report = verify_bytes(_with_context(url), now=NOW)
    assert report.check("signature").ok is False
    assert f"{url}: {words}" in report.check("signature").detail


def test_private_address_rule():
    assert not is_private_address("https://www.w3.org/ns/credentials/v2")
    assert is_private_address("http://192.168.0.10/x") and is_private_address("http://printer.local/x")


def test_document_cache_index_is_checked(tmp_path):
    with pytest.raises(DocumentError, match="index.json: missing"):
        DocumentLoader(tmp_path)
    (tmp_path / "index.json").write_text('{"https://x.example/": "../../etc/passwd"}')
    with pytest.raises(DocumentError, match="points outside"):
        DocumentLoader(tmp_path)


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "emclm.cli", "credentials", "verify", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
    )


def _controller_docs(tmp_path) -> Path:
    pair = load(OB / "ob-keypair.json")
    profile = {
        "id": pair["controller"],
        "assertionMethod": [pair["id"]],
        "verificationMethod": [
            {
                "id": pair["id"],
                "type": "Multikey",
                "controller": pair["controller"],
                "publicKeyMultibase": pair["publicKeyMultibase"],
            }
        ],
    }
    return write_documents(tmp_path / "docs", {pair["controller"]: profile})


def test_cli_prints_one_json_object_per_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json")
    ob = OB / "ob-signed-credential.json"
    result = _cli(str(SIGNED), str(bad), str(ob), "--json", "--documents", str(_controller_docs(tmp_path)))
    assert result.returncode == 1, result.stderr  # one file did not verify
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["file"] for r in lines] == [str(SIGNED), str(bad), str(ob)]
    for r in lines:
        assert list(r) == KEYS
        assert [c["name"] for c in r["checks"]] == NAMES
        assert all(set(c) == {"name", "ok", "detail"} and c["ok"] in (True, False, None) for c in r["checks"])
    assert [r["verified"] for r in lines] == [True, False, True]
    assert lines[1]["errors"] and lines[1]["format"] == "unknown"
    assert lines[2]["issuer"] == "https://example.edu/issuers/565049"
    # without the document cache the OB vector's key cannot be found: nothing is fetched
    offline = json.loads(_cli(str(ob), "--json").stdout)
    assert offline["verified"] is False and "nothing is fetched from the network" in offline["errors"][0]
    assert _cli(str(SIGNED), "--json").returncode == 0
    assert _cli(str(SIGNED), "--documents", str(tmp_path / "nowhere")).returncode == 2


def page_post(client, url: str, **kwargs):
    """POST the /verify form as a browser would: with the page's CSRF token when the page carries one."""
    import re

    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/verify").text)
    if found:
        kwargs["data"] = {**kwargs.get("data", {}), "csrf_token": found.group(1)}
    return client.post(url, **kwargs)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from emclm.api.app import create_app

    db = tmp_path_factory.mktemp("verify") / "emclm.sqlite3"
    return TestClient(create_app(f"sqlite:///{db}"))


def test_api_json_body_upload_and_errors(client):
    body = SIGNED.read_bytes()
    r = client.post("/api/credentials/verify", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 200 and r.json()["verified"] is True and list(r.json()) == KEYS
    r = client.post("/api/credentials/verify", files={"file": ("badge.json", body, "application/json")})
    assert r.status_code == 200 and r.json()["verified"] is True and r.json()["file"] == "badge.json"
    tampered = body.replace(b"The School of Examples", b"The School of Forgeries")
    r = client.post("/api/credentials/verify", content=tampered, headers={"content-type": "application/json"})
    assert r.status_code == 200 and r.json()["verified"] is False
    assert r.json()["checks"][0] == {"name": "signature", "ok": False, "detail": r.json()["checks"][0]["detail"]}
    r = client.post("/api/credentials/verify", content=b"{ nope", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["detail"] == "body: not JSON"
    r = client.post("/api/credentials/verify", content=b"hello", headers={"content-type": "text/plain"})
    assert r.status_code == 200 and r.json()["verified"] is False and r.json()["format"] == "unknown"
    assert "not JSON and not a JWT" in r.json()["errors"][0]
    r = client.post("/api/credentials/verify", content=b"x" * (6 * 1024 * 1024), headers={"content-type": "text/plain"})
    assert r.status_code == 413
    r = client.post("/api/credentials/verify", files={"other": ("a", b"1")})
    assert r.status_code == 422 and "file" in r.json()["detail"][0]["msg"]
    r = client.post("/api/credentials/verify", content=b"<x/>", headers={"content-type": "application/xml"})
    assert r.status_code == 415
    spec = client.get("/api/openapi.json").json()["paths"]["/api/credentials/verify"]["post"]
    assert set(spec["requestBody"]["content"]) == {"application/json", "text/plain", "multipart/form-data"}
    assert {"200", "400", "413", "415", "422"} <= set(spec["responses"])


@pytest.mark.parametrize(
    ("lang", "title", "verified_words"),
    [
        ("en", "Verify a credential", "Verified: this credential is genuine and valid."),
        ("fr", "Vérifier un titre", "Vérifié : ce titre est authentique et valable."),
        ("de", "Einen Nachweis prüfen", "Verifiziert: Dieser Nachweis ist echt und gültig."),
        ("es", "Verificar una credencial", "Verificada: esta credencial es auténtica y válida."),
        ("it", "Verifica una credenziale", "Verificata: questa credenziale è autentica e valida."),
        ("nl", "Een credential verifiëren", "Geverifieerd: dit credential is echt en geldig."),
    ],
)
def test_verify_page_in_every_language(client, lang, title, verified_words):
    client.cookies.clear()
    page = client.get("/verify", params={"lang": lang})
    assert page.status_code == 200 and f"<h1>{title}</h1>" in page.text
    assert "<script" not in page.text.split("</head>")[1]  # no inline script (CSP)
    r = page_post(
        client, f"/verify?lang={lang}", data={"credential": OB.joinpath("ob-signed-credential.json").read_text()}
    )
    assert r.status_code == 200
    assert 'data-verified="false"' in r.text  # the OB vector's key is not in the (empty) document cache
    assert 'data-testid="achievement">Teamwork<' in r.text and "Example Corp" in r.text
    assert 'data-check="signature" data-ok="false"' in r.text
    r = page_post(
        client, f"/verify?lang={lang}", files={"file": ("alumni.json", SIGNED.read_bytes(), "application/json")}
    )
    assert verified_words in r.text and 'data-check="signature" data-ok="true"' in r.text
    assert r.text.count("<dt>") >= 11 + 2  # issuer, achievement and the eleven elements
    client.cookies.clear()


def test_verify_page_shows_skills_and_elements_and_escapes(client):
    credential = load(OB / "ob-signed-credential.json")
    achievement = credential["credentialSubject"]["achievement"]
    achievement["alignment"] = [
        {
            "type": ["Alignment"],
            "targetName": "work in teams <b>now</b>",
            "targetUrl": "http://data.europa.eu/esco/skill/6c41f2a7-e8bd-4a5d-9e6b-8e3e0ac5a5d5",
        }
    ]
    achievement["creditsAvailable"] = 2
    credential["issuer"]["address"] = {"type": ["Address"], "addressCountryCode": "BE"}
    r = page_post(client, "/verify", data={"credential": json.dumps(credential)})
    assert "work in teams &lt;b&gt;now&lt;/b&gt;" in r.text and "<b>now</b>" not in r.text
    assert "<dd>2 ECTS</dd>" in r.text and "<dd>BE</dd>" in r.text
    assert 'data-check="signature" data-ok="false"' in r.text  # the credential changed after signing


def test_verify_page_bad_input_and_links(client):
    r = page_post(client, "/verify", data={"credential": "   "})
    assert r.status_code == 400 and "Paste a credential or choose its file" in r.text
    r = page_post(client, "/verify", data={"credential": "{{{{"})
    assert r.status_code == 200 and 'data-verified="false"' in r.text and "not JSON and not a JWT" in r.text
    r = client.get("/verify", params={"url": "http://169.254.169.254/latest/meta-data"})
    assert r.status_code == 404 and "This link cannot be opened here" in r.text


def test_every_allow_listed_context_is_a_local_json_ld_context():
    from emclm.credentials.documents import contexts_dir

    index = json.loads((contexts_dir() / "index.json").read_text())
    assert len(index) >= 20
    loader = DocumentLoader()
    for url in index:
        doc = loader.load(url)
        assert isinstance(doc, dict) and "@context" in doc, url


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("@context", 0), []),
        (("@context",), "u"),
        (("type",), [["VerifiableCredential"]]),
        (("proof", "type"), {"a": 1}),
        (("proof", "proofPurpose"), []),
        (("proof", "created"), 1),
        (("proof", "previousProof"), True),
        (("proof",), ["not a proof", 1]),
        (("credentialSubject", "id"), "VerifiableCredential"),
        (("validFrom",), {"id": 5}),
        (("issuer",), 1.5),
    ],
)
def test_malformed_fields_are_reported_not_crashed_on(path, value):
    """Found by mutating the vectors field by field: each gave an exception before it was handled."""
    credential = load(SIGNED)
    target = credential
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    report = verify_bytes(json.dumps(credential).encode(), now=NOW)
    assert not report.verified
    assert not any(e.startswith("could not verify") for e in report.errors), report.errors
    assert [c.name for c in report.checks] == NAMES


def test_a_poison_graph_is_refused_quickly():
    """Ten blank nodes all linked to each other: RDFC-1.0 would try every permutation (9! per node)."""
    import time

    n = 10
    ids = [f"_:b{i}" for i in range(n)]
    credential = load(SIGNED)
    credential["credentialSubject"]["knows"] = [{"@id": i, "knows": [{"@id": j} for j in ids if j != i]} for i in ids]
    started = time.monotonic()
    report = verify_bytes(json.dumps(credential).encode(), now=NOW)
    assert time.monotonic() - started < 60
    assert report.check("signature").ok is False
    assert "too complex to canonicalise" in report.check("signature").detail


def test_verify_link_and_api_use_the_configured_document_cache(client, tmp_path, monkeypatch):
    """A QR code points at /verify?url=…: the page opens the credential only from the document cache
    (EMCLM_CREDENTIALS_DOCUMENTS_DIR), which also holds the issuer profile the signature needs."""
    from emclm.config import get_settings

    link = "https://portal.example/credentials/teamwork-3527"
    docs = _controller_docs(tmp_path)
    index = json.loads((docs / "index.json").read_text())
    (docs / "badge.json").write_text((OB / "ob-signed-credential.json").read_text())
    index[link] = "badge.json"
    (docs / "index.json").write_text(json.dumps(index))
    monkeypatch.setattr(get_settings(), "credentials_documents_dir", docs)
    client.cookies.clear()
    r = client.get("/verify", params={"url": link, "lang": "it"})
    assert r.status_code == 200
    assert 'data-verified="true"' in r.text and "Verificata: questa credenziale è autentica e valida." in r.text
    assert 'data-check="issuer" data-ok="true"' in r.text
    body = (OB / "ob-signed-credential.json").read_bytes()
    api = client.post("/api/credentials/verify", content=body, headers={"content-type": "application/json"}).json()
    assert api["verified"] is True and api["issuer"] == "https://example.edu/issuers/565049"
    assert client.get("/verify", params={"url": "https://portal.example/other"}).status_code == 404
    client.cookies.clear()
