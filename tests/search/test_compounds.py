"""German and Dutch compounds search as their parts too (issue 14, item 2), over the built demo
database: a compound query finds what its parts find."""

from __future__ import annotations

import re

import pytest

from emclm.db.session import session_scope
from emclm.search import SearchRequest, search
from emclm.search.compounds import split_compounds


def _run(url: str, q: str, per_page: int = 20):
    with session_scope(url) as session:
        return search(session, SearchRequest(q=q, per_page=per_page, embeddings=False, typo=False, facets=False))


@pytest.mark.parametrize(
    ("word", "lang", "parts"),
    [
        ("projektmanagement", "de", ["projekt", "management"]),
        ("softwareentwicklung", "de", ["software", "entwicklung"]),
        ("logistiekplanner", "nl", ["logistiek", "planner"]),
        ("softwareontwikkeling", "nl", ["software", "ontwikkeling"]),
    ],
)
def test_compounds_split_with_the_esco_dictionary(esco_db_url, word, lang, parts):
    with session_scope(esco_db_url) as session:
        assert split_compounds(session, [word], [lang]) == {word: parts}


def test_simple_words_and_other_languages_stay_whole(esco_db_url):
    with session_scope(esco_db_url) as session:
        # a word that is no compound, a short word, and an English run-together word (en forms no compounds)
        assert split_compounds(session, ["programmieren", "pflege"], ["de"]) == {}
        assert split_compounds(session, ["projectmanagement"], ["en"]) == {}


@pytest.mark.parametrize(
    ("compound", "parts"),
    [("Projektmanagement", "Projekt Management"), ("logistiekplanner", "logistiek planner")],
)
def test_compound_query_finds_what_its_parts_find(esco_db_url, compound, parts):
    whole, split = _run(esco_db_url, compound), _run(esco_db_url, parts)
    assert split.total > 0
    assert whole.total >= split.total, (whole.total, split.total)
    assert {h.id for h in split.results[:10]} <= {h.id for h in whole.results}
    assert whole.query["compounds"]


def test_query_words_as_typed_weigh_in_the_title(esco_db_url):
    # "logistics" and "logistic" share the English stem "logist": the course about logistics ranks
    # above every "Logistic Regression" course, because its title has the word as typed
    res = _run(esco_db_url, "logistics")
    titles = [h.title for h in res.results]
    # (with the shipped course vectors a logistics course in another language, "Fundamentos de
    # logística", may lead: it is about logistics too)
    about = re.compile(r"logistics|log[íi]stica|logistique|logistik", re.I)
    logistics = [i for i, t in enumerate(titles) if about.search(t)]
    english = [i for i, t in enumerate(titles) if "logistics" in t.lower()]
    regression = [i for i, t in enumerate(titles) if "logistic regression" in t.lower()]
    assert logistics and english and regression, titles
    assert logistics[0] == 0 and english[0] < min(regression)
    assert "title" in res.results[english[0]].matched_by
