"""Normalisation helpers shared by every catalogue source.

Platforms describe the same facts in many shapes and languages: "2–3 hours per week",
"6 heures par semaine", "FREE-Add a Verified Certificate for $49 USD", "13th Jan, 2020",
"Español", "pt_BR". These helpers turn such values into the catalogue's vocabulary
(ISO 639-1 codes, hours, weeks, ``Decimal`` prices with ISO 4217 currencies, ``date``\\ s,
the certificate types of :data:`emclm.catalogue.models.CERTIFICATE_TYPES`).

Every parser is total: it returns ``None`` (or an empty result) for a value it does not
understand and never raises on text. Language names and month names come from Babel's CLDR
data, so they cover all EU languages without hand-written tables.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache

__all__ = [
    "Effort",
    "Price",
    "UnsafeUrl",
    "clean_text",
    "http_url",
    "sanitise_record",
    "strip_control",
    "detect_language",
    "iso_duration_weeks",
    "language_code",
    "language_codes",
    "pace_code",
    "subject_code",
    "organisation_key",
    "parse_date",
    "parse_duration_weeks",
    "parse_effort",
    "parse_price",
    "slug",
]

# EU official languages plus the other languages MOOC platforms in Europe commonly teach in.
EU_LANGUAGES = (
    "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr", "hu", "it", "lt",
    "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv",
)  # fmt: skip
EXTRA_LANGUAGES = ("ca", "eu", "gl", "is", "no", "nb", "ru", "uk", "tr", "ar", "zh", "ja", "ko", "hi", "he", "sr", "th")
# Languages whose own name ("Deutsch", "中文", "ไทย") is recognised besides the display languages.
AUTONYM_LANGUAGES = (
    "af", "am", "ar", "az", "be", "bn", "bs", "cy", "eo", "fa", "hy", "id", "ka", "kk", "lb", "mk", "ms",
    "sq", "sw", "ta", "te", "tl", "ur", "uz", "vi", "yi", "zu",
)  # fmt: skip
DISPLAY_LANGUAGES = EU_LANGUAGES + EXTRA_LANGUAGES

MONTH_WEEKS = 4.345  # average weeks per month (365.25 / 12 / 7)
YEAR_WEEKS = 52.18

_WS = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_ZERO_WIDTH = re.compile(r"[\u200b-\u200d\u2060\ufeff]")


# --------------------------------------------------------------------------------------------
# text
# --------------------------------------------------------------------------------------------

_BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
    "tr", "table", "section", "article", "header", "footer", "blockquote", "pre", "hr", "aside",
}  # fmt: skip
_LOOKS_HTML = re.compile(r"<\s*(?:[a-zA-Z][a-zA-Z0-9]*\b[^<>]*|/\s*[a-zA-Z][a-zA-Z0-9]*\s*|!--.*?)>", re.S)


def _unescape_fully(value: str) -> str:
    """Undo (possibly repeated) HTML escaping: ``&amp;quot;`` → ``&quot;`` → ``"``."""
    for _ in range(4):
        unescaped = html.unescape(value)
        if unescaped == value:
            break
        value = unescaped
    return value


def _fix_mojibake(value: str) -> str:
    """Repair UTF-8 text that was decoded as Windows-1252 ("UniversitÃ©" → "Université")."""
    if "Ã" not in value and "Â" not in value:
        return value
    try:
        repaired = value.encode("cp1252").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value
    return repaired


def _html_to_text(markup: str) -> str:
    import lxml.etree
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return re.sub(r"<[^>]*>", " ", markup)
    for bad in root.xpath("//script|//style|//head|//noscript|//template"):
        bad.drop_tree()
    for comment in root.xpath("//comment()|//processing-instruction()"):
        parent = comment.getparent()
        if parent is not None:
            tail = comment.tail
            previous = comment.getprevious()
            parent.remove(comment)
            if tail:
                if previous is not None:
                    previous.tail = (previous.tail or "") + tail
                else:
                    parent.text = (parent.text or "") + tail
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        tag = element.tag.lower()
        # In HTML a line break in the source is just a space (except inside <pre>).
        if tag != "pre" and element.text:
            element.text = re.sub(r"\s+", " ", element.text)
        if element.tail:
            element.tail = re.sub(r"\s+", " ", element.tail)
        if tag == "li":
            element.text = "- " + (element.text or "")
        if tag in _BLOCK_TAGS:
            element.tail = ("\n\n" if tag not in ("br", "li", "tr", "dt", "dd") else "\n") + (element.tail or "")
            if tag not in ("br", "hr", "li", "tr", "dt", "dd"):
                element.text = "\n" + (element.text or "")
    return root.text_content()


