"""The language of a query, read from the query itself (never from the interface language).

A search must give the same courses for the same words whatever language the portal is shown in
(decision 0013). The query's languages are detected with lingua (high-accuracy models, which are
made for short texts) among the configured languages (``settings.default_languages``):

- every language whose confidence is at least ``RATIO`` × the likeliest one's and at least ``KEEP``
  (at most ``MAX_LANGS``), most likely first. One language when the detector is clear
  ("analyse de données" → fr; "cybersecurity" → en); several for a short or ambiguous query
  ("python" → nl, en, de …; "cursos para ser analista de datos" → pt 0.58, es 0.38), which is then
  analysed in all of them at once, as the cross-lingual design intends;
- no letters at all (a number, a code): the configured languages.

The interface language plays no part in which courses match; it is reported beside the detected
languages (``SearchResult.query``), and the web pages use it only for labels.
"""

from __future__ import annotations

from functools import lru_cache

from emclm.search.state import PROCESS

RATIO = 0.4
KEEP = 0.1
MAX_LANGS = 4


def _detector(langs: tuple[str, ...]):
    return PROCESS.get(("language-detector", langs), lambda: _build_detector(langs))


def _build_detector(langs: tuple[str, ...]):
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    known = []
    for code in langs:
        try:
            known.append(Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())))
        except (AttributeError, ValueError):
            continue  # a configured language lingua does not know: never detected
    return LanguageDetectorBuilder.from_languages(*known).build() if len(known) >= 2 else None


@lru_cache(maxsize=20_000)
def detect_query_languages(q: str, candidates: tuple[str, ...]) -> tuple[str, ...]:
    """The languages a query is written in, most likely first (see the module doc)."""
    if not any(ch.isalpha() for ch in q):
        return candidates
    det = _detector(candidates)
    if det is None:
        return candidates
    conf = [(c.language.iso_code_639_1.name.lower(), c.value) for c in det.compute_language_confidence_values(q)]
    conf = [(code, v) for code, v in conf if code in candidates]
    if not conf:
        return candidates
    floor = max(KEEP, RATIO * conf[0][1])
    kept = tuple(code for code, v in conf if v >= floor)[:MAX_LANGS]
    return kept or (conf[0][0],)
