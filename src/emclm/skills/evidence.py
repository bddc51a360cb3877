"""The evidence rule for course tags: a stored tag needs evidence of its own (decision 0017).

Whatever the extractor ranks, a skill is kept as a course tag only when one of its evidence items
passes one of three rules, tried in this order (the first that passes is stored as the item's
``rule``):

1. ``label`` — an ESCO label of the skill found on whole words in the text's language (for
   German, Italian and other languages without shipped labels: an English label). The matched words
   must not all be function words (stop words of the text's language, ``stop-words`` package), and a
   match on a single word must not be a generic word (below) and must be the skill's preferred label
   (or its short form): its own name, not one of its alternative labels. English labels matched inside a
   text in another language must contain a word that is not a function word of THAT language
   ("avec" is the English acronym AVEC, *mobile device management*, and a French preposition).
2. ``embedding-words`` — an embedding match whose span (widened to whole words, so "Récolte et an"
   becomes "Récolte et analyse") holds every content word (stem) of one of the skill's preferred
   labels in the text's language or English, in the label's order, one of them not generic or two
   of them at least (a category keyword "Education & Teaching" is not *teach further education*).
3. ``embedding-e5`` — an embedding match whose whole-word span shares a non-generic word (stem)
   with one of the skill's labels (text language or English; not required in a language without
   ESCO labels), and whose sentence (line, bullet; at most ``SPAN_CHARS``) the multilingual-e5
   model reads as this skill: cosine with the skill's label at least ``E5_MIN`` AND the skill among
   the sentence's ``E5_MAX_RANK`` nearest ESCO skills. Only the ``e5_checks`` best-ranked
   skills of a text that need this check get it (the rule's only costly step). **Off by default**
   (``E5_MAX_CHECKS = 0``): measured on the gold set it admitted mostly wrong tags (e5 reads a
   syllabus line as its nearest skill with cosines of 0.85–0.95 whether it is right or not). The sentence, not the encoder's window, must
   carry the skill's meaning, whatever encoder ranked it (the static encoder scores word pieces:
   "Cadrer son projet" is close to *régler un projecteur* there, "Récolte et an[alyse des
   données]" to *récolter des cultures*).

A *generic* word is a stem found in at least ``GENERIC_MIN_LABELS`` preferred ESCO skill labels of
that language ("principes", "pratique", "bases", "techniques", "gestion", "données", "plan",
"cours" …): derived from the taxonomy the extractor was built from, not listed by hand. Languages
without labels use English's generic words for English words only. Function words come from the
``stop-words`` package (for English: ``data/skills/stopwords-en.txt``, the words that both the
package's list and scikit-learn's have: the package's own holds "research", "computer" …).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from emclm.skills.text import fold, guess_language, sentences, stem_words, tokens

RULE_VERSION = "ev1"  # part of the course tagger version: changing the rule re-tags the courses
GENERIC_MIN_LABELS = 30  # a stem in this many preferred skill labels of a language is generic (~290 a language)
E5_MIN = 0.85  # e5 cosine of a whole-word span with the skill's label (calibrated on the dev split, 0017)
E5_MAX_RANK = 20  # … and the skill among the sentence's nearest skills in e5 (all ESCO skills)
SPAN_CHARS = 240
# ranked skills a text sends to the e5 check, best first; 0 = rule 3 off. Off by default: on the gold
# set's development split it admitted 17 right tags out of 160 (docs/benchmarks/skills.md, "Course tags")
E5_MAX_CHECKS = 0
STOP_LANGS = {
    "en": "english",
    "fr": "french",
    "es": "spanish",
    "de": "german",
    "it": "italian",
    "nl": "dutch",
    "pl": "polish",
    "pt": "portuguese",
}
RULES = ("label", "embedding-words", "embedding-e5")
_PAREN = re.compile(r"\s*\([^)]*\)\s*")


@lru_cache(maxsize=32)
def stop_words(lang: str) -> frozenset[str]:
    """Function words of a language, folded like the text (``stop-words`` package; empty if unknown)."""
    from stop_words import StopWordError, get_stop_words

    name = STOP_LANGS.get(lang)
    if name is None:
        return frozenset()
    try:
        words = get_stop_words(name)
    except StopWordError:
        return frozenset()
    if lang == "en":
        # the package's English list (1,333 words) holds content words ("research", "computer",
        # "information"): English uses the shipped list of the words both it and scikit-learn's have
        words = _english_list()
    out = set()
    for w in words:
        out.update(t.text for t in tokens(w))
    return frozenset(out)


def _english_list() -> list[str]:
    from emclm.config import get_settings

    path = get_settings().data_dir / "skills" / "stopwords-en.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return [w.strip() for w in lines if w.strip() and not w.startswith("#")]


def _in_order(wanted: tuple[str, ...], have: list[str]) -> bool:
    """``wanted`` occurs in ``have`` as a subsequence (a label's words in the label's order)."""
    it = iter(have)
    return all(any(h == w for h in it) for w in wanted)


@dataclass(frozen=True)
class Admission:
    rule: str  # one of RULES
    item: int  # index of the admitting item in the match's evidence
    start: int  # the admitting span in the text (whole words)
    end: int
    check: float | None = None  # e5 similarity for "embedding-e5"
    rank: int | None = None  # skills closer to the span than this one in e5


@dataclass
class Span:
    start: int
    end: int
    text: str
    words: list[str]  # folded tokens
    stems: list[str]
    content: set[str]  # stems of the words that are not function words
    specific: set[str]  # content stems that are not generic


class EvidenceJudge:
    """Applies the evidence rule to ranked matches; built over an extractor's ``SkillIndex``."""

    def __init__(
        self, index, encoder=None, e5_min: float = E5_MIN, max_rank: int = E5_MAX_RANK, e5_checks: int = E5_MAX_CHECKS
    ) -> None:
        self.index = index
        self._encoder = encoder
        self.e5_min = e5_min
        self.max_rank = max_rank
        self.e5_checks = e5_checks
        self._uri_pos = {u: i for i, u in enumerate(index.uris)}
        self._generic: dict[str, frozenset[str]] = {}
        self._label_stems: dict[tuple[int, str], list[frozenset[str]]] = {}
        self._rows: dict[int, tuple[int, int]] | None = None

    @classmethod
    def for_extractor(cls, extractor) -> EvidenceJudge:
        inner = extractor
        while not hasattr(inner, "index") and hasattr(inner, "extractor"):
            inner = inner.extractor
        cache = inner.index.runtime_cache()
        judge = cache.get("evidence_judge")
        if judge is None:
            judge = cache["evidence_judge"] = cls(inner.index)
        return judge

    # --- vocabulary ---------------------------------------------------------------------------

    def label_langs(self) -> set[str]:
        return set(self.index.matcher.languages)

    def generic(self, lang: str) -> frozenset[str]:
        """Stems in at least ``GENERIC_MIN_LABELS`` preferred skill labels of ``lang`` (English's for
        a language without labels)."""
        if lang not in self.label_langs():
            lang = "en"
        out = self._generic.get(lang)
        if out is None:
            stop = stop_words(lang)
            df: dict[str, int] = {}
            for label in self.index.preferred.get(lang) or []:
                if not label:
                    continue
                words = [t.text for t in tokens(label) if t.text not in stop]
                for s in set(stem_words(words, lang)):
                    df[s] = df.get(s, 0) + 1
            out = self._generic[lang] = frozenset(s for s, n in df.items() if n >= GENERIC_MIN_LABELS)
        return out

    def is_generic_word(self, word: str, lang: str) -> bool:
        """A function word or a generic word of ``lang`` (the test's and the docs' question)."""
        w = fold(word)
        if w in stop_words(lang):
            return True
        span = self.span(w, 0, len(w), lang)
        return not span.specific

    def span(self, text: str, start: int, end: int, lang: str) -> Span:
        """The whole-word span around [start, end): a piece of a word is widened to the word."""
        toks = tokens(text)
        inside = [t for t in toks if t.end > start and t.start < end]
        if not inside:
            return Span(start, end, text[start:end], [], [], set(), set())
        a, b = inside[0].start, inside[-1].end
        words = [t.text for t in inside]
        stop = stop_words(lang)
        stem_lang = lang if lang in STOP_LANGS else "en"
        stems = stem_words(words, stem_lang)
        content = {s for w, s in zip(words, stems, strict=True) if w not in stop and len(w) > 1}
        generic = self.generic(lang)
        if lang not in self.label_langs() and lang != "en":
            # no labels in this language: only English words can be judged generic
            en_stems = stem_words(words, "en")
            en_generic = self.generic("en")
            specific = {
                s
                for w, s, e in zip(words, stems, en_stems, strict=True)
                if w not in stop and len(w) > 1 and e not in en_generic
            }
        else:
            specific = content - generic
        return Span(a, b, text[a:b], words, stems, content, specific)

    def sentence(self, text: str, sp: Span, lang: str) -> Span:
        """The sentence (line, bullet) holding the span, cut to ``SPAN_CHARS`` around it: what the e5
        check reads, so that a two-word window ("Récolte et an…") is judged in its context."""
        for a, b in sentences(text):
            if a <= sp.start < b:
                if b - a > SPAN_CHARS:
                    a = max(a, min(sp.start, sp.end - SPAN_CHARS // 2) - SPAN_CHARS // 2)
                    b = min(b, a + SPAN_CHARS)
                return self.span(text, a, b, lang)
        return sp

    def label_stems(self, skill: int, lang: str) -> list[tuple[frozenset[str], str, tuple[str, ...]]]:
        """Content stems of the skill's preferred labels in ``lang`` and English: (set, language, in order)."""
        key = (skill, lang)
        out = self._label_stems.get(key)
        if out is None:
            out = []
            for lg in dict.fromkeys((lang, "en")):
                label = (self.index.preferred.get(lg) or [None] * (skill + 1))[skill]
                if not label:
                    continue
                stop = stop_words(lg)
                words = [t.text for t in tokens(label) if t.text not in stop and len(t.text) > 1]
                order = stem_words(words, lg)
                if order:
                    out.append((frozenset(order), lg, tuple(order)))
            self._label_stems[key] = out
        return out

    # --- the rule -----------------------------------------------------------------------------

    def admit(self, text: str, lang: str | None, matches: list) -> list[tuple[object, Admission]]:
        return self.admit_batch([text], [lang], [matches])[0]

    def admit_batch(
        self, texts: list[str], langs: list[str | None], ranked: list[list]
    ) -> list[list[tuple[object, Admission]]]:
        """Per text, the matches that pass the rule (in their order), each with what admitted it."""
        results: list[list] = []
        pending: list[tuple[int, int, int, Span, Span]] = []  # (text n, match j, item i, span, sentence)
        decided: list[dict[int, Admission]] = []
        for n, (text, matches) in enumerate(zip(texts, ranked, strict=True)):
            lang = self._lang(text, langs[n])
            hits_native = hits_en = None
            done: dict[int, Admission] = {}
            checks = 0
            for j, m in enumerate(matches):
                skill = self._uri_pos.get(m.uri)
                if skill is None:
                    continue
                found = None
                queued = False
                for i, ev in enumerate(m.evidence):
                    if ev.method != "label":
                        continue
                    if hits_native is None:
                        hits_native = self._hits(text, lang)
                        hits_en = self._hits(text, "en") if lang != "en" else hits_native
                    sp = self.span(text, ev.start, ev.end, lang)
                    where = (skill, ev.start, ev.end)
                    own = len(sp.words) == 1 and self._own_name(skill, sp, lang)
                    if self._label_ok(sp, lang, hits_native.get(where), hits_en.get(where), own):
                        found = Admission("label", i, sp.start, sp.end)
                        break
                if found is None:
                    for i, ev in enumerate(m.evidence):
                        if ev.method != "embedding":
                            continue
                        sp = self.span(text, ev.start, ev.end, lang)
                        if self._words_ok(sp, skill, lang):
                            found = Admission("embedding-words", i, sp.start, sp.end)
                            break
                        if checks < self.e5_checks and sp.specific and self._shares_word(sp, skill, lang):
                            pending.append((n, j, i, sp, self.sentence(text, sp, lang)))
                            queued = True
                if found is not None:
                    done[j] = found
                elif queued:
                    checks += 1
            decided.append(done)
        if pending:
            self._check_e5(texts, langs, ranked, pending, decided)
        for n, matches in enumerate(ranked):
            results.append([(m, decided[n][j]) for j, m in enumerate(matches) if j in decided[n]])
        return results

    def _lang(self, text: str, lang: str | None) -> str:
        from emclm.skills.extractor import SUPPORTED_LANGS

        return lang if lang in SUPPORTED_LANGS else guess_language(text)

    def _own_name(self, skill: int, sp: Span, lang: str) -> bool:
        """The span is the skill's preferred label (text language or English) without a qualifier in
        parentheses: "Python" for *Python (computer programming)*."""
        for lg in dict.fromkeys((lang, "en")):
            label = (self.index.preferred.get(lg) or [None] * (skill + 1))[skill]
            if not label:
                continue
            short = _PAREN.sub(" ", label).strip()
            if stem_words([t.text for t in tokens(short)], lg) == stem_words(sp.words, lg):
                return True
        return False

    def _hits(self, text: str, lang: str) -> dict[tuple[int, int, int], str]:
        """Label matches of ``lang`` in the text: (skill, start, end) → the best label kind matched."""
        if lang not in self.label_langs():
            return {}
        order = {"preferred": 0, "short": 1, "alternative": 2, "variant": 2, "reordered": 3, "hidden": 4}
        out: dict[tuple[int, int, int], str] = {}
        for h in self.index.matcher.match(text, lang):
            key = (h.skill, h.start, h.end)
            if key not in out or order.get(h.kind, 9) < order.get(out[key], 9):
                out[key] = h.kind
        return out

    def _label_ok(
        self, sp: Span, lang: str, native: str | None, english: str | None = None, own_name: bool = False
    ) -> bool:
        """``native`` / ``english``: the label kind matched there in the text's language / in English;
        ``own_name``: the span is the skill's preferred label without its qualifier ("Python")."""
        if not sp.content:
            return False  # function words only
        if len(sp.words) == 1 and not sp.specific:
            return False  # a single generic word
        if len(sp.words) == 1 and (native or english) not in ("preferred", "short") and not own_name:
            # one word admits a skill only when it is the skill's own name ("Python", "statistique"),
            # not one of its alternative labels ("experiment" → think creatively, "guide" → advise others)
            return False
        if not native and lang != "en":
            # an English label inside another language: a content word of that language must remain,
            # and a single word must not be an English generic word either
            en_stop = stop_words("en")
            if all(w in en_stop for w in sp.words):
                return False
            if len(sp.words) == 1 and stem_words(sp.words, "en")[0] in self.generic("en"):
                return False
        return True

    def _words_ok(self, sp: Span, skill: int, lang: str) -> bool:
        if not sp.content:
            return False
        for stems, lg, order in self.label_stems(skill, lang):
            have = sp.stems if lg == lang else stem_words(sp.words, lg)
            if stems <= set(have) and (len(stems) >= 2 or stems - self.generic(lg)) and _in_order(order, have):
                return True
        return False

    def _shares_word(self, sp: Span, skill: int, lang: str) -> bool:
        """The span has a non-generic word of one of the skill's labels (always true in a language
        without ESCO labels, where only e5 can judge)."""
        if lang not in self.label_langs():
            return True
        for stems, lg, _ in self.label_stems(skill, lang):
            have = sp.specific if lg == lang else set(stem_words(sp.words, lg)) - self.generic(lg)
            if stems & have - self.generic(lg):
                return True
        return False

    def _skill_rows(self) -> dict[int, tuple[int, int]]:
        if self._rows is None:
            idx = self.index
            ends = np.r_[idx.seg_starts[1:], len(idx.label_skill)] if len(idx.seg_starts) else np.zeros(0)
            self._rows = {int(s): (int(a), int(b)) for s, a, b in zip(idx.seg_skill, idx.seg_starts, ends, strict=True)}
        return self._rows

    def encoder(self):
        if self._encoder is None:
            from emclm.skills.extractor import shared_e5

            self._encoder = shared_e5()
        return self._encoder

    def similarity(self, span_vec: np.ndarray, skill: int, lang: str) -> float | None:
        """Best e5 cosine of a span vector with the skill's embedded labels in ``lang`` or English."""
        idx = self.index
        rows = self._skill_rows().get(skill)
        if rows is None or idx.embeddings is None:
            return None
        a, b = rows
        keep = [k for k in range(a, b) if idx.embed_langs[idx.label_lang[k]] in (lang, "en")]
        if not keep:
            keep = list(range(a, b))
        return float((idx.embeddings[keep] @ span_vec).max())

    def _check_e5(self, texts, langs, ranked, pending, decided) -> None:
        todo = [p for p in pending if p[1] not in decided[p[0]]]
        if not todo:
            return
        uniq = list(dict.fromkeys(sent.text for *_, sent in todo))
        mat = self.encoder().encode(uniq)
        vecs = dict(zip(uniq, mat, strict=True))
        ranks = self._ranks(mat)
        pos = {t: k for k, t in enumerate(uniq)}
        for n, j, i, sp, sent in todo:
            if j in decided[n]:
                continue
            m = ranked[n][j]
            skill = self._uri_pos[m.uri]
            sim = self.similarity(vecs[sent.text], skill, self._lang(texts[n], langs[n]))
            rank = ranks(pos[sent.text], skill)
            if sim is not None and sim >= self.e5_min and rank < self.max_rank:
                decided[n][j] = Admission("embedding-e5", i, sp.start, sp.end, round(sim, 4), rank)

    def reads_as(self, sentence: str, uri: str, lang: str) -> tuple[float | None, int]:
        """e5's reading of a sentence for one skill: (cosine with its label, skills nearer the sentence)."""
        skill = self._uri_pos[uri]
        vec = self.encoder().encode([sentence[:SPAN_CHARS]])
        return self.similarity(vec[0], skill, lang), self._ranks(vec)(0, skill)

    def _ranks(self, mat: np.ndarray):
        """rank(span k, skill): how many skills the span is closer to in e5 than to ``skill``."""
        idx = self.index
        best = np.empty((len(mat), len(idx.seg_starts)), dtype=np.float32)
        for a in range(0, len(mat), 128):
            sims = mat[a : a + 128] @ idx.embeddings.T
            best[a : a + 128] = np.maximum.reduceat(sims, idx.seg_starts, axis=1)
        seg_of = {int(s): k for k, s in enumerate(idx.seg_skill)}

        def rank(k: int, skill: int) -> int:
            g = seg_of.get(skill)
            if g is None:
                return 10**9
            return int((best[k] > best[k, g]).sum())

        return rank