def clean_text(value: str | None) -> str | None:
    """HTML or escaped HTML → plain text with paragraph breaks kept as blank lines.

    Entities are decoded (also when double-escaped), tags, scripts, styles and comments (also
    Word's ``<!--[if gte mso 10]>`` blocks) are removed, whitespace is collapsed. ``None``, an
    empty string or markup without text give ``None``.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        value = str(value)
    value = _unescape_fully(_fix_mojibake(value)).replace("\r\n", "\n").replace("\r", "\n")
    # NUL bytes and control characters go before the HTML parser sees them (lxml refuses them)
    value = strip_control(value)
    if _LOOKS_HTML.search(value):
        value = strip_control(_unescape_fully(_html_to_text(value)))
    value = _ZERO_WIDTH.sub("", value)
    lines = [_WS.sub(" ", line).strip() for line in value.split("\n")]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return text or None


# Terminal escape sequences (CSI ``ESC [ … final``, OSC ``ESC ] … BEL/ST``, two-character ``ESC x``)
# and every other control character except tab and newline: C0, DEL, C1 (U+0080–U+009F).
_ANSI_ESCAPE = re.compile(
    r"(?:\x1b\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_])"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_control(value: str) -> str:
    """``value`` without NUL bytes, terminal escape codes and control characters (tab and newline
    stay; a carriage return goes: ``clean_text`` has already made line ends ``\\n``)."""
    if not _CONTROL.search(value):
        return value
    return _CONTROL.sub("", _ANSI_ESCAPE.sub("", value))


class UnsafeUrl(ValueError):
    """A link that is not an absolute http(s) URL (``javascript:``, ``data:``, a relative path …)."""


def http_url(value: str | None) -> str | None:
    """``value`` as an absolute http(s) URL, or ``None`` when empty; :class:`UnsafeUrl` otherwise.

    Browsers ignore tabs, newlines and leading control characters in a scheme (``java\\tscript:``),
    so those are stripped before the scheme is read; a protocol-relative ``//host/path`` becomes
    ``https://host/path``. Only ``http`` and ``https`` pass, with a host."""
    if value is None:
        return None
    text = re.sub(r"[\x00-\x20\x7f-\x9f]", "", value) if _CONTROL.search(value) else value.strip()
    if not text:
        return None
    if " " in text:
        text = text.replace(" ", "%20")
    if text.startswith("//"):
        text = "https:" + text
    scheme, sep, rest = text.partition(":")
    if not sep or scheme.lower() not in ("http", "https"):
        raise UnsafeUrl(f"not an http(s) URL: {value[:80]!r}")
    if not rest.startswith("//") or not rest[2:].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]:
        raise UnsafeUrl(f"an http(s) URL needs a host: {value[:80]!r}")
    return scheme.lower() + ":" + rest


_RECORD_URL_FIELDS = ("url", "image_url", "provider_url", "organisation_url")
_RECORD_TEXT_FIELDS = (
    "title", "description", "provider_name", "organisation_name", "subject_label", "quality_label", "assessment_type",
)  # fmt: skip


def sanitise_record(record) -> list[tuple[str, str]]:
    """Make a ``CourseRecord`` safe to store and show, in place; returns ``(field, message)`` for each
    link it dropped (decision 0022).

    Every link (``url``, ``image_url``, ``provider_url``, ``organisation_url``, ``runs[i].url``) must
    be an absolute http(s) URL: any other (``javascript:``, ``data:``, ``vbscript:``, relative) is
    removed and reported; the record is kept without it. Titles, descriptions, names and their
    translations lose NUL bytes, terminal escape codes and control characters."""
    dropped: list[tuple[str, str]] = []
    for name in _RECORD_URL_FIELDS:
        try:
            setattr(record, name, http_url(getattr(record, name)))
        except UnsafeUrl as exc:
            setattr(record, name, None)
            dropped.append((name, f"{exc}; link removed, record kept without it"))
    for index, run in enumerate(record.runs):
        try:
            run.url = http_url(run.url)
        except UnsafeUrl as exc:
            run.url = None
            dropped.append((f"runs[{index}].url", f"{exc}; link removed, record kept without it"))
    for name in _RECORD_TEXT_FIELDS:
        value = getattr(record, name)
        if value:
            setattr(record, name, strip_control(value))
    for name in ("title_i18n", "description_i18n"):
        mapping = getattr(record, name)
        if mapping and any(_CONTROL.search(v) for v in mapping.values() if isinstance(v, str)):
            setattr(record, name, {k: strip_control(v) if isinstance(v, str) else v for k, v in mapping.items()})
    for name in ("learning_outcomes", "keywords"):
        values = getattr(record, name)
        if values and any(_CONTROL.search(v) for v in values if isinstance(v, str)):
            setattr(record, name, [strip_control(v) if isinstance(v, str) else v for v in values])
    return dropped


def _fold(value: str) -> str:
    """Casefold and strip accents: "Français" → "francais"."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def slug(text: str) -> str:
    """URL- and key-safe slug: "Miríadax" → "miriadax", "France Université Numérique" →
    "france-universite-numerique". Letters without a Latin decomposition are kept."""
    folded = _fold(text or "")
    folded = folded.replace("&", " and ").replace("+", " plus ").replace("ß", "ss")
    return re.sub(r"[\W_]+", "-", folded).strip("-")


_ORG_ABBREVIATIONS = [
    (r"\buniv\b\.?", "university"),
    (r"\bu\.\s*of\b", "university of"),
    (r"\binst\b\.?", "institute"),
    (r"\btech\b\.?", "technology"),
    (r"\bst\b\.?", "saint"),
    (r"\bdept\b\.?", "department"),
    (r"\bcoll\b\.?", "college"),
    (r"\bnat\b\.?", "national"),
    (r"\bint\b\.?", "international"),
    (r"&", " and "),
]


ORGANISATION_KEY_MAX = 255  # catalogue_organisation.key


def organisation_key(name: str) -> str:
    """Key for de-duplicating organisations: case, accents, punctuation, a leading "The" and
    common abbreviations ("Univ." → "university", "&" → "and") do not matter. The one key the
    harvest store files organisations under (migration 0008 moved stored keys to it); at most
    ``ORGANISATION_KEY_MAX`` characters, the column's length."""
    key = _fold(clean_text(name) or "")
    for pattern, replacement in _ORG_ABBREVIATIONS:
        key = re.sub(pattern, replacement, key)
    key = re.sub(r"[\W_]+", " ", key).strip()
    key = re.sub(r"^(the|la|le|les|el|il|lo|der|die|das|de|het) ", "", key)
    return re.sub(r"\s+", " ", key)[:ORGANISATION_KEY_MAX].rstrip()


# --------------------------------------------------------------------------------------------
# languages
# --------------------------------------------------------------------------------------------

