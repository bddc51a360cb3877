"""The authorisation policy: for each action, who may do it. The only place that decides.

An action is allowed when the principal holds one of the action's roles (in any membership) and, for a
bearer token, the token carries the action's scope. ``provider_scoped`` roles count only in a membership
whose organisation is linked to the resource's catalogue provider (a provider curates its own courses).

Routes map to actions in ``emclm.api.routes_policy`` (one entry per route; a test enumerates the app's
route table against it), and they all check through one dependency, ``emclm.api.deps.authorise``.
"""

from __future__ import annotations

from dataclasses import dataclass

from emclm.accounts.models import ROLES, SCOPES
from emclm.accounts.store import Principal

PUBLIC = "public"  # anyone, signed in or not: reading, search, taxonomy, computing calculators
SIGNED = "signed"  # machine-to-machine with a shared-secret signature checked by the route itself


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str]
    scope: str | None  # None: any token of the account will do
    provider_scoped: frozenset[str] = frozenset()
    description: str = ""
    session_only: bool = False  # refused to bearer tokens (for example: a token must not mint tokens)


POLICY: dict[str, Rule] = {
    "course_tags:decide": Rule(
        roles=frozenset({"curator", "admin"}),
        scope="courses:curate",
        provider_scoped=frozenset({"provider"}),
        description="confirm or reject a skill tag of a course",
    ),
    "course_recognition:correct": Rule(
        roles=frozenset({"curator", "admin"}),
        scope="courses:curate",
        provider_scoped=frozenset({"provider"}),
        description="confirm or correct a recognition fact of a course (ECTS, EQF level, assessment …)",
    ),
    "account:self": Rule(
        roles=frozenset(ROLES),
        scope=None,
        description="see one's own account and tokens; revoke them; sign out (everywhere)",
    ),
    "account:create_token": Rule(
        roles=frozenset(ROLES),
        scope=None,
        session_only=True,
        description="create a personal access token (from a signed-in browser: a token could widen its scopes)",
    ),
    "organisation:members": Rule(
        roles=frozenset({"admin"}),
        scope=None,
        session_only=True,
        description="list, add and remove the members of an organisation one is an admin of (the route narrows "
        "to that organisation)",
    ),
    "account:erase": Rule(
        roles=frozenset(ROLES),
        scope=None,
        session_only=True,
        description="erase one's own account and personal data (from a signed-in browser: a leaked token must not)",
    ),
    "audit:read": Rule(
        roles=frozenset({"admin"}),
        scope="read",
        description="read and export the audit log",
    ),
}

for _action, _rule in POLICY.items():  # the table is data; keep it consistent with the vocabularies
    assert set(_rule.roles | _rule.provider_scoped) <= set(ROLES), _action
    assert _rule.scope is None or _rule.scope in SCOPES, _action


class Refusal(Exception):
    """``status`` 401 (no identity) or 403 (an identity without the right)."""

    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status = status
        self.detail = detail


def may_attempt(principal: Principal | None, action: str) -> None:
    """Raise :class:`Refusal` unless the principal could do ``action`` on some resource (the role is held
    somewhere and a token carries the scope). The route narrows provider-scoped roles with :func:`check`."""
    if action == PUBLIC or action == SIGNED:
        return
    rule = POLICY[action]
    if principal is None:
        raise Refusal(401, f"{action}: sign in or send an Authorization: Bearer token")
    if rule.session_only and principal.via != "session":
        raise Refusal(403, f"{action}: only from a signed-in browser session, not with a token")
    if rule.scope is not None and principal.scopes is not None and rule.scope not in principal.scopes:
        raise Refusal(403, f"{action}: the token lacks the scope {rule.scope!r}")
    if not (principal.roles & (rule.roles | rule.provider_scoped)):
        raise Refusal(
            403, f"{action}: requires one of the roles {', '.join(sorted(rule.roles | rule.provider_scoped))}"
        )


def allowed(principal: Principal | None, action: str, *, provider_id: int | None = None) -> bool:
    try:
        check(principal, action, provider_id=provider_id)
    except Refusal:
        return False
    return True


def check(principal: Principal | None, action: str, *, provider_id: int | None = None) -> None:
    """The full decision on one resource (``provider_id``: the catalogue provider that owns it)."""
    may_attempt(principal, action)
    if action in (PUBLIC, SIGNED):
        return
    rule = POLICY[action]
    if principal.roles & rule.roles:
        return
    for _org, _type, org_provider, roles in principal.memberships:
        if roles & rule.provider_scoped and provider_id is not None and org_provider == provider_id:
            return
    raise Refusal(403, f"{action}: a provider may only act on its own provider's courses")
