"""Supervised ISCO-08 unit-group classifier for job ads of one language (Polish: OJALAB hand-coded ads).

A linear model over TF-IDF features, applied with numpy/scipy only (scikit-learn is needed to *build*
the model, ``emclm.labour.build_occupation_model``, not to use it). Two feature blocks, each
TF-IDF-weighted (sublinear tf, smoothed idf) and L2-normalised on its own, then weighted and
stacked:

- **title**: folded words, word bigrams, 5-letter word prefixes and character 3–5-grams of words
  (inflection: kierowca / kierowcy / kierowcę share most of their n-grams);
- **body**: folded words and 5-letter prefixes of the first ``BODY_CHARS`` characters of the text.

The shipped file (``data/labour/occupation-model-<lang>.npz``) holds the vocabulary, idf, the
pruned coefficient matrix (CSR, float16) and intercepts, plus the block weights and the softmax
temperature; nothing is fetched. ``predict`` gives ``(isco4, probability)`` best first.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from emclm.taxonomy.text import fold

FORMAT_VERSION = 1
BODY_CHARS = 4000
PREFIX_LEN = 5
_TOKEN = re.compile(r"\w+", re.UNICODE)
# ad-title filler that says nothing about the occupation (gender markers, contract words)
_TITLE_STOP = {"k", "m", "w", "d", "mw", "mwd", "kobieta", "mezczyzna", "praca", "pracy", "oferta", "od", "zaraz"}


class ModelFileError(ValueError):
    """The model file is missing, unreadable or of another format version."""


def _words(text: str) -> list[str]:
    return [t for t in _TOKEN.findall(fold(text)) if len(t) > 1 or t.isdigit()]


def title_features(title: str) -> list[str]:
    words = [w for w in _words(title) if w not in _TITLE_STOP]
    out = []
    for i, w in enumerate(words):
        out.append("w:" + w)
        if len(w) > PREFIX_LEN:
            out.append("p:" + w[:PREFIX_LEN])
        if i:
            out.append("b:" + words[i - 1] + "_" + w)
        padded = f"<{w}>"
        for n in (3, 4, 5):
            for j in range(len(padded) - n + 1):
                out.append("c:" + padded[j : j + n])
    return out


def body_features(text: str) -> list[str]:
    out = []
    for w in _words(text[:BODY_CHARS]):
        if w.isdigit():
            continue
        out.append("w:" + w)
        if len(w) > PREFIX_LEN:
            out.append("p:" + w[:PREFIX_LEN])
    return out


def tfidf_rows(docs: list[list[str]], vocab: dict[str, int], idf: np.ndarray) -> sp.csr_matrix:
    """Exactly scikit-learn's ``TfidfVectorizer(sublinear_tf=True, norm="l2")`` given its vocabulary and idf."""
    indptr, indices, data = [0], [], []
    for feats in docs:
        counts: dict[int, int] = {}
        for f in feats:
            j = vocab.get(f)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        cols = sorted(counts)
        vals = np.array([(1.0 + np.log(counts[j])) * idf[j] for j in cols], dtype=np.float64)
        norm = np.sqrt((vals * vals).sum())
        if norm > 0:
            vals /= norm
        indices.extend(cols)
        data.extend(vals.tolist())
        indptr.append(len(indices))
    return sp.csr_matrix(
        (np.array(data), np.array(indices, dtype=np.int64), np.array(indptr)), shape=(len(docs), len(idf))
    )


@dataclass
class OccupationModel:
    lang: str
    classes: list[str]  # ISCO-08 unit groups (4 digits), one per coefficient column
    title_vocab: dict[str, int]
    title_idf: np.ndarray
    body_vocab: dict[str, int]
    body_idf: np.ndarray
    coef: sp.csr_matrix  # (title features + body features) × classes
    intercept: np.ndarray
    title_weight: float
    body_weight: float
    temperature: float
    meta: dict

    def features(self, titles: list[str], texts: list[str]) -> sp.csr_matrix:
        xt = tfidf_rows([title_features(t) for t in titles], self.title_vocab, self.title_idf)
        xb = tfidf_rows([body_features(b or "") for b in texts], self.body_vocab, self.body_idf)
        return sp.hstack([xt * self.title_weight, xb * self.body_weight], format="csr")

    def decision(self, titles: list[str], texts: list[str]) -> np.ndarray:
        return np.asarray((self.features(titles, texts) @ self.coef).todense()) + self.intercept

    def proba(self, titles: list[str], texts: list[str]) -> np.ndarray:
        return softmax(self.decision(titles, texts), self.temperature)

    def predict(self, title: str, text: str | None = None, k: int = 5) -> list[tuple[str, float]]:
        p = self.proba([title], [text or ""])[0]
        order = np.argsort(-p, kind="stable")[:k]
        return [(self.classes[i], float(p[i])) for i in order]

    def save(self, path: Path) -> None:
        tv = sorted(self.title_vocab, key=self.title_vocab.get)
        bv = sorted(self.body_vocab, key=self.body_vocab.get)
        coef = self.coef.tocsr()
        np.savez_compressed(
            path,
            header=np.array(
                json.dumps(
                    {
                        "format": FORMAT_VERSION,
                        "lang": self.lang,
                        "classes": self.classes,
                        "title_weight": self.title_weight,
                        "body_weight": self.body_weight,
                        "temperature": self.temperature,
                        "meta": self.meta,
                    }
                )
            ),
            title_vocab=np.array("\n".join(tv)),
            body_vocab=np.array("\n".join(bv)),
            title_idf=self.title_idf.astype(np.float32),
            body_idf=self.body_idf.astype(np.float32),
            coef_data=coef.data.astype(np.float16),
            coef_indices=coef.indices.astype(np.int32),
            coef_indptr=coef.indptr.astype(np.int32),
            coef_shape=np.array(coef.shape, dtype=np.int64),
            intercept=self.intercept.astype(np.float32),
        )

    @classmethod
    def load(cls, path: Path) -> OccupationModel:
        try:
            with np.load(path, allow_pickle=False) as z:
                head = json.loads(str(z["header"]))
                if head.get("format") != FORMAT_VERSION:
                    raise ModelFileError(f"{path}: model format {head.get('format')!r}, expected {FORMAT_VERSION}")
                tv = str(z["title_vocab"]).split("\n")
                bv = str(z["body_vocab"]).split("\n")
                coef = sp.csr_matrix(
                    (z["coef_data"].astype(np.float32), z["coef_indices"], z["coef_indptr"]),
                    shape=tuple(int(x) for x in z["coef_shape"]),
                )
                return cls(
                    lang=head["lang"],
                    classes=list(head["classes"]),
                    title_vocab={f: i for i, f in enumerate(tv)},
                    title_idf=z["title_idf"].astype(np.float64),
                    body_vocab={f: i for i, f in enumerate(bv)},
                    body_idf=z["body_idf"].astype(np.float64),
                    coef=coef,
                    intercept=z["intercept"].astype(np.float64),
                    title_weight=float(head["title_weight"]),
                    body_weight=float(head["body_weight"]),
                    temperature=float(head["temperature"]),
                    meta=head.get("meta") or {},
                )
        except (OSError, KeyError, ValueError) as exc:
            if isinstance(exc, ModelFileError):
                raise
            raise ModelFileError(f"{path}: not a readable occupation model ({exc})") from exc


def softmax(z: np.ndarray, temperature: float) -> np.ndarray:
    z = z / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def model_path(data_dir: Path, lang: str) -> Path:
    return data_dir / "labour" / f"occupation-model-{lang}.npz"
