"""The evidence rule for course tags (skills.evidence, decision 0017), on the examples of issue 15:
the French snippets as the extractor ranked them, and the real demo courses from the built database."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from emclm.catalogue.models import Course
from emclm.db.session import session_scope
from emclm.skills.evidence import GENERIC_MIN_LABELS, EvidenceJudge, stop_words
from emclm.skills.extractor import Evidence, SkillExtractor, SkillMatch
from emclm.skills.models import CourseSkill
from emclm.skills.tagging import course_text, current_course_tagger_version, tag_courses
from emclm.skills.text import stem_words, tokens
from emclm.taxonomy.models import Concept


@pytest.fixture(scope="module")
def extractor(esco_db_url):
    return SkillExtractor.from_database(esco_db_url)


@pytest.fixture(scope="module")
def judge(extractor):
    return EvidenceJudge.for_extractor(extractor)


def skill(judge, label, lang="fr"):
    """The skill whose preferred label in ``lang`` is ``label`` (a real ESCO skill)."""
    labels = judge.index.preferred[lang]
    i = labels.index(label)
    return judge.index.uris[i], label


def match(judge, label, text, piece, method="embedding", lang="fr"):
    uri, label = skill(judge, label, lang)
    start = text.index(piece)
    ev = Evidence(piece, start, start + len(piece), method, 0.8)
    return SkillMatch(uri=uri, label=label, score=0.8, evidence=[ev])


def admitted(judge, text, matches, lang="fr"):
    return {m.label: a for m, a in judge.admit(text, lang, matches)}


def test_generic_words_are_derived_from_the_labels_not_listed(judge):
    fr = judge.generic("fr")
    for word in ("principes", "pratique", "bases", "techniques"):  # the issue's words
        assert judge.is_generic_word(word, "fr"), word
    for word in ("statistique", "récolte", "coréen", "projecteur"):
        assert not judge.is_generic_word(word, "fr"), word
    # the set is what the labels say: every generic stem is in >= GENERIC_MIN_LABELS French labels
    counts: dict[str, int] = {}
    stop = stop_words("fr")
    for label in judge.index.preferred["fr"]:
        words = [t.text for t in tokens(label or "") if t.text not in stop]
        for s in set(stem_words(words, "fr")):
            counts[s] = counts.get(s, 0) + 1
    assert fr == {s for s, n in counts.items() if n >= GENERIC_MIN_LABELS}
    assert 100 < len(fr) < 1000
    assert {"avec", "les", "la", "de"} <= stop_words("fr")


def test_function_words_and_single_generic_words_are_never_enough(judge):
    text = "Introduction à la statistique avec R.\nLes bases techniques"
    got = admitted(
        judge,
        text,
        [
            match(judge, "gestion des appareils mobiles", text, "avec", "label"),  # English "AVEC"
            match(judge, "utiliser des bases de données", text, "Les bases techniques"),
            match(judge, "statistiques", text, "statistique", "label"),
        ],
    )
    assert set(got) == {"statistiques"}
    assert got["statistiques"].rule == "label"

    text = "Chapitre 3 : Mesures de position et de dispersion : les principes\nChapitre 4 : la pratique"
    got = admitted(
        judge,
        text,
        [
            match(judge, "principes d’arrosage", text, "les principes"),
            match(judge, "principes de communication", text, "les principes"),
            match(judge, "pratiquer des mouvements de danse", text, "la pratique"),
        ],
    )
    assert got == {}


@pytest.mark.parametrize("e5_checks", [0, 12], ids=["default", "with-e5-rule"])
def test_word_pieces_and_look_alikes_are_judged_on_whole_words_in_context(judge, e5_checks):
    """By default (e5 rule off) only word evidence counts; with the e5 rule on, the sentence must
    still read as the skill: the look-alikes stay out either way."""
    judge = EvidenceJudge(judge.index, e5_checks=e5_checks)
    text = "Monter un MOOC de A à Z\nCadrer son projet\nRécolte et analyse des données\nLa propriété intellectuelle"
    got = admitted(
        judge,
        text,
        [
            match(judge, "coréen", text, "Récolte et an"),
            match(judge, "récolter des cultures", text, "Récolte et an"),
            match(judge, "régler un projecteur", text, "Cadrer son projet"),
            match(judge, "droit de la propriété intellectuelle", text, "La propriété intellectuelle"),
        ],
    )
    if e5_checks:
        assert set(got) == {"droit de la propriété intellectuelle"}
        assert got["droit de la propriété intellectuelle"].rule == "embedding-e5"
        assert got["droit de la propriété intellectuelle"].rank < 20
    else:
        assert got == {}  # "droit" is missing from the span: no word evidence


def test_a_single_word_must_be_the_skills_own_name(judge):
    text = "Experimenting with ideas, guided by Python experts"
    got = admitted(
        judge,
        text,
        [
            match(judge, "think creatively", text, "Experimenting", "label", lang="en"),
            match(judge, "advise others", text, "guided", "label", lang="en"),
            match(judge, "Python (computer programming)", text, "Python", "label", lang="en"),
        ],
        lang="en",
    )
    assert set(got) == {"Python (computer programming)"}


def test_embedding_words_rule_needs_every_content_word_of_a_label(judge):
    text = "Du droit d'auteur aux contrats de cession de droit"
    got = admitted(
        judge,
        text,
        [match(judge, "droit des contrats", text, text), match(judge, "droit du travail", text, text)],
    )
    assert got["droit des contrats"].rule == "embedding-words"
    assert "droit du travail" not in got
    # the label's words in the label's order: a category keyword is not "teach further education"
    text = "Education & Teaching"
    got = admitted(judge, text, [match(judge, "teach further education", text, text, lang="en")], lang="en")
    assert got == {}


def test_an_english_label_in_another_language_needs_a_real_word(judge):
    text = "Programmer en Python avec des données"
    got = admitted(
        judge,
        text,
        [
            match(judge, "Python (computer programming)", text, "Python", "label", lang="en"),
            match(judge, "mobile device management", text, "avec", "label", lang="en"),
        ],
    )
    assert set(got) == {"Python (computer programming)"}


ISSUE_BAD = {
    944: ("coréen", "récolter des cultures", "régler un projecteur", "droit civil", "droit du travail", "droit public"),
    2241: ("principes d’arrosage", "principes de communication", "pratiquer des mouvements de danse"),
}


def test_the_issue_courses_lose_their_unfounded_tags(esco_db_url, extractor):
    report = tag_courses(esco_db_url, extractor, course_ids=sorted(ISSUE_BAD), force=True)
    assert report.tagged == 2
    with session_scope(esco_db_url) as s:
        for cid, bad in ISSUE_BAD.items():
            course = s.get(Course, cid)
            text = course_text(course)[0]
            rows = s.execute(
                select(CourseSkill, Concept.id)
                .join(Concept, Concept.id == CourseSkill.skill_id)
                .where(CourseSkill.course_id == cid, CourseSkill.status == "auto")
            ).all()
            assert len(rows) >= 2, cid  # the course keeps tags of its own
            labels = set()
            for cs, _ in rows:
                assert cs.tagger_version == current_course_tagger_version()
                label = next(
                    lb.text for lb in s.get(Concept, cs.skill_id).labels if lb.lang == "fr" and lb.kind == "preferred"
                )
                labels.add(label)
                first = cs.evidence[0]
                assert first["rule"] in ("label", "embedding-words", "embedding-e5"), (cid, label)
                field_text = {"title": course.title, "description": course.description}.get(first["field"])
                if field_text is not None:
                    assert field_text[first["start"] : first["end"]] == first["text"]
                assert first["text"] in text
            assert not labels & set(bad), (cid, labels & set(bad))
        assert "statistiques" in {
            lb.text
            for cs in s.scalars(select(CourseSkill).where(CourseSkill.course_id == 2241))
            for lb in s.get(Concept, cs.skill_id).labels
            if lb.lang == "fr"
        }
