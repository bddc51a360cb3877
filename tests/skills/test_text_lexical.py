"""Normalisation, stemming, language guess and the Aho–Corasick label matcher (no database needed)."""

from __future__ import annotations

import pytest

from emclm.skills.lexical import LabelMatcher
from emclm.skills.text import SkillInputError, check_text, clauses, fold, guess_language, sentences, tokens

LABELS = [
    (0, "en", "preferred", "manage budgets"),
    (1, "en", "preferred", "Python (computer programming)"),
    (2, "en", "preferred", "Java (computer programming)"),
    (3, "en", "preferred", "JavaScript"),
    (4, "fr", "preferred", "gérer des budgets"),
    (5, "es", "alternative", "gestión de proyectos"),
    (6, "en", "preferred", "C++"),
]


@pytest.fixture(scope="module")
def matcher():
    return LabelMatcher.build(LABELS)


def hits(matcher, text, lang):
    return {(h.skill, text[h.start : h.end]) for h in matcher.match(text, lang)}


def test_fold_keeps_offsets_and_strips_accents():
    assert fold("Gestión Économique") == "gestion economique"
    assert len(fold("Zażółć gęślą")) == len("Zażółć gęślą")
    assert fold("Zażółć") == "zazolc"


def test_tokens_keep_programming_names():
    assert [t.text for t in tokens("C++, C# and node.js")] == ["c++", "c#", "and", "node.js"]


def test_stemmed_match_and_reordered_two_word_label(matcher):
    assert (0, "managing budgets") in hits(matcher, "Experience managing budgets.", "en")
    assert (0, "budget management") in hits(matcher, "Strong budget management skills", "en")


def test_parenthesised_qualifier_is_optional(matcher):
    assert (1, "Python") in hits(matcher, "We use Python daily", "en")


def test_token_boundaries(matcher):
    found = hits(matcher, "Senior JavaScript developer", "en")
    assert (3, "JavaScript") in found
    assert all(skill != 2 for skill, _ in found)  # no "Java" inside "JavaScript"
    assert (6, "C++") in hits(matcher, "modern C++ code", "en")


def test_french_and_spanish_labels_with_accents_folded(matcher):
    assert (4, "gérer les budgets") not in hits(matcher, "gérer les budgets", "fr")  # article differs
    assert (4, "Gérer des budgets") in hits(matcher, "Gérer des budgets publics", "fr")
    assert (5, "gestion de proyecto") in hits(matcher, "experiencia en gestion de proyecto", "es")


@pytest.mark.parametrize(
    "text,lang",
    [
        ("We are looking for a developer with experience in the cloud and you will be part of our team", "en"),
        ("Nous recherchons un développeur pour notre équipe avec une expérience dans le cloud", "fr"),
        ("Buscamos un desarrollador con experiencia en la nube para nuestro equipo", "es"),
        ("Wir suchen einen Entwickler mit Erfahrung in der Cloud für unser Team und die Firma", "de"),
        ("Szukamy programisty z doświadczeniem w chmurze dla naszego zespołu i jest to praca", "pl"),
    ],
)
def test_guess_language(text, lang):
    assert guess_language(text) == lang


@pytest.mark.parametrize("bad", ["", "   \n\t", "\x00\x01\x02binary", b"\xff\xfe\x00\x00", 42])
def test_check_text_rejects_unusable_input(bad):
    with pytest.raises(SkillInputError):
        check_text(bad)


def test_check_text_rejects_huge_text():
    with pytest.raises(SkillInputError, match="exceeds"):
        check_text("a" * 2_000_000)


def test_sentences_and_clauses_are_spans():
    text = "Build APIs. Manage budgets, lead teams and write reports\n• cook pastry"
    spans = sentences(text)
    assert [text[a:b] for a, b in spans] == [
        "Build APIs.",
        "Manage budgets, lead teams and write reports",
        "cook pastry",
    ]
    sent = "Manage large budgets, lead small teams and write weekly reports"
    assert [sent[a:b] for a, b in clauses(sent)] == ["Manage large budgets", "lead small teams", "write weekly reports"]


def test_no_match_across_punctuation(matcher):
    assert hits(matcher, "budgets, managing people", "en") == set()
    assert (0, "budgets managing") in hits(matcher, "budgets managing", "en")