_LANGUAGE_NOISE = re.compile(
    r"\b(bahasa|language|langue|idioma|lengua|sprache|lingua|taal|jezyk|jazyk|språk|sprog|kieli|nyelv)\b|اللغة\s*",
    re.I,
)


@lru_cache(maxsize=1)
def _language_tables() -> tuple[dict[str, str], dict[str, str]]:
    """(folded name → ISO 639-1, ISO 639-2/3 code → ISO 639-1) from Babel's CLDR data."""
    from babel.core import Locale, UnknownLocaleError, get_global

    aliases = get_global("language_aliases")
    three: dict[str, str] = {}
    for alias, target in aliases.items():
        primary = re.split(r"[-_]", str(target))[0].lower()
        if len(alias) == 3 and alias.isalpha() and len(primary) == 2:
            three[alias.lower()] = primary
    three.setdefault("nob", "nb")
    three.setdefault("nno", "nn")

    names: dict[str, str] = {}

    def add(name: str, code: str) -> None:
        primary = re.split(r"[-_]", code)[0].lower()
        if len(primary) != 2:
            primary = three.get(primary, "")
            if not primary:
                return
        folded = _fold(name).strip()
        if folded and folded not in names:
            names[folded] = primary

    # English first so an English name wins any collision, then every display language.
    for display in ("en",) + tuple(d for d in DISPLAY_LANGUAGES if d != "en"):
        try:
            locale = Locale.parse(display)
        except (UnknownLocaleError, ValueError):
            continue
        for code, name in locale.languages.items():
            add(name, code)
    # Autonyms ("Deutsch", "中文", "日本語"); loading every CLDR locale would cost ~100 MB.
    for code in DISPLAY_LANGUAGES + AUTONYM_LANGUAGES:
        try:
            own = Locale.parse(code)
        except (UnknownLocaleError, ValueError):
            continue
        autonym = own.languages.get(code)
        if autonym:
            add(autonym, code)
    # Common forms CLDR does not list as language names.
    for name, code in {
        "mandarin": "zh", "cantonese": "zh", "chinese (simplified)": "zh", "chinese (traditional)": "zh",
        "castellano": "es", "castilian": "es", "brazilian portuguese": "pt", "portugues brasileiro": "pt",
        "farsi": "fa", "flemish": "nl", "vlaams": "nl", "bokmal": "nb", "norsk": "no", "gaeilge": "ga",
        "valencia": "ca", "valenciano": "ca", "valencian": "ca", "slovene": "sl", "moldovan": "ro",
        "simplified chinese": "zh", "traditional chinese": "zh", "espanol latinoamericano": "es",
    }.items():  # fmt: skip
        names.setdefault(name, code)
    _release_babel_cache()
    return names, three


def _release_babel_cache() -> None:
    """Babel keeps every loaded CLDR locale in memory; our tables need them only once."""
    try:
        from babel import localedata

        localedata._cache.clear()  # noqa: SLF001 - Babel reloads on demand
    except (ImportError, AttributeError):  # pragma: no cover
        pass


def language_code(value: str | None) -> str | None:
    """A language name (in any EU language), ISO code or BCP-47 tag → ISO 639-1 code.

    "English" → "en", "francés" → "fr", "Deutsch" → "de", "fr-FR" → "fr", "pt_BR" → "pt",
    "zh-Hans" → "zh", "eng" → "en". Unknown values give ``None``.
    """
    if not value or not isinstance(value, str):
        return None
    names, three = _language_tables()
    text = clean_text(value) or ""
    text = text.strip().strip(".;:")
    if not text:
        return None
    # Codes and tags: "fr", "fr-FR", "pt_BR", "zh-Hans", "eng", "fre".
    tag = re.fullmatch(r"([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*", text)
    if tag:
        primary = tag.group(1).lower()
        if len(primary) == 2 and primary in names.values():
            return "no" if primary in ("nb", "nn") else primary
        if len(primary) == 3 and primary in three:
            return three[primary]
    folded = _fold(text)
    for candidate in (folded, _LANGUAGE_NOISE.sub(" ", folded)):
        candidate = re.sub(r"\s+", " ", candidate).strip()
        if candidate in names:
            return names[candidate]
        # "English (US)", "Spanish; Castilian", "Portuguese - Brazil"
        base = re.split(r"\s*[(;/\-–,]\s*", candidate)[0].strip()
        if base in names:
            return names[base]
    return None


def language_codes(value: str | Iterable[str] | None) -> list[str]:
    """Several languages → ISO 639-1 codes, in order, without duplicates and unknowns.

    Accepts "English, Spanish", "English; Français", "en/fr", "English and Spanish" or a list.
    """
    if not value:
        return []
    if isinstance(value, str):
        parts = re.split(r"\s*(?:[,;/|+]|\band\b|\bet\b|\bund\b|\by\b|&)\s*", value)
    else:
        parts = []
        for item in value:
            if isinstance(item, str):
                parts.extend(re.split(r"\s*[,;|]\s*", item))
    codes: list[str] = []
    for part in parts:
        code = language_code(part)
        if code and code not in codes:
            codes.append(code)
    return codes


_MIN_DETECT_LETTERS = 20


@lru_cache(maxsize=1)
def _detector():
    """The lingua detector restricted to EU and a few other languages, built once (lazy)."""
    try:
        from lingua import IsoCode639_1, LanguageDetectorBuilder
    except ImportError:  # pragma: no cover - lingua is a dependency
        return None
    isos = []
    for code in DISPLAY_LANGUAGES:
        if code in ("nb", "no"):
            code = "nb"
        try:
            isos.append(getattr(IsoCode639_1, code.upper()))
        except AttributeError:
            continue
    return LanguageDetectorBuilder.from_iso_codes_639_1(*isos).with_low_accuracy_mode().build()


