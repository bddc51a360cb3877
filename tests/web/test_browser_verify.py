"""The /verify page in a real browser (Debian Chromium, Playwright) with axe-core: paste a signed
credential, upload a tampered one, in English and French; zero serious or critical WCAG 2.1 AA violations."""

from __future__ import annotations

import json

from tests.credentials.support import VECTORS
from tests.web.test_browser import check as check  # noqa: F401  (fixture)
from tests.web.test_browser import check_factory as check_factory  # noqa: F401  (fixture)

SIGNED = VECTORS / "eddsa-rdfc-2022" / "signedDataInt.json"


def test_verify_paste_and_upload(page, check, tmp_path):
    page.goto("/verify")
    assert page.get_by_role("heading", level=1).inner_text() == "Verify a credential"
    check("verify")
    page.get_by_label("Paste the credential (JSON or JWT)").fill(SIGNED.read_text())
    page.get_by_role("button", name="Verify").click()
    result = page.get_by_test_id("verify-result")
    assert result.get_attribute("data-verified") == "true"
    assert "Verified: this credential is genuine and valid." in result.inner_text()
    assert "The signature is valid" in page.locator('[data-check="signature"]').inner_text()
    check("verify-verified")
    forged = json.loads(SIGNED.read_text())
    forged["credentialSubject"]["alumniOf"] = "The School of Forgeries"
    upload = tmp_path / "forged.json"
    upload.write_text(json.dumps(forged))
    page.goto("/verify?lang=fr")
    page.get_by_label("Collez le titre (JSON ou JWT)").fill("")
    page.locator("#file").set_input_files(str(upload))
    page.get_by_role("button", name="Vérifier").click()
    result = page.get_by_test_id("verify-result")
    assert result.get_attribute("data-verified") == "false"
    assert "Non vérifié" in result.inner_text()
    assert page.locator('[data-check="signature"]').get_attribute("data-ok") == "false"
    check("verify-not-verified-fr")
