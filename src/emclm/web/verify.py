"""The public verification page ``/verify``: paste a credential, upload its file (JSON, JWT, baked PNG
or SVG), or open a link (``?url=``, what a QR code on a printed certificate points to).

A link is opened only when its credential is in the verifier's document cache
(``EMCLM_CREDENTIALS_DOCUMENTS_DIR``): the page never fetches an address it is given, so it cannot be
used to reach other hosts. The checks are the ones of ``emclm credentials verify`` and
``POST /api/credentials/verify`` (:func:`emclm.credentials.verify.verify_bytes`); the page says what each
outcome means in the user's language and keeps the verifier's own words as the technical detail.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from emclm.config import get_settings
from emclm.credentials.documents import DocumentError, DocumentLoader
from emclm.credentials.summary import ELEMENTS, summarise
from emclm.credentials.verify import MAX_INPUT_BYTES, Report, verify_bytes
from emclm.web import i18n
from emclm.web.routes import render, ui_lang

router = APIRouter(include_in_schema=False)
_ = i18n.gettext


def _loader() -> DocumentLoader:
    return DocumentLoader(get_settings().credentials_documents_dir)


def element_names() -> dict[str, str]:
    return {
        "learner": _("Learner"),
        "title": _("Title of the micro-credential"),
        "country": _("Country or region of the issuer"),
        "awarding_body": _("Awarding body"),
        "date_of_issue": _("Date of issue"),
        "learning_outcomes": _("Learning outcomes"),
        "workload": _("Notional workload"),
        "level": _("Level (EQF)"),
        "assessment": _("Type of assessment"),
        "participation": _("Form of participation"),
        "quality_assurance": _("Quality assurance"),
    }


def plain_words(name: str, ok: bool | None) -> str:
    """What the outcome of one check means, for a person rather than a developer."""
    words = {
        ("signature", True): _("The signature is valid: nothing has changed since the issuer signed it."),
        ("signature", False): _(
            "The signature could not be confirmed: the credential was changed after signing, is not signed, "
            "or is signed in a way this service cannot check."
        ),
        ("signature", None): _("The signature was not checked."),
        ("not_before", True): _("It is already valid."),
        ("not_before", False): _("It is not valid yet, or its start date is wrong."),
        ("not_before", None): _("It states no start date."),
        ("expiry", True): _("It has not expired."),
        ("expiry", False): _("It has expired, or its end date is wrong."),
        ("expiry", None): _("It states no end date."),
        ("status", True): _("The issuer has not revoked or suspended it."),
        ("status", False): _("The issuer has revoked or suspended it, or its status list is not trustworthy."),
        ("status", None): _("No revocation status is published for it, or it could not be checked here."),
        ("schema", True): _("It contains everything a credential of its kind must contain."),
        ("schema", False): _("Something a credential of its kind must contain is missing or wrong."),
        ("schema", None): _("Its contents were not checked."),
        ("issuer", True): _("It was signed with a key that belongs to the issuer it names."),
        ("issuer", False): _("The issuer is missing or does not match the signature."),
        ("issuer", None): _("Nothing confirms that the signing key belongs to the issuer it names."),
    }
    return words[(name, ok)]


def check_titles() -> dict[str, str]:
    return {
        "signature": _("Signature"),
        "not_before": _("Valid from"),
        "expiry": _("Expiry"),
        "status": _("Revocation"),
        "schema": _("Contents"),
        "issuer": _("Issuer"),
    }


def _page(
    request: Request,
    lang: str,
    report: Report | None,
    *,
    pasted: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    i18n.activate(lang)
    context: dict = {"pasted": pasted, "error": error, "report": None, "max_mb": MAX_INPUT_BYTES // (1024 * 1024)}
    if report is not None:
        titles = check_titles()
        context["report"] = report
        context["checks"] = [
            {
                "name": c.name,
                "title": titles[c.name],
                "ok": c.ok,
                "words": plain_words(c.name, c.ok),
                "detail": c.detail,
            }
            for c in report.checks
        ]
        context["problems"] = [e for e in report.errors if not any(e == f"{c.name}: {c.detail}" for c in report.checks)]
        summary = summarise(report.credential)
        names = element_names()
        context["summary"] = summary
        context["elements"] = [{"name": names[k], "value": summary.elements.get(k)} for k in ELEMENTS]
    return render(request, lang, "verify.html", context, status_code=status_code)


@router.get("/verify", response_class=HTMLResponse)
def verify_page(request: Request, lang: str = Depends(ui_lang)):
    url = request.query_params.get("url")
    if not url:
        return _page(request, lang, None)
    i18n.activate(lang)
    try:
        loader = _loader()
        document = loader.load(url) if loader.knows(url) else None
    except DocumentError:
        document = None
    if document is None:
        message = _(
            "This link cannot be opened here: only credentials published by this portal can be opened "
            "from a link. Paste the credential or upload its file instead."
        )
        return _page(request, lang, None, error=message, status_code=404)
    data = document.encode("utf-8") if isinstance(document, str) else json.dumps(document).encode("utf-8")
    return _page(request, lang, verify_bytes(data, file=url, loader=loader))


@router.post("/verify", response_class=HTMLResponse)
async def verify_submit(request: Request, lang: str = Depends(ui_lang)):
    from starlette.concurrency import run_in_threadpool

    i18n.activate(lang)
    too_large = _("The file is larger than %(mb)s MB.") % {"mb": MAX_INPUT_BYTES // (1024 * 1024)}
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_INPUT_BYTES + 64 * 1024:
        return _page(request, lang, None, error=too_large, status_code=413)
    try:
        form = await request.form(max_files=1, max_fields=4, max_part_size=MAX_INPUT_BYTES)
    except Exception:  # noqa: BLE001 - starlette's multipart errors have no common base
        return _page(request, lang, None, error=_("The form could not be read."), status_code=400)
    pasted = form.get("credential")
    pasted = pasted if isinstance(pasted, str) else ""
    upload = form.get("file")
    data, name = b"", "pasted"
    if upload is not None and not isinstance(upload, str) and upload.filename:
        data = await upload.read(MAX_INPUT_BYTES + 1)
        name = upload.filename
        if len(data) > MAX_INPUT_BYTES:
            return _page(request, lang, None, error=too_large, status_code=413)
    if not data and pasted.strip():
        data = pasted.encode("utf-8")
    if not data:
        message = _("Paste a credential or choose its file, then press Verify.")
        return _page(request, lang, None, error=message, status_code=400)
    report = await run_in_threadpool(verify_bytes, data, file=name, loader=_loader())
    i18n.activate(lang)
    return _page(request, lang, report, pasted=pasted[:20000])