def detect_language(text: str | None) -> str | None:
    """Detect the language (ISO 639-1) of a text; ``None`` when too short or unsure.

    Uses lingua in low-accuracy mode over the EU languages and a few others (see
    ``DISPLAY_LANGUAGES``); needs at least 20 letters of text.
    """
    if not text or not isinstance(text, str):
        return None
    cleaned = clean_text(text) or ""
    if sum(ch.isalpha() for ch in cleaned) < _MIN_DETECT_LETTERS:
        return None
    detector = _detector()
    if detector is None:  # pragma: no cover
        return None
    language = detector.detect_language_of(cleaned[:2000])
    if language is None:
        return None
    code = language.iso_code_639_1.name.lower()
    return "no" if code in ("nb", "nn") else code


# --------------------------------------------------------------------------------------------
# numbers, effort and duration
# --------------------------------------------------------------------------------------------

_NUM = r"([0-9]+(?:[.,][0-9]+)?|½|¼|¾)"
_RANGE_SEP = r"\s*(?:[-–—‒~]|to|à|a|á|bis|tot|do|až|till|til|al|e|y|och|og|ja|és|și|i|-)\s*"
_RANGE = _NUM + r"(?:" + _RANGE_SEP + _NUM + r")?"
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "twelve": 12, "a": 1, "an": 1,
}  # fmt: skip


def _number(text: str) -> float | None:
    text = text.strip()
    if text in ("½", "¼", "¾"):
        return {"½": 0.5, "¼": 0.25, "¾": 0.75}[text]
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None


def _range_value(low: str, high: str | None) -> float | None:
    a = _number(low)
    b = _number(high) if high else None
    if a is None:
        return None
    if b is None or b < a:
        return a
    return (a + b) / 2


_HOUR_UNITS = (
    r"hours?|hrs?|h|heures?|horas?|hores|stunden?|std\.?|ore|ora|uur|uren|godzin[ay]?|godz\.?|hodin[ay]?|"
    r"timer|timmar|timme|tuntia?|óra|órát|ώρες|ώρα|часов|часа|час|hod\.?|sati|ure|tundi|valand[ao]s?|stundas|"
    r"ore\b|oras"
)
_MINUTE_UNITS = r"minutes?|mins?|minutos?|minuten?|minuti|minut[ey]?|minuter|perc"
_PER_WEEK = (
    r"(?:per|a|an|each|every|/|pr\.?|par|por|a la|à la|pro|alla|a|alla|in der|w|na|i|om|на)?\s*"
    r"(?:week|wk|semaine|semana|woche|settimana|tydzień|tygodniu|týden|týdně|vecka|veckan|uge|ugen|uke|"
    r"viikossa|viikko|hét|hetente|săptămână|εβδομάδα|седмица|неделю|tjedan|tjedno|teden|nädalas|nedēļā|savaitę)"
    r"|weekly|hebdo(?:madaires?)?|semanales|semanal|settimanali|wöchentlich|wekelijks|tygodniowo|týdně|"
    r"viikoittain|ugentlig|ukentlig|per\s*week|/\s*w(?:k)?\b|/\s*sem\.?"
)
_PER_DAY = (
    r"(?:per|a|an|each|/|par|por|al|pro|am)?\s*(?:day|jour|día|dia|tag|giorno|dag|dzień|den)\b|"
    r"daily|quotidien|diari[oa]s?|täglich"
)
_TOTAL = (
    r"worth of (?:material|content|video)|in total|total|au total|en total|insgesamt|in totale|"
    r"totaal|łącznie|celkem|totalt|yhteensä|összesen|în total"
)


@dataclass
class Effort:
    """Learning effort: hours per week and/or total hours (ELM ``workload_hours``)."""

    hours_per_week: float | None = None
    total_hours: float | None = None


def parse_effort(text: str | None, lang: str | None = None) -> Effort:
    """ "2–3 hours per week" → Effort(2.5, None); "10 hours" → Effort(None, 10.0).

    Ranges give their midpoint. Understands hour words and per-week markers of the EU
    languages ("6 heures par semaine", "3 horas semanales", "2 Stunden pro Woche",
    "3 ore a settimana", "1-2 uur per week"). A duration without hours ("4 semanas") is not an
    effort: both fields are ``None``. "per day" is multiplied by 7.
    """
    if not text or not isinstance(text, str):
        return Effort()
    value = _fold(clean_text(text) or "")
    value = value.replace("\u2013", "-").replace("\u2014", "-")
    value = _fold(value)
    per_week_re = re.compile(r"^\s*(?:" + _fold_pattern(_PER_WEEK) + r")", re.I)
    per_day_re = re.compile(r"^\s*(?:" + _fold_pattern(_PER_DAY) + r")", re.I)
    total_re = re.compile(_fold_pattern(_TOTAL), re.I)
    for match in _effort_re().finditer(value):
        amount = _range_value(match.group(1), match.group(2))
        if amount is None or amount <= 0 or amount > 2000:
            continue
        unit = match.group("unit")
        if re.fullmatch(_fold_pattern(_MINUTE_UNITS), unit, re.I):
            amount = amount / 60
        rest = match.group("rest")
        amount = round(amount, 2)
        if per_week_re.match(rest):
            return Effort(hours_per_week=amount)
        if per_day_re.match(rest):
            return Effort(hours_per_week=round(amount * 7, 2))
        if total_re.search(rest) or total_re.search(value[: match.start()]):
            return Effort(total_hours=amount)
        # "hours/week" written before the number ("Weekly effort: 3 hours") counts as per week
        if re.search(_fold_pattern(_PER_WEEK), value[: match.start()], re.I):
            return Effort(hours_per_week=amount)
        return Effort(total_hours=amount)
    return Effort()


