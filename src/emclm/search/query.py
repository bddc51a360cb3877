"""Query understanding: language analysis, ESCO concepts in the query, typo correction, fusion.

Cross-lingual retrieval without embeddings goes through ESCO: query words are matched to ESCO
skill and occupation labels in the query language (by their stems: ``emclm.search.concepts``);
the matched concepts' preferred labels in the other catalogue languages become extra full-text
phrases (a separate ranked list), their URIs match course skill tags, and an occupation brings
its essential skills. Embeddings add to that.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.orm import Session

from emclm.search.analysis import content_tokens, stopwords, tokens
from emclm.search.backends import Clause, backend_for
from emclm.search.compounds import split_compounds
from emclm.search.concepts import ConceptMatch, match_concepts
from emclm.search.language import detect_query_languages
from emclm.search.schema import search_document
from emclm.search.state import all_states, state_for
from emclm.taxonomy.models import Concept, ConceptText, Label, OccupationSkill

ESCO_URI = re.compile(r"^https?://data\.europa\.eu/esco/(occupation|skill)/[0-9a-fA-F-]{8,}$")
DEFAULT_QUERY_LANGS = ("en", "fr", "es", "de", "it")
MAX_CONCEPTS = 6
MAX_OCCUPATION_SKILLS = 12
RRF_K = 60
CONTEXT_CHARS = 300  # of the concept's description, as course texts are cut for their vectors


@dataclass
class ParsedQuery:
    raw: str
    lang: str | None  # the query's language when the detector is sure of one, else None
    query_langs: list[str]
    tokens: list[str]
    detected: list[str] = field(default_factory=list)  # the languages detected in the query, likeliest first
    compounds: dict[str, list[str]] = field(default_factory=dict)  # compound query word → its parts
    concepts: list[ConceptMatch] = field(default_factory=list)
    corrections: dict[str, str] = field(default_factory=dict)
    clauses: list[Clause] = field(default_factory=list)  # the user's words
    expansions: list[Clause] = field(default_factory=list)  # concept labels in other languages
    skill_expansions: list[Clause] = field(default_factory=list)  # an occupation's essential skills
    uri: str | None = None
    # the query names exactly one ESCO concept as a whole ("logistics"): that concept's preferred
    # label and description, which the embedding query vector adds at half weight
    context: str | None = None

    @property
    def occupations(self) -> list[ConceptMatch]:
        return [c for c in self.concepts if c.concept_type == "occupation"]

    @property
    def skills(self) -> list[ConceptMatch]:
        return [c for c in self.concepts if c.concept_type == "skill"]


def invalidate_caches(session: Session) -> None:
    """Called after index writes: the typo vocabulary and parsed queries are rebuilt on the next query."""
    state_for(session).invalidate()


def expansion_clauses(
    session: Session, concept_ids: list[int], langs: list[str], alternatives: int = 3
) -> list[Clause]:
    """Labels of concepts in the catalogue languages, as phrases: the preferred label and the
    shortest few alternative labels (≤ 4 words) per language ("data analytics", "análisis de datos")."""
    if not concept_ids:
        return []
    rows = session.execute(
        select(Label.concept_id, Label.lang, Label.kind, Label.norm).where(
            Label.concept_id.in_(concept_ids), Label.kind.in_(("preferred", "alternative")), Label.lang.in_(langs)
        )
    ).all()
    rows.sort(key=lambda r: (r[0], r[1], r[2] != "preferred", len(r[3]), r[3]))
    out: list[Clause] = []
    taken: Counter = Counter()
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for cid, lang, kind, norm in rows:
        toks = norm.split()  # a phrase keeps its function words: "análisis de datos"
        content = [t for t in toks if t not in stopwords(lang)]
        if not content or (kind != "preferred" and (len(content) > 4 or taken[(cid, lang)] > alternatives)):
            continue
        if (lang, tuple(toks)) in seen:
            continue
        seen.add((lang, tuple(toks)))
        taken[(cid, lang)] += 1
        out.append(Clause(lang=lang, tokens=toks, phrase=True, origin="concept"))
    return out


def essential_skill_ids(session: Session, occupation_ids: list[int]) -> list[int]:
    if not occupation_ids:
        return []
    return list(
        session.execute(
            select(OccupationSkill.skill_id).where(
                OccupationSkill.occupation_id.in_(occupation_ids), OccupationSkill.relation_type == "essential"
            )
        ).scalars()
    )


# -- typo tolerance -----------------------------------------------------------------------------


def _vocabulary(session: Session) -> tuple[set[str], list[str]]:
    """Title words of the index, rebuilt when the index generation changes (in any process)."""
    from emclm.search.columns import generation

    st = state_for(session)
    gen = generation(session)
    entry = st.vocabulary
    if entry is None or entry[0] != gen:
        counts: Counter = Counter()
        for (title,) in session.execute(select(search_document.c.title)):
            counts.update(t for t in tokens(title) if len(t) >= 4 and not t.isdigit())
        words = [w for w, _ in counts.most_common(200_000)]
        entry = (gen, set(words), words)
        st.vocabulary = entry
    return entry[1], entry[2]


def corrections(session: Session, toks: list[str], lang: str | None) -> dict[str, str]:
    """Query words (≥ 5 letters) found nowhere in the index → the closest title word."""
    vocab, words = _vocabulary(session)
    backend = backend_for(session)
    out: dict[str, str] = {}
    for t in toks:
        if len(t) < 5 or t in vocab or t.isdigit():
            continue
        if backend.term_exists(session, t, lang):
            continue
        best = process.extractOne(t, words, scorer=fuzz.ratio, score_cutoff=80)
        if best is not None:
            out[t] = best[0]
    return out


# -- parsing ------------------------------------------------------------------------------------


def parse(
    session: Session,
    q: str,
    ui_lang: str | None,
    catalogue_langs: list[str],
    typo: bool = True,
    candidates: tuple[str, ...] = DEFAULT_QUERY_LANGS,
) -> ParsedQuery:
    """``_parse`` with a small per-process cache (60 s): popular queries skip the ESCO look-ups.

    ``ui_lang`` (the interface language) does not change the analysis: the query's languages are
    detected from its own words among ``candidates`` (``emclm.search.language``)."""
    from emclm.search.columns import generation

    # typo corrections depend on the index: entries of an older index generation are not reused
    gen = generation(session)
    key = (gen, q, tuple(catalogue_langs), typo, candidates)
    return state_for(session).parsed.get_or_put(key, lambda: _parse(session, q, catalogue_langs, typo, candidates))


def clear_parse_cache() -> None:
    for st in all_states():
        st.parsed.clear()


def _parse(
    session: Session, q: str, catalogue_langs: list[str], typo: bool = True, candidates=DEFAULT_QUERY_LANGS
) -> ParsedQuery:
    q = (q or "").strip()
    uri = bool(ESCO_URI.match(q))
    detected = list(detect_query_languages(q, tuple(candidates))) if q and not uri else []
    lang = detected[0] if len(detected) == 1 else None  # None: unsure, analysed in every detected language
    text_langs = detected or list(DEFAULT_QUERY_LANGS)
    query_langs = text_langs + ([] if "en" in text_langs else ["en"])  # English terms are common everywhere
    exp_langs = sorted(set(catalogue_langs) | {"en"})
    pq = ParsedQuery(raw=q, lang=lang, query_langs=query_langs, tokens=[], detected=detected)
    if uri:
        concept = session.execute(select(Concept).where(Concept.uri == q)).scalar_one_or_none()
        if concept is not None:
            pq.uri = q
            pq.concepts = [ConceptMatch(concept.id, concept.uri, concept.concept_type, q, "en")]
    else:
        pq.tokens = content_tokens(q, lang)
        if not pq.tokens:
            return pq
        # German and Dutch compounds also search as their parts: "Projektmanagement" finds what
        # "Projekt Management" finds (the word itself stays: a course may use it)
        pq.compounds = split_compounds(session, pq.tokens, text_langs)
        split_q = " ".join(p for t in tokens(q) for p in [t, *pq.compounds.get(t, [])])
        parts_q = " ".join(p for t in tokens(q) for p in pq.compounds.get(t, [t]))
        pq.tokens = list(dict.fromkeys(content_tokens(split_q, lang)))
        for ql in text_langs:
            pq.clauses.append(Clause(lang=ql, tokens=list(pq.tokens)))
        pq.clauses.append(Clause(lang=None, tokens=list(pq.tokens)))
        if len(tokens(parts_q)) > 1:
            pq.clauses.append(Clause(lang=query_langs[0], tokens=tokens(parts_q), phrase=True))
        pq.concepts = match_concepts(session, q, query_langs)
        if pq.compounds:
            seen = {c.concept_id for c in pq.concepts}
            pq.concepts += [c for c in match_concepts(session, parts_q, query_langs) if c.concept_id not in seen]
        if typo:
            # words that name an ESCO concept are real words, even when no course uses them; so are split compounds
            known = {t for c in pq.concepts for t in c.span.split()} | set(pq.compounds)
            known |= {p for parts in pq.compounds.values() for p in parts}
            pq.corrections = corrections(session, [t for t in pq.tokens if t not in known], query_langs[0])
            if pq.corrections:
                fixed = [pq.corrections.get(t, t) for t in pq.tokens]
                pq.clauses.append(Clause(lang=lang, tokens=fixed, origin="typo"))
                seen = {c.concept_id for c in pq.concepts}
                fixed_q = " ".join(pq.corrections.get(t, t) for t in tokens(q))
                pq.concepts += [c for c in match_concepts(session, fixed_q, query_langs) if c.concept_id not in seen]
    pq.context = concept_context(session, q, pq)
    pq.expansions = expansion_clauses(session, [c.concept_id for c in pq.concepts[:MAX_CONCEPTS]], exp_langs)
    occ = [c.concept_id for c in pq.occupations][:3]
    if occ:
        skills = essential_skill_ids(session, occ)[: MAX_OCCUPATION_SKILLS * 3]
        pq.skill_expansions = [
            c for c in expansion_clauses(session, skills, exp_langs, alternatives=0) if len(c.tokens) <= 4
        ]
    return pq


def concept_context(session: Session, q: str, pq: ParsedQuery) -> str | None:
    """When the whole query names exactly one ESCO concept (its matched span is every content word
    of the query), "preferred label. description" of that concept, in the matched language or else
    English; None otherwise. "logistics" alone is ambiguous to the embedding model ("Applied
    Logistic Regression" is as close as a supply-chain course); the concept's text is not."""
    if pq.uri or len(pq.concepts) != 1:
        return None
    c = pq.concepts[0]
    if c.span.split() != content_tokens(q, c.lang):
        return None
    langs = list(dict.fromkeys([c.lang, "en"]))
    rank = {lang: i for i, lang in enumerate(langs)}
    labels = session.execute(
        select(Label.lang, Label.text).where(
            Label.concept_id == c.concept_id, Label.kind == "preferred", Label.lang.in_(langs)
        )
    ).all()
    texts = session.execute(
        select(ConceptText.lang, ConceptText.field, ConceptText.text).where(
            ConceptText.concept_id == c.concept_id,
            ConceptText.field.in_(("definition", "description")),
            ConceptText.lang.in_(langs),
        )
    ).all()
    if not labels:
        return None
    label = min(labels, key=lambda r: (rank[r[0]], r[1]))[1]
    if not texts:
        return label
    desc = min(texts, key=lambda r: (rank[r[0]], r[1] != "definition"))[2]
    return f"{label}. {' '.join(desc.split())[:CONTEXT_CHARS]}"


def rrf(lists: list[tuple[list[int], float]], k: int = RRF_K) -> dict[int, float]:
    """Reciprocal-rank fusion of ranked id lists with weights."""
    scores: dict[int, float] = {}
    for ids, weight in lists:
        for rank, cid in enumerate(ids):
            scores[cid] = scores.get(cid, 0.0) + weight / (k + rank + 1)
    return scores
