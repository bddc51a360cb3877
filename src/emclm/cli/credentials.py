"""CLI: ``emclm credentials verify FILE… [--json] [--documents DIR]``."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    credentials = groups["credentials"]

    @credentials.command("verify")
    def verify(
        files: list[Path] = typer.Argument(..., help="credential files: JSON(-LD), VC-JWT, baked PNG or SVG"),
        as_json: bool = typer.Option(False, "--json", help="one JSON object per file, one per line"),
        documents: Path | None = typer.Option(
            None,
            "--documents",
            help="document cache: DIR/index.json maps URLs (contexts, DID documents, status lists) to files in DIR",
        ),
    ) -> None:
        """Verify each credential: signature, validity window, status, schema, issuer.

        Nothing is fetched from the network: JSON-LD contexts come from the shipped allow-list, anything
        else from --documents. Exit status 0 when every file verified, 1 otherwise, 2 for a bad --documents.
        """
        from emclm.credentials.documents import DocumentError, DocumentLoader
        from emclm.credentials.verify import verify_path

        try:
            loader = DocumentLoader(documents)
        except DocumentError as exc:
            typer.echo(f"--documents: {exc}", err=True)
            raise typer.Exit(2) from exc
        all_ok = True
        for path in files:
            report = verify_path(path, loader)
            all_ok &= report.verified
            if as_json:
                typer.echo(json.dumps(report.as_json(), ensure_ascii=False))
                continue
            typer.echo(f"{path}: {'VERIFIED' if report.verified else 'NOT VERIFIED'} ({report.format})")
            if report.issuer:
                typer.echo(f"  issuer: {report.issuer}")
            for check in report.checks:
                mark = {True: "ok  ", False: "FAIL", None: "--  "}[check.ok]
                typer.echo(f"  {mark} {check.name}: {check.detail}")
            for error in report.errors:
                if not any(error == f"{c.name}: {c.detail}" for c in report.checks):
                    typer.echo(f"  error: {error}")
        raise typer.Exit(0 if all_ok else 1)