@cache
def _fold_pattern(pattern: str) -> str:
    """Accent-fold a regex of words so it matches folded text."""
    return _fold(pattern)


@lru_cache(maxsize=1)
def _effort_re() -> re.Pattern[str]:
    return re.compile(
        _RANGE
        + r"\s*(?:\+\s*)?(?P<unit>"
        + _fold_pattern(_HOUR_UNITS)
        + r"|"
        + _fold_pattern(_MINUTE_UNITS)
        + r")(?![a-z])\.?\s*(?P<rest>.{0,40})",
        re.I | re.S,
    )


_WEEK_UNITS = (
    r"weeks?|wks?|semaines?|semanas?|wochen?|settimane|settimana|weken|week|tygodni[ea]?|tydzień|"
    r"týdn[yů]|týden|veckor|vecka|uger?|uker?|viikkoa?|hét|hetes|săptămâni|săptămână|εβδομάδες|εβδομάδα|"
    r"седмици|седмица|недел[ьяи]|tjedn[ai]|tjedan|tedn[aiov]|nädalat?|nedēļ[ašu]s?|savait[ėeė]s?|setmanes|setmana"
)
_MONTH_UNITS = (
    r"months?|mois|mes(?:es)?|monate?n?|mesi|mese|maand(?:en)?|miesiąc[ey]?|miesięcy|měsíc[eů]?|"
    r"månad(?:er)?|måned(?:er)?|kuukautta|kuukausi|hónap|luni|lună|μήνες|μήνας|месец[аи]?|месяц[аев]*|mjesec[ai]?|mesec[ai]?"
)
_DAY_UNITS = (
    r"days?|jours?|días?|dias?|tage?n?|giorni|giorno|dagen|dag|dni|dzień|dn[iy]|den|dagar|dage|päivää?|nap|"
    r"zile|zi|ημέρες|дни|дня|дней|dana"
)
_YEAR_UNITS = r"years?|ans?|années?|años?|jahre?n?|anni|anno|jaar|jaren|lat|rok|roky|let|år|vuotta|vuosi|év|ani|an"


@lru_cache(maxsize=1)
def _duration_re() -> re.Pattern[str]:
    units = "|".join(
        f"(?P<{name}>{_fold_pattern(pattern)})"
        for name, pattern in (("w", _WEEK_UNITS), ("m", _MONTH_UNITS), ("d", _DAY_UNITS), ("y", _YEAR_UNITS))
    )
    return re.compile(_RANGE + r"\s*(?:" + units + r")(?![a-z])", re.I)


_ISO_DURATION = re.compile(
    r"^P(?:(?P<y>[0-9]+(?:[.,][0-9]+)?)Y)?(?:(?P<m>[0-9]+(?:[.,][0-9]+)?)M)?(?:(?P<w>[0-9]+(?:[.,][0-9]+)?)W)?"
    r"(?:(?P<d>[0-9]+(?:[.,][0-9]+)?)D)?(?:T(?:(?P<h>[0-9]+(?:[.,][0-9]+)?)H)?(?:(?P<mi>[0-9]+(?:[.,][0-9]+)?)M)?"
    r"(?:(?P<s>[0-9]+(?:[.,][0-9]+)?)S)?)?$",
    re.I,
)


def iso_duration_weeks(value: str | None) -> float | None:
    """ISO 8601 duration → weeks: "P7W" → 7, "P2M" → 8.69, "P10D" → 1.43. A duration in hours,
    minutes or seconds only ("PT10H") is an effort, not a course length: ``None``."""
    if not value or not isinstance(value, str):
        return None
    match = _ISO_DURATION.match(value.strip())
    if not match or value.strip().upper() in ("P", "PT"):
        return None
    parts = {k: _number(v) for k, v in match.groupdict().items() if v}
    if not any(k in parts for k in ("y", "m", "w", "d")):
        return None
    weeks = parts.get("y", 0) * YEAR_WEEKS + parts.get("m", 0) * MONTH_WEEKS + parts.get("w", 0) + parts.get("d", 0) / 7
    return round(weeks, 2) if weeks > 0 else None


def parse_duration_weeks(text: str | None, lang: str | None = None) -> float | None:
    """Course length → weeks: "7 weeks long" → 7, "4 semanas" → 4, "3 months" → 13.04,
    "10 days" → 1.43, "8 Wochen" → 8, "P7W" → 7. Ranges give their midpoint. Hours only → None."""
    if not text or not isinstance(text, str):
        return None
    iso = iso_duration_weeks(text)
    if iso is not None:
        return iso
    value = _fold(clean_text(text) or "").replace("\u2013", "-").replace("\u2014", "-")
    for match in _duration_re().finditer(value):
        amount = _range_value(match.group(1), match.group(2))
        if amount is None or amount <= 0:
            continue
        if match.group("w"):
            weeks = amount
        elif match.group("m"):
            weeks = amount * MONTH_WEEKS
        elif match.group("d"):
            weeks = amount / 7
        else:
            weeks = amount * YEAR_WEEKS
        if weeks > 520:
            continue
        return round(weeks, 2)
    return None


# --------------------------------------------------------------------------------------------
# price and certificate
# --------------------------------------------------------------------------------------------


@dataclass
class Price:
    """What a course and its certificate cost. ``price`` 0 means free to follow."""

    price: Decimal | None = None
    currency: str | None = None
    free_audit: bool | None = None
    certificate_type: str | None = None  # one of models.CERTIFICATE_TYPES
    certificate_price: Decimal | None = None


