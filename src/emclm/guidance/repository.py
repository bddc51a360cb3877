"""SQL for guidance: ESCO occupations and skills, and the courses that teach gap skills.

Everything takes a SQLAlchemy ``Session`` and returns plain data (``emclm.guidance.types``); the
solver never sees the database. Parameterised SQL only (SQLAlchemy Core expressions).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from emclm.catalogue.models import Course, CourseRun, Provider
from emclm.guidance.types import CandidateCourse, SkillGroupRef
from emclm.skills.models import CourseSkill
from emclm.taxonomy.models import Broader, Concept, Label, OccupationSkill
from emclm.taxonomy.text import fold

# SQLite allows 32,766 bound parameters; stay well below in IN lists
_CHUNK = 5000


# languages ESCO publishes occupation labels in (EU languages, Icelandic, Norwegian, Ukrainian, Arabic)
ESCO_LANGUAGES = (
    "bg",
    "cs",
    "da",
    "de",
    "el",
    "en",
    "en-us",
    "es",
    "et",
    "fi",
    "fr",
    "ga",
    "hr",
    "hu",
    "is",
    "it",
    "lt",
    "lv",
    "mt",
    "nl",
    "no",
    "pl",
    "pt",
    "ro",
    "sk",
    "sl",
    "sv",
    "uk",
    "ar",
)


class GuidanceError(ValueError):
    """Bad guidance input: the message names the field and the value."""


class OccupationNotFound(GuidanceError):
    """No occupation matches; ``candidates`` are the nearest labels (may be empty), for "did you mean"."""

    def __init__(self, message: str, candidates: list[dict] | None = None):
        super().__init__(message)
        self.candidates = candidates or []


class AmbiguousOccupation(GuidanceError):
    def __init__(self, query: str, candidates: list[dict]):
        self.query = query
        self.candidates = candidates
        listing = "; ".join(f"{c['label']} [{c['lang']}] <{c['uri']}>" for c in candidates)
        super().__init__(f"occupation {query!r} is ambiguous; candidates: {listing}")


def normalise(text: str) -> str:
    """The folding ``esco_label.norm`` is stored with."""
    return fold(text)


def _chunks(items: Sequence, size: int = _CHUNK) -> Iterable[Sequence]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def is_uri(text: str) -> bool:
    return text.startswith("http://") or text.startswith("https://")


# --------------------------------------------------------------------------- concepts and labels


def concept_ids(session: Session, uris: Iterable[str], concept_type: str | None = None) -> dict[str, int]:
    uris = list(dict.fromkeys(uris))
    out: dict[str, int] = {}
    for chunk in _chunks(uris):
        stmt = select(Concept.uri, Concept.id).where(Concept.uri.in_(chunk))
        if concept_type:
            stmt = stmt.where(Concept.concept_type == concept_type)
        out.update({uri: cid for uri, cid in session.execute(stmt)})
    return out


def preferred_labels(session: Session, uris: Iterable[str], lang: str = "en") -> dict[str, str]:
    """Preferred label in ``lang``, falling back to English, then to any language."""
    uris = list(dict.fromkeys(uris))
    out: dict[str, str] = {}
    rank: dict[str, int] = {}
    langs = [lang, "en"] if lang != "en" else ["en"]
    for chunk in _chunks(uris):
        stmt = (
            select(Concept.uri, Label.lang, Label.text)
            .join(Label, Label.concept_id == Concept.id)
            .where(Concept.uri.in_(chunk), Label.kind == "preferred")
        )
        for uri, label_lang, text in session.execute(stmt):
            r = langs.index(label_lang) if label_lang in langs else len(langs)
            if uri not in rank or r < rank[uri] or (r == rank[uri] and text < out[uri]):
                out[uri], rank[uri] = text, r
    return out


@dataclass
class SkillInfo:
    uri: str
    id: int
    reuse_level: str | None
    skill_type: str | None


def occupation_skills(session: Session, occupation_uri: str) -> list[tuple[SkillInfo, str]]:
    """The occupation's skills with their relation (``essential`` | ``optional``)."""
    occ = aliased(Concept)
    skill = aliased(Concept)
    stmt = (
        select(skill.uri, skill.id, skill.reuse_level, skill.skill_type, OccupationSkill.relation_type)
        .join(OccupationSkill, OccupationSkill.skill_id == skill.id)
        .join(occ, occ.id == OccupationSkill.occupation_id)
        .where(occ.uri == occupation_uri)
        .order_by(skill.uri)
    )
    return [(SkillInfo(uri, sid, reuse, stype), rel) for uri, sid, reuse, stype, rel in session.execute(stmt)]


