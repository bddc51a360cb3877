"""Occupation coding: rank ESCO occupations for a job ad (title + text, any ESCO language).

Two methods, chosen per ad by ``OccupationRanker.method`` (decision 0018):

- **supervised** (languages with a shipped model, ``data/labour/occupation-model-<lang>.npz``; today
  Polish, trained on ~7,600 hand-coded OJALAB ads): a linear TF-IDF classifier gives a probability per
  ISCO-08 unit group (``emclm.labour.occupation_model``); the lexical score below is added with weight
  ``LEXICAL_WEIGHT``, which also lets unit groups the training ads lack be found; each unit group is
  represented by its best lexically matching ESCO occupation (else its first in ESCO code order).
  Used when the ad carries no code (no ``isco_prefix`` / ``candidates``).
- **lexical** (zero-shot, every other language, and every restricted ranking): each occupation label of the ad's language (preferred,
alternative and hidden labels; 27 languages loaded) is a bag of *stems* (folded words and their
first 5 letters, which copes with inflection in Polish, Swedish, German … without a stemmer per
language), weighted by IDF over that language's labels.

- **title**: cosine between the title's stems and each label's stems (the best label per
  occupation; a whole-title match of a label scores 1);
- **text**: labels wholly present in the ad text (coverage ≥ 0.8) add a smaller bonus, more for
  labels found several times, capped;
- **restriction**: a known code narrows the candidates: an ISCO-08 unit group (``isco_prefix``
  "2512"), a major group ("2") for national codes that share ISCO's major groups (SSYK 2012), or an
  explicit candidate set (a KZiS code's ESCO links).

Optional evidence when the skills branch is installed: ``emclm.skills`` embeddings are not
required and not imported here (see docs/decisions/0006). Output items carry ``uri``, ``isco``
(4 digits), ``label`` (in the ad's language, else English) and ``score`` (0–1).
"""

from __future__ import annotations

import math
import re
import threading
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from emclm.config import get_settings
from emclm.labour.occupation_model import OccupationModel
from emclm.taxonomy.models import Concept, Label
from emclm.taxonomy.text import fold

STEM_LEN = 5
COMPOUND_MIN = 10
COMPOUND_TAIL = 7
TITLE_WEIGHT = 1.0
TEXT_WEIGHT = 0.25
GROUP_WEIGHT = 0.15
TEXT_CHARS = 3000
LEXICAL_WEIGHT = 0.05  # lexical score's weight next to the supervised probability (CV, docs/benchmarks/labour.md)
MAX_AD_CHARS = 200_000  # an `occupations rank` line with a longer title + text is refused, not truncated
KIND_WEIGHT = {"preferred": 1.0, "alternative": 0.97, "hidden": 0.9}
_TOKEN = re.compile(r"\w+", re.UNICODE)
# words that say nothing about the occupation in ad titles (gender markers, seniority, contract)
TITLE_NOISE = {
    # gender and seniority markers, contract words, fillers of ad titles (pl, sv, de, en …)
    "k",
    "m",
    "w",
    "d",
    "mw",
    "mwd",
    "ki",
    "ka",
    "kobieta",
    "mezczyzna",
    "senior",
    "junior",
    "mid",
    "regular",
    "praca",
    "pracy",
    "prace",
    "oferta",
    "zatrudnie",
    "zatrud",
    "umowa",
    "od",
    "zaraz",
    "etat",
    "sp",
    "oo",
    "z",
    "na",
    "do",
    "we",
    "dla",
    "i",
    "o",
    "jobb",
    "jobba",
    "sokes",
    "soker",
    "vi",
    "till",
    "och",
    "som",
    "med",
    "for",
    "pa",
    "hos",
    "inom",
    "sommar",
    "sommaren",
    "ab",
    "gesucht",
    "sofort",
    "und",
    "job",
    "the",
    "and",
    "of",
    "in",
    "wanted",
    "hiring",
    "remote",
    "full",
    "time",
    "part",
}


def stems(text: str) -> list[str]:
    """Features of a text: each folded word, plus its first STEM_LEN letters ("~kiero") so that
    inflected forms meet (kierowca / kierowcy) while exact words still count twice."""
    out = []
    for tok in _TOKEN.findall(fold(text)):
        if tok in TITLE_NOISE or (len(tok) < 2 and not tok.isdigit()):
            continue
        out.append(tok)
        if len(tok) > STEM_LEN:
            out.append("~" + tok[:STEM_LEN])
        if len(tok) >= COMPOUND_MIN:
            out.append("^" + tok[-COMPOUND_TAIL:])  # head of a compound: lastbils|chauffor, Lager|arbeiter
    return out