_CURRENCY_SYMBOLS = {
    "$": "USD", "us$": "USD", "usd": "USD", "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR",
    "£": "GBP", "gbp": "GBP", "¥": "JPY", "₹": "INR", "inr": "INR", "chf": "CHF", "zł": "PLN", "zl": "PLN",
    "pln": "PLN", "kč": "CZK", "kc": "CZK", "czk": "CZK", "sek": "SEK", "dkk": "DKK", "nok": "NOK", "huf": "HUF",
    "ft": "HUF", "ron": "RON", "lei": "RON", "bgn": "BGN", "лв": "BGN", "cad": "CAD", "aud": "AUD",
    "a$": "AUD", "c$": "CAD", "₺": "TRY", "try": "TRY", "₽": "RUB", "rub": "RUB", "jpy": "JPY", "cny": "CNY",
}  # fmt: skip
_CURRENCY_TOKEN = (
    r"(?:us\$|a\$|c\$|[$€£¥₹₺₽]|"
    r"\b(?:usd|eur|euros?|gbp|inr|chf|pln|zł|zl|kc|czk|sek|dkk|nok|huf|ft|ron|lei|bgn|лв|cad|aud|try|rub|jpy|cny)\b)"
)
_AMOUNT = r"([0-9]{1,3}(?:[ .,\u00a0\u202f][0-9]{3})+(?:[.,][0-9]{1,2})?|[0-9]+(?:[.,][0-9]{1,2})?)"
_MONEY = re.compile(
    r"(?P<c1>" + _CURRENCY_TOKEN + r")\s*" + _AMOUNT + r"(?:\s*(?P<c2>" + _CURRENCY_TOKEN + r"))?"
    r"|" + _AMOUNT + r"\s*(?P<c3>" + _CURRENCY_TOKEN + r")",
    re.I,
)
_FREE_WORDS = (
    r"\b(?:free|gratuit[e]?|gratis|gratuito|gratuita|kostenlos|kostenfrei|ingyenes|darmowy|bezpłatny|"
    r"zdarma|ilmainen|gratuiti|δωρεαν|безплатно|besplatno|brezplacno|tasuta|bezmaksas|nemokamas)\b"
)


_CERTIFICATE_WORDS = r"certifica|zertifikat|certyfikat|certifikat|sertifi|attestation|diploma|badge|achievement"


def _to_decimal(amount: str) -> Decimal | None:
    raw = amount.replace("\u00a0", " ").replace("\u202f", " ").strip()
    if re.fullmatch(r"[0-9]{1,3}(?:[ ][0-9]{3})+(?:[.,][0-9]{1,2})?", raw):
        raw = raw.replace(" ", "")
    if "," in raw and "." in raw:
        if raw.rfind(",") > raw.rfind("."):
            raw = raw.replace(".", "").replace(",", ".")
        else:
            raw = raw.replace(",", "")
    elif "," in raw:
        tail = raw.rpartition(",")[2]
        raw = raw.replace(",", "") if len(tail) == 3 else raw.replace(",", ".")
    elif raw.count(".") > 1 or re.fullmatch(r"[0-9]{1,3}\.[0-9]{3}", raw):
        raw = raw.replace(".", "")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    return value.quantize(Decimal("0.01")) if value >= 0 else None


def _certificate_type(text: str) -> str | None:
    if re.search(
        r"\bno certificate\b|\bwithout (?:a )?certificate\b|sans certificat|sin certificado|kein zertifikat", text
    ):
        return "none"
    if re.search(r"professional certificate|certificat professionnel|certificado profesional", text):
        return "professional"
    if re.search(r"verified|verifie|verificado|verifiziert|verificato|identity verified|certificat verifie", text):
        return "verified"
    if re.search(r"record of achievement|leistungsnachweis|qualified certificate", text):
        return "record_of_achievement"
    if re.search(r"participation|attestation de suivi|teilnahme|partecipazione|certificado de participacion", text):
        return "participation"
    return None


def parse_price(text: str | None) -> Price:
    """Price text → :class:`Price`.

    "FREE-Add a Verified Certificate for $49 USD" → price 0 USD, free audit, verified
    certificate for 49; "$59 Certificate Available" → paid certificate for 59 USD; "49 €" →
    49 EUR; "Free Online Course (Audit)" → price 0, free audit; "Paid Course" → not free;
    "Free Certificate" → certificate type "free" (course price unknown).
    """
    result = Price()
    if not text or not isinstance(text, str):
        return result
    value = (clean_text(text) or "").casefold()
    if not value:
        return result
    folded = _fold(value)
    money = list(_MONEY.finditer(folded))  # positions in ``folded``, like the context checks
    mentions_certificate = re.search(_CERTIFICATE_WORDS, folded)

    certificate_type = _certificate_type(folded)
    # A price that belongs to the certificate: "certificate for $49", "$59 certificate".
    cert_amount: tuple[Decimal, str] | None = None
    course_amount: tuple[Decimal, str] | None = None
    for match in money:
        amount_text = match.group(2) if match.group(2) else match.group(4)
        currency_token = (match.group("c1") or match.group("c2") or match.group("c3") or "").casefold()
        if match.group("c2"):
            currency_token = match.group("c2").casefold()
        amount = _to_decimal(amount_text)
        if amount is None:
            continue
        currency = _CURRENCY_SYMBOLS.get(currency_token.strip(), None)
        around = folded[max(0, match.start() - 30) : match.end() + 30]
        if mentions_certificate and re.search(_CERTIFICATE_WORDS, around):
            cert_amount = cert_amount or (amount, currency)
        else:
            course_amount = course_amount or (amount, currency)

    free = re.search(_FREE_WORDS, folded) is not None
    free_cert = re.search(
        r"(?:free|gratuit|gratis|kostenlos|gratuito)\s+(?:verified\s+)?(?:certifica|zertifikat|attestation)|"
        r"(?:certifica\w*|zertifikat|attestation)\s+(?:\w+\s+)?(?:free|gratuit\w*|gratis|kostenlos)",
        folded,
    )
    paid_word = re.search(r"\b(?:paid|payant|de pago|pago|kostenpflichtig|pagamento|betaald)\b", folded)

    if course_amount:
        result.price, result.currency = course_amount
        if result.price == 0:
            result.free_audit = True
    if cert_amount:
        result.certificate_price, cert_currency = cert_amount
        result.currency = result.currency or cert_currency
        if certificate_type is None:
            certificate_type = "paid" if cert_amount[0] > 0 else "free"
    elif mentions_certificate:
        if free_cert:
            certificate_type = certificate_type or "free"
            result.certificate_price = Decimal("0.00")
        elif paid_word and re.search(r"paid\s+certifica|certifica\w*\s+(?:de\s+)?pago|payant", folded):
            certificate_type = certificate_type or "paid"

    # Is the course itself free to follow?
    course_free_text = re.sub(
        r"(?:free|gratuit\w*|gratis|kostenlos)\s+(?:verified\s+)?(?:certifica\w*|zertifikat|attestation)", " ", folded
    )
    if re.search(_FREE_WORDS, course_free_text) or re.search(r"\baudit\b", folded) and free:
        if result.price is None:
            result.price = Decimal("0.00")
        result.free_audit = True
    elif paid_word and not (mentions_certificate and re.search(r"paid\s+certifica", folded)):
        result.free_audit = False
    if result.price is not None and result.price == 0 and result.currency is None and cert_amount:
        result.currency = cert_amount[1]
    result.certificate_type = certificate_type
    return result


