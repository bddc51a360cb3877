"""German and Dutch compounds split into their parts, with a dictionary built from ESCO's labels.

"Projektmanagement" is one word to a stemmer, so it finds only courses that use that very word;
its parts ("projekt", "management") find what a learner means. The dictionary is the folded words
of the ESCO labels in that language (every concept type), plus the *modifiers* those words show:
the first part of a label word whose rest is itself a label word ("projekt" from
"projektleiter" = "projekt" + "leiter", and "projektmanager"), kept when two or more label words
show it. A query word splits, greedily from the longest head, into a known modifier or word, an
optional linking element (de: s, es, n, en; nl: s, e, en) and a head that is a known word or splits
again; a word that is itself a label word more often than its parts are is kept whole
(Koehn & Knight 2003: geometric mean of the parts' frequencies).

The dictionary is built once per process and database (ESCO's labels change only with an import).
"""

from __future__ import annotations

import math
from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from emclm.search.state import state_for
from emclm.taxonomy.models import Label

COMPOUND_LANGS = ("de", "nl")
LINKERS = {"de": ("", "s", "es", "n", "en"), "nl": ("", "s", "e", "en")}
MIN_WORD = 8  # letters of a query word worth splitting
MIN_PART = 4  # letters of a head; modifiers have at least 3
MAX_PARTS = 3


def _lexicon(session: Session, lang: str) -> tuple[Counter, Counter]:
    """(word → occurrences in the language's ESCO labels, modifier → label words that show it)."""
    st = state_for(session)
    hit = st.lexicons.get(lang)
    if hit is not None:
        return hit
    words: Counter = Counter()
    for (norm,) in session.execute(select(Label.norm).where(Label.lang == lang)):
        words.update(w for w in (norm or "").split() if w.isalpha() and len(w) >= 3)
    modifiers: Counter = Counter()
    for w in words:
        if len(w) < MIN_PART + 3:
            continue
        for i in range(3, len(w) - MIN_PART + 1):
            if words.get(w[i:], 0) > 0:
                modifiers[w[:i]] += 1
    modifiers = Counter({m: n for m, n in modifiers.items() if n >= 2})
    st.lexicons[lang] = (words, modifiers)
    return words, modifiers


def _split(word: str, lang: str, words: Counter, modifiers: Counter, depth: int = 1) -> list[str] | None:
    """The parts of ``word`` (≥ 2), or None."""
    best: tuple[float, list[str]] | None = None
    for i in range(len(word) - MIN_PART, 2, -1):  # longest head first
        head = word[i:]
        for link in LINKERS.get(lang, ("",)):
            if link and not word[:i].endswith(link):
                continue
            mod = word[: i - len(link)] if link else word[:i]
            if len(mod) < 3:
                continue
            freq_mod = words.get(mod, 0) + modifiers.get(mod, 0)
            if not freq_mod:
                continue
            if words.get(head, 0):
                parts, freq_head = [head], words[head]
            elif depth < MAX_PARTS - 1 and len(head) >= MIN_WORD:
                sub = _split(head, lang, words, modifiers, depth + 1)
                if sub is None:
                    continue
                parts, freq_head = sub, min(words.get(p, 0) + modifiers.get(p, 0) for p in sub)
            else:
                continue
            score = math.sqrt(freq_mod * freq_head)
            if best is None or score > best[0]:
                best = (score, [mod, *parts])
    if best is None or words.get(word, 0) >= best[0]:
        return None
    return best[1]


def split_compounds(session: Session, toks: list[str], langs: list[str]) -> dict[str, list[str]]:
    """Folded query words → their parts, for the detected languages that form closed compounds."""
    out: dict[str, list[str]] = {}
    for lang in langs:
        if lang not in COMPOUND_LANGS:
            continue
        words, modifiers = _lexicon(session, lang)
        for t in toks:
            if t in out or len(t) < MIN_WORD or not t.isalpha():
                continue
            parts = _split(t, lang, words, modifiers)
            if parts:
                out[t] = parts
    return out
