"""Text in any EU language → ranked ESCO skills with evidence.

Three signals, fused per candidate skill (see docs/decisions/0004-skill-extraction-method.md):

1. **label** — ESCO preferred/alternative/hidden labels found in the text (normalised, stemmed,
   Aho–Corasick per language; see ``lexical``);
2. **embedding** — cosine between the text (whole, and its clauses/sentences) and every embedded
   label of a skill (multilingual-e5-small), max over the skill's labels;
3. **ESCO structure** — skill type and reuse level priors, and coherence: how strongly a candidate
   co-occurs (same occupations, same broader skill group) with the other strong candidates.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import re
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

import numpy as np

from emclm.config import get_settings
from emclm.skills.embeddings import DIM, EMBED_KINDS, Encoder, LabelStore, load_store
from emclm.skills.lexical import KIND_WEIGHT, LabelMatcher
from emclm.skills.static import StaticEncoder
from emclm.skills.taxonomy import SkillTaxonomy
from emclm.skills.text import check_text, clauses, guess_language, sentences, tokens

log = logging.getLogger(__name__)
_WORD = re.compile(r"\S+")

TAGGER_VERSIONS = {"e5": "esco-fused-1", "static": "esco-fused-static-1", "auto": "esco-fused-auto-3"}
SHORT_TEXT_WORDS = 60  # up to this many words a text is "short": whole + clauses (+ windows)
TAGGER_VERSION = TAGGER_VERSIONS["e5"]  # the index cache key (the index does not depend on the encoder)
CACHE_FORMAT = 3
SUPPORTED_LANGS = ("en", "fr", "es", "de", "it", "nl", "pl", "pt", "sv", "fi")
_SKILL_TYPES = {"skill/competence": 0, "knowledge": 1}
_REUSE = {"transversal": 0, "cross-sector": 1, "sector-specific": 2, "occupation-specific": 3}


@dataclass
class Weights:
    """Fusion weights; tuned on the HOUSE validation split, checked on TECH (docs/benchmarks/skills.md)."""

    clause: float = 0.6  # weight of the best clause vs the whole text (sentence mode)
    lex: float = 0.04  # added for a full-strength label match
    lex_ambiguity: float = 0.5  # exponent: a key shared by n skills counts n**-x
    knowledge: float = 0.0  # prior added to knowledge concepts
    reuse: tuple[float, float, float, float] = (0.01, 0.005, 0.0, -0.005)  # transversal … occupation-specific
    coherence: float = 0.04  # co-occurrence in ESCO occupations with the context candidates
    hierarchy: float = 0.005  # shared broader skill group with the context candidates (neutral on HOUSE)
    pool: int = 40  # candidates re-ranked per text
    context: int = 20  # top candidates that define the "context" for coherence
    embed_chars: int = 2000  # long texts: characters of sentences embedded
    window: int = 0  # short texts: also embed every run of this many words (0 = off; cheap only with static)
    lead: float = 0.0  # "auto", long static texts: weight of e5's similarity of the lead (title) sentence
    lead_chars: int = 200  # characters of that lead sentence given to e5
    whole_e5: float = 0.0  # "auto", short static texts: weight of e5's similarity of the whole text (0016)


@dataclass
class Evidence:
    text: str
    start: int
    end: int
    method: str  # "label" | "embedding"
    score: float


@dataclass
class SkillMatch:
    uri: str
    label: str
    score: float
    evidence: list[Evidence] = field(default_factory=list)
    skill_type: str | None = None
    reuse_level: str | None = None

    def as_dict(self, with_evidence: bool = True) -> dict:
        d = asdict(self)
        if not with_evidence:
            d.pop("evidence")
        return d


@dataclass
class SkillIndex:
    """Everything ranking needs, precomputed; pickled (with the embedding matrix beside it) under var/."""

    fingerprint: str
    uris: list[str]
    db_ids: list[int | None]
    preferred: dict[str, list[str | None]]
    skill_type: np.ndarray  # int8 codes, -1 unknown
    reuse: np.ndarray  # int8 codes, -1 unknown
    matcher: LabelMatcher
    label_skill: np.ndarray  # int32, embedding row -> skill, sorted
    label_lang: np.ndarray  # int8, embedding row -> index in embed_langs
    embed_langs: list[str]
    seg_starts: np.ndarray  # first row of each skill that has vectors
    seg_skill: np.ndarray  # skill of each segment
    skill_occ: list[frozenset]
    skill_groups: list[tuple[str, ...]]
    occupation_uris: list[str]
    occupation_ids: list[int | None]
    occupation_labels: list[str]
    occupation_essential: list[tuple[int, ...]]  # occ idx -> essential skill indices
    embeddings: np.ndarray | None = None  # float32 (n_rows, DIM), L2-normalised
    label_texts: list[str] = field(default_factory=list)  # text of each embedding row

    def runtime_cache(self) -> dict:
        """Derived arrays shared by every extractor over this index (not pickled)."""
        cache = self.__dict__.get("_runtime")
        if cache is None:
            cache = self.__dict__["_runtime"] = {}
        return cache

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_runtime", None)
        return state

    @classmethod
    def build(
        cls, tax: SkillTaxonomy, store: LabelStore | None, encoder: Encoder | None, embed_missing_limit: int = 2000
    ) -> SkillIndex:
        t0 = time.time()
        matcher = LabelMatcher.build(tax.labels)
        rows: list[tuple[int, np.ndarray | None, str, str]] = []
        lookup = store.lookup() if store is not None else {}
        missing: list[tuple[int, str, str]] = []
        seen = set()
        for i, lang, kind, text in tax.labels:
            if kind not in EMBED_KINDS:
                continue
            key = (tax.uris[i], lang, text.strip())
            if key in seen:
                continue
            seen.add(key)
            r = lookup.get(key)
            if r is not None:
                rows.append((i, store.matrix[r], text, lang))
            elif store is not None and lang in ("en", "fr", "es"):
                missing.append((i, text, lang))
        if missing:
            log.warning("%d ESCO labels have no stored embedding (taxonomy changed?)", len(missing))
            # preferred labels first: the ones a skill cannot do without
            have = {r[0] for r in rows}
            missing.sort(key=lambda m: m[0] in have)
            if encoder is not None and embed_missing_limit:
                todo = missing[:embed_missing_limit]
                vecs = encoder.encode([t for _, t, _ in todo])
                for (i, t, lg), v in zip(todo, vecs, strict=True):
                    rows.append((i, np.clip(np.rint(v * 127), -127, 127).astype(np.int8), t, lg))
        rows.sort(key=lambda r: r[0])
        label_skill = np.array([r[0] for r in rows], dtype=np.int32)
        embed_langs = sorted({r[3] for r in rows})
        label_lang = np.array([embed_langs.index(r[3]) for r in rows], dtype=np.int8)
        matrix = np.stack([r[1] for r in rows]).astype(np.float32) / 127.0 if rows else np.zeros((0, DIM), np.float32)
        if len(matrix):
            matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-6)
        if len(label_skill):
            change = np.flatnonzero(np.diff(label_skill)) + 1
            seg_starts = np.concatenate([[0], change]).astype(np.int64)
        else:
            seg_starts = np.zeros(0, np.int64)
        n = len(tax.uris)
        occ_sets: list[set] = [set() for _ in range(n)]
        essential: list[list[int]] = [[] for _ in tax.occupation_uris]
        for k, i, ess in tax.occupation_skills:
            occ_sets[i].add(k)
            if ess:
                essential[k].append(i)
        index = cls(
            fingerprint=tax.fingerprint(),
            uris=tax.uris,
            db_ids=tax.db_ids,
            preferred=tax.preferred,
            skill_type=np.array([_SKILL_TYPES.get(t or "", -1) for t in tax.skill_type], dtype=np.int8),
            reuse=np.array([_REUSE.get(r or "", -1) for r in tax.reuse_level], dtype=np.int8),
            matcher=matcher,
            label_skill=label_skill,
            label_lang=label_lang,
            embed_langs=embed_langs,
            seg_starts=seg_starts,
            seg_skill=label_skill[seg_starts] if len(label_skill) else np.zeros(0, np.int32),
            skill_occ=[frozenset(s) for s in occ_sets],
            skill_groups=[tuple(tax.broader.get(i, ())) for i in range(n)],
            occupation_uris=tax.occupation_uris,
            occupation_ids=tax.occupation_ids,
            occupation_labels=tax.occupation_labels,
            occupation_essential=[tuple(e) for e in essential],
            embeddings=matrix,
            label_texts=[r[2] for r in rows],
        )
        log.info("skill index built in %.1fs: %d skills, %d label vectors", time.time() - t0, n, len(matrix))
        return index

    # --- cache ---------------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        emb = self.embeddings
        self.embeddings = None
        try:
            quantised = np.clip(np.rint(emb * 127), -127, 127).astype(np.int8)
            # embeddings first: an index.pkl is only ever beside the embeddings it was saved with
            _write_atomically(directory / "embeddings.npy", lambda fh: np.save(fh, quantised))
            _write_atomically(
                directory / "index.pkl",
                lambda fh: pickle.dump((CACHE_FORMAT, self), fh, protocol=pickle.HIGHEST_PROTOCOL),
            )
        finally:
            self.embeddings = emb

    @classmethod
    def load(cls, directory: Path) -> SkillIndex | None:
        try:
            with open(directory / "index.pkl", "rb") as fh:
                fmt, index = pickle.load(fh)  # noqa: S301 - our own cache file under var/
            if fmt != CACHE_FORMAT:
                return None
            mat = np.load(directory / "embeddings.npy").astype(np.float32)
            mat /= np.maximum(np.linalg.norm(mat, axis=1, keepdims=True), 1e-6)
            index.embeddings = mat
            return index
        except (OSError, EOFError, pickle.UnpicklingError, ValueError, AttributeError) as exc:
            log.info("no usable skill index cache in %s (%s)", directory, exc)
            return None


def _write_atomically(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write ``path`` through a temp file of its own in the same folder, then ``os.replace`` it: two
    processes building the same cache at once each write their own file (a shared ``.tmp`` name made
    the second ``replace`` fail with ENOENT), and a reader sees the old file or the new, never half."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _db_signature(url: str | None) -> str:
    """Cheap summary of the ESCO tables: changes when labels, skills or relations change."""
    from sqlalchemy import text as sql

    from emclm.db.session import get_engine

    parts = []
    with get_engine(url).connect() as conn:
        for q in (
            "SELECT COUNT(*), COALESCE(MAX(id), 0), COALESCE(SUM(LENGTH(text)), 0) FROM esco_label",
            "SELECT COUNT(*), COALESCE(MAX(id), 0) FROM esco_concept",
            "SELECT COUNT(*), COALESCE(MAX(id), 0) FROM esco_occupation_skill",
            "SELECT COUNT(*), COALESCE(MAX(id), 0) FROM esco_broader",
        ):
            parts.append(tuple(conn.execute(sql(q)).one()))
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


class SkillExtractor:
    """Rank ESCO skills for a text. Build with ``from_database`` (cached) or ``from_taxonomy``."""

    def __init__(
        self,
        index: SkillIndex,
        encoder: Encoder | StaticEncoder | None = None,
        weights: Weights | None = None,
        use_embeddings: bool = True,
        use_labels: bool = True,
        use_clauses: bool = True,
        mode: str | None = None,
    ) -> None:
        """``mode``: "auto" (static encoder for texts in languages with skill labels, plus e5 on a
        long text's lead sentence; e5 for the other languages), "static" (static everywhere) or
        "e5"; default ``Settings.skills_encoder`` or, when only ``encoder`` is given, what that
        encoder is (decisions 0009, 0010)."""
        self.index = index
        if mode is None:
            if encoder is None:
                mode = get_settings().skills_encoder
            else:
                mode = "static" if isinstance(encoder, StaticEncoder) else "e5"
        if mode not in TAGGER_VERSIONS:
            raise ValueError(f"skills encoder mode {mode!r}: expected one of {sorted(TAGGER_VERSIONS)}")
        self.mode = mode
        self.encoder = encoder if encoder is not None else make_encoder(mode)
        self.encoder_name = "e5" if isinstance(self.encoder, Encoder) else "static"
        if self.encoder_name == "e5" and mode != "e5":
            raise ValueError(f"mode {mode!r} needs the static encoder")
        self.weights = weights or default_weights(mode)
        # texts in languages the static encoder cannot match (no skill labels) go through e5
        self.fallback_encoder = shared_e5() if self.encoder_name == "static" else self.encoder
        self.fallback_weights = Weights()
        self.use_embeddings = use_embeddings and index.embeddings is not None and len(index.embeddings) > 0
        self.use_labels = use_labels
        self.use_clauses = use_clauses
        self.version = TAGGER_VERSIONS[self.mode]
        self._priors: dict[tuple, np.ndarray] = {}

    # --- construction --------------------------------------------------------------------

    @classmethod
    def from_taxonomy(
        cls, tax: SkillTaxonomy, data_dir: Path | None = None, embed_missing_limit: int = 2000, **kw
    ) -> SkillExtractor:
        store = load_store(data_dir or get_settings().data_dir)
        index = SkillIndex.build(tax, store, shared_e5(), embed_missing_limit)
        return cls(index, **_encoder_kw(kw, data_dir), **kw)

    @classmethod
    def from_database(cls, url: str | None = None, cache_dir: Path | None = None, **kw) -> SkillExtractor:
        """Load the cached index for this database (rebuilt when the ESCO tables or store changed)."""
        settings = get_settings()
        url = url or settings.database_url
        sig = _db_signature(url)
        store_sig = _store_signature(settings.data_dir)
        cache_root = cache_dir or (settings.var_dir / "cache" / "skills")
        directory = cache_root / f"{TAGGER_VERSION}-{sig}-{store_sig}"
        index = SkillIndex.load(directory)
        if index is None:
            tax = SkillTaxonomy.from_database(url)
            index = SkillIndex.build(tax, load_store(settings.data_dir), shared_e5())
            try:
                index.save(directory)
            except OSError as exc:  # read-only var/: still usable, just slower next time
                log.warning("could not cache the skill index in %s: %s", directory, exc)
        index.runtime_cache()["dir"] = directory
        return cls(index, **_encoder_kw(kw), **kw)

    # --- ranking -------------------------------------------------------------------------

    def label_of(self, i: int, lang: str | None = "en") -> str:
        pref = self.index.preferred
        return (pref.get(lang or "en") or pref["en"])[i] or pref["en"][i] or self.index.uris[i]

    def rank(self, text: str, lang: str | None = None, k: int = 20) -> list[SkillMatch]:
        return self.rank_batch([text], lang=lang, k=k)[0]

    def rank_batch(
        self, texts: list[str], lang: str | None = None, k: int = 20, langs: list[str | None] | None = None
    ) -> list[list[SkillMatch]]:
        """Rank each text (``langs``: one language per text, else ``lang`` for all, else guessed);
        raises ``SkillInputError`` for the first unusable text (check them first with
        ``text.check_text`` to handle bad records one by one). Batches share encoder calls."""
        texts = [check_text(t, field=f"texts[{n}]") for n, t in enumerate(texts)]
        k = max(1, min(int(k), 200))
        wanted = langs if langs is not None else [lang] * len(texts)
        langs = [lg if lg in SUPPORTED_LANGS else guess_language(t) for t, lg in zip(texts, wanted, strict=True)]
        plans = [self._plan(t, lg) for t, lg in zip(texts, langs, strict=True)]
        sims = self._embed_chunks(texts, plans, langs) if self.use_embeddings else [None] * len(texts)
        out = []
        for t, lg, plan, s in zip(texts, langs, plans, sims, strict=True):
            out.append(self._rank_one(t, lg, k, plan, s))
        return out

    def is_static(self, lang: str | None, text: str | None = None) -> bool:  # noqa: ARG002 - text kept for callers
        """Whether a text goes through the static encoder. In "auto" mode: texts in a language with
        ESCO skill labels (en, fr, es), short or long, since their static vectors are compared with
        labels of the same language; texts in de, it, nl, pl, pt … use e5, whose vectors align
        languages (static vectors align them poorly: decisions 0009 and 0010). "static" mode uses it
        for everything, "e5" for nothing."""
        if self.mode == "static":
            return True  # the fastest mode: static everywhere, weak across languages (decision 0009)
        if self.mode == "e5":
            return False
        return lang is None or lang in self.index.embed_langs

    def weights_for(self, lang: str | None, text: str | None = None) -> Weights:
        return self.weights if self.mode == "e5" or self.is_static(lang, text) else self.fallback_weights

    def _plan(self, text: str, lang: str | None = None) -> list[tuple[int, int, float]]:
        """Chunks to embed: (start, end, weight). Short text: whole + clauses; long: sentences."""
        n_words = len(text.split())
        w = self.weights_for(lang, text)
        if n_words <= SHORT_TEXT_WORDS:
            chunks = [(0, len(text), 1.0)]
            if self.use_clauses:
                chunks += [(a, b, w.clause) for a, b in clauses(text) if (b - a) < len(text) - 2]
                size = w.window
                if size and n_words > size:
                    words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
                    chunks += [(words[i][0], words[i + size - 1][1], w.clause) for i in range(len(words) - size + 1)]
            return chunks
        # long text: embed sentences until the character budget is spent (label matching still
        # reads everything); keeps a course description to a few hundred tokens of encoder work
        out, budget = [], w.embed_chars
        for a, b in sentences(text, max_sentences=64):
            if budget <= 0:
                break
            out.append((a, min(b, a + budget), 1.0))
            budget -= b - a
        return out

    def _label_matrix(self, static: bool) -> np.ndarray:
        """Label vectors in the encoder's space: the shipped e5 vectors, or the same label rows
        encoded by the static encoder (its vectors are only comparable with each other)."""
        if not static:
            return self.index.embeddings
        cache = self.index.runtime_cache()
        key = ("labels", id(self.encoder))
        if key not in cache:
            if len(self.index.label_texts) != len(self.index.embeddings):
                raise RuntimeError("skill index has no label texts: rebuild its cache")
            cache[key] = self._cached_static_labels()
        return cache[key]

    def _cached_static_labels(self) -> np.ndarray:
        """The label rows encoded by the static encoder (≈ 1-3 s for 40k labels), kept next to the
        index cache under var/ and keyed by the static model file, so a new process loads them."""
        directory = self.index.runtime_cache().get("dir")
        path = None
        if directory is not None and isinstance(self.encoder, StaticEncoder):
            path = Path(directory) / f"static-labels-{self.encoder.signature()}.npy"
            try:
                mat = np.load(path)
                if mat.shape == (len(self.index.label_texts), DIM):
                    return mat
            except (OSError, ValueError):
                pass
        mat = self.encoder.encode(self.index.label_texts)
        if path is not None:
            try:
                _write_atomically(path, lambda fh: np.save(fh, mat))
            except OSError as exc:
                log.info("could not cache static label vectors in %s: %s", path, exc)
        return mat

    def _lang_view(self, lang: str | None, static: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Label rows a text in ``lang`` is compared with: labels in ``lang`` and English (vectors of
        foreign labels add near-misses), or every row when ``lang`` has no embedded labels.
        Returns (matrix, segment starts within it, global segment index of each) — cached."""
        langs = self.index.embed_langs
        key = lang if lang in langs else None
        labels = self._label_matrix(static)
        views = self.index.runtime_cache().setdefault(("views", id(labels)), {})
        view = views.get(key)
        if view is None:
            idx = self.index
            if key is None:
                view = (labels, idx.seg_starts, None)
            else:
                keep = [langs.index(lg) for lg in {key, "en"} if lg in langs]
                rows = np.flatnonzero(np.isin(idx.label_lang, keep))
                skill_of_row = idx.label_skill[rows]
                starts = np.flatnonzero(np.r_[True, skill_of_row[1:] != skill_of_row[:-1]]) if len(rows) else rows
                seg_of_skill = np.full(len(idx.uris), -1, dtype=np.int64)
                seg_of_skill[idx.seg_skill] = np.arange(len(idx.seg_skill))
                seg_index = seg_of_skill[skill_of_row[starts]]
                if len(seg_index) == len(idx.seg_skill) and (seg_index == np.arange(len(seg_index))).all():
                    seg_index = None  # the view covers every skill, in order: no scatter needed
                view = (np.ascontiguousarray(labels[rows]), starts.astype(np.int64), seg_index)
            views[key] = view
        return view

    def _embed_chunks(
        self, texts: list[str], plans: list[list[tuple[int, int, float]]], langs: list[str] | None = None
    ) -> list[np.ndarray]:
        """Per text, a (chunks, segments) matrix: best cosine of each chunk with each skill's labels
        (−1 where the skill has no label in the text's view). One matrix product per language."""
        bounds = np.cumsum([0] + [len(p) for p in plans])
        groups: dict[tuple[str | None, bool], list[int]] = defaultdict(list)
        for n in range(len(texts)):
            lg = langs[n] if langs else None
            groups[(lg if lg in self.index.embed_langs else None, self.is_static(lg, texts[n]))].append(n)
        vecs = np.zeros((int(bounds[-1]), DIM), dtype=np.float32)
        for static in (True, False):
            members = [n for (_, st), ms in groups.items() if st == static for n in ms]
            if members:
                encoder = self.encoder if static else self.fallback_encoder
                rows = np.concatenate([np.arange(bounds[n], bounds[n + 1]) for n in members])
                flat = [texts[n][a:b][:2000] for n in members for a, b, _ in plans[n]]
                vecs[rows] = encoder.encode(flat)
        result: list[np.ndarray | None] = [None] * len(texts)
        for (lg, static), members in groups.items():
            rows = np.concatenate([np.arange(bounds[n], bounds[n + 1]) for n in members])
            red = self._skill_sims(vecs[rows], lg, static)
            pos = 0
            for n in members:
                m = bounds[n + 1] - bounds[n]
                result[n] = red[pos : pos + m]
                pos += m
        self._add_lead(texts, plans, langs, result)
        return result

    def _skill_sims(self, vecs: np.ndarray, lang: str | None, static: bool) -> np.ndarray:
        """(texts, segments): each vector's best cosine with each skill's labels in ``lang``'s view
        (−1 where the skill has no label there)."""
        matrix, starts, seg_index = self._lang_view(lang, static)
        sims = vecs @ matrix.T
        if len(starts) == matrix.shape[0]:
            red = sims  # one label row per skill (e.g. English only): nothing to reduce
        elif sims.size:
            red = np.maximum.reduceat(sims, starts, axis=1)
        else:
            red = np.zeros((len(vecs), len(starts)), np.float32)
        if seg_index is not None:
            full = np.full((len(vecs), len(self.index.seg_starts)), -1.0, dtype=np.float32)
            full[:, seg_index] = red
            red = full
        return red

    def _uses_lead(self, lang: str | None, text: str) -> bool:
        """ "auto" mode, a text through the static encoder: e5 also reads one chunk of it — a long
        text's lead sentence (a course's title), whose reading of the topic corrects static
        near-misses such as "Roman Architecture" → "write Romani" (decision 0010), or a short
        text whole (decision 0016: e5's sentence similarity is the better semantic core on text the
        method was not tuned on). One e5 text per text; its similarity, centred on its median over
        the skills, is added to every chunk's with weight ``lead`` (long) or ``whole_e5`` (short)."""
        if self.mode != "auto" or not self.is_static(lang, text):
            return False
        if len(text.split()) > SHORT_TEXT_WORDS:
            return self.weights.lead > 0
        return self.weights.whole_e5 > 0

    def _add_lead(self, texts, plans, langs, result) -> None:
        members = [n for n in range(len(texts)) if plans[n] and self._uses_lead(langs[n] if langs else None, texts[n])]
        if not members:
            return
        w = self.weights
        leads, gains = [], []
        for n in members:
            a, b, _ = plans[n][0]  # long: the first sentence (course_text puts the title on its own line)
            if len(texts[n].split()) > SHORT_TEXT_WORDS:
                leads.append(texts[n][a:b][: w.lead_chars])
                gains.append(w.lead)
            else:  # short: the first chunk is the whole text
                leads.append(texts[n][a:b][:2000])
                gains.append(w.whole_e5)
        vecs = self.fallback_encoder.encode(leads)
        by_lang: dict[str | None, list[int]] = defaultdict(list)
        for j, n in enumerate(members):
            lg = langs[n] if langs else None
            by_lang[lg if lg in self.index.embed_langs else None].append(j)
        for lg, js in by_lang.items():
            sims = self._skill_sims(vecs[js], lg, False)
            for j, row in zip(js, sims, strict=True):
                n = members[j]
                result[n] = result[n] + (gains[j] * (row - np.median(row)))[None, :]

    def _structure(self):
        """Bit-packed skill × occupation and skill × broader-group incidence (built once, ~6 MB)."""
        cache = self.index.runtime_cache()
        if "structure" not in cache:
            idx = self.index
            n = len(idx.uris)
            n_occ = max((max(o) for o in idx.skill_occ if o), default=0) + 1
            occ = np.zeros((n, n_occ), dtype=bool)
            for i, occs in enumerate(idx.skill_occ):
                occ[i, list(occs)] = True
            groups: dict[str, int] = {}
            for gs in idx.skill_groups:
                for g in gs:
                    groups.setdefault(g, len(groups))
            grp = np.zeros((n, max(len(groups), 1)), dtype=bool)
            for i, gs in enumerate(idx.skill_groups):
                grp[i, [groups[g] for g in gs]] = True
            cache["structure"] = (
                np.packbits(occ, axis=1),
                occ.sum(axis=1).astype(np.float64),
                np.packbits(grp, axis=1),
            )
        return cache["structure"]

    def _prior(self, w: Weights) -> np.ndarray:
        """Skill-type and reuse-level prior per skill for these weights (cached)."""
        key = (w.knowledge, tuple(w.reuse))
        prior = self._priors.get(key)
        if prior is None:
            idx = self.index
            prior = np.zeros(len(idx.uris), np.float32)
            prior[idx.skill_type == 1] += w.knowledge
            for code, val in enumerate(w.reuse):
                prior[idx.reuse == code] += val
            self._priors[key] = prior
        return prior

    def _rank_one(self, text, lang, k, plan, seg_sims) -> list[SkillMatch]:
        idx = self.index
        w = self.weights_for(lang, text)
        n_skills = len(idx.uris)
        evidence: dict[int, list[Evidence]] = defaultdict(list)
        lang = lang if lang in SUPPORTED_LANGS else guess_language(text)
        # --- embedding score per skill
        emb_score = np.full(n_skills, np.nan, dtype=np.float32)
        best_chunk = None
        if seg_sims is not None and len(plan):
            weights = np.array([c[2] for c in plan], dtype=np.float32)[:, None]
            if plan[0][2] == 1.0 and len(plan) > 1 and any(c[2] != 1.0 for c in plan):
                # sentence mode: whole text vs best clause, blended
                whole = seg_sims[0]
                clause = seg_sims[1:].max(axis=0)
                seg_score = np.maximum(whole, w.clause * clause + (1 - w.clause) * whole)
                arg = np.where(clause > whole, 1 + seg_sims[1:].argmax(axis=0), 0)
            else:
                weighted = seg_sims * weights
                seg_score = weighted.max(axis=0)
                arg = weighted.argmax(axis=0)
            emb_score[idx.seg_skill] = seg_score
            best_chunk = np.full(n_skills, -1, dtype=np.int64)
            best_chunk[idx.seg_skill] = arg
        # --- label matches
        lex_score = np.zeros(n_skills, dtype=np.float32)
        if self.use_labels:
            toks = tokens(text)
            langs = {lang, "en"} & set(idx.matcher.languages)
            for lg in langs:
                for hit in idx.matcher.match(text, lg, toks):
                    s = KIND_WEIGHT[hit.kind] * hit.ambiguity ** (-w.lex_ambiguity) * (1 + 0.15 * (hit.n_tokens - 1))
                    s = min(s, 1.3)
                    if s > lex_score[hit.skill]:
                        lex_score[hit.skill] = s
                    if len(evidence[hit.skill]) < 5:
                        evidence[hit.skill].append(
                            Evidence(text[hit.start : hit.end], hit.start, hit.end, "label", round(float(s), 4))
                        )
        # --- candidate pool
        has_emb = ~np.isnan(emb_score)
        base = np.where(has_emb, emb_score, 0.0).astype(np.float32)
        if not self.use_embeddings:
            base = np.zeros(n_skills, np.float32)
        fused = base + w.lex * lex_score
        if has_emb.any() and self.use_embeddings:
            # a skill with no embedding but a label hit competes with the embedding floor
            floor = float(np.median(emb_score[has_emb]))
            fused = np.where(has_emb, fused, floor + w.lex * lex_score)
        fused = fused + self._prior(w)
        if not self.use_embeddings:
            fused = np.where(lex_score > 0, fused, -np.inf)
        pool_n = min(w.pool, n_skills)
        pool = np.argpartition(-fused, pool_n - 1)[:pool_n] if n_skills > pool_n else np.arange(n_skills)
        pool = pool[np.isfinite(fused[pool])]
        pool = pool[np.argsort(-fused[pool])]
        # --- coherence with the context (co-occurrence in occupations, shared broader group)
        if len(pool) > 1 and (w.coherence or w.hierarchy):
            ctx = pool[: w.context]
            ctx_w = np.exp((fused[ctx] - fused[ctx[0]]) * 50.0)
            occ, n_occ, grp = self._structure()
            # shared occupations / min occupation count, and "same broader group", pool × context
            inter = np.bitwise_count(occ[pool][:, None, :] & occ[ctx][None, :, :]).sum(axis=2, dtype=np.float64)
            denom = np.minimum.outer(n_occ[pool], n_occ[ctx])
            coh_m = np.divide(inter, denom, out=np.zeros_like(inter), where=denom > 0)
            hier_m = (grp[pool][:, None, :] & grp[ctx][None, :, :]).any(axis=2).astype(np.float64)
            not_self = pool[:, None] != ctx[None, :]
            wmat = ctx_w[None, :] * not_self
            tot = wmat.sum(axis=1)
            ok = tot > 0
            bonus = w.coherence * (wmat * coh_m).sum(axis=1) + w.hierarchy * (wmat * hier_m).sum(axis=1)
            fused[pool[ok]] += (bonus[ok] / tot[ok]).astype(np.float32)
            pool = pool[np.argsort(-fused[pool])]
        results = []
        for i in pool[:k].tolist():
            ev = list(evidence.get(i, []))
            if plan and best_chunk is not None and best_chunk[i] >= 0 and not np.isnan(emb_score[i]):
                a, b, _ = plan[best_chunk[i]]
                ev.append(Evidence(text[a:b][:300], a, b, "embedding", round(float(emb_score[i]), 4)))
            results.append(
                SkillMatch(
                    uri=idx.uris[i],
                    label=self.label_of(i, lang),
                    score=round(float(fused[i]), 4),
                    evidence=ev,
                    skill_type=_code_name(_SKILL_TYPES, int(idx.skill_type[i])),
                    reuse_level=_code_name(_REUSE, int(idx.reuse[i])),
                )
            )
        return results


_e5: Encoder | None = None
_static: dict[str, StaticEncoder] = {}


def shared_e5() -> Encoder:
    """One e5 encoder per process (loading the model costs ~0.3-1 s and ~100 MB)."""
    global _e5
    if _e5 is None:
        _e5 = Encoder()
    return _e5


def _encoder_kw(kw: dict, data_dir: Path | None = None) -> dict:
    """``encoder`` and ``mode`` for the constructors: the settings' mode unless told otherwise."""
    mode, encoder = kw.pop("mode", None), kw.pop("encoder", None)
    if encoder is None:
        mode = mode or get_settings().skills_encoder
        encoder = make_encoder(mode, data_dir=data_dir)
    return {"encoder": encoder, "mode": mode}


def make_encoder(name: str | None = None, data_dir: Path | None = None) -> Encoder | StaticEncoder:
    """The sentence encoder named by ``name`` or ``Settings.skills_encoder``: "e5" or "static"."""
    settings = get_settings()
    name = name or settings.skills_encoder
    if name == "e5":
        return shared_e5()
    if name in ("static", "auto"):
        data_dir = data_dir or settings.data_dir
        if not StaticEncoder.available(data_dir):
            raise FileNotFoundError(f"static encoder requested but {data_dir}/skills/static_e5.npz is missing")
        key = str(data_dir)
        if key not in _static:  # one per data folder and process: its label vectors are cached by identity
            _static[key] = StaticEncoder(data_dir)
        return _static[key]
    raise ValueError(f"skills encoder: unknown name {name!r} (expected 'e5' or 'static')")


def current_tagger_version() -> str:
    """The tagger version the configured encoder writes (``Settings.skills_encoder``)."""
    return TAGGER_VERSIONS[get_settings().skills_encoder]


def default_weights(mode: str) -> Weights:
    """Fusion weights of the mode's main path, tuned on HOUSE validation (docs/benchmarks/skills.md)."""
    return {"e5": Weights(), "static": STATIC_WEIGHTS}.get(mode, AUTO_WEIGHTS)


# tuned with `benchmarks/skills_eval.py --tune --encoder static` (lex, lex_ambiguity) and a
# search over word windows (2 words, weight 0.8) on HOUSE; TECH held out (docs/benchmarks/skills.md);
# the lead weight on long texts from `skills_eval.py --long 8` and course tags (decision 0010)
STATIC_WEIGHTS = Weights(lex=0.3, lex_ambiguity=0.0, clause=0.8, window=2, lead=2.0, lead_chars=200)
# "auto" (decision 0016): the static weights plus e5's similarity of a short text, whole, with weight 8 —
# the one new parameter, chosen by 5-fold cross-validation on HOUSE (8 in 4 folds, 10 in one;
# out-of-fold RP@5 58.7; `skills_eval.py --cv whole_e5=...`), TECH and the third check only reported
AUTO_WEIGHTS = replace(STATIC_WEIGHTS, whole_e5=8.0)


def _code_name(table: dict[str, int], code: int) -> str | None:
    for name, c in table.items():
        if c == code:
            return name
    return None


def _store_signature(data_dir: Path) -> str:
    from emclm.skills.embeddings import store_paths

    h = hashlib.sha256()
    for p in store_paths(data_dir):
        try:
            st = p.stat()
            h.update(f"{p.name}:{st.st_size}:{int(st.st_mtime)}".encode())
        except OSError:
            h.update(f"{p.name}:missing".encode())
    return h.hexdigest()[:10]


_shared: dict[str, SkillExtractor] = {}
_shared_lock = __import__("threading").Lock()


def get_extractor(url: str | None = None) -> SkillExtractor:
    """One extractor per database URL per process (API workers, CLI)."""
    key = url or get_settings().database_url
    ex = _shared.get(key)
    if ex is None:
        with _shared_lock:
            ex = _shared.get(key)
            if ex is None:
                ex = SkillExtractor.from_database(key)
                _shared[key] = ex
    return ex