# --------------------------------------------------------------------------------------------
# dates
# --------------------------------------------------------------------------------------------

_MONTH_FIRST_LOCALES = {"en_us", "en-us", "us", "en_ph", "en-ph"}


@lru_cache(maxsize=1)
def _month_tables() -> dict[str, dict[str, int]]:
    """Per display language: folded month name or abbreviation → month number."""
    from babel.core import Locale, UnknownLocaleError

    tables: dict[str, dict[str, int]] = {}
    for code in DISPLAY_LANGUAGES:
        try:
            locale = Locale.parse(code)
        except (UnknownLocaleError, ValueError):
            continue
        table: dict[str, int] = {}
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for number, name in locale.months[context][width].items():
                    key = _fold(name).strip(". ")
                    if key and not key.isdigit():
                        table.setdefault(key, int(number))
        tables[code] = table
    tables["en"].update({"sept": 9, "june": 6, "july": 7})
    _release_babel_cache()
    return tables


def _month_number(word: str, lang: str | None) -> int | None:
    tables = _month_tables()
    key = _fold(word).strip(". ")
    if len(key) < 3:
        return None
    order = []
    if lang:
        order.append(re.split(r"[-_]", lang)[0].lower())
    order += ["en", "fr", "es", "de", "it", "pt", "nl", "pl"] + list(DISPLAY_LANGUAGES)
    for code in order:
        table = tables.get(code)
        if table and key in table:
            return table[key]
    return None


def _safe_date(year: int, month: int, day: int) -> date | None:
    if not 1900 <= year <= 2100:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_date(text: str | None, lang: str | None = None) -> date | None:
    """A date in any common shape → ``date``; ``None`` when there is none ("Self Paced", "TBA").

    ISO dates and datetimes, "13th Jan, 2020", "Jan 13, 2020", "13 janvier 2020",
    "13 de enero de 2020", "13. Januar 2020", "13/01/2020" (day first unless ``lang`` is a
    month-first locale such as "en_US", or the first number cannot be a month), "January 2020"
    (the first of the month).
    """
    if text is None:
        return None
    if isinstance(text, datetime):
        return text.date()
    if isinstance(text, date):
        return text
    if not isinstance(text, str):
        return None
    value = (clean_text(text) or "").strip()
    if not value or len(value) > 200:
        return None
    iso = re.match(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:$|[T ][0-9])", value)
    if iso:
        return _safe_date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
    iso_compact = re.fullmatch(r"([0-9]{4})([0-9]{2})([0-9]{2})", value)
    if iso_compact:
        return _safe_date(*(int(g) for g in iso_compact.groups()))
    ymd = re.search(r"\b([0-9]{4})[/.]([0-9]{1,2})[/.]([0-9]{1,2})\b", value)
    if ymd:
        return _safe_date(int(ymd.group(1)), int(ymd.group(2)), int(ymd.group(3)))
    numeric = re.search(r"\b([0-9]{1,2})[/.\-]([0-9]{1,2})[/.\-]([0-9]{4}|[0-9]{2})\b", value)
    if numeric:
        first, second, year = int(numeric.group(1)), int(numeric.group(2)), int(numeric.group(3))
        if year < 100:
            year += 2000
        month_first = (lang or "").lower() in _MONTH_FIRST_LOCALES
        if month_first and first <= 12:
            first, second = second, first
        elif first <= 12 < second:
            first, second = second, first
        return _safe_date(year, second, first)
    # Words: find a month name, a four-digit year and a day number.
    tokens = re.findall(r"[0-9]+|[^\W\d_]+\.?", value)
    month = year = day = None
    for token in tokens:
        if token[0] in "0123456789":
            number = int(token)
            if len(token) == 4 and 1900 <= number <= 2100 and year is None:
                year = number
            elif 1 <= number <= 31 and day is None and len(token) <= 2:
                day = number
        elif month is None:
            month = _month_number(token, lang)
    if month is None or year is None:
        return None
    return _safe_date(year, month, day or 1)


# --------------------------------------------------------------------------------------------
# pace and subject
# --------------------------------------------------------------------------------------------


