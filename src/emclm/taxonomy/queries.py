"""Reading the ESCO knowledge base: concepts by URI, label search, relations, hierarchy, stats."""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from emclm.taxonomy.models import (
    Broader,
    CollectionMember,
    Concept,
    ConceptText,
    ImportedFile,
    Label,
    OccupationSkill,
)
from emclm.taxonomy.text import fold

ESCO_BASE = "http://data.europa.eu/esco/"
TYPE_PATH = {"skill": "skill", "occupation": "occupation", "isco_group": "isco", "skill_group": "skill"}


class ConceptNotFound(LookupError):
    pass


def uri_for(concept_type: str, ident: str) -> str:
    """Accept a full URI or the last segment of one (a UUID, or an ISCO code like C2511)."""
    if ident.startswith("http://") or ident.startswith("https://"):
        return ident
    return f"{ESCO_BASE}{TYPE_PATH.get(concept_type, concept_type)}/{ident}"


def get_concept(session: Session, uri: str, concept_type: str | None = None) -> Concept:
    stmt = select(Concept).where(Concept.uri == uri)
    if concept_type:
        stmt = stmt.where(Concept.concept_type == concept_type)
    concept = session.execute(stmt).scalar_one_or_none()
    if concept is None:
        raise ConceptNotFound(f"no ESCO {concept_type or 'concept'} with URI {uri}")
    return concept


def preferred_labels(session: Session, concept_ids: list[int], lang: str, fallback: str = "en") -> dict[int, str]:
    """Preferred label per concept in ``lang``, falling back to ``fallback``."""
    out: dict[int, str] = {}
    if not concept_ids:
        return out
    for chunk_start in range(0, len(concept_ids), 900):
        chunk = concept_ids[chunk_start : chunk_start + 900]
        rows = session.execute(
            select(Label.concept_id, Label.lang, Label.text).where(
                Label.concept_id.in_(chunk), Label.kind == "preferred", Label.lang.in_({lang, fallback})
            )
        ).all()
        for cid, lg, text in rows:
            if lg == lang or cid not in out:
                out[cid] = text
    return out


@dataclass
class ConceptView:
    uri: str
    concept_type: str
    preferred_label: str | None
    lang: str
    skill_type: str | None = None
    reuse_level: str | None = None
    isco_code: str | None = None
    code: str | None = None
    status: str | None = None
    description: str | None = None
    alternative_labels: list[str] = field(default_factory=list)
    collections: list[str] = field(default_factory=list)
    broader: list[dict] = field(default_factory=list)
    narrower: list[dict] = field(default_factory=list)
    labels_by_lang: dict[str, str] = field(default_factory=dict)


def _ref(session: Session, concepts: list[Concept], lang: str) -> list[dict]:
    labels = preferred_labels(session, [c.id for c in concepts], lang)
    return sorted(
        ({"uri": c.uri, "type": c.concept_type, "label": labels.get(c.id)} for c in concepts),
        key=lambda r: r["label"] or "",
    )


def concept_view(session: Session, concept: Concept, lang: str = "en") -> ConceptView:
    labels = session.execute(select(Label).where(Label.concept_id == concept.id)).scalars().all()
    pref = {lb.lang: lb.text for lb in labels if lb.kind == "preferred"}
    texts = session.execute(
        select(ConceptText.lang, ConceptText.text).where(
            ConceptText.concept_id == concept.id, ConceptText.field == "description", ConceptText.lang.in_({lang, "en"})
        )
    ).all()
    desc = {lg: t for lg, t in texts}
    return ConceptView(
        uri=concept.uri,
        concept_type=concept.concept_type,
        preferred_label=pref.get(lang) or pref.get("en"),
        lang=lang if lang in pref else "en",
        skill_type=concept.skill_type,
        reuse_level=concept.reuse_level,
        isco_code=concept.isco_code,
        code=concept.code,
        status=concept.status,
        description=desc.get(lang) or desc.get("en"),
        alternative_labels=sorted(
            lb.text for lb in labels if lb.kind == "alternative" and lb.lang == (lang if lang in pref else "en")
        ),
        collections=sorted(
            session.execute(
                select(CollectionMember.collection).where(CollectionMember.concept_id == concept.id)
            ).scalars()
        ),
        broader=_ref(session, broader(session, concept), lang),
        narrower=_ref(session, narrower(session, concept), lang),
        labels_by_lang=dict(sorted(pref.items())),
    )


def broader(session: Session, concept: Concept) -> list[Concept]:
    parent = aliased(Concept)
    return list(
        session.execute(
            select(parent).join(Broader, Broader.broader_id == parent.id).where(Broader.concept_id == concept.id)
        ).scalars()
    )


