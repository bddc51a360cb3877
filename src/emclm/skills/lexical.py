"""Exact matching of ESCO labels in text: normalised, stemmed, one Aho–Corasick automaton per language.

A label becomes the key `` stem1 stem2 … `` (spaces on both sides so matches fall on token
boundaries). Variants: the label without its parenthesised qualifier (``Python (computer
programming)`` → ``python``) and, for two-word labels, the reversed order (``manage budgets`` also
matches ``budget management``: both stem to ``manag``/``budget``). Each key maps to every skill
that carries it, with the label kind, so ambiguity is visible to the ranker.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

import ahocorasick

from emclm.skills.text import Token, stem_words, tokens

# weight of a label kind (a match on a preferred label is the strongest evidence)
KIND_WEIGHT = {"preferred": 1.0, "alternative": 0.85, "hidden": 0.6, "short": 0.7, "reordered": 0.6, "variant": 0.85}
_PAREN = re.compile(r"\s*\([^)]*\)\s*")
_BREAK = re.compile(r"[,;:.!?()\[\]{}|•/\n]")
_MIN_SINGLE = 3  # a one-token key needs at least this many characters (or a + / #: c++, c#)


@dataclass(frozen=True, slots=True)
class LexicalHit:
    skill: int
    kind: str
    start: int  # character offsets in the analysed text
    end: int
    n_tokens: int
    ambiguity: int  # how many skills share the key


def _key(stems: list[str]) -> str:
    return " " + " ".join(stems) + " "


def _acceptable(stems: list[str], surface: list[Token]) -> bool:
    if not stems:
        return False
    if len(stems) == 1:
        tok = surface[0].text
        return len(tok) >= _MIN_SINGLE or any(c in tok for c in "+#")
    return True


class LabelMatcher:
    def __init__(self) -> None:
        self._automata: dict[str, ahocorasick.Automaton] = {}

    @classmethod
    def build(cls, labels: list[tuple[int, str, str, str]]) -> LabelMatcher:
        by_lang: dict[str, dict[str, dict[int, str]]] = defaultdict(lambda: defaultdict(dict))
        order = {"preferred": 0, "alternative": 1, "variant": 1, "short": 2, "hidden": 3, "reordered": 4}

        def put(lang: str, key: str, skill: int, kind: str) -> None:
            bucket = by_lang[lang][key]
            if skill not in bucket or order[kind] < order[bucket[skill]]:
                bucket[skill] = kind

        for skill, lang, kind, text in labels:
            surface = tokens(text)
            stems = stem_words([t.text for t in surface], lang)
            if _acceptable(stems, surface):
                put(lang, _key(stems), skill, kind)
            if "(" in text:
                short = _PAREN.sub(" ", text).strip()
                s_surface = tokens(short)
                s_stems = stem_words([t.text for t in s_surface], lang)
                if _acceptable(s_stems, s_surface) and s_stems != stems:
                    put(lang, _key(s_stems), skill, "short")
            if len(stems) == 2 and stems[0] != stems[1]:
                put(lang, _key(stems[::-1]), skill, "reordered")
        self = cls()
        for lang, keys in by_lang.items():
            automaton = ahocorasick.Automaton()
            for key, skills in keys.items():
                automaton.add_word(key, (len(key.split()), len(key), tuple(sorted(skills.items()))))
            automaton.make_automaton()
            self._automata[lang] = automaton
        return self

    @property
    def languages(self) -> list[str]:
        return sorted(self._automata)

    def match(self, text: str, lang: str, toks: list[Token] | None = None) -> list[LexicalHit]:
        """Every label occurrence in ``text`` using the ``lang`` automaton and stemmer."""
        automaton = self._automata.get(lang)
        if automaton is None:
            return []
        toks = tokens(text) if toks is None else toks
        if not toks:
            return []
        stems = stem_words([t.text for t in toks], lang)
        starts: dict[int, int] = {}
        parts = [" "]
        pos = 1
        for i, s in enumerate(stems):
            if i and _BREAK.search(text, toks[i - 1].end, toks[i].start):
                parts.append("| ")  # punctuation between tokens: no label spans it
                pos += 2
            starts[pos - 1] = i  # key begins with the space before the token
            parts.append(s)
            parts.append(" ")
            pos += len(s) + 1
        haystack = "".join(parts)
        hits = []
        for end, (n_tok, key_len, skills) in automaton.iter(haystack):
            first = starts.get(end - key_len + 1)
            if first is None:
                continue
            last = first + n_tok - 1
            for skill, kind in skills:
                hits.append(LexicalHit(skill, kind, toks[first].start, toks[last].end, n_tok, len(skills)))
        return hits
