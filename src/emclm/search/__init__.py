"""Multilingual, cross-lingual, faceted course search (``emclm.search``).

One interface over two engines (``SearchBackend``: SQLite FTS5, PostgreSQL full text); ESCO concepts
and multilingual embeddings fused with the full-text ranking. Entry points:

- ``search(session, SearchRequest(...)) -> SearchResult``
- ``suggest(session, prefix, lang)`` autocomplete for skills and occupations
- ``index_courses(session, ids)`` / ``remove_courses(session, ids)`` / ``enable_auto_indexing()``
"""

from emclm.search.facets import FACET_TABLE, FACETS, Facet, FilterError, Filters
from emclm.search.indexer import enable_auto_indexing, index_courses, remove_courses
from emclm.search.service import Hit, SearchError, SearchRequest, SearchResult, search, suggest

__all__ = [
    "FACETS",
    "FACET_TABLE",
    "Facet",
    "FilterError",
    "Filters",
    "Hit",
    "SearchError",
    "SearchRequest",
    "SearchResult",
    "enable_auto_indexing",
    "index_courses",
    "remove_courses",
    "search",
    "suggest",
]