@dataclass
class RankedOccupation:
    uri: str
    isco: str | None
    label: str | None
    score: float

    def as_dict(self) -> dict:
        return {"uri": self.uri, "isco": self.isco, "label": self.label, "score": round(self.score, 4)}


class _LangIndex:
    def __init__(self, rows: list[tuple[int, str, str]]):
        # rows: (occupation id, label text, kind)
        self.labels: list[tuple[int, frozenset[str], float, float]] = []  # (occ, stems, norm², kind weight)
        self.postings: dict[str, list[int]] = defaultdict(list)
        self.pref: dict[int, str] = {}
        df: dict[str, int] = defaultdict(int)
        parsed = []
        for occ, text, kind in rows:
            st = frozenset(stems(text))
            if not st:
                continue
            parsed.append((occ, st, kind))
            for s in st:
                df[s] += 1
            if kind == "preferred":
                self.pref[occ] = text
        n = max(1, len(parsed))
        self.idf = {s: math.log(1 + n / c) for s, c in df.items()}
        for i, (occ, st, kind) in enumerate(parsed):
            norm2 = sum(self.idf[s] ** 2 for s in st)
            self.labels.append((occ, st, norm2, KIND_WEIGHT.get(kind, 0.9)))
            for s in st:
                self.postings[s].append(i)

    def match(self, query: set[str], mode: str, allowed: set[int] | None = None) -> dict[int, float]:
        """Best label score per occupation: cosine (title) or label coverage (text)."""
        if not query:
            return {}
        q_idf = {s: self.idf.get(s, 0.0) for s in query}
        q_norm = math.sqrt(sum(v * v for v in q_idf.values())) or 1.0
        best: dict[int, float] = {}
        seen: set[int] = set()
        for s in query:
            for li in self.postings.get(s, ()):
                if li in seen:
                    continue
                seen.add(li)
                occ, st, norm2, kw = self.labels[li]
                if allowed is not None and occ not in allowed:
                    continue
                inter = sum(q_idf[x] ** 2 for x in st if x in q_idf)
                if mode == "title":
                    score = inter / (math.sqrt(norm2) * q_norm) if norm2 else 0.0
                else:
                    cov = inter / norm2 if norm2 else 0.0
                    if cov < 0.8 or len(st) < 1:
                        continue
                    score = cov
                score *= kw
                if score > best.get(occ, 0.0):
                    best[occ] = score
        return best


