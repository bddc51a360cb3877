"""Migration 0008: stored organisation keys become ``normalise.organisation_key``; organisations that
then share a key are merged into the oldest, keeping every course (re-pointed), the url and country
the survivor lacked, and the search index's organisation facet. On SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command
from sqlalchemy import insert, select

from emclm.catalogue.models import Course, Organisation, Provider
from emclm.db.base import utcnow
from emclm.db.migrate import alembic_config, current_heads, upgrade
from emclm.db.session import session_scope
from emclm.search.schema import search_document, search_state

# Keys as the store's former key function (lower-case, accents folded, punctuation dropped) stored them.
BEFORE = [
    # (key stored at 0007, name, url, country, courses)
    ("univ of michigan", "Univ. of Michigan", None, None, 2),
    ("the university of michigan", "The University of Michigan", "https://umich.edu", "US", 3),
    ("university of michigan", "University of Michigan", None, None, 1),
    ("wageningen university research", "Wageningen University & Research", None, "NL", 1),
    # a swap: each one's new key is the other's old key (the unique constraint must not trip)
    ("leeds", "University of Leeds", None, None, 1),
    ("university of leeds", "Leeds", None, None, 1),
]


def _at_0007_with_organisations(url: str) -> dict[str, int]:
    command.downgrade(alembic_config(url), "0007")
    assert current_heads(url) == {"0007"}
    course_org: dict[str, int] = {}
    with session_scope(url) as s:
        provider = Provider(code="testmooc", name="Test MOOC")
        s.add(provider)
        n = 0
        for key, name, org_url, country, courses in BEFORE:
            org = Organisation(key=key, name=name, url=org_url, country=country)
            s.add(org)
            s.flush()
            for _ in range(courses):
                n += 1
                course = Course(key=f"testmooc:c{n}", provider=provider, organisation_id=org.id, title=f"Course {n}")
                s.add(course)
                s.flush()
                course_org[course.key] = org.id
                s.execute(
                    insert(search_document).values(
                        course_id=course.id,
                        lang="en",
                        title=course.title,
                        body="",
                        title_terms="",
                        body_terms="",
                        organisation=name,
                        indexed_at=utcnow(),
                    )
                )
    return course_org


def test_upgrade_merges_organisations_that_now_share_a_key(db_url):
    before = _at_0007_with_organisations(db_url)
    with session_scope(db_url) as s:
        generation = s.execute(select(search_state.c.generation)).scalar_one()
        ids_before = {o.name: o.id for o in s.scalars(select(Organisation))}

    upgrade(db_url, "0008")  # the migration under test, whatever comes after it

    assert current_heads(db_url) == {"0008"}
    with session_scope(db_url) as s:
        orgs = {o.key: o for o in s.scalars(select(Organisation))}
        assert set(orgs) == {
            "university of michigan",
            "wageningen university and research",
            "university of leeds",
            "leeds",
        }
        michigan = orgs["university of michigan"]
        assert michigan.id == ids_before["Univ. of Michigan"]  # the oldest survives, with its name
        assert michigan.name == "Univ. of Michigan"
        assert (michigan.url, michigan.country) == ("https://umich.edu", "US")  # taken from a merged one
        assert orgs["university of leeds"].id == ids_before["University of Leeds"]
        assert orgs["leeds"].id == ids_before["Leeds"]
        assert orgs["wageningen university and research"].country == "NL"

        courses = {c.key: c for c in s.scalars(select(Course))}
        assert set(courses) == set(before)  # every course kept
        on_michigan = {k for k, c in courses.items() if c.organisation_id == michigan.id}
        assert len(on_michigan) == 6
        for key, course in courses.items():
            if key not in on_michigan:
                assert course.organisation_id == before[key]

        facet = {row.course_id: row.organisation for row in s.execute(select(search_document)).all()}
        assert {facet[courses[k].id] for k in on_michigan} == {"Univ. of Michigan"}
        assert len(facet) == len(before)
        assert s.execute(select(search_state.c.generation)).scalar_one() != generation


def test_upgrade_with_nothing_to_merge_changes_nothing_but_keys(db_url):
    command.downgrade(alembic_config(db_url), "0007")
    with session_scope(db_url) as s:
        s.add_all(
            [
                Organisation(key="harvard university", name="Harvard University"),
                Organisation(key="the open university", name="The Open University"),
            ]
        )
        generation = s.execute(select(search_state.c.generation)).scalar_one()
    upgrade(db_url)
    with session_scope(db_url) as s:
        assert {o.key for o in s.scalars(select(Organisation))} == {"harvard university", "open university"}
        assert s.execute(select(search_state.c.generation)).scalar_one() == generation
