"""Recognition facts extracted from real course descriptions (the shipped demo catalogue) and from
phrasing in each language; every fact is asserted against the text: its value, and its evidence is the
text found at the offsets it names."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from emclm.catalogue.models import Course
from emclm.credentials.recognition import (
    CMF_CRITERIA,
    DECLARED,
    EXTRACTED,
    CourseText,
    cmf_check,
    extract_facts,
    profile,
)
from emclm.db.session import session_scope


def _by_element(facts):
    return {f.element: f for f in facts}


def _assert_evidence(course: CourseText, fact):
    text = dict(course.texts())[fact.field]
    assert text[fact.start : fact.end] == fact.evidence, fact


# (course key in the demo catalogue, element, expected value, evidence as it stands in the text)
DEMO = [
    (
        "miriadax:nuevos-modelos-formativos-para-desarrollar-inteligencia-emocional-en-el-aula-2-edicion-",
        "ects",
        1.0,
        "1 crédito ECTS",
    ),
    (
        "miriadax:nuevos-modelos-formativos-para-desarrollar-inteligencia-emocional-en-el-aula-2-edicion-",
        "quality_assurance",
        ["accredited", "university_issued"],
        None,
    ),
    ("swayam:url:swayam.gov.in/nd2_cec19_hs52/preview", "credits", 4.0, "with 4 credits"),
    ("edx:postgraduate-academic-literacy-for-management-and-business-students-2", "eqf_level", 7, "Postgraduate"),
    ("miriadax:que-es-una-ecoe-", "eqf_level", 6, "estudiantes del Grado"),
    (
        "edx:probability-the-science-of-uncertainty-and-data",
        "assessment",
        ["proctored_exam"],
        "virtually-proctored exam",
    ),
    ("edx:probability-the-science-of-uncertainty-and-data", "stackable", True, "Part of the MITx MicroMasters program"),
    ("opensap:byd1-c", "assessment", ["proctored_exam"], "proctored exam"),
    ("coursera:contenido-matematica-escolar", "identity_verified", True, "verificación de identidad"),
    ("coursera:contenido-matematica-escolar", "assessment", ["automated"], "cuestionario"),
    ("coursera:activismo-movimientos-sociales", "assessment", ["peer"], "evaluaciones por pares"),
    ("coursera:intro-produccion-musical", "assessment", ["project"], "proyecto final"),
    (
        "canvas-network:url:canvas.net/browse/knox/courses/differentiation-strategy-1",
        "quality_assurance",
        ["accredited"],
        "accredited course",
    ),
    ("edx:algebre-lineaire-partie-3-epflx-algebre3x-1", "prerequisites", "none", "aucun prérequis"),
    ("edx:programacion-para-todos-empezando-con-python", "prerequisites", "none", "sin prerrequisitos"),
    (
        "openclassrooms:initiez-vous-a-la-statistique-inferentielle",
        "prerequisites",
        "Pratiquer les statistiques descriptives.",
        "Pratiquer les statistiques descriptives.",
    ),
    ("emma:algoritmi_quotidiani", "certificate", {"type": "certificate"}, "attestato di completamento"),
    ("fun-mooc:ENSDeLyon+14002S03", "assessment", ["automated", "peer"], None),
]


@pytest.fixture(scope="module")
def demo_courses(esco_db_url):
    keys = {k for k, *_ in DEMO}
    with session_scope(esco_db_url) as s:
        rows = s.scalars(
            select(Course)
            .where(Course.key.in_(keys))
            .options(selectinload(Course.organisation), selectinload(Course.provider))
        ).all()
        # what the source declared, not the columns recognition itself filled in the built database
        from emclm.credentials.models import RecognitionState
        from emclm.credentials.store import _declared

        applied = {st.course_id: dict(st.applied or {}) for st in s.scalars(select(RecognitionState))}
        return {c.key: CourseText.from_course(c, _declared(c, applied.get(c.id, {}))) for c in rows}


@pytest.mark.parametrize("key,element,value,evidence", DEMO, ids=[f"{k.split(':')[0]}-{e}" for k, e, *_ in DEMO])
def test_demo_course_fact_is_what_its_text_says(demo_courses, key, element, value, evidence):
    course = demo_courses[key]
    fact = _by_element(extract_facts(course)).get(element)
    assert fact is not None, f"{key}: no {element}"
    assert fact.value == value
    if fact.provenance == EXTRACTED and fact.start is not None:
        _assert_evidence(course, fact)
    if evidence is not None:
        assert fact.evidence == evidence


def test_demo_declared_fields_stay_declared(demo_courses):
    course = demo_courses["edx:probability-the-science-of-uncertainty-and-data"]
    facts = _by_element(extract_facts(course))
    # the edX export declares a verified certificate (and with it identity verification) and the pace
    assert facts["certificate"].provenance == DECLARED and facts["certificate"].value["type"] == "verified"
    assert facts["identity_verified"].provenance == DECLARED
    assert facts["participation"].provenance == DECLARED and facts["participation"].field == "pace"
    # MicroMasters is a graduate-level credential: EQF 7, with the word as evidence
    assert facts["eqf_level"].value == 7 and facts["eqf_level"].evidence == "MicroMasters"


# Phrasing in each language (en, fr, es, de, it, nl): sentences as platforms write them.
PHRASES = [
    ("en", "This course is worth 5 ECTS credits at EQF level 6.", {"ects": 5.0, "eqf_level": 6}),
    (
        "fr",
        "Ce cours donne 3 crédits ECTS, niveau licence. Examen surveillé à distance.",
        {"ects": 3.0, "eqf_level": 6, "assessment": ["proctored_exam"]},
    ),
    (
        "fr",
        "Formation Bac+5 avec évaluation par les pairs ; vérification d'identité obligatoire.",
        {"eqf_level": 7, "assessment": ["peer"], "identity_verified": True},
    ),
    (
        "es",
        "Curso de 4 créditos ECTS, nivel de máster, con evaluación entre pares y proyecto final.",
        {"ects": 4.0, "eqf_level": 7, "assessment": ["peer", "project"]},
    ),
    (
        "de",
        "Der Kurs umfasst 5 ECTS-Punkte (DQR 6). Abschluss mit einer beaufsichtigten Prüfung; keine Vorkenntnisse erforderlich.",
        {"ects": 5.0, "eqf_level": 6, "assessment": ["proctored_exam"], "prerequisites": "none"},
    ),
    (
        "de",
        "Sie lernen im eigenen Tempo; Leistungsnachweis nach Identitätsprüfung.",
        {"participation": ["self_paced"], "identity_verified": True, "certificate": {"type": "record_of_achievement"}},
    ),
    (
        "it",
        "Il corso vale 6 CFU, livello laurea magistrale, con esame in presenza.",
        {"ects": 6.0, "eqf_level": 7, "assessment": ["proctored_exam"]},
    ),
    (
        "it",
        "Corso online al tuo ritmo con test di autovalutazione e attestato di partecipazione.",
        {
            "participation": ["online", "self_paced"],
            "assessment": ["automated"],
            "certificate": {"type": "participation"},
        },
    ),
    (
        "nl",
        "Deze cursus levert 4 studiepunten op (NLQF 6), met een eindopdracht; geen voorkennis nodig.",
        {"ects": 4.0, "eqf_level": 6, "assessment": ["project"], "prerequisites": "none"},
    ),
    (
        "nl",
        "Een online cursus in je eigen tempo met meerkeuzevragen en identiteitscontrole.",
        {"participation": ["online", "self_paced"], "assessment": ["automated"], "identity_verified": True},
    ),
    (
        "en",
        "Earn a Verified Certificate ($49) after a proctored exam. Prerequisites: basic algebra",
        {
            "certificate": {"type": "verified", "price": 49.0, "currency": "USD"},
            "identity_verified": True,
            "prerequisites": "basic algebra",
        },
    ),
]


@pytest.mark.parametrize("lang,text,expected", PHRASES, ids=[f"{p[0]}-{i}" for i, p in enumerate(PHRASES)])
def test_phrasing_per_language(lang, text, expected):
    course = CourseText(title="", description=text)
    facts = _by_element(extract_facts(course))
    for element, value in expected.items():
        assert element in facts, (element, text)
        assert facts[element].value == value, (element, facts[element])
        assert facts[element].provenance == EXTRACTED
        if facts[element].start is not None:
            _assert_evidence(course, facts[element])
        assert facts[element].evidence in text


@pytest.mark.parametrize(
    "text,absent",
    [
        ("Key aspects of projects: ECTS are not discussed here.", "ects"),  # no number: no ECTS
        ("ideal preparation for those interested in undertaking an undergraduate degree", "eqf_level"),
        ("movie theaters didn't open the curtain until the opening credits were over", "credits"),
        ("A unique opportunity to learn.", "quality_assurance"),
        ("Frequent peer feedback on patches", "identity_verified"),
        ("Questo corso è rivolto agli insegnanti delle scuole di ogni ordine e grado.", "eqf_level"),
    ],
)
def test_words_that_do_not_state_a_fact(text, absent):
    assert absent not in _by_element(extract_facts(CourseText(description=text)))


def test_declared_field_wins_over_text():
    course = CourseText(description="Worth 3 ECTS at EQF level 4.", declared={"ects_credits": 5.0, "eqf_level": 6})
    facts = _by_element(extract_facts(course))
    assert (facts["ects"].value, facts["ects"].provenance, facts["ects"].field) == (5.0, DECLARED, "ects_credits")
    assert (facts["eqf_level"].value, facts["eqf_level"].provenance) == (6, DECLARED)


def test_profile_names_known_and_missing_elements():
    course = CourseText(
        title="Data analysis",
        description="4 ECTS, EQF 6, proctored exam.",
        organisation="Université de Lille",
        country="FR",
    )
    facts = extract_facts(course)
    rows = {r["element"]: r for r in profile(facts, course)}
    assert len([r for r in rows.values() if r["mandatory"]]) == 11
    assert (
        rows["workload"]["known"] and rows["workload"]["value"] == 4.0 and rows["workload"]["provenance"] == EXTRACTED
    )
    assert rows["level"]["value"] == 6
    assert rows["awarding_body"]["value"] == "Université de Lille" and rows["country"]["value"] == "FR"
    assert rows["quality_assurance"]["value"] == ["university_issued"]
    assert not rows["learner"]["known"] and rows["learner"]["missing"]
    assert not rows["participation"]["known"] and rows["participation"]["missing"] == "no participation stated"


def test_cmf_check_reasons():
    assert [c[0] for c in CMF_CRITERIA] == [
        "workload",
        "level",
        "summative_assessment",
        "identity_verification",
        "transcript",
    ]
    ok = CourseText(description="5 ECTS at EQF level 6, proctored exam. Learning outcomes: model data.")
    res = cmf_check(extract_facts(ok))
    assert res["compliant"] is True, res
    assert {c["criterion"]: c["status"] for c in res["criteria"]} == dict.fromkeys(
        ("workload", "level", "summative_assessment", "identity_verification", "transcript"), "met"
    )
    short = cmf_check(extract_facts(CourseText(description="1 ECTS, EQF 5, quizzes.")))
    by = {c["criterion"]: c for c in short["criteria"]}
    assert short["compliant"] is False
    assert by["workload"]["status"] == "not_met" and by["workload"]["reason"] == "1 ECTS"
    assert by["level"]["status"] == "met"  # EQF 5 with ECTS
    assert by["identity_verification"]["status"] == "unknown"
    assert by["transcript"]["reason"] == "missing: learning outcomes"
    assert "futurelearn.com" in short["source"]