def narrower(session: Session, concept: Concept) -> list[Concept]:
    child = aliased(Concept)
    return list(
        session.execute(
            select(child).join(Broader, Broader.concept_id == child.id).where(Broader.broader_id == concept.id)
        ).scalars()
    )


def occupation_skills(session: Session, occupation: Concept, lang: str = "en") -> dict[str, list[dict]]:
    """``{"essential": [...], "optional": [...]}`` each item ``{uri, label, skill_type, reuse_level}``."""
    rows = session.execute(
        select(Concept, OccupationSkill.relation_type)
        .join(OccupationSkill, OccupationSkill.skill_id == Concept.id)
        .where(OccupationSkill.occupation_id == occupation.id)
    ).all()
    labels = preferred_labels(session, [c.id for c, _ in rows], lang)
    out: dict[str, list[dict]] = {"essential": [], "optional": []}
    for concept, rel in rows:
        out.setdefault(rel, []).append(
            {
                "uri": concept.uri,
                "label": labels.get(concept.id),
                "skill_type": concept.skill_type,
                "reuse_level": concept.reuse_level,
            }
        )
    for items in out.values():
        items.sort(key=lambda r: r["label"] or "")
    return out


def occupations_for_skill(session: Session, skill: Concept, lang: str = "en") -> list[dict]:
    rows = session.execute(
        select(Concept, OccupationSkill.relation_type)
        .join(OccupationSkill, OccupationSkill.occupation_id == Concept.id)
        .where(OccupationSkill.skill_id == skill.id)
    ).all()
    labels = preferred_labels(session, [c.id for c, _ in rows], lang)
    return sorted(
        ({"uri": c.uri, "label": labels.get(c.id), "relation": rel, "isco_code": c.isco_code} for c, rel in rows),
        key=lambda r: (r["relation"] != "essential", r["label"] or ""),
    )


# -- label search (autocomplete) ---------------------------------------------------------------


@dataclass
class LabelHit:
    uri: str
    concept_type: str
    label: str
    preferred_label: str | None
    kind: str
    lang: str
    score: float


class _LabelIndex:
    """In-memory index of one language's labels: sorted keys for prefix search, a list for fuzzy search.

    Every label contributes one key per word start ("manage musical staff", "musical staff",
    "staff"), so a prefix typed from the middle of a label finds it too.
    """

    def __init__(self, rows: list[tuple[int, str, str, str, str, str | None]]):
        # rows: (concept_id, uri, type, text, kind, norm)
        self.rows = rows
        keys: list[tuple[str, int]] = []
        for i, row in enumerate(rows):
            words = (row[5] or "").split()
            for w in range(len(words)):
                keys.append((" ".join(words[w:]), i if w == 0 else -i - 1))
        keys.sort()
        self.keys = [k for k, _ in keys]
        self.refs = [r for _, r in keys]
        self.norms = [row[5] or "" for row in rows]


_indexes: dict[tuple[str, str], _LabelIndex] = {}
_lock = threading.Lock()


def _index(session: Session, lang: str) -> _LabelIndex:
    key = (str(session.get_bind().url), lang)
    with _lock:
        idx = _indexes.get(key)
    if idx is None:
        rows = session.execute(
            select(Concept.id, Concept.uri, Concept.concept_type, Label.text, Label.kind, Label.norm)
            .join(Label, Label.concept_id == Concept.id)
            .where(Label.lang == lang, Concept.status.is_distinct_from("unlisted"))
        ).all()
        idx = _LabelIndex([tuple(r) for r in rows])
        with _lock:
            _indexes[key] = idx
    return idx


def clear_label_cache() -> None:
    with _lock:
        _indexes.clear()


KIND_WEIGHT = {"preferred": 1.0, "alternative": 0.97, "hidden": 0.9}


