"""UI languages: gettext catalogues (Babel) and the choice of language for a request.

The catalogues are the ``.po`` files under ``locale/<lang>/LC_MESSAGES/messages.po``; they are
compiled in memory when first needed, so a fresh clone runs without a compile step and a stale
``.mo`` can never be served. The language of a request: the user's explicit choice (``?lang=``,
remembered in a cookie), then the browser's ``Accept-Language``, then English.
"""

from __future__ import annotations

import io
import threading
from contextvars import ContextVar
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
DEFAULT_LANG = "en"
# UI languages, each named in itself (what a switcher shows)
LANGUAGES: dict[str, str] = {
    "en": "English",
    "fr": "Français",
    "es": "Español",
    "it": "Italiano",
    "nl": "Nederlands",
    "de": "Deutsch",
}
COOKIE = "emclm_lang"

_cache: dict[str, NullTranslations] = {}
_lock = threading.Lock()
_current: ContextVar[NullTranslations] = ContextVar("emclm_translations")


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def translations(lang: str) -> NullTranslations:
    """The compiled catalogue of ``lang`` (English, the source language, has none)."""
    with _lock:
        found = _cache.get(lang)
        if found is not None:
            return found
        path = po_path(lang)
        if lang == DEFAULT_LANG or not path.exists():
            found = NullTranslations()
        else:
            with path.open("rb") as fh:
                catalog = read_po(fh, locale=lang, domain=DOMAIN)
            buf = io.BytesIO()
            write_mo(buf, catalog, use_fuzzy=False)
            buf.seek(0)
            found = Translations(buf, domain=DOMAIN)
        _cache[lang] = found
        return found


def activate(lang: str) -> None:
    """Use ``lang`` for the templates rendered next in this context (one request)."""
    _current.set(translations(lang))


def gettext(message: str) -> str:
    return _current.get(_null).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _current.get(_null).ngettext(singular, plural, n)


_null = NullTranslations()


def parse_accept_language(header: str | None) -> list[str]:
    """Languages of an ``Accept-Language`` header, best first (primary subtags, lower case)."""
    if not header:
        return []
    weighted: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")):
        piece = part.strip()
        if not piece:
            continue
        tag, _, params = piece.partition(";")
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        if q <= 0:
            continue
        weighted.append((-q, i, tag.strip().split("-")[0].lower()))
    weighted.sort()
    out: list[str] = []
    for _, _, lang in weighted:
        if lang not in out:
            out.append(lang)
    return out


def choose_language(explicit: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The user's choice (query, then cookie) wins over the browser's preferences."""
    for value in (explicit, cookie):
        if value and value.lower() in LANGUAGES:
            return value.lower()
    for lang in parse_accept_language(accept_language):
        if lang in LANGUAGES:
            return lang
    return DEFAULT_LANG