def essential_skills(session: Session, occupation_uris: Sequence[str]) -> dict[str, list[str]]:
    occ = aliased(Concept)
    skill = aliased(Concept)
    out: dict[str, list[str]] = defaultdict(list)
    for chunk in _chunks(list(occupation_uris)):
        stmt = (
            select(occ.uri, skill.uri)
            .join(OccupationSkill, OccupationSkill.occupation_id == occ.id)
            .join(skill, skill.id == OccupationSkill.skill_id)
            .where(occ.uri.in_(chunk), OccupationSkill.relation_type == "essential")
        )
        for o, s in session.execute(stmt):
            out[o].append(s)
    return out


def skill_top_groups(session: Session, skill_uris: Sequence[str], lang: str = "en") -> dict[str, SkillGroupRef]:
    """For each skill, its ancestor one level below a root of the ESCO skills hierarchy
    (e.g. "communication, collaboration and creativity" under "skills"), walking ``esco_broader``."""
    ids = concept_ids(session, skill_uris)
    parents: dict[int, list[int]] = {}
    frontier = set(ids.values())
    while frontier:
        fresh: set[int] = set()
        for chunk in _chunks(sorted(frontier)):
            for child, parent in session.execute(
                select(Broader.concept_id, Broader.broader_id).where(Broader.concept_id.in_(chunk))
            ):
                parents.setdefault(child, []).append(parent)
                if parent not in parents:
                    fresh.add(parent)
        for node in frontier:
            parents.setdefault(node, [])
        frontier = {p for p in fresh if p not in parents}
    for plist in parents.values():
        plist.sort()

    def top(node: int) -> int | None:
        # the first path upwards (lowest ids first); the node whose parent has no parent
        seen = {node}
        current = node
        while True:
            plist = parents.get(current) or []
            if not plist:
                return None if current == node else current
            parent = plist[0]
            if not parents.get(parent):
                return current if current != node else parent
            if parent in seen:
                return current
            seen.add(parent)
            current = parent

    tops = {uri: top(cid) for uri, cid in ids.items()}
    group_ids = sorted({t for t in tops.values() if t is not None})
    info: dict[int, tuple[str, str | None]] = {}
    for chunk in _chunks(group_ids):
        for gid, guri, code in session.execute(
            select(Concept.id, Concept.uri, Concept.code).where(Concept.id.in_(chunk))
        ):
            info[gid] = (guri, code)
    labels = preferred_labels(session, [u for u, _ in info.values()], lang)
    out: dict[str, SkillGroupRef] = {}
    for uri, t in tops.items():
        if t is None or t not in info:
            continue
        guri, code = info[t]
        out[uri] = SkillGroupRef(uri=guri, label=labels.get(guri), code=code)
    return out


# --------------------------------------------------------------------------- occupation resolution


@dataclass
class _OccupationLabels:
    """Every occupation label, folded, de-duplicated by folded text (for rapidfuzz)."""

    count: tuple  # (labels, highest label id) when loaded: the freshness token
    norms: list[str]  # unique folded texts
    owners: list[list[tuple[str, str, str]]]  # per norm: (uri, lang, text)
    positions: dict[str, int] = field(default_factory=dict)  # norm -> its index in ``norms``


_label_cache: dict[str, _OccupationLabels] = {}
_label_lock = threading.Lock()


_warming: set[str] = set()


def _labels_token(session: Session) -> tuple:
    return (
        session.execute(select(func.count()).select_from(Label)).scalar_one(),
        session.execute(select(func.max(Label.id))).scalar_one(),
    )


