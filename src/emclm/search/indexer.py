"""Keeping the search index in step with the catalogue.

``index_courses(session, ids)`` (re)builds the search documents of those courses in the caller's
transaction; ``remove_courses(session, ids)`` drops them. A withdrawn course, or one that no longer
exists, is removed by ``index_courses`` too, so the harvest store can pass every course id it
touched. ``enable_auto_indexing()`` installs SQLAlchemy session hooks that do this automatically
for every ORM write to Course, CourseRun or CourseSkill, just before the transaction commits: a
change is searchable exactly when it becomes visible. Bulk Core statements (``session.execute(
update(Course)…)``) bypass the ORM hooks; the harvest store reports its bulk batches through the
hook ``enable_auto_indexing`` registers with it (``catalogue.store.on_courses_changed``), other
callers must call ``index_courses`` themselves. Every entry point (CLI, API, ``emclm.build``)
enables it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session, selectinload

from emclm.catalogue.models import Course, CourseRun
from emclm.catalogue.store import on_courses_changed
from emclm.db.base import utcnow
from emclm.search.analysis import base_lang, stem_text
from emclm.search.backends import backend_for
from emclm.search.state import PROCESS
from emclm.skills.models import CourseSkill

log = logging.getLogger(__name__)

MAX_BODY_CHARS = 6000
BATCH = 500


def _text_list(value) -> list[str]:
    if not value:
        return []
    if isinstance(value, dict):
        return [str(v) for v in value.values() if v]
    if isinstance(value, (list, tuple)):
        out = []
        for item in value:
            if isinstance(item, dict):
                out.extend(str(v) for v in item.values() if isinstance(v, str) and v)
            elif item:
                out.append(str(item))
        return out
    return [str(value)]


def _is_free(course: Course) -> bool | None:
    prices = [course.price] + [r.price for r in course.runs if r.withdrawn_at is None]
    if course.free_audit:
        return True
    known = [p for p in prices if p is not None]
    if not known:
        return None
    return any(Decimal(p) == 0 for p in known)


def document_for(course: Course) -> dict:
    """The denormalised search document of one course (the facet values and the analysed text)."""
    lang = base_lang(course.language) or "simple"
    titles = [course.title] + [t for t in _text_list(course.title_i18n) if t != course.title]
    body_parts = (
        [course.description or ""]
        + [t for t in _text_list(course.description_i18n) if t != course.description]
        + _text_list(course.learning_outcomes)
        + _text_list(course.keywords)
        + [
            course.subject_label or "",
            course.organisation.name if course.organisation else "",
            course.provider.name if course.provider else "",
        ]
    )
    title = " ".join(t for t in titles if t)
    body = " ".join(p for p in body_parts if p)[:MAX_BODY_CHARS]
    pace = course.pace or next((r.pace for r in course.runs if r.pace), None)
    return {
        "course_id": course.id,
        "lang": lang,
        "title": title,
        "body": body,
        "title_terms": stem_text(title, lang),
        "body_terms": stem_text(body, lang),
        "language": base_lang(course.language),
        "provider": course.provider.code if course.provider else None,
        "provider_name": course.provider.name if course.provider else None,
        "organisation": course.organisation.name if course.organisation else None,
        "subject": course.subject_label or course.subject,
        "eqf_level": course.eqf_level,
        "is_free": _is_free(course),
        "certificate_type": course.certificate_type,
        "ects_credits": course.ects_credits,
        "pace": pace,
        "workload_hours": course.workload_hours,
        "run_starts": " ".join(
            sorted({r.start_date.isoformat() for r in course.runs if r.start_date and r.withdrawn_at is None})
        )
        or None,
        "url": course.url,
        "indexed_at": utcnow(),
    }


def index_courses(session: Session, course_ids: Iterable[int] | None = None) -> int:
    """(Re)index these courses (all when ``None``) in the current transaction; returns documents written."""
    backend = backend_for(session)
    if course_ids is None:
        ids = list(session.execute(select(Course.id).order_by(Course.id)).scalars())
        backend.clear(session)
    else:
        ids = sorted({int(i) for i in course_ids})
    written = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        courses = (
            session.execute(
                select(Course)
                .where(Course.id.in_(chunk))
                .options(selectinload(Course.provider), selectinload(Course.organisation), selectinload(Course.runs))
            )
            .scalars()
            .all()
        )
        docs = []
        for course in courses:
            if course.withdrawn_at is not None:
                continue
            try:
                docs.append(document_for(course))
            except Exception as exc:  # noqa: BLE001 - one bad course never stops the batch
                log.warning("search: course %s (%s) not indexed: %s", course.id, course.key, exc)
        backend.delete(session, chunk)
        backend.write(session, docs)
        written += len(docs)
    from emclm.search.columns import bump_generation
    from emclm.search.query import invalidate_caches

    bump_generation(session)
    invalidate_caches(session)
    return written


def remove_courses(session: Session, course_ids: Iterable[int]) -> None:
    """Drop courses from the index (withdrawn or deleted) in the current transaction."""
    ids = sorted({int(i) for i in course_ids})
    if ids:
        backend_for(session).delete(session, ids)
        from emclm.search.columns import bump_generation
        from emclm.search.query import invalidate_caches

        bump_generation(session)
        invalidate_caches(session)


# -- automatic indexing through session events ---------------------------------------------------

_DIRTY = "emclm_search_dirty"


def _course_id_of(obj) -> int | None:
    if isinstance(obj, Course):
        return obj.id
    if isinstance(obj, (CourseRun, CourseSkill)):
        return obj.course_id
    return None


def _after_flush(session: Session, _ctx) -> None:
    dirty = session.info.setdefault(_DIRTY, set())
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        cid = _course_id_of(obj)
        if cid is not None:
            dirty.add(cid)


def _has_search_tables(session: Session) -> bool:
    bind = session.get_bind()
    cache = bind.__dict__.setdefault("_emclm_search_tables", {})
    if "ok" not in cache:
        cache["ok"] = inspect(bind).has_table("search_document")
    return cache["ok"]


def _before_commit(session: Session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()  # commit flushes after this hook; flush now so that after_flush sees the changes
    if not session.info.get(_DIRTY):
        return
    ids = session.info.pop(_DIRTY, set())
    if ids and _has_search_tables(session):
        index_courses(session, ids)


def _after_rollback(session: Session) -> None:
    session.info.pop(_DIRTY, None)


def _index_store_batch(session: Session, course_ids) -> None:
    """The catalogue store's hook (``on_courses_changed``): its bulk statements bypass the ORM events."""
    if _has_search_tables(session):
        index_courses(session, course_ids)


def enable_auto_indexing() -> None:
    """Index every change to courses, runs and skill tags in the same transaction (idempotent): ORM writes
    through session hooks, the harvest store's bulk writes through the hook it offers."""
    if not PROCESS.once("search-auto-indexing"):
        return
    on_courses_changed(_index_store_batch)
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_soft_rollback", lambda s, _t: _after_rollback(s))