class OccupationRanker:
    """Build once per database (``OccupationRanker.from_session``), then ``rank`` many ads.

    ``models``: supervised models by language (``load_models()`` reads the shipped ones); an ad in
    another language, or one restricted by a code, is ranked lexically (``method``)."""

    def __init__(
        self,
        occupations: dict[int, tuple[str, str | None]],
        label_rows: dict[str, list[tuple[int, str, str]]],
        models: dict[str, OccupationModel] | None = None,
    ):
        self.occupations = occupations  # id → (uri, isco)
        self.by_uri = {uri: oid for oid, (uri, _) in occupations.items()}
        self._rows = label_rows
        self._indexes: dict[str, _LangIndex] = {}
        self._groups: dict[str, set[int]] = {}
        self._lock = threading.Lock()
        self.languages = sorted(label_rows)
        self.models = dict(models or {})
        self._group_first: dict[str, int] = {}
        for occ, (_uri, isco) in sorted(occupations.items()):  # as the isco_prefix fallback: lowest id first
            if isco:
                self._group_first.setdefault(isco, occ)

    @classmethod
    def from_session(
        cls,
        session: Session,
        languages: list[str] | None = None,
        models: dict[str, OccupationModel] | None = None,
    ) -> OccupationRanker:
        """``models=None``: the shipped supervised models (``load_models``); ``{}``: lexical only."""
        occs = {
            oid: (uri, isco)
            for oid, uri, isco in session.execute(
                select(Concept.id, Concept.uri, Concept.isco_code).where(
                    Concept.concept_type == "occupation", Concept.status.is_distinct_from("unlisted")
                )
            )
        }
        stmt = (
            select(Label.concept_id, Label.lang, Label.text, Label.kind)
            .join(Concept, Concept.id == Label.concept_id)
            .where(Concept.concept_type == "occupation")
        )
        if languages:
            stmt = stmt.where(Label.lang.in_(set(languages) | {"en"}))
        rows: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
        for cid, lang, text, kind in session.execute(stmt):
            if cid in occs:
                rows[lang].append((cid, text, kind))
        return cls(occs, dict(rows), load_models() if models is None else models)

    def index(self, lang: str) -> _LangIndex:
        with self._lock:
            idx = self._indexes.get(lang)
            if idx is None:
                idx = _LangIndex(self._rows.get(lang) or self._rows.get("en", []))
                self._indexes[lang] = idx
            return idx

    def _group(self, prefix: str) -> set[int]:
        with self._lock:
            cached = self._groups.get(prefix)
        if cached is None:
            cached = {o for o, (_, isco) in self.occupations.items() if (isco or "").startswith(prefix)}
            with self._lock:
                self._groups[prefix] = cached
        return cached

    def label(self, occ_id: int, lang: str) -> str | None:
        return self.index(lang).pref.get(occ_id) or self.index("en").pref.get(occ_id)

    def resolve_language(self, title: str, text: str | None, lang: str | None) -> str:
        if lang in self._rows or lang in self.models:
            return lang
        return detect_language(f"{title} {text or ''}", sorted(set(self.languages) | set(self.models))) or "en"

    def method(self, lang: str, isco_prefix: str | None = None, candidates: set[str] | None = None) -> str:
        """``"supervised"`` when ``lang`` has a model and no code restricts the ad, else ``"lexical"``."""
        return "supervised" if lang in self.models and not isco_prefix and not candidates else "lexical"

    def rank(
        self,
        title: str,
        text: str | None = None,
        lang: str | None = None,
        k: int = 5,
        isco_prefix: str | None = None,
        candidates: set[str] | None = None,
    ) -> list[RankedOccupation]:
        lang = self.resolve_language(title, text, lang)
        if self.method(lang, isco_prefix, candidates) == "supervised":
            return self._rank_supervised(title, text, lang, k)
        ranked = self._lexical(title, text, lang, k, isco_prefix, candidates)
        top = ranked[:k]
        norm = max((s for s, _ in top), default=1.0) or 1.0
        return [
            RankedOccupation(
                uri=self.occupations[o][0],
                isco=self.occupations[o][1],
                label=self.label(o, lang),
                score=min(1.0, s) if norm <= 1 else s / norm,
            )
            for s, o in top
        ]

    def _rank_supervised(self, title: str, text: str | None, lang: str, k: int) -> list[RankedOccupation]:
        proba = self.models[lang].proba([title], [text or ""])[0]
        return self.combine(proba, self._lexical(title, text, lang, k=0), lang, k)

    def combine(
        self, proba, lexical: list[tuple[float, int]], lang: str, k: int, weight: float | None = None
    ) -> list[RankedOccupation]:
        """Supervised ranking from the model's probabilities (``model.classes`` order) and the lexical list
        (``_lexical(..., k=0)``): unit groups by probability + ``weight`` (default ``LEXICAL_WEIGHT``) × lexical
        score, each shown as its best lexical occupation (else its first one)."""
        weight = LEXICAL_WEIGHT if weight is None else weight
        group_score = {c: float(p) for c, p in zip(self.models[lang].classes, proba)}
        best_occ: dict[str, tuple[float, int]] = {}
        top_lex = max((s for s, _ in lexical), default=0.0)
        for s, occ in lexical:  # best first: the first occupation seen in a unit group represents it
            isco = self.occupations[occ][1]
            if isco and isco not in best_occ:
                best_occ[isco] = (s, occ)
        if weight and top_lex > 0:
            for isco, (s, _) in best_occ.items():
                group_score[isco] = group_score.get(isco, 0.0) + weight * min(1.0, s / max(1.0, top_lex))
        out = []
        for isco, sc in sorted(group_score.items(), key=lambda x: (-x[1], x[0])):
            occ = best_occ[isco][1] if isco in best_occ else self._group_first.get(isco)
            if occ is None:  # a unit group without an ESCO occupation in this database
                continue
            out.append(RankedOccupation(self.occupations[occ][0], isco, self.label(occ, lang), min(1.0, sc)))
            if len(out) >= k:
                break
        return out

    def _lexical(
        self,
        title: str,
        text: str | None,
        lang: str,
        k: int,
        isco_prefix: str | None = None,
        candidates: set[str] | None = None,
    ) -> list[tuple[float, int]]:
        """(score, occupation id) best first, before normalisation; ``k`` only sizes the English top-up."""
        idx = self.index(lang)
        allowed = None
        if candidates:
            allowed = {self.by_uri[u] for u in candidates if u in self.by_uri}
        elif isco_prefix:
            allowed = self._group(isco_prefix)
        t_stems = set(stems(title))
        scores: dict[int, float] = defaultdict(float)
        for occ, s in idx.match(t_stems, "title", allowed).items():
            scores[occ] += TITLE_WEIGHT * s
        if text and TEXT_WEIGHT:
            body = set(stems(text[:TEXT_CHARS])) - t_stems
            for occ, s in idx.match(body, "text", allowed).items():
                scores[occ] += TEXT_WEIGHT * s
        if lang != "en" and (len(scores) < k or k == 0):  # English titles are common in every country's ads
            en = self.index("en")
            for occ, s in en.match(t_stems, "title", allowed).items():
                scores[occ] = max(scores[occ], 0.9 * s)
        ranked = []
        for occ, s in scores.items():
            uri, isco = self.occupations[occ]
            if isco_prefix and not (isco or "").startswith(isco_prefix):
                continue
            if allowed is not None and occ not in allowed:
                continue
            ranked.append((s, occ))
        if GROUP_WEIGHT and ranked:
            # evidence shared by several occupations of one ISCO unit group supports each of them
            group: dict[str, list[float]] = defaultdict(list)
            for sc, occ in ranked:
                group[self.occupations[occ][1] or ""].append(sc)
            for key in group:
                group[key].sort(reverse=True)
            ranked = [
                (sc + GROUP_WEIGHT * (sum(group[self.occupations[occ][1] or ""][:3]) - sc), occ) for sc, occ in ranked
            ]
        ranked.sort(key=lambda x: (-x[0], x[1]))
        if allowed and not ranked:  # a crosswalk target without lexical evidence is still the answer
            ranked = [(0.0, occ) for occ in sorted(allowed)]
        if not ranked and isco_prefix:
            # the unit group is known but no label matched: its occupations, ESCO code order
            ranked = sorted(
                (0.0, occ) for occ, (_, isco) in self.occupations.items() if (isco or "").startswith(isco_prefix)
            )
        return ranked