def _loaded_occupation_labels(session: Session) -> _OccupationLabels | None:
    """The cached labels when they are loaded and fresh; otherwise None, and they start loading in a
    background thread (loading takes seconds on the full ESCO: a caller that must answer at once,
    like the search page, answers without them meanwhile)."""
    key = session.get_bind().url.render_as_string(hide_password=True)
    token = _labels_token(session)
    with _label_lock:
        cached = _label_cache.get(key)
        if cached is not None and cached.count == token:
            return cached
        if key in _warming:
            return None
        _warming.add(key)
    engine = session.get_bind()

    def load() -> None:
        try:
            with Session(engine) as background:
                _occupation_labels(background)
        finally:
            with _label_lock:
                _warming.discard(key)

    threading.Thread(target=load, name="occupation-labels", daemon=True).start()
    return None


def _occupation_labels(session: Session) -> _OccupationLabels:
    """Cached per database; reloaded when the labels change (their number or their highest id: a
    whole-table ``count(*)`` and an index lookup take a few ms, where counting only occupations'
    labels through a join took ~0.4 s on the full ESCO, on every lookup past the exact stage)."""
    key = session.get_bind().url.render_as_string(hide_password=True)
    count = _labels_token(session)
    with _label_lock:
        cached = _label_cache.get(key)
        if cached is not None and cached.count == count:
            return cached
    stmt = (
        select(Concept.uri, Label.lang, Label.text, Label.norm)
        .join(Label, Label.concept_id == Concept.id)
        .where(Concept.concept_type == "occupation", Label.kind != "hidden")
    )
    by_norm: dict[str, list[tuple[str, str, str]]] = {}
    for uri, lang, text, stored in session.connection().execute(stmt).all():  # one fetchall
        # the stored norm (folding 370k labels again would take seconds)
        norms = [stored or normalise(text)]
        # gendered forms "vendeur/vendeuse", "Verkäufer/Verkäuferin": each form alone matches too
        if "/" in text:
            norms += [normalise(part) for part in text.split("/") if part.strip()]
            if len(norms) == 3 and norms[1] == norms[2]:
                norms.pop()
        for norm in norms:
            owners = by_norm.setdefault(norm, [])
            if not owners or owners[-1] != (uri, lang, text):
                owners.append((uri, lang, text))
    labels = _OccupationLabels(
        count=count,
        norms=list(by_norm),
        owners=list(by_norm.values()),
        positions={n: i for i, n in enumerate(by_norm)},
    )
    with _label_lock:
        _label_cache[key] = labels
    return labels


def _exact_labels(session: Session, norm: str, concept_type: str = "occupation") -> list[tuple[str, str, str, str]]:
    """(uri, lang, kind, text) of labels of that concept type whose stored norm is ``norm``. Labels first,
    through the (lang, norm) index, then their concepts: a join led by esco_concept.concept_type
    scanned every occupation's labels (0.5 s on the full ESCO)."""
    hits = session.execute(
        select(Label.concept_id, Label.lang, Label.kind, Label.text).where(
            Label.lang.in_(ESCO_LANGUAGES), Label.norm == norm
        )
    ).all()
    if not hits:
        return []
    uris = dict(
        session.execute(
            select(Concept.id, Concept.uri).where(
                Concept.id.in_(sorted({h[0] for h in hits})), Concept.concept_type == concept_type
            )
        ).all()
    )
    return [(uris[cid], lang, kind, text) for cid, lang, kind, text in hits if cid in uris]


def _best_by_uri(hits, labels: _OccupationLabels) -> list[tuple[str, tuple[float, str, str]]]:
    best: dict[str, tuple[float, str, str]] = {}
    for _, score, idx in hits:
        for uri, lang, text in labels.owners[idx]:
            if uri not in best or score > best[uri][0]:
                best[uri] = (score, lang, text)
    return sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))