def search_labels(
    session: Session, q: str, lang: str = "en", concept_type: str | None = None, limit: int = 10
) -> list[LabelHit]:
    """Autocomplete over labels: exact, then word-prefix, then typo-tolerant (rapidfuzz) matches.

    One hit per concept, best first; ``preferred_label`` is the concept's preferred label in ``lang``.
    """
    query = fold(q)
    if not query:
        return []
    idx = _index(session, lang)
    best: dict[int, tuple[float, int]] = {}

    def offer(row_i: int, score: float) -> None:
        row = idx.rows[row_i]
        if concept_type and row[2] != concept_type:
            return
        score *= KIND_WEIGHT.get(row[4], 0.9)
        cur = best.get(row[0])
        if cur is None or score > cur[0]:
            best[row[0]] = (score, row_i)

    # prefix matches (whole label or from a word start)
    start = bisect.bisect_left(idx.keys, query)
    scanned = 0
    while start < len(idx.keys) and idx.keys[start].startswith(query) and scanned < 5000:
        ref = idx.refs[start]
        row_i = ref if ref >= 0 else -ref - 1
        norm = idx.norms[row_i]
        exact = norm == query
        # whole-label prefix beats word prefix; shorter labels (closer to the query) first
        base = 100.0 if exact else (92.0 if ref >= 0 else 85.0)
        offer(row_i, base - min(10.0, (len(norm) - len(query)) * 0.1))
        start += 1
        scanned += 1
    # typo tolerance: fuzzy over the language's labels when prefix matching found too little
    if len(best) < limit:
        # whole label ("managment" → "management") and label start ("projet manag" → "project management …")
        n = len(query)
        for processor in (None, lambda s: s[: n + 1]):
            for _choice, score, row_i in process.extract(
                query, idx.norms, scorer=fuzz.QRatio, processor=processor, limit=limit * 3, score_cutoff=82
            ):
                offer(row_i, min(float(score), 90.0) * 0.9)
    ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], len(idx.rows[kv[1][1]][3])))[:limit]
    prefs = preferred_labels(session, [cid for cid, _ in ranked], lang)
    return [
        LabelHit(
            uri=idx.rows[row_i][1],
            concept_type=idx.rows[row_i][2],
            label=idx.rows[row_i][3],
            preferred_label=prefs.get(cid),
            kind=idx.rows[row_i][4],
            lang=lang,
            score=round(score, 2),
        )
        for cid, (score, row_i) in ranked
    ]


# -- stats ---------------------------------------------------------------------------------------


def stats(session: Session) -> dict:
    listed = Concept.status.is_distinct_from("unlisted")
    counts = dict(
        session.execute(select(Concept.concept_type, func.count()).where(listed).group_by(Concept.concept_type)).all()
    )
    rel = dict(
        session.execute(
            select(OccupationSkill.relation_type, func.count()).group_by(OccupationSkill.relation_type)
        ).all()
    )
    labels = dict(session.execute(select(Label.lang, func.count()).group_by(Label.lang)).all())
    collections = dict(
        session.execute(select(CollectionMember.collection, func.count()).group_by(CollectionMember.collection)).all()
    )
    unlisted = session.execute(
        select(func.count()).select_from(Concept).where(Concept.status == "unlisted")
    ).scalar_one()
    by_type = label_languages(session)
    return {
        "skills": counts.get("skill", 0),
        "occupations": counts.get("occupation", 0),
        "isco_groups": counts.get("isco_group", 0),
        "skill_groups": counts.get("skill_group", 0),
        "relations": sum(rel.values()),
        "relations_by_type": rel,
        "broader_relations": session.execute(select(func.count()).select_from(Broader)).scalar_one(),
        "collections": collections,
        "unlisted_concepts": unlisted,
        "languages": len(labels),
        "labels_by_language": dict(sorted(labels.items())),
        # what the UI states as coverage: languages (en-us counted as English) with preferred labels, per type
        "label_languages": by_type,
        "skill_languages": len(by_type.get("skill", [])),
        "occupation_languages": len(by_type.get("occupation", [])),
    }


_coverage: dict[str, tuple[tuple, dict[str, list[str]]]] = {}


def label_languages(session: Session) -> dict[str, list[str]]:
    """Per concept type, the languages that have preferred labels, regional variants (en-us) folded into
    their language: ``{"skill": ["de", "en", "es", "fi", "fr", "sv"], "occupation": [... 26 ...], ...}``.

    Remembered per database until an ESCO file is imported (labels change only through the importer,
    which records every file it imports)."""
    token = tuple(
        session.execute(
            select(func.count(ImportedFile.id), func.max(ImportedFile.id), func.max(ImportedFile.sha256))
        ).one()
    )
    db = str(session.get_bind().url)
    with _lock:
        hit = _coverage.get(db)
    if hit is not None and hit[0] == token:
        return hit[1]
    result = _label_languages(session)
    with _lock:
        _coverage[db] = (token, result)
    return result


def _label_languages(session: Session) -> dict[str, list[str]]:
    rows = session.execute(
        select(Concept.concept_type, Label.lang)
        .join(Label, Label.concept_id == Concept.id)
        .where(Label.kind == "preferred", Concept.status.is_distinct_from("unlisted"))
        .distinct()
    ).all()
    out: dict[str, set[str]] = {}
    for ctype, lang in rows:
        out.setdefault(ctype, set()).add(lang.split("-")[0].lower())
    return {k: sorted(v) for k, v in sorted(out.items())}
