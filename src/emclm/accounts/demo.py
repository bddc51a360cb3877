"""Demo accounts for a local portal (``emclm db build --demo-accounts``): one verified account per role,
each with a random password that is returned once. Nothing here has a fixed, known password."""

from __future__ import annotations

import secrets

from sqlalchemy import text
from sqlalchemy.orm import Session

from emclm.accounts import audit, store
from emclm.accounts.models import ROLES

DEMO_DOMAIN = "demo.emclm.invalid"  # RFC 2606: never a real mailbox
DEMO_ORGANISATIONS = {
    "counsellor": ("Demo PES office", "pes_office"),
    "employer": ("Demo employer", "employer"),
    "provider": ("Demo course provider", "course_provider"),
    "curator": ("EMC Alliance (demo)", "alliance"),
    "admin": ("EMC Alliance (demo)", "alliance"),
}


def create_demo_accounts(session: Session) -> list[dict]:
    """Create the demo accounts that do not exist yet; [{email, role, organisation, password}] for those
    created (an existing demo account keeps its password, which is not shown again)."""
    created = []
    for role in ROLES:
        email = f"{role}@{DEMO_DOMAIN}"
        if store.get_account(session, email) is not None:
            continue
        org = None
        if role in DEMO_ORGANISATIONS:
            name, type_ = DEMO_ORGANISATIONS[role]
            org = store.get_organisation(session, name)
            if org is None:
                provider_id = None
                if type_ == "course_provider":  # linked to the catalogue's first provider, when there is one
                    provider_id = session.execute(text("SELECT min(id) FROM catalogue_provider")).scalar()
                org = store.create_organisation(session, name, type_, provider_id=provider_id)
                audit.record(
                    session,
                    "system:demo",
                    "organisation.create",
                    ("organisation", org.id),
                    after=store.organisation_dict(org),
                )
        password = secrets.token_urlsafe(12)
        account = store.create_account(session, email, password, verified=True)
        membership = store.add_membership(session, account, [role], org)
        audit.record(
            session,
            "system:demo",
            "account.create",
            ("account", account.id),
            after={"email": email, "verified": True, "password": True},
        )
        audit.record(
            session,
            "system:demo",
            "membership.grant",
            ("membership", membership.id),
            after={"account_id": account.id, "organisation_id": membership.organisation_id, "roles": [role]},
            organisation_id=membership.organisation_id,
        )
        created.append({"email": email, "role": role, "organisation": org.name if org else None, "password": password})
    return created
