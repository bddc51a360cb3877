"""Text handling for skill extraction: input checks, normalisation, tokens with offsets, stemming,
a small language guesser and sentence/clause splitting.

Everything here is pure Python + PyStemmer; it is shared by the lexical matcher (labels and input
text go through exactly the same ``normalise`` → ``tokens`` → ``stem`` pipeline) and the ranker.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

MAX_TEXT_BYTES = 1_000_000  # larger inputs are rejected with SkillInputError

STEMMER_NAMES = {
    "en": "english",
    "fr": "french",
    "es": "spanish",
    "de": "german",
    "it": "italian",
    "nl": "dutch",
    "pl": "polish",
    "pt": "portuguese",
    "sv": "swedish",
    "fi": "finnish",
}


class SkillInputError(ValueError):
    """The text cannot be analysed (empty, too large, binary); the message says why."""


def check_text(text: object, *, field: str = "text", max_bytes: int = MAX_TEXT_BYTES) -> str:
    """Return ``text`` as a clean ``str`` or raise ``SkillInputError`` naming the field."""
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SkillInputError(f"{field}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if not isinstance(text, str):
        raise SkillInputError(f"{field}: expected a string, got {type(text).__name__}")
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise SkillInputError(f"{field}: {size} bytes exceeds the {max_bytes}-byte limit")
    if "\x00" in text:
        raise SkillInputError(f"{field}: contains NUL bytes (binary data?)")
    if text:
        control = sum(1 for ch in text if unicodedata.category(ch) in ("Cc", "Cs", "Co") and ch not in "\t\n\r\f")
        if control / len(text) > 0.05:
            raise SkillInputError(f"{field}: {control} control characters (binary data?)")
    if not text.strip():
        raise SkillInputError(f"{field}: empty text")
    return text


_SPECIAL_FOLD = {"ł": "l", "ø": "o", "đ": "d", "æ": "æ", "œ": "œ"}


@lru_cache(maxsize=65536)
def _fold_char(ch: str) -> str:
    if ch in _SPECIAL_FOLD:
        return _SPECIAL_FOLD[ch]
    base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
    return base if len(base) == 1 else ch


def fold(text: str) -> str:
    """Lower-case and strip accents (``Gestión`` → ``gestion``); one output char per input char."""
    lowered = text.lower()
    if len(lowered) != len(text):  # e.g. "İ" lower-cases to two code points: keep offsets stable
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    if lowered.isascii():
        return lowered
    return "".join(_fold_char(c) for c in lowered)


_TOKEN = re.compile(r"[^\W_]+(?:[+#]+|(?:[.'’-][^\W_]+)*(?:[+#]+)?)", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Token:
    text: str  # folded surface form
    start: int
    end: int


def tokens(text: str) -> list[Token]:
    """Word tokens with character offsets into ``text``; keeps ``C++``, ``C#``, ``node.js``, ``e-mail``."""
    folded = fold(text)
    return [Token(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(folded)]


@lru_cache(maxsize=16)
def _stemmer(lang: str):
    name = STEMMER_NAMES.get(lang)
    return Stemmer.Stemmer(name) if name else None


def stem_words(words: list[str], lang: str) -> list[str]:
    stemmer = _stemmer(lang)
    if stemmer is None:
        return list(words)
    return stemmer.stemWords(words)


def stem_key(text: str, lang: str) -> str:
    """The matching key of a label: folded, tokenised, stemmed, space-joined."""
    return " ".join(stem_words([t.text for t in tokens(text)], lang))


# --- language guess -------------------------------------------------------------------------

_STOPWORDS = {
    "en": "the and of to in for with on is are you we our will be as an or this that your have from at by",
    "fr": "le la les des et de du un une pour avec dans est sont vous nous sur en au aux par ce cette qui",
    "es": "el la los las de del y en para con por un una es son que se su sus al como este esta lo",
    "de": "der die das und mit für von zu ist sind den dem ein eine im auf wir sie nicht auch bei oder",
    "it": "il lo la gli le di e per con un una che sono del della nel nella al è dei delle come",
    "nl": "de het een en van voor met in op is zijn wij je niet ook te bij door aan dat deze",
    "pl": "i w z na do się jest są dla nie że o od po jak oraz przez to ich lub przy",
    "pt": "o a os as de do da e em para com um uma é são que no na por dos das ao",
}
_STOP = {lang: set(words.split()) for lang, words in _STOPWORDS.items()}
_LANG_CHARS = {"pl": set("ąćęłńśźż"), "de": set("äöüß"), "es": set("ñ¿¡"), "pt": set("ãõ"), "fr": set("èêàùûœç")}


def guess_language(text: str, default: str = "en") -> str:
    """A cheap stop-word vote over the eight supported languages (good enough to pick a stemmer)."""
    words = re.findall(r"[^\W\d_]+", text[:20000].lower())
    if not words:
        return default
    scores = {lang: 0.0 for lang in _STOP}
    for w in words:
        for lang, stop in _STOP.items():
            if w in stop:
                scores[lang] += 1.0
    chars = set(text[:20000].lower())
    for lang, special in _LANG_CHARS.items():
        scores[lang] += 0.5 * len(chars & special)
    best = max(scores, key=lambda k: scores[k])
    return best if scores[best] >= 1.0 else default


# --- sentences and clauses ------------------------------------------------------------------

_SENT_END = re.compile(r"(?<=[.!?;:])\s+|\n+|\s*[•▪◦·]\s*|\s+-\s+(?=[A-ZÀ-Ý])")
_CLAUSE = re.compile(r"\s*(?:,|;|\(|\)|/|\band\b|\bor\b|\bet\b|\bou\b|\by\b|\bo\b|\bund\b|\boder\b)\s*", re.I)


def sentences(text: str, max_sentences: int = 400) -> list[tuple[int, int]]:
    """(start, end) spans of sentences/bullet items, at most ``max_sentences`` (the rest is merged)."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _SENT_END.finditer(text):
        if m.start() > pos:
            spans.append((pos, m.start()))
        pos = m.end()
    if pos < len(text):
        spans.append((pos, len(text)))
    spans = [(a, b) for a, b in spans if text[a:b].strip()]
    if len(spans) > max_sentences:
        spans = spans[: max_sentences - 1] + [(spans[max_sentences - 1][0], spans[-1][1])]
    return spans


def clauses(text: str, min_words: int = 2, max_clauses: int = 8) -> list[tuple[int, int]]:
    """(start, end) spans of comma/conjunction-separated parts with at least ``min_words`` words."""
    spans = []
    pos = 0
    for m in _CLAUSE.finditer(text):
        if m.start() > pos:
            spans.append((pos, m.start()))
        pos = max(pos, m.end())
    if pos < len(text):
        spans.append((pos, len(text)))
    spans = [(a, b) for a, b in spans if len(text[a:b].split()) >= min_words]
    return spans[:max_clauses]
