"""`emclm db upgrade`, `emclm db build`, `emclm serve`."""

from __future__ import annotations

from pathlib import Path

import typer

from emclm.config import get_settings

DbUrl = typer.Option(None, "--database-url", help="SQLAlchemy URL (default: settings / EMCLM_DATABASE_URL)")


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    db = groups["db"]

    @db.command("upgrade")
    def db_upgrade(revision: str = "head", database_url: str | None = DbUrl) -> None:
        """Apply the Alembic migrations (SQLite or PostgreSQL)."""
        from emclm.db.migrate import upgrade

        upgrade(database_url, revision)
        typer.echo("database schema up to date")

    @db.command("backup")
    def db_backup(
        path: Path = typer.Argument(..., help="backup file to write (must not exist)"),
        database_url: str | None = DbUrl,
    ) -> None:
        """Back up the live database: SQLite's online backup API, or pg_dump (custom format) on PostgreSQL."""
        from emclm.db.backup import BackupError, backup

        try:
            written = backup(path, database_url)
        except BackupError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        typer.echo(f"backup written to {written} ({written.stat().st_size} bytes)")

    @db.command("restore")
    def db_restore(
        path: Path = typer.Argument(..., help="a file written by emclm db backup"),
        force: bool = typer.Option(False, "--force", help="replace a database that holds tables already"),
        database_url: str | None = DbUrl,
    ) -> None:
        """Restore a backup into the database (SQLite backup file, or pg_restore --clean on PostgreSQL)."""
        from emclm.db.backup import BackupError, restore

        try:
            restore(path, database_url, force=force)
        except BackupError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        typer.echo(f"restored {path}")

    @db.command("build")
    def db_build(
        database_url: str | None = DbUrl,
        demo_accounts: bool = typer.Option(
            False, "--demo-accounts", help="also create one demo account per role; random passwords, printed once"
        ),
    ) -> None:
        """Build the embedded database from data/ (idempotent; later runs reuse it)."""
        from emclm.build import build_embedded

        build_embedded(database_url)
        if demo_accounts:
            from emclm.accounts.demo import create_demo_accounts
            from emclm.db.session import session_scope

            with session_scope(database_url) as s:
                created = create_demo_accounts(s)
            for a in created:
                typer.echo(f"demo account {a['email']} ({a['role']}): password {a['password']}")
            if not created:
                typer.echo("demo accounts exist already (their passwords were shown when they were created)")

    @app.command("serve")
    def serve(
        host: str | None = None,
        port: int | None = None,
        workers: int | None = typer.Option(
            None, "--workers", min=1, max=64, help="worker processes (default: EMCLM_WORKERS, 1)"
        ),
        database_url: str | None = DbUrl,
    ) -> None:
        """Serve the portal and the API (default http://127.0.0.1:8000), in one or several worker processes.

        Several workers each build the app from the settings (uvicorn's app factory) and share one listening
        socket; their per-process search state follows the database's index generation (decision 0026)."""
        import os

        import uvicorn

        settings = get_settings()
        workers = workers or settings.workers
        options = {
            "host": host or settings.host,
            "port": port or settings.port,
            "log_level": settings.log_level.lower(),
            "access_log": settings.log_format != "json",  # JSON: emclm.access writes one record per request
        }
        if workers == 1:
            from emclm.api.app import create_app

            uvicorn.run(create_app(database_url), **options)
            return
        if database_url:  # the worker processes read their settings afresh: pass the URL the one way they read
            os.environ["EMCLM_DATABASE_URL"] = database_url
        uvicorn.run("emclm.api.app:create_app", factory=True, workers=workers, **options)
