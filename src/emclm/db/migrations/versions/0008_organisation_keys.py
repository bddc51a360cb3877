"""Organisation keys: every stored key recomputed with ``emclm.catalogue.normalise.organisation_key``,
the one function the harvest store now files organisations under (before, the store had a simpler key
of its own, so "Univ. of Michigan" and "The University of Michigan" were two organisations).

Organisations whose names now share a key are merged into the oldest of them (lowest id): every course
of the others is re-pointed to it, it takes their url and country where it has none, and the others are
deleted. No course is lost. The search index's denormalised organisation name (``search_document.
organisation``, the facet) of a re-pointed course becomes the survivor's name, and the index generation
changes so running processes reload their facet columns. (The course's full text keeps the former
spelling of the name until the course is next indexed; both spellings name the same organisation.)

The key function is imported, not copied: this migration exists to make the stored keys equal to what
the store computes, and a second copy of the function is what it removes. A later change to the key
function needs its own migration like this one (decision 0012).

Downgrade keeps the merged organisations and the new keys (a merge cannot be undone; the old key
function is gone).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import uuid
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

from emclm.catalogue.normalise import organisation_key

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_CHUNK = 500  # ids per IN (...) list


def _chunks(ids: list[int]):
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def merge_organisations(conn: sa.Connection) -> dict:
    """Recompute the keys, merge organisations that share one; returns what changed (for the log/tests)."""
    orgs = conn.execute(sa.text("SELECT id, key, name, url, country FROM catalogue_organisation ORDER BY id")).all()
    groups: dict[str, list] = defaultdict(list)
    for org in orgs:
        # a name whose new key is empty (only punctuation) keeps its old key: the store never makes one
        groups[organisation_key(org.name or "") or org.key].append(org)

    merged = repointed = 0
    moved_courses: dict[int, list[int]] = {}  # survivor id -> the courses re-pointed to it
    survivors: dict[int, tuple[str, str]] = {}  # survivor id -> (new key, name)
    for key, members in groups.items():
        survivor, others = members[0], members[1:]
        survivors[survivor.id] = (key, survivor.name)
        if not others:
            continue
        other_ids = [o.id for o in others]
        url = survivor.url or next((o.url for o in others if o.url), None)
        country = survivor.country or next((o.country for o in others if o.country), None)
        if (url, country) != (survivor.url, survivor.country):
            conn.execute(
                sa.text("UPDATE catalogue_organisation SET url = :url, country = :country WHERE id = :id"),
                {"url": url, "country": country, "id": survivor.id},
            )
        in_others = sa.bindparam("others", expanding=True)
        courses = [
            row[0]
            for row in conn.execute(
                sa.text("SELECT id FROM catalogue_course WHERE organisation_id IN :others").bindparams(in_others),
                {"others": other_ids},
            )
        ]
        for chunk in _chunks(courses):
            conn.execute(
                sa.text("UPDATE catalogue_course SET organisation_id = :survivor WHERE id IN :ids").bindparams(
                    sa.bindparam("ids", expanding=True)
                ),
                {"survivor": survivor.id, "ids": chunk},
            )
        conn.execute(
            sa.text("DELETE FROM catalogue_organisation WHERE id IN :others").bindparams(in_others),
            {"others": other_ids},
        )
        moved_courses[survivor.id] = courses
        merged += len(others)
        repointed += len(courses)

    # New keys in two steps: one survivor's new key may be another's old key (unique constraint).
    old_keys = {o.id: o.key for o in orgs}
    changed = [(oid, key) for oid, (key, _) in survivors.items() if key != old_keys[oid]]
    for oid, _ in changed:
        conn.execute(
            sa.text("UPDATE catalogue_organisation SET key = :tmp WHERE id = :id"),
            {"tmp": f"0008-rekey:{oid}", "id": oid},
        )
    for oid, key in changed:
        conn.execute(sa.text("UPDATE catalogue_organisation SET key = :key WHERE id = :id"), {"key": key, "id": oid})

    # The search index's organisation facet of re-pointed courses (search tables exist since 0005).
    for survivor_id, courses in moved_courses.items():
        for chunk in _chunks(courses):
            conn.execute(
                sa.text("UPDATE search_document SET organisation = :name WHERE course_id IN :ids").bindparams(
                    sa.bindparam("ids", expanding=True)
                ),
                {"name": survivors[survivor_id][1], "ids": chunk},
            )
    if repointed:
        conn.execute(sa.text("UPDATE search_state SET generation = :g WHERE id = 1"), {"g": uuid.uuid4().hex})
    return {"organisations_merged": merged, "keys_changed": len(changed), "courses_repointed": repointed}


def upgrade() -> None:
    merge_organisations(op.get_bind())


def downgrade() -> None:
    pass  # see the module docstring: merged organisations stay merged
