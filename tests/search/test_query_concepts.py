"""Issue #14, item 3: a concept matched on a strict sub-span of another match is dropped, and a query
that names exactly one ESCO concept carries that concept's label and description as embedding
context. Over the built demo database (real ESCO labels in every language)."""

from __future__ import annotations

from sqlalchemy import select

from emclm.catalogue.models import Course
from emclm.db.session import session_scope
from emclm.search.concepts import match_concepts
from emclm.search.query import parse
from emclm.taxonomy.models import Concept, Label


def _preferred(session, concept_ids) -> list[str]:
    return list(
        session.execute(
            select(Label.text).where(Label.concept_id.in_(concept_ids), Label.kind == "preferred", Label.lang == "en")
        ).scalars()
    )


def test_a_concept_on_a_sub_span_of_a_longer_match_is_dropped(esco_db_url):
    """Dutch "logistiek planner" names ESCO occupations as a whole (nl labels); the English look-up of
    "planner" alone used to add "land planner" on top of them."""
    with session_scope(esco_db_url) as session:
        found = match_concepts(session, "logistiek planner", ["nl", "en"])
        assert found, "the Dutch label should match"
        assert {c.span for c in found} == {"logistiek planner"}
        assert "land planner" not in _preferred(session, [c.concept_id for c in found])


def test_spans_that_do_not_contain_each_other_are_kept(esco_db_url):
    with session_scope(esco_db_url) as session:
        found = match_concepts(session, "logistics planner", ["en"])
        assert {c.span for c in found} == {"logistics", "planner"}  # neither span contains the other
        # the same span in two languages is not a *strict* sub-span: both languages' concepts stay
        found = match_concepts(session, "statistics", ["en", "fr"])
        assert {c.span for c in found} == {"statistics"} and len(found) >= 1


def test_a_query_naming_one_concept_carries_its_label_and_description_as_context(esco_db_url):
    with session_scope(esco_db_url) as session:
        pq = parse(session, "logistics", "en", ["en", "es", "fr"])
        assert [c.span for c in pq.concepts] == ["logistics"]
        cid = pq.concepts[0].concept_id
        assert session.get(Concept, cid).uri.endswith("e843973c-23dd-416a-8a9c-9e89512542fb")
        assert pq.context is not None
        assert pq.context.startswith("logistics. The management of resources such as materials, time")
        # two words of which only one names a concept, or two concepts: no context
        assert parse(session, "logistics planner", "en", ["en"]).context is None
        assert parse(session, "learn logistics online quickly", "en", ["en"]).context is None


def test_logistics_ranks_logistics_courses_above_logistic_regression(esco_db_url):
    """ "logistics" and "Logistic Regression" share the stem and are close to the embedding model; the
    concept's own text in the query vector puts the supply-chain courses first."""
    from emclm.search import SearchRequest, embeddings, search

    with session_scope(esco_db_url) as session:
        assert embeddings.available(session)
        titles = dict(session.execute(select(Course.id, Course.title)).all())
        pq = parse(session, "logistics", "en", ["en", "es", "fr"])
        near = [titles[c] for c in embeddings.nearest(session, "logistics", pq.context)]
        regression = near.index("Applied Logistic Regression")
        for logistics in ("Fundamentos de logística", "Master Control in Supply Chain Management and Logistics"):
            assert near.index(logistics) < regression, near[:8]
        got = [titles[h.id] for h in search(session, SearchRequest(q="logistics", per_page=10)).results]
        assert got.index("Sustainable Urban Freight Transport: A Global Perspective") < got.index(
            "Applied Logistic Regression"
        ), got
