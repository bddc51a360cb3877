"""`emclm taxonomy import | stats | lookup`."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from emclm.cli.core import DbUrl

console = Console(stderr=True)


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    tax = groups["taxonomy"]

    @tax.command("import")
    def import_(
        paths: list[Path] = typer.Argument(..., help="ESCO CSV export(s): zip files, folders or CSV files"),
        pivot_lang: str = typer.Option("en", help="Language whose files create concepts; others add labels"),
        version: str | None = typer.Option(None, help="ESCO version to record, e.g. 1.2.0"),
        as_json: bool = typer.Option(False, "--json"),
        database_url: str | None = DbUrl,
    ) -> None:
        """Import official ESCO CSV exports (any version, any language). Idempotent."""
        from emclm.db.migrate import upgrade
        from emclm.db.session import session_scope
        from emclm.taxonomy.importer import import_esco
        from emclm.taxonomy.queries import clear_label_cache

        upgrade(database_url)
        with console.status("importing ESCO…"), session_scope(database_url) as session:
            report = import_esco(session, paths, pivot_lang=pivot_lang, version=version)
        clear_label_cache()
        if as_json:
            typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
            return
        table = Table("file", "lang", "rows", "concepts +", "concepts ~", "labels", "relations", "unknown", "status")
        for f in report.files:
            if f.kind == "ignored":
                continue
            table.add_row(
                f.name,
                f.lang or "",
                str(f.rows),
                str(f.concepts_created),
                str(f.concepts_updated),
                str(f.labels),
                str(f.relations),
                str(f.unknown_uris),
                "unchanged" if f.unchanged else "imported",
            )
        Console().print(table)

    @tax.command("stats")
    def stats_(as_json: bool = typer.Option(False, "--json"), database_url: str | None = DbUrl) -> None:
        """Counts of skills, occupations, relations and labels per language."""
        from emclm.db.session import session_scope
        from emclm.taxonomy.queries import stats

        with session_scope(database_url) as session:
            data = stats(session)
        if as_json:
            typer.echo(json.dumps(data, ensure_ascii=False))
        else:
            for key, value in data.items():
                typer.echo(f"{key}: {value}")

    @tax.command("lookup")
    def lookup(
        text: str,
        lang: str = typer.Option("en", "--lang"),
        concept_type: str | None = typer.Option(None, "--type", help="skill | occupation | isco_group | skill_group"),
        limit: int = typer.Option(10, "--limit"),
        as_json: bool = typer.Option(False, "--json"),
        database_url: str | None = DbUrl,
    ) -> None:
        """Find ESCO concepts by label in a language (prefix and typo tolerant)."""
        from dataclasses import asdict

        from emclm.db.session import session_scope
        from emclm.taxonomy.queries import search_labels

        with session_scope(database_url) as session:
            hits = search_labels(session, text, lang=lang, concept_type=concept_type, limit=limit)
        if as_json:
            typer.echo(
                json.dumps({"query": text, "lang": lang, "results": [asdict(h) for h in hits]}, ensure_ascii=False)
            )
        else:
            for h in hits:
                typer.echo(f"{h.score:6.1f}  {h.concept_type:10}  {h.label}  <{h.uri}>")
