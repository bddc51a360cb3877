"""`emclm users create|list`, `emclm organisations create|list`, `emclm tokens revoke`."""

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
        from emclm.accounts import store
        from emclm.db.session import session_scope

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
                    elif organisation_type and organisation_type != org.type:
                        _fail(f"organisation {organisation}: type is {org.type}, not {organisation_type}")
                elif organisation_type:
                    _fail(f"account {email}: --organisation-type needs --organisation")
                account = store.create_account(s, email, password, verified=verified)
                store.add_membership(s, account, role, org)
                out = store.account_dict(account)
                if scopes:
                    row, secret = store.create_token(s, scopes, account=account, name="created by emclm users create")
                    out["token"] = {**store.token_dict(row), "secret": secret}
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

        from emclm.accounts import store
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
        from emclm.accounts import store
        from emclm.db.session import session_scope

        try:
            with session_scope(database_url) as s:
                out = store.token_dict(store.revoke_token(s, token_id))
        except store.AccountError as exc:
            _fail(str(exc))
        _emit(out, as_json, f"revoked token {out['id']} ({out['prefix']}…)")