def resolve_occupation(
    session: Session, query: str, *, min_score: float = 88.0, exact_only: bool = False
) -> tuple[str, str | None]:
    """An ESCO occupation from its URI or a label in any loaded language.

    Exact normalised match on labels first (a unique preferred-label match wins over alternative
    labels), then fuzzy (rapidfuzz) on whole labels, then labels containing the query as words.
    Several equally good occupations → ``AmbiguousOccupation`` listing them; none →
    ``OccupationNotFound``. Returns (uri, English preferred label). ``exact_only`` stops after the
    exact stage (milliseconds instead of the fuzzy scan's second or two: for the search page, which
    asks on every query whether it names an occupation) and never waits for the in-memory labels
    (gendered forms) to load: until they have, in the background, only stored labels match.
    """
    query = (query or "").strip()
    if not query:
        raise OccupationNotFound("occupation: empty value")
    if is_uri(query):
        found = session.execute(
            select(Concept.uri).where(Concept.uri == query, Concept.concept_type == "occupation")
        ).scalar_one_or_none()
        if found is None:
            raise OccupationNotFound(f"occupation: no ESCO occupation with URI {query!r}")
        return found, preferred_labels(session, [found]).get(found)

    norm = normalise(query)
    rows = _exact_labels(session, norm)
    labels = None
    if not rows:
        # the stored norm may be computed differently, or the label has gendered forms: compare with ours
        # (exact_only answers at once: without them while they load in the background)
        labels = _loaded_occupation_labels(session) if exact_only else _occupation_labels(session)
        idx = labels.positions.get(norm, -1) if labels is not None else -1
        if idx >= 0:
            rows = [(uri, lang, "alternative", text) for uri, lang, text in labels.owners[idx]]
    if rows:
        preferred = sorted({uri for uri, _, kind, _ in rows if kind == "preferred"})
        every = sorted({uri for uri, *_ in rows})
        chosen = preferred if len(preferred) == 1 else every
        if len(chosen) == 1:
            return chosen[0], preferred_labels(session, chosen).get(chosen[0])
        raise AmbiguousOccupation(query, _describe(session, chosen, rows))
    if exact_only:
        raise OccupationNotFound(f"occupation: no ESCO occupation label is {query!r}")

    from rapidfuzz import fuzz, process

    labels = labels or _occupation_labels(session)
    if not labels.norms:
        raise OccupationNotFound(f"occupation: no ESCO occupations loaded to match {query!r}")
    # whole-string similarity decides (a typo is fine, a prefix of several labels is ambiguous)
    ranked = _best_by_uri(process.extract(norm, labels.norms, scorer=fuzz.ratio, limit=40, score_cutoff=60), labels)
    if ranked and ranked[0][1][0] >= min_score and (len(ranked) == 1 or ranked[0][1][0] - ranked[1][1][0] >= 3):
        uri = ranked[0][0]
        return uri, preferred_labels(session, [uri]).get(uri)
    candidates = [
        {"uri": uri, "label": text, "lang": lang, "score": round(score, 1)} for uri, (score, lang, text) in ranked[:8]
    ]
    if ranked and ranked[0][1][0] >= min_score:
        raise AmbiguousOccupation(query, candidates)
    # a part of a label ("ict help desk", "assistant"): unique → that occupation, several → ambiguous
    padded = f" {norm} "
    containing = [(n, 100.0, i) for i, n in enumerate(labels.norms) if padded in f" {n} "]
    partial = _best_by_uri(containing, labels)
    if len(partial) == 1:
        uri = partial[0][0]
        return uri, preferred_labels(session, [uri]).get(uri)
    if len(partial) > 1:
        # shortest labels first: "ICT help desk agent" before "ICT help desk agents' supervisor"
        partial.sort(key=lambda kv: (len(kv[1][2]), kv[0]))
        labels_en = preferred_labels(session, [u for u, _ in partial[:8]])
        raise AmbiguousOccupation(
            query,
            [
                {"uri": uri, "label": labels_en.get(uri) or text, "lang": lang, "matched": text}
                for uri, (_, lang, text) in partial[:8]
            ],
        )
    near = "; ".join(f"{c['label']} <{c['uri']}>" for c in candidates[:5]) or "none"
    raise OccupationNotFound(f"occupation: nothing matches {query!r}; nearest: {near}", candidates[:5])


