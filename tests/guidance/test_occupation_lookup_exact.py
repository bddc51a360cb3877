"""The exact stage of the one occupation lookup (``resolve_occupation(..., exact_only=True)``), which the
search page runs on every query: it answers from stored labels at once, never waits for the in-memory
labels (gendered forms) and, once they have loaded in the background, uses them too."""

from __future__ import annotations

import time

import pytest

from emclm.db.session import session_scope
from emclm.guidance import repository as repo


def _wait_loaded(url: str, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with session_scope(url) as s:
            if repo._loaded_occupation_labels(s) is not None:
                return
        time.sleep(0.5)
    pytest.fail("the occupation labels did not load in the background")


def test_exact_stage_answers_at_once_then_uses_gendered_forms(esco_db_url):
    repo._label_cache.clear()
    with session_scope(esco_db_url) as s:
        full_uri, _ = repo.resolve_occupation(s, "ICT help desk agent", exact_only=True)  # a stored label
        assert full_uri.startswith("http://data.europa.eu/esco/occupation/")
        assert repo._label_cache == {}  # answered without loading every label
        with pytest.raises(repo.OccupationNotFound):
            repo.resolve_occupation(s, "ict help desk agnt", exact_only=True)  # a typo: fuzzy only
    _wait_loaded(esco_db_url)
    with session_scope(esco_db_url) as s:
        exact, _ = repo.resolve_occupation(s, "vendeur", exact_only=True)  # one form of "vendeur/vendeuse"
        assert exact == repo.resolve_occupation(s, "vendeur")[0]  # the same answer as the full lookup
        with pytest.raises(repo.OccupationNotFound):
            repo.resolve_occupation(s, "python programming", exact_only=True)
