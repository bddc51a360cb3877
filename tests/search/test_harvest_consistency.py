"""A harvested course is searchable as soon as its batch commits; a changed one is found by its new
text; a withdrawn one disappears. Through the real harvest engine, on SQLite and PostgreSQL, with the
search hooks every entry point (CLI, API, build) enables."""

from __future__ import annotations

from emclm.catalogue.harvest import harvest
from emclm.db.session import session_scope
from emclm.search import SearchRequest, enable_auto_indexing, search

from ..catalogue.harvest_support import ListSource, make_record


def _ids(url, q):
    with session_scope(url) as s:
        result = search(s, SearchRequest(q=q, lang="en", embeddings=False, facets=False))
        return {hit.title for hit in result.results}


def test_harvest_keeps_the_index_in_step(db_url):
    enable_auto_indexing()
    records = [make_record(1, title="Volcanology for beginners"), make_record(2, title="Glacier dynamics")]
    harvest(ListSource("feed", records), db_url)
    assert _ids(db_url, "volcanology") == {"Volcanology for beginners"}

    changed = [make_record(1, title="Seismology for beginners"), make_record(2, title="Glacier dynamics")]
    harvest(ListSource("feed", changed), db_url)
    assert _ids(db_url, "seismology") == {"Seismology for beginners"}
    assert _ids(db_url, "volcanology") == set()

    harvest(ListSource("feed", [make_record(1, title="Seismology for beginners")]), db_url)  # course 2 gone
    assert _ids(db_url, "glacier") == set()
