"""Recognition facts in the database, on SQLite and PostgreSQL: extracted after each harvest batch, the
catalogue columns the facets filter on filled from them, corrections that survive re-harvest, and the
platform fixtures' declared fields kept as declared."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "catalogue"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures" / "sources"))

from emclm_testserver import FIXTURES, fast_fetcher, local_server  # noqa: E402,F401
from harvest_support import make_record  # noqa: E402

from emclm.catalogue.models import Course  # noqa: E402
from emclm.catalogue.sources.schemaorg import SchemaOrgSource  # noqa: E402
from emclm.catalogue.store import upsert  # noqa: E402
from emclm.credentials import CorrectionError, correct, enable_recognition, recognition  # noqa: E402
from emclm.credentials.models import RecognitionCorrection, RecognitionFact  # noqa: E402
from emclm.db.session import session_scope  # noqa: E402
from emclm.ingest import SourceConfig  # noqa: E402
from emclm.search import enable_auto_indexing  # noqa: E402
from emclm.search.facets import Filters  # noqa: E402
from emclm.search.service import SearchRequest, search  # noqa: E402

TEXT = (
    "Applied statistics for public health. Worth 5 ECTS credits at EQF level 6. "
    "Graded by a proctored exam and a final project. Prerequisites: basic algebra"
)


@pytest.fixture(autouse=True)
def _hooks():
    enable_recognition()
    enable_auto_indexing()


def _course(s, n: int) -> Course:
    return s.scalars(select(Course).where(Course.key == f"testmooc:course-{n}")).one()


def test_harvest_extracts_facts_and_fills_the_facet_columns(db_url):
    with session_scope(db_url) as s:
        upsert(s, "src", make_record(1, description=TEXT, certificate_type=None))
    with session_scope(db_url) as s:
        c = _course(s, 1)
        assert (c.ects_credits, c.eqf_level, c.identity_verification) == (5.0, 6, True)
        assert c.assessment_type == "proctored_exam,project"
        facts = {f.element: f for f in s.scalars(select(RecognitionFact).where(RecognitionFact.course_id == c.id))}
        assert facts["ects"].provenance == "extracted" and facts["ects"].evidence == "5 ECTS"
        assert TEXT[facts["eqf_level"].start : facts["eqf_level"].end] == "EQF level 6"
        assert facts["prerequisites"].value == "basic algebra"
        # the source's own fields are declared: workload, pace, organisation (a university)
        assert facts["workload_hours"].provenance == "declared"
        assert facts["participation"].provenance == "declared" and facts["participation"].value == ["scheduled"]
        assert facts["quality_assurance"].value == ["university_issued"]
        rec = recognition(s, c.id)
        assert {r["element"] for r in rec["profile"] if r["mandatory"] and not r["known"]} >= {
            "learner",
            "date_of_issue",
        }
        assert rec["cmf"]["criteria"][1] == {**rec["cmf"]["criteria"][1], "criterion": "level", "status": "met"}
        course_id = c.id
    # the search facets see the extracted values: EQF 6 and ECTS in the 3-5 band
    with session_scope(db_url) as s:
        res = search(s, SearchRequest(filters=Filters(eqf_level=[6], ects=["3-5"]), embeddings=False))
        assert [h.id for h in res.results] == [course_id]


def test_correction_survives_reharvest_and_reextraction(db_url):
    with session_scope(db_url) as s:
        upsert(s, "src", make_record(3, description=TEXT))
        course_id = _course(s, 3).id
    with session_scope(db_url) as s:
        correct(s, course_id, "eqf_level", 7, "curator@example.org", note="programme handbook says level 7")
        correct(s, course_id, "identity_verified", None, "curator@example.org")
    with session_scope(db_url) as s:  # re-harvest with a changed text: the facts are rebuilt
        upsert(s, "src", make_record(3, description=TEXT + " Now with weekly quizzes."))
    with session_scope(db_url) as s:
        c = _course(s, 3)
        assert c.eqf_level == 7 and c.identity_verification is None
        assert c.assessment_type == "automated,proctored_exam,project"
        rec = recognition(s, course_id)
        facts = {f["element"]: f for f in rec["facts"]}
        assert facts["eqf_level"]["provenance"] == "corrected" and facts["eqf_level"]["value"] == 7
        assert "level 7" in facts["eqf_level"]["note"] and facts["eqf_level"]["evidence"] == "EQF level 6"
        assert "identity_verified" not in facts
        # the extracted fact is still kept as extracted underneath the correction
        row = s.scalars(
            select(RecognitionFact).where(
                RecognitionFact.course_id == course_id, RecognitionFact.element == "eqf_level"
            )
        ).one()
        assert (row.value, row.provenance) == (6, "extracted")
        assert s.scalars(select(RecognitionCorrection)).all()[0].corrected_by == "curator@example.org"


def test_a_source_that_later_declares_a_value_replaces_the_extracted_one(db_url):
    with session_scope(db_url) as s:
        upsert(s, "src", make_record(5, description=TEXT))
    with session_scope(db_url) as s:
        upsert(s, "src", make_record(5, description=TEXT, ects_credits=4.0))
    with session_scope(db_url) as s:
        c = _course(s, 5)
        assert c.ects_credits == 4.0
        facts = {f["element"]: f for f in recognition(s, c.id)["facts"]}
        assert (facts["ects"]["value"], facts["ects"]["provenance"]) == (4.0, "declared")
    with session_scope(db_url) as s:  # the source drops it again: the text's value comes back
        upsert(s, "src", make_record(5, description=TEXT + " "))
    with session_scope(db_url) as s:
        assert _course(s, 5).ects_credits == 5.0


@pytest.mark.parametrize(
    "element,value,message",
    [
        ("eqf_level", 9, "expected an EQF level 1–8"),
        ("ects", "five", "expected a positive number"),
        ("assessment", ["oral"], "expected a non-empty list of none, automated, peer, proctored_exam, project"),
        ("colour", "red", "unknown element"),
        ("certificate", {"type": "paid", "price": 10}, "ISO 4217"),
    ],
)
def test_bad_correction_names_course_and_element(db_url, element, value, message):
    with session_scope(db_url) as s:
        upsert(s, "src", make_record(7, description=TEXT))
        course_id = _course(s, 7).id
        with pytest.raises(CorrectionError) as err:
            correct(s, course_id, element, value, "curator@example.org")
        assert f"course {course_id}, element {element!r}" in str(err.value) and message in str(err.value)


def test_platform_fixture_declared_fields(db_url, local_server):
    body = (FIXTURES / "schemaorg" / "course_fr.html").read_text(encoding="utf-8").replace("{base}", local_server.base)
    local_server.routes["/cours/gpa/"] = (200, {"Content-Type": "text/html; charset=utf-8"}, body.encode("utf-8"))
    source = SchemaOrgSource(
        SourceConfig(
            name="ld",
            kind="schemaorg",
            options={"provider_code": "example", "urls": [local_server.url("/cours/gpa/")], "language": "fr"},
        ),
        fast_fetcher(max_retries=0),
    )
    (item,) = list(source.items())
    with session_scope(db_url) as s:
        upsert(s, "ld", item.record)
    with session_scope(db_url) as s:
        c = s.scalars(select(Course)).one()
        facts = {f["element"]: f for f in recognition(s, c.id)["facts"]}
        assert (facts["ects"]["value"], facts["ects"]["provenance"], facts["ects"]["field"]) == (
            2.0,
            "declared",
            "ects_credits",
        )
        assert (facts["eqf_level"]["value"], facts["eqf_level"]["provenance"]) == (5, "declared")
        assert facts["certificate"]["value"] == {"type": "verified", "price": 49.0, "currency": "EUR"}
        assert facts["quality_assurance"]["value"] == ["university_issued"]  # Université Exemple
        assert c.certificate_price == Decimal("49.00")
