"""ESCO skills and occupations named in a query, in any loaded language.

Labels are keyed by the sorted set of their content stems (``"analys donne"`` for both "analyses
de données" and "analyse des données"), stored in ``search_label_key`` by ``build_label_keys``
(``emclm search reindex`` runs it). Without that table the same keys are built in memory per
language on first use (slow: seconds per language), so search still works on a fresh database.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from emclm.search.analysis import content_tokens, stem_tokens, stopwords
from emclm.search.schema import search_label_key
from emclm.search.state import all_states, state_for
from emclm.taxonomy.models import Concept, Label

MAX_SPAN = 6
MAX_CONCEPTS_PER_SPAN = 3


@dataclass
class ConceptMatch:
    concept_id: int
    uri: str
    concept_type: str
    span: str
    lang: str


def label_key(toks: list[str], lang: str) -> str:
    stop = stopwords(lang)
    stems = sorted(set(stem_tokens([t for t in toks if t not in stop], lang)))
    return " ".join(stems)


def build_label_keys(session: Session, langs: list[str] | None = None, chunk: int = 5000) -> int:
    """(Re)build the stem keys of skill and occupation labels (preferred and alternative)."""
    if langs is None:
        langs = sorted(session.execute(select(Label.lang).distinct()).scalars())
    written = 0
    for lang in langs:
        session.execute(delete(search_label_key).where(search_label_key.c.lang == lang))
        rows = session.execute(
            select(Label.concept_id, Label.norm, Label.kind)
            .join(Concept, Concept.id == Label.concept_id)
            .where(
                Label.lang == lang,
                Label.kind.in_(("preferred", "alternative")),
                Concept.concept_type.in_(("skill", "occupation")),
                Concept.status.is_distinct_from("unlisted"),
            )
            .order_by(Label.concept_id, Label.kind.desc())  # preferred before alternative: same keys on every engine
        ).all()
        batch: list[dict] = []
        seen: set[tuple[str, int]] = set()
        for cid, norm, kind in rows:
            key = label_key((norm or "").split(), lang)
            if not key or key.count(" ") >= MAX_SPAN or len(key) > 512:
                continue
            if (key, cid) in seen:
                continue
            seen.add((key, cid))
            batch.append(
                {
                    "lang": lang,
                    "key": key,
                    "n_stems": key.count(" ") + 1,
                    "concept_id": cid,
                    "preferred": kind == "preferred",
                }
            )
            if len(batch) >= chunk:
                session.execute(insert(search_label_key), batch)
                written += len(batch)
                batch = []
        if batch:
            session.execute(insert(search_label_key), batch)
            written += len(batch)
    for st in all_states():
        st.label_keys_built = None
    return written


def _keys_built(session: Session) -> bool:
    st = state_for(session)
    if st.label_keys_built is not None:
        return st.label_keys_built
    try:
        ok = session.execute(select(search_label_key.c.id).limit(1)).first() is not None
    except Exception:  # noqa: BLE001 - older schema
        session.rollback()
        ok = False
    st.label_keys_built = ok
    return ok


def _memory_keys(session: Session, lang: str) -> dict[str, list[tuple[int, bool]]]:
    st = state_for(session)
    idx = st.label_memory.get(lang)
    if idx is None:
        idx = {}
        rows = session.execute(
            select(Label.concept_id, Label.norm, Label.kind)
            .join(Concept, Concept.id == Label.concept_id)
            .where(
                Label.lang == lang,
                Label.kind.in_(("preferred", "alternative")),
                Concept.concept_type.in_(("skill", "occupation")),
                Concept.status.is_distinct_from("unlisted"),
            )
        ).all()
        for cid, norm, kind in rows:
            key = label_key((norm or "").split(), lang)
            if key:
                idx.setdefault(key, []).append((cid, kind == "preferred"))
        st.label_memory[lang] = idx
    return idx


def _lookup(session: Session, lang: str, keys: set[str]) -> dict[str, list[tuple[int, bool]]]:
    if not keys:
        return {}
    if not _keys_built(session):
        idx = _memory_keys(session, lang)
        return {k: idx[k] for k in keys if k in idx}
    out: dict[str, list[tuple[int, bool]]] = {}
    stmt = select(search_label_key.c.key, search_label_key.c.concept_id, search_label_key.c.preferred).where(
        search_label_key.c.lang == lang, search_label_key.c.key.in_(sorted(keys))
    )
    for key, cid, pref in session.execute(stmt):
        out.setdefault(key, []).append((cid, pref))
    return out


def _compound(session: Session, lang: str, stem: str) -> int | None:
    """A one-word label whose stem starts with ``stem`` (German compounds: Datenanalyse → Datenanalyst)."""
    if _keys_built(session):
        row = session.execute(
            text(
                "SELECT concept_id FROM search_label_key WHERE lang = :lang AND n_stems = 1"
                " AND substr(key, 1, :n) = :stem AND length(key) <= :maxlen"
                " ORDER BY length(key), preferred DESC, key LIMIT 1"
            ),
            {"lang": lang, "stem": stem, "n": len(stem), "maxlen": len(stem) + 3},
        ).first()
        return row[0] if row else None
    idx = _memory_keys(session, lang)
    best = sorted((k for k in idx if " " not in k and k.startswith(stem) and len(k) - len(stem) <= 3), key=len)
    return idx[best[0]][0][0] if best else None


def _contains(longer: list[str], shorter: list[str]) -> bool:
    """``shorter`` is a strict contiguous sub-sequence of ``longer``."""
    n = len(shorter)
    return n < len(longer) and any(longer[i : i + n] == shorter for i in range(len(longer) - n + 1))


def _without_sub_spans(found: dict[int, tuple[str, str]]) -> dict[int, tuple[str, str]]:
    """Drop the concepts whose span is a strict sub-span of another match's span (in any language):
    Dutch "logistiek planner" names its occupations as a whole, so the English match of "planner"
    alone ("land planner") is not what the query means. Within a language the longest-span-first
    covering already does this; across languages it happens here."""
    spans = {span for span, _ in found.values()}
    words = {span: span.split() for span in spans}
    inner = {s for s in spans if any(_contains(words[t], words[s]) for t in spans)}
    return {cid: v for cid, v in found.items() if v[0] not in inner} if inner else found


def match_concepts(session: Session, q: str, langs: list[str], limit: int = 12) -> list[ConceptMatch]:
    """Skills and occupations named in the query: longest spans first, per language; a concept
    matched on a strict sub-span of another concept's span is dropped."""
    found: dict[int, tuple[str, str]] = {}
    for lang in langs:
        toks = content_tokens(q, lang)
        if not toks:
            continue
        stems = stem_tokens(toks, lang)
        spans = {}
        for n in range(min(MAX_SPAN, len(stems)), 0, -1):
            for i in range(len(stems) - n + 1):
                spans[(i, n)] = " ".join(sorted(set(stems[i : i + n])))
        hits = _lookup(session, lang, set(spans.values()))
        covered = [False] * len(stems)
        for (i, n), key in spans.items():  # insertion order: longest spans first
            if key not in hits or any(covered[i : i + n]):
                continue
            for j in range(i, i + n):
                covered[j] = True
            for cid, _pref in sorted(hits[key], key=lambda h: not h[1])[:MAX_CONCEPTS_PER_SPAN]:
                found.setdefault(cid, (" ".join(toks[i : i + n]), lang))
        for i, st in enumerate(stems):
            if not covered[i] and len(st) >= 8:
                cid = _compound(session, lang, st)
                if cid is not None:
                    found.setdefault(cid, (toks[i], lang))
    found = _without_sub_spans(found)
    if not found:
        return []
    ids = list(found)[:limit]
    meta = {
        cid: (uri, ctype)
        for cid, uri, ctype in session.execute(
            select(Concept.id, Concept.uri, Concept.concept_type).where(Concept.id.in_(ids))
        )
    }
    return [ConceptMatch(cid, meta[cid][0], meta[cid][1], found[cid][0], found[cid][1]) for cid in ids if cid in meta]


def label_count(session: Session) -> int:
    return session.execute(select(func.count()).select_from(search_label_key)).scalar_one()
