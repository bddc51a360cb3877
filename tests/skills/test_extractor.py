"""The real extractor over the full ESCO database: each language path, evidence, bad input."""

from __future__ import annotations

import pytest

from emclm.skills.text import SkillInputError

from .conftest import SKILLS

ACCOUNTING = "http://data.europa.eu/esco/skill/ecc18804-a466-40d9-98b4-fba5cd67dd4b"
PYTHON = SKILLS["python"][0]
JAVA = SKILLS["java"][0]
BUDGETS = SKILLS["budgets"][0]
TEAMS = SKILLS["teams"][0]


def uris(matches, k=10):
    return [m.uri for m in matches[:k]]


@pytest.mark.parametrize(
    "lang,text,expected",
    [
        ("en", "You will write Python scripts and manage the project budgets.", PYTHON),
        ("en", "You will write Python scripts and manage the project budgets.", BUDGETS),
        ("fr", "Vous tiendrez la comptabilité de plusieurs petites entreprises.", ACCOUNTING),
        ("es", "Buscamos personas con capacidad de trabajar en equipo.", TEAMS),
        ("de", "Sie haben Kenntnisse in der Buchhaltung und im Steuerrecht.", ACCOUNTING),
        ("pl", "Umiejętność programowania w języku Java jest wymagana.", JAVA),
    ],
)
def test_each_language_yields_the_expected_skill(extractor, lang, text, expected):
    assert expected in uris(extractor.rank(text, lang=lang, k=10), 10)


def test_language_is_guessed_when_not_given(extractor):
    assert ACCOUNTING in uris(extractor.rank("Vous tiendrez la comptabilité de plusieurs entreprises."), 10)


def test_evidence_spans_point_at_the_text(extractor):
    text = "About the job. You will manage budgets for our clients and automate reports in Python."
    matches = extractor.rank(text, lang="en", k=10)
    by_uri = {m.uri: m for m in matches}
    assert BUDGETS in by_uri and PYTHON in by_uri
    for m in matches:
        assert m.evidence, m.label
        for e in m.evidence:
            assert text[e.start : e.end] == e.text
    label_ev = [e for e in by_uri[BUDGETS].evidence if e.method == "label"]
    assert [e.text for e in label_ev] == ["manage budgets"]
    py = [e for e in by_uri[PYTHON].evidence if e.method == "label"]
    assert py and py[0].text == "Python"


def test_scores_are_descending_and_k_respected(extractor):
    matches = extractor.rank("Bake bread and cook pastry products for a hotel restaurant.", k=7)
    assert len(matches) == 7
    scores = [m.score for m in matches]
    assert scores == sorted(scores, reverse=True)
    assert SKILLS["pastry"][0] in uris(matches, 7)


def test_long_course_description_evidence_in_right_sentence(extractor):
    text = (
        "Welcome to this course. " * 10
        + "In week two you will learn to cook pastry products such as tarts and croissants. "
        + "In week three we look at hygiene in professional kitchens. " * 3
    )
    matches = extractor.rank(text, lang="en", k=15)
    pastry = next(m for m in matches if m.uri == SKILLS["pastry"][0])
    assert any("pastry" in e.text for e in pastry.evidence)


@pytest.mark.parametrize("bad", ["", "  \n ", "x" * 2_000_000, b"\x00\xff\xfe\x01" * 100, "\x00\x01\x02\x03" * 50])
def test_bad_input_gets_a_clear_error(extractor, bad):
    with pytest.raises(SkillInputError):
        extractor.rank(bad)


def test_mixed_language_text_gives_skills_from_both_parts(extractor):
    text = "We need strong Python programming. Vous tiendrez aussi la comptabilité de l'entreprise."
    found = uris(extractor.rank(text, k=20), 20)
    assert PYTHON in found and ACCOUNTING in found


def test_batch_equals_single(extractor):
    texts = ["Manage budgets.", "Cook pastry products."]
    batch = extractor.rank_batch(texts, k=5)
    assert [uris(b, 5) for b in batch] == [uris(extractor.rank(t, k=5), 5) for t in texts]


def test_unusual_but_valid_text_does_not_crash(extractor):
    for text in ["🙂🙂🙂", "1234 5678", "a", "C++ " * 3000, "ß" * 500, "İstanbul"]:
        assert isinstance(extractor.rank(text, k=5), list)
