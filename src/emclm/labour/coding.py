"""Occupation coding: rank ESCO occupations for a job ad (title + text, any ESCO language).

Lexical, explainable and fast (no model): each occupation label of the ad's language (preferred,
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

from sqlalchemy import select
from sqlalchemy.orm import Session

from emclm.taxonomy.models import Concept, Label
from emclm.taxonomy.text import fold

STEM_LEN = 5
COMPOUND_MIN = 10
COMPOUND_TAIL = 7
TITLE_WEIGHT = 1.0
TEXT_WEIGHT = 0.25
GROUP_WEIGHT = 0.15
TEXT_CHARS = 3000
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
    """Build once per database (``OccupationRanker.from_session``), then ``rank`` many ads."""

    def __init__(
        self, occupations: dict[int, tuple[str, str | None]], label_rows: dict[str, list[tuple[int, str, str]]]
    ):
        self.occupations = occupations  # id → (uri, isco)
        self.by_uri = {uri: oid for oid, (uri, _) in occupations.items()}
        self._rows = label_rows
        self._indexes: dict[str, _LangIndex] = {}
        self._groups: dict[str, set[int]] = {}
        self._lock = threading.Lock()
        self.languages = sorted(label_rows)

    @classmethod
    def from_session(cls, session: Session, languages: list[str] | None = None) -> OccupationRanker:
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
        return cls(occs, dict(rows))

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

    def rank(
        self,
        title: str,
        text: str | None = None,
        lang: str | None = None,
        k: int = 5,
        isco_prefix: str | None = None,
        candidates: set[str] | None = None,
    ) -> list[RankedOccupation]:
        lang = lang if lang in self._rows else (detect_language(f"{title} {text or ''}", self.languages) or "en")
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
        if lang != "en" and len(scores) < k:  # English titles are common in every country's ads
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


def rank_lines(ranker: OccupationRanker, lines, k: int = 5, lang: str | None = None):
    """``emclm occupations rank``: JSON lines ``{"id", "text"}`` (optionally ``title``, ``lang``) in,
    ``{"id", "occupations": [{"uri", "isco", "label", "score"}, …]}`` out, best first. A line that is
    not valid input yields ``{"id", "error"}`` and the stream goes on."""
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
            body = text or ""
        ranked = ranker.rank(title, body, obj.get("lang") or lang, k=k)
        yield {"id": obj.get("id"), "occupations": [r.as_dict() for r in ranked]}
