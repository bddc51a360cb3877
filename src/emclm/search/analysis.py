"""Per-language text analysis shared by both search backends.

Text is folded first (lower case, accents stripped: ``emclm.taxonomy.text.fold``), so queries typed
without diacritics match, then stemmed with the language's Snowball stemmer:

- SQLite: always in Python with PyStemmer; FTS5 stores the stemmed tokens.
- PostgreSQL: the language's text search configuration where PostgreSQL has one (english, french,
  spanish, german, italian, dutch, portuguese, …); where it has none but PyStemmer has a stemmer
  (Czech, Estonian, Polish), the text is stemmed in Python and indexed with ``simple``; otherwise
  ``simple`` on folded tokens.

Both engines run the same Snowball algorithms, so a word matches on both or on neither.
"""

from __future__ import annotations

from functools import lru_cache

import Stemmer

from emclm.search.state import PROCESS
from emclm.taxonomy.text import fold

# ISO 639-1 → Snowball algorithm name (PyStemmer and PostgreSQL use the same names).
SNOWBALL = {
    "ar": "arabic",
    "hy": "armenian",
    "eu": "basque",
    "ca": "catalan",
    "cs": "czech",
    "da": "danish",
    "nl": "dutch",
    "en": "english",
    "eo": "esperanto",
    "et": "estonian",
    "fi": "finnish",
    "fr": "french",
    "de": "german",
    "el": "greek",
    "hi": "hindi",
    "hu": "hungarian",
    "id": "indonesian",
    "ga": "irish",
    "it": "italian",
    "lt": "lithuanian",
    "ne": "nepali",
    "no": "norwegian",
    "nb": "norwegian",
    "fa": "persian",
    "pl": "polish",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "es": "spanish",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}
# Text search configurations shipped with PostgreSQL 13–17 (checked again at run time).
PG_CONFIGS = {
    "arabic",
    "armenian",
    "basque",
    "catalan",
    "danish",
    "dutch",
    "english",
    "finnish",
    "french",
    "german",
    "greek",
    "hindi",
    "hungarian",
    "indonesian",
    "irish",
    "italian",
    "lithuanian",
    "nepali",
    "norwegian",
    "portuguese",
    "romanian",
    "russian",
    "serbian",
    "spanish",
    "swedish",
    "tamil",
    "turkish",
    "yiddish",
}

# Small function-word lists (folded) so that natural-language queries ("cours pour devenir …")
# do not match every course; the catalogue's own text keeps them (phrases still work).
STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        "a an and are as at be by for from how in into is it of on or the to with your you "
        "learn learning course courses online introduction intro become becoming want i my "
        "what about".split()
    ),
    "fr": frozenset(
        "a au aux avec ce ces dans de des du en et la le les l d un une pour par sur ou qui que "
        "cours formation mooc devenir apprendre introduction je veux mon ma en ligne est".split()
    ),
    "es": frozenset(
        "a al con de del el en la las los lo un una unos unas para por y o que se su sus "
        "curso cursos aprender introduccion convertirse ser quiero como mi linea es".split()
    ),
    "de": frozenset(
        "der die das den dem des ein eine einen einem und oder in im mit fur von zu zum zur "
        "auf ist kurs kurse werden lernen einfuhrung ich will wie mein online".split()
    ),
    "it": frozenset(
        "a al alla allo ai agli alle con di del della dei degli delle e ed il lo la i gli le "
        "un una uno in per su o che corso corsi diventare imparare introduzione voglio mio".split()
    ),
    "pt": frozenset(
        "a o os as de do da dos das e em no na um uma para por com curso cursos aprender "
        "introducao tornar se ser".split()
    ),
    "nl": frozenset("de het een en in van voor met op te cursus cursussen leren worden inleiding".split()),
}
ANY_STOP = frozenset().union(*STOPWORDS.values())


def base_lang(lang: str | None) -> str | None:
    if not lang:
        return None
    return lang.lower().replace("_", "-").split("-")[0]


def snowball_name(lang: str | None) -> str | None:
    return SNOWBALL.get(base_lang(lang) or "")


def stemmer(lang: str | None) -> Stemmer.Stemmer | None:
    name = snowball_name(lang)
    if name is None or name not in Stemmer.algorithms():
        return None
    return PROCESS.get(("stemmer", name), lambda: Stemmer.Stemmer(name))


def pg_config(lang: str | None) -> tuple[str, bool]:
    """(PostgreSQL configuration, stem in Python first?) for a language."""
    name = snowball_name(lang)
    if name in PG_CONFIGS:
        return name, False
    return "simple", stemmer(lang) is not None


def tokens(text: str | None) -> list[str]:
    return fold(text or "").split()


def stopwords(lang: str | None) -> frozenset[str]:
    return STOPWORDS.get(base_lang(lang) or "", frozenset())


def content_tokens(text: str, lang: str | None) -> list[str]:
    """Folded tokens without the language's function words (all languages' when ``lang`` is unknown)."""
    stop = stopwords(lang) if base_lang(lang) in STOPWORDS else ANY_STOP
    return [t for t in tokens(text) if t not in stop and (len(t) > 1 or t.isdigit())]


def stem_tokens(toks: list[str], lang: str | None) -> list[str]:
    st = stemmer(lang)
    return st.stemWords(toks) if st is not None else list(toks)


@lru_cache(maxsize=50_000)
def stem_word(word: str, lang: str | None) -> str:
    st = stemmer(lang)
    return st.stemWord(word) if st is not None else word


def stem_text(text: str | None, lang: str | None) -> str:
    """Folded, stemmed text: what the SQLite index stores (and PostgreSQL for Python-stemmed languages)."""
    return " ".join(stem_tokens(tokens(text), lang))
