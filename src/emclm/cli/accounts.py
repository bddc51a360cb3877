"""`emclm users create|list|purge-inactive`, `emclm organisations create|list`, `emclm tokens revoke`.

Every change is written to the audit log in its own transaction, as ``cli:<operating-system user>``."""

from __future__ import annotations

import json
import sys

import typer

from emclm.cli.core import DbUrl


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _emit(obj, as_json: bool, text: str) -> None:
    typer.echo(json.dumps(obj, ensure_ascii=False, indent=2) if as_json else text)


def cli_actor() -> str:
    """The audit log's actor for a command: the operating-system account that ran it."""
    import os
    import pwd

    try:
        return f"cli:{pwd.getpwuid(os.getuid()).pw_name}"
    except KeyError:
        return f"cli:uid-{os.getuid()}"


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    users = typer.Typer(no_args_is_help=True, help="Accounts and their roles")
    organisations = typer.Typer(no_args_is_help=True, help="Organisations of the alliance")
    tokens = typer.Typer(no_args_is_help=True, help="Personal access tokens and organisation API keys")
    app.add_typer(users, name="users")
    app.add_typer(organisations, name="organisations")
    app.add_typer(tokens, name="tokens")

    @users.command("create")
    def users_create(
        email: str = typer.Argument(..., help="the account's e-mail address"),
        role: list[str] = typer.Option(..., "--role", help="learner, counsellor, employer, provider, curator, admin"),
        organisation: str | None = typer.Option(None, "--organisation", help="organisation name (created if new)"),
        organisation_type: str | None = typer.Option(
            None,
            "--organisation-type",
            help="pes_office, employer, sector_body, course_provider, university, alliance (for a new organisation)",
        ),
        password_stdin: bool = typer.Option(False, "--password-stdin", help="read the password from stdin"),
        token: list[str] = typer.Option(
            [], "--token", help="also create a personal access token with this scope (repeat for several)"
        ),
        verified: bool = typer.Option(True, "--verified/--unverified", help="mark the e-mail address as verified"),
        as_json: bool = typer.Option(False, "--json", help="print JSON"),
        database_url: str | None = DbUrl,
    ) -> None:
        """Create an account with a role (in an organisation), optionally with a password and a token.

        The token is printed once; only its hash is stored."""
        from emclm.accounts import audit, store
        from emclm.db.session import session_scope

        actor = cli_actor()
        password = None
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
            if not password:
                _fail(f"account {email}: password is empty on stdin")
        scopes = [s.strip() for value in token for s in value.split(",") if s.strip()]
        try:
            with session_scope(database_url) as s:
                org = None
                if organisation:
                    org = store.get_organisation(s, organisation)
                    if org is None:
                        if not organisation_type:
                            _fail(
                                f"organisation {organisation}: --organisation-type is required for a new organisation"
                            )
                        org = store.create_organisation(s, organisation, organisation_type)
                        audit.record(
                            s,
                            actor,
                            "organisation.create",
                            ("organisation", org.id),
                            after=store.organisation_dict(org),
                        )
                    elif organisation_type and organisation_type != org.type:
                        _fail(f"organisation {organisation}: type is {org.type}, not {organisation_type}")
                elif organisation_type:
                    _fail(f"account {email}: --organisation-type needs --organisation")
                account = store.create_account(s, email, password, verified=verified)
                membership = store.add_membership(s, account, role, org)
                out = store.account_dict(account)
                audit.record(
                    s,
                    actor,
                    "account.create",
                    ("account", account.id),
                    after={"email": account.email, "verified": verified, "password": password is not None},
                )
                audit.record(
                    s,
                    actor,
                    "membership.grant",
                    ("membership", membership.id),
                    after={
                        "account_id": account.id,
                        "organisation_id": membership.organisation_id,
                        "roles": list(membership.roles),
                    },
                    organisation_id=membership.organisation_id,
                )
                if scopes:
                    row, secret = store.create_token(s, scopes, account=account, name="created by emclm users create")
                    out["token"] = {**store.token_dict(row), "secret": secret}
                    audit.record(s, actor, "token.create", ("token", row.id), after=store.token_dict(row))
        except store.AccountError as exc:
            _fail(str(exc))
        text = f"created {out['email']} ({', '.join(r for m in out['memberships'] for r in m['roles'])})"
        if "token" in out:
            text += f"\ntoken {out['token']['id']} (shown once): {out['token']['secret']}"
        _emit(out, as_json, text)

    @users.command("list")
    def users_list(as_json: bool = typer.Option(False, "--json"), database_url: str | None = DbUrl) -> None:
        """Every account with its memberships."""
        from emclm.accounts import store
        from emclm.db.session import session_scope

        with session_scope(database_url) as s:
            rows = [store.account_dict(a) for a in store.list_accounts(s)]
        lines = [
            f"{r['email']}\t"
            + "; ".join(f"{m['organisation'] or '-'}: {','.join(m['roles'])}" for m in r["memberships"])
            + ("\tdisabled" if r["disabled"] else "")
            for r in rows
        ]
        _emit(rows, as_json, "\n".join(lines))

    @organisations.command("create")
    def organisations_create(
        name: str = typer.Argument(...),
        type: str = typer.Option(
            ..., "--type", help="pes_office, employer, sector_body, course_provider, university, alliance"
        ),
        provider: str | None = typer.Option(None, "--provider", help="catalogue provider code (course providers)"),
        as_json: bool = typer.Option(False, "--json"),
        database_url: str | None = DbUrl,
    ) -> None:
        """Create an organisation; a course provider may be linked to its catalogue provider."""
        from sqlalchemy import select

        from emclm.accounts import audit, store
        from emclm.catalogue.models import Provider
        from emclm.db.session import session_scope

        try:
            with session_scope(database_url) as s:
                provider_id = None
                if provider:
                    provider_id = s.scalars(select(Provider.id).where(Provider.code == provider)).first()
                    if provider_id is None:
                        _fail(f"organisation {name}: provider {provider!r} is not in the catalogue")
                org = store.create_organisation(s, name, type, provider_id=provider_id)
                out = store.organisation_dict(org)
                audit.record(s, cli_actor(), "organisation.create", ("organisation", org.id), after=out)
        except store.AccountError as exc:
            _fail(str(exc))
        _emit(out, as_json, f"created organisation {out['name']} ({out['type']})")

    @organisations.command("list")
    def organisations_list(as_json: bool = typer.Option(False, "--json"), database_url: str | None = DbUrl) -> None:
        """Every organisation."""
        from emclm.accounts import store
        from emclm.db.session import session_scope

        with session_scope(database_url) as s:
            rows = [store.organisation_dict(o) for o in store.list_organisations(s)]
        _emit(rows, as_json, "\n".join(f"{r['id']}\t{r['name']}\t{r['type']}" for r in rows))

    @tokens.command("revoke")
    def tokens_revoke(
        token_id: int = typer.Argument(..., help="the token's id (printed when it was created)"),
        as_json: bool = typer.Option(False, "--json"),
        database_url: str | None = DbUrl,
    ) -> None:
        """Revoke a personal access token or organisation API key; it stops working at once."""
        from emclm.accounts import audit, store
        from emclm.accounts.models import ApiToken
        from emclm.db.session import session_scope

        try:
            with session_scope(database_url) as s:
                found = s.get(ApiToken, token_id)
                before = store.token_dict(found) if found is not None else None
                out = store.token_dict(store.revoke_token(s, token_id))
                audit.record(s, cli_actor(), "token.revoke", ("token", token_id), before=before, after=out)
        except store.AccountError as exc:
            _fail(str(exc))
        _emit(out, as_json, f"revoked token {out['id']} ({out['prefix']}…)")

    @users.command("purge-inactive")
    def users_purge_inactive(
        days: int | None = typer.Option(
            None, "--days", min=1, help="inactive for this many days (default: EMCLM_ACCOUNT_RETENTION_DAYS)"
        ),
        dry_run: bool = typer.Option(False, "--dry-run", help="only list the accounts that would be erased"),
        as_json: bool = typer.Option(False, "--json"),
        database_url: str | None = DbUrl,
    ) -> None:
        """Erase every account unused (no sign-in, no token use) for the retention period.

        Erasure deletes the account and its personal data; the audit log keeps a pseudonymised trace."""
        import emclm.models  # noqa: F401 - every area's personal-data holder registers with its models
        from emclm.accounts import erasure, store
        from emclm.config import get_settings
        from emclm.db.session import session_scope

        period = days if days is not None else get_settings().account_retention_days
        try:
            with session_scope(database_url) as s:
                if dry_run:
                    ids = [a.id for a in erasure.inactive_accounts(s, period)]
                    out = {"days": period, "dry_run": True, "accounts": ids}
                else:
                    out = {"days": period, "dry_run": False, "erased": erasure.purge_inactive(s, period)}
        except store.AccountError as exc:
            _fail(str(exc))
        count = len(out["accounts"] if dry_run else out["erased"])
        verb = "would erase" if dry_run else "erased"
        _emit(out, as_json, f"{verb} {count} account(s) inactive for {period} days or more")
