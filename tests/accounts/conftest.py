"""A small world for authorisation tests: two catalogue providers, a course, a skill, and one account
per role, each with a real personal access token (all scopes) created through the accounts store."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from emclm.accounts import store
from emclm.accounts.models import ROLES, SCOPES
from emclm.catalogue.models import Course, Provider
from emclm.db.session import session_scope
from emclm.taxonomy.models import Concept, Label

ROLE_ORGANISATION = {
    "learner": None,
    "counsellor": ("PES Porto", "pes_office"),
    "employer": ("Acme Robotics", "employer"),
    "provider": ("Test platform team", "course_provider"),
    "curator": ("EMC Alliance", "alliance"),
    "admin": ("EMC Alliance", "alliance"),
}


@dataclass
class World:
    url: str
    course_id: int
    skill_id: int
    other_course_id: int
    tokens: dict[str, str] = field(default_factory=dict)  # role → bearer token
    emails: dict[str, str] = field(default_factory=dict)


def make_account(s, email: str, role: str, org=None, scopes=SCOPES, password: str | None = None) -> tuple[int, str]:
    account = store.create_account(s, email, password, verified=True)
    store.add_membership(s, account, [role], org)
    _, secret = store.create_token(s, list(scopes), account=account)
    return account.id, secret


def build_world(url: str) -> World:
    with session_scope(url) as s:
        own, other = Provider(code="test", name="Test platform"), Provider(code="other", name="Other platform")
        s.add_all([own, other])
        s.flush()
        course = Course(key="test:prog", provider_id=own.id, title="Programming", description="Python.", language="en")
        foreign = Course(key="other:c", provider_id=other.id, title="Cooking", description="Pastry.", language="en")
        skill = Concept(uri="http://data.europa.eu/esco/skill/test-python", concept_type="skill", status="released")
        skill.labels.append(Label(lang="en", kind="preferred", text="Python", norm="python"))
        s.add_all([course, foreign, skill])
        s.flush()
        world = World(url, course.id, skill.id, foreign.id)
        orgs = {}
        for role in ROLES:
            org = None
            if ROLE_ORGANISATION[role]:
                name, type_ = ROLE_ORGANISATION[role]
                org = orgs.get(name) or store.create_organisation(
                    s, name, type_, provider_id=own.id if type_ == "course_provider" else None
                )
                orgs[name] = org
            email = f"{role}@example.org"
            _, world.tokens[role] = make_account(s, email, role, org)
            world.emails[role] = email
    return world


@pytest.fixture
def world(db_url) -> World:
    return build_world(db_url)


@pytest.fixture
def sqlite_world(sqlite_url) -> World:
    from emclm.db.migrate import upgrade

    upgrade(sqlite_url)
    return build_world(sqlite_url)