def _describe(session: Session, uris: list[str], rows) -> list[dict]:
    labels = preferred_labels(session, uris)
    out = []
    for uri in uris:
        lang, text = next((lg, t) for u, lg, _, t in rows if u == uri)
        out.append({"uri": uri, "label": labels.get(uri) or text, "lang": lang, "matched": text})
    return out


def resolve_skills(session: Session, items: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """Skills given as URIs or exact labels (any language) → ({uri: input}, unknown inputs)."""
    found: dict[str, str] = {}
    unknown: list[str] = []
    uris = [i for i in items if is_uri(i)]
    known = concept_ids(session, uris, "skill")
    for item in items:
        if is_uri(item):
            if item in known:
                found[item] = item
            else:
                unknown.append(item)
            continue
        hits = sorted({uri for uri, *_ in _exact_labels(session, normalise(item), "skill")})
        if len(hits) == 1:
            found[hits[0]] = item
        else:
            unknown.append(item)
    return found, unknown


# --------------------------------------------------------------------------- courses


def _withdrawn():
    """Withdrawn course ids, as a subquery. Written as ``course_id NOT IN (withdrawn)`` rather than
    ``course.withdrawn_at IS NULL`` so that planners drive the query from ``course_skill.skill_id``
    (selective) instead of scanning every live course through the withdrawn_at index (SQLite did:
    1.5 s instead of a few ms at 100k courses)."""
    return select(Course.id).where(Course.withdrawn_at.is_not(None)).scalar_subquery()


def course_counts(session: Session, skill_uris: Sequence[str]) -> dict[str, int]:
    """How many catalogue courses (not withdrawn; rejected tags ignored) teach each skill."""
    out: dict[str, int] = {u: 0 for u in skill_uris}
    for chunk in _chunks(list(skill_uris)):
        stmt = (
            select(Concept.uri, func.count(func.distinct(CourseSkill.course_id)))
            .join(CourseSkill, CourseSkill.skill_id == Concept.id)
            .where(Concept.uri.in_(chunk), CourseSkill.status != "rejected", CourseSkill.course_id.not_in(_withdrawn()))
            .group_by(Concept.uri)
        )
        out.update({uri: n for uri, n in session.execute(stmt)})
    return out


def load_candidates(session: Session, skill_uris: Sequence[str]) -> list[CandidateCourse]:
    """Every course (not withdrawn) tagged with at least one of the skills, with what it covers
    among them and the attributes the constraints look at. One query for courses × skills, one for
    run dates, whatever the catalogue size."""
    ids = concept_ids(session, skill_uris, "skill")
    if not ids:
        return []
    uri_of = {cid: uri for uri, cid in ids.items()}
    skill_ids = list(uri_of)
    covers: dict[int, set[str]] = defaultdict(set)
    attrs: dict[int, tuple] = {}
    for chunk in _chunks(skill_ids):
        stmt = (
            select(
                CourseSkill.course_id,
                CourseSkill.skill_id,
                Course.title,
                Course.url,
                Course.workload_hours,
                Course.hours_per_week,
                Course.price,
                Course.currency,
                Course.free_audit,
                Course.certificate_type,
                Course.certificate_price,
                Course.language,
                Course.languages,
                Provider.code,
                Course.eqf_level,
                Course.pace,
            )
            .join(Course, Course.id == CourseSkill.course_id)
            .join(Provider, Provider.id == Course.provider_id)
            .where(
                CourseSkill.skill_id.in_(chunk),
                CourseSkill.status != "rejected",
                CourseSkill.course_id.not_in(_withdrawn()),
            )
        )
        for row in session.connection().execute(stmt):  # Core rows: no ORM row processing
            covers[row[0]].add(uri_of[row[1]])
            if row[0] not in attrs:
                attrs[row[0]] = row[2:]
    starts: dict[int, list] = defaultdict(list)
    tagged = (
        select(CourseSkill.course_id)
        .where(CourseSkill.skill_id.in_(skill_ids[:_CHUNK]), CourseSkill.status != "rejected")
        .scalar_subquery()
    )
    if len(skill_ids) <= _CHUNK:
        run_stmt = select(CourseRun.course_id, CourseRun.start_date).where(
            CourseRun.course_id.in_(tagged), CourseRun.withdrawn_at.is_(None), CourseRun.start_date.is_not(None)
        )
        for cid, start in session.execute(run_stmt):
            starts[cid].append(start)
    else:  # pragma: no cover - more than 5,000 gap skills
        for chunk in _chunks(sorted(attrs)):
            for cid, start in session.execute(
                select(CourseRun.course_id, CourseRun.start_date).where(
                    and_(
                        CourseRun.course_id.in_(chunk),
                        CourseRun.withdrawn_at.is_(None),
                        CourseRun.start_date.is_not(None),
                    )
                )
            ):
                starts[cid].append(start)
    out = []
    for cid in sorted(attrs):
        (
            title,
            url,
            workload,
            per_week,
            price,
            currency,
            free_audit,
            cert_type,
            cert_price,
            language,
            languages,
            provider,
            eqf,
            pace,
        ) = attrs[cid]
        out.append(
            CandidateCourse(
                course_id=cid,
                covers=frozenset(covers[cid]),
                title=title,
                url=url,
                workload_hours=workload,
                hours_per_week=per_week,
                price=float(price) if price is not None else None,
                currency=currency,
                free_audit=free_audit,
                certificate_type=cert_type,
                certificate_price=float(cert_price) if cert_price is not None else None,
                language=language,
                languages=tuple(languages or ()),
                provider=provider,
                eqf_level=eqf,
                pace=pace,
                run_starts=tuple(sorted(starts.get(cid, ()))),
            )
        )
    return out


def load_evidence(session: Session, pairs: Iterable[tuple[int, str]]) -> dict[tuple[int, str], list[dict]]:
    """Text evidence of (course id, skill URI) tags, for explaining a pathway."""
    pairs = list(pairs)
    if not pairs:
        return {}
    course_ids = sorted({c for c, _ in pairs})
    wanted = set(pairs)
    out: dict[tuple[int, str], list[dict]] = {}
    for chunk in _chunks(course_ids):
        stmt = (
            select(CourseSkill.course_id, Concept.uri, CourseSkill.evidence, CourseSkill.score, CourseSkill.status)
            .join(Concept, Concept.id == CourseSkill.skill_id)
            .where(CourseSkill.course_id.in_(chunk), CourseSkill.status != "rejected")
        )
        for cid, uri, evidence, score, status in session.execute(stmt):
            if (cid, uri) in wanted:
                items = [dict(e) for e in (evidence or []) if isinstance(e, dict)]
                out[(cid, uri)] = items or [{"status": status, "score": score}]
    return out


# --------------------------------------------------------------------------- transitions

_matrix_cache: dict[str, OccupationMatrix] = {}
_matrix_lock = threading.Lock()


@dataclass
class OccupationMatrix:
    """Every occupation's essential skills and every skill's reuse level, for transitions."""

    essential: dict[str, list[str]]
    reuse_level: dict[str, str | None]
    relations: int


def occupation_matrix(session: Session) -> OccupationMatrix:
    key = session.get_bind().url.render_as_string(hide_password=True)
    count = session.execute(
        select(func.count(OccupationSkill.id)).where(OccupationSkill.relation_type == "essential")
    ).scalar_one()
    with _matrix_lock:
        cached = _matrix_cache.get(key)
        if cached is not None and cached.relations == count:
            return cached
    occ = aliased(Concept)
    skill = aliased(Concept)
    essential: dict[str, list[str]] = defaultdict(list)
    reuse: dict[str, str | None] = {}
    stmt = (
        select(occ.uri, skill.uri, skill.reuse_level)
        .join(OccupationSkill, OccupationSkill.occupation_id == occ.id)
        .join(skill, skill.id == OccupationSkill.skill_id)
        .where(OccupationSkill.relation_type == "essential")
    )
    n = 0
    for o, s, r in session.execute(stmt):
        essential[o].append(s)
        reuse[s] = r
        n += 1
    matrix = OccupationMatrix(essential=dict(essential), reuse_level=reuse, relations=n)
    with _matrix_lock:
        _matrix_cache[key] = matrix
    return matrix