def pace_code(text: str | None) -> str | None:
    """ "Self Paced", "Self-paced on your time", "à votre rythme" → "self_paced";
    "Instructor-led on a course schedule", "scheduled", "Upcoming" → "scheduled"."""
    if not text or not isinstance(text, str):
        return None
    value = _fold(text)
    if re.search(
        r"self[\s_-]*paced|self[\s_-]*study|on[\s-]demand|a (?:votre|son) rythme|autoformation|"
        r"a tu ritmo|a tu propio ritmo|al tuo ritmo|im eigenen tempo|selbstlern|in je eigen tempo|always open|"
        r"any ?time|self[\s-]directed",
        value,
    ):
        return "self_paced"
    if re.search(
        r"instructor[\s-]*led|scheduled|schedule|tutored|cohort|session|upcoming|in progress|finished|"
        r"avec tuteur|encadre|tutorizado|con tutor|betreut|begleitet",
        value,
    ):
        return "scheduled"
    return None


# ISCED-F 2013 broad/narrow/detailed fields used when a source names a subject.
ISCED_F_LABELS = {
    "0011": "Basic programmes and qualifications",
    "0031": "Personal skills and development",
    "0110": "Education not further defined",
    "0111": "Education science",
    "0113": "Teacher training without subject specialisation",
    "0114": "Teacher training with subject specialisation",
    "0210": "Arts not further defined",
    "0211": "Audio-visual techniques and media production",
    "0212": "Fashion, interior and industrial design",
    "0213": "Fine arts",
    "0215": "Music and performing arts",
    "0220": "Humanities (except languages) not further defined",
    "0221": "Religion and theology",
    "0222": "History and archaeology",
    "0223": "Philosophy and ethics",
    "0230": "Languages not further defined",
    "0231": "Language acquisition",
    "0232": "Literature and linguistics",
    "0310": "Social and behavioural sciences not further defined",
    "0311": "Economics",
    "0312": "Political sciences and civics",
    "0313": "Psychology",
    "0314": "Sociology and cultural studies",
    "0321": "Journalism and reporting",
    "0410": "Business and administration not further defined",
    "0412": "Finance, banking and insurance",
    "0413": "Management and administration",
    "0421": "Law",
    "0500": "Natural sciences, mathematics and statistics not further defined",
    "0511": "Biology",
    "0521": "Environmental sciences",
    "0531": "Chemistry",
    "0533": "Physics",
    "0540": "Mathematics and statistics not further defined",
    "0541": "Mathematics",
    "0542": "Statistics",
    "0610": "Information and Communication Technologies not further defined",
    "0613": "Software and applications development and analysis",
    "0710": "Engineering and engineering trades not further defined",
    "0714": "Electronics and automation",
    "0731": "Architecture and town planning",
    "0732": "Building and civil engineering",
    "0912": "Medicine",
    "0910": "Health not further defined",
    "1014": "Sports",
    "1022": "Occupational health and safety",
}

# Subject names used by Class Central, edX and similar catalogues → ISCED-F 2013 code.
# Only mappings that are clear; anything else stays unmapped (None).
_SUBJECT_CODES = {
    "art & design": "0210", "art and design": "0210", "art-and-design": "0210", "design & creativity": "0210",
    "art & culture": "0210", "arts": "0210", "visual arts": "0213", "fine arts": "0213", "music": "0215",
    "music theory": "0215", "piano": "0215", "performing arts": "0215", "digital media": "0211",
    "photography": "0211", "fashion": "0212", "design": "0212", "architecture": "0731", "urban planning": "0731",
    "education": "0110", "education & teaching": "0110", "education & teacher training": "0110",
    "teacher development": "0113", "teacher training": "0113", "course development": "0111",
    "online education": "0111", "higher education": "0111", "k12": "0110",
    "mathematics": "0541", "maths": "0541", "math": "0541", "calculus": "0541", "algebra & geometry": "0541",
    "foundations of mathematics": "0541", "statistics & probability": "0542", "statistics": "0542",
    "data analysis & statistics": "0542", "data analysis": "0542",
    "computer science": "0613", "programming": "0613", "python": "0613", "r programming": "0613",
    "web development": "0613", "algorithms and data structures": "0613", "programming languages": "0613",
    "business & management": "0413", "business": "0410", "management & leadership": "0413",
    "strategic management": "0413", "project management": "0413", "economics & finance": "0311",
    "economics": "0311", "finance": "0412", "law": "0421", "humanities": "0220", "history": "0222",
    "philosophy & ethics": "0223", "ethics": "0223", "religion": "0221", "language": "0230",
    "foreign language": "0231", "esl": "0231", "literature": "0232", "grammar & writing": "0232",
    "social sciences": "0310", "psychology": "0313", "sociology": "0314", "political science": "0312",
    "journalism": "0321", "biology": "0511", "biology & life sciences": "0511", "environmental science": "0521",
    "environmental studies": "0521", "chemistry": "0531", "physics": "0533", "science": "0500",
    "engineering": "0710", "civil engineering": "0732", "electronics": "0714", "medicine": "0912",
    "health care": "0910", "public health": "0910", "health & safety": "1022", "sports": "1014",
    "career development": "0031", "communication skills": "0031",
}  # fmt: skip


def subject_code(name: str | None) -> str | None:
    """A catalogue's subject name → ISCED-F 2013 code where the mapping is clear
    ("Mathematics" → "0541", "Visual Arts" → "0213"); an ISCED-F code passes through."""
    if not name or not isinstance(name, str):
        return None
    value = name.strip()
    if re.fullmatch(r"[0-9]{2,4}", value):
        return value
    return _SUBJECT_CODES.get(value.casefold())