def load_models(data_dir: Path | None = None) -> dict[str, OccupationModel]:
    """The shipped supervised models by language (``data/labour/occupation-model-<lang>.npz``), cached."""
    base = data_dir or get_settings().data_dir
    key = str(base)
    with _MODELS_LOCK:
        if key not in _MODELS:
            found = {}
            for path in sorted((base / "labour").glob("occupation-model-*.npz")):
                model = OccupationModel.load(path)
                found[model.lang] = model
            _MODELS[key] = found
        return dict(_MODELS[key])


_MODELS: dict[str, dict[str, OccupationModel]] = {}
_MODELS_LOCK = threading.Lock()


def detect_language(text: str, languages: list[str]) -> str | None:
    """The ad's language (the catalogue's lingua detector), when it is one of ``languages``."""
    from emclm.catalogue.normalise import detect_language as detect

    code = detect(text)
    return code if code in languages else None


def split_title(text: str, max_words: int = 12) -> tuple[str, str]:
    """For input that is one text (title + body): the first line, at most ``max_words`` words, is the title."""
    text = (text or "").strip()
    first, _, rest = text.partition("\n")
    words = first.split()
    if len(words) > max_words:
        return " ".join(words[:max_words]), text
    return first, rest or ""


def check_ad(title: str, text: str) -> str | None:
    """Why an ad cannot be coded (naming the field), or None: no words at all, or longer than MAX_AD_CHARS."""
    size = len(title) + len(text)
    if size > MAX_AD_CHARS:
        field = "title" if len(title) > MAX_AD_CHARS else "text"
        return f"field {field!r} is too long ({size:,} characters of title + text; at most {MAX_AD_CHARS:,})"
    if not _TOKEN.search(title) and not _TOKEN.search(text):
        return "fields 'title' and 'text' are empty (no words to code)"
    return None


def rank_lines(ranker: OccupationRanker, lines, k: int = 5, lang: str | None = None):
    """``emclm occupations rank``: JSON lines ``{"id", "text"}`` (optionally ``title``, ``lang``) in,
    ``{"id", "occupations": [{"uri", "isco", "label", "score"}, …]}`` out, best first. A line that is
    not valid input (not a JSON object, no text, no words, longer than ``MAX_AD_CHARS``) yields
    ``{"id", "line", "error"}`` naming the record and field, and the stream goes on."""
    import json

    for lineno, line in enumerate(lines, 1):
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise ValueError("not a JSON object")
            text = obj.get("text")
            title = obj.get("title")
            if not isinstance(text, str) and not isinstance(title, str):
                raise ValueError("needs a string 'text' (or 'title')")
        except ValueError as exc:
            yield {"id": None, "line": lineno, "error": str(exc)}
            continue
        if title is None:
            title, body = split_title(text)
        else:
            body = text if isinstance(text, str) else ""
        problem = check_ad(title, body)
        if problem:
            rid = obj.get("id")
            yield {"id": rid, "line": lineno, "error": f"record {rid!r} (line {lineno}): {problem}"}
            continue
        ranked = ranker.rank(title, body, obj.get("lang") or lang, k=k)
        yield {"id": obj.get("id"), "occupations": [r.as_dict() for r in ranked]}
