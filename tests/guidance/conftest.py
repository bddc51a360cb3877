"""Guidance fixtures (data loaders in guidance_data.py)."""

from __future__ import annotations

import pytest

from .guidance_data import load_esco_subset, load_journey_courses


@pytest.fixture
def guidance_db(db_url) -> str:
    """A migrated database (SQLite and PostgreSQL) with the ESCO subset and the tagged courses."""
    load_esco_subset(db_url)
    load_journey_courses(db_url)
    return db_url
