"""CLI for course recognition: ``emclm courses recognition ID [--json]`` and ``emclm courses recognition-refresh``."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

DatabaseUrl = typer.Option(None, "--database-url", help="SQLAlchemy URL (default: settings)")


def course_recognition(
    course_id: int = typer.Argument(..., help="Course id"),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output"),
    database_url: str | None = DatabaseUrl,
) -> None:
    """A course's recognition facts with evidence and provenance, its micro-credential profile and the CMF check."""
    from emclm.credentials.store import recognition
    from emclm.db.session import session_scope

    with session_scope(database_url) as session:
        rec = recognition(session, course_id)
    if rec is None:
        Console(stderr=True).print(f"[red]course {course_id}: no such course[/red]")
        raise typer.Exit(1)
    if as_json:
        typer.echo(json.dumps(rec, ensure_ascii=False, default=str))
        return
    console = Console()
    console.print(f"[bold]{rec['title']}[/bold] (course {course_id})")
    facts = Table(title="Facts")
    for col in ("element", "value", "provenance", "field", "evidence"):
        facts.add_column(col)
    for f in rec["facts"]:
        facts.add_row(
            f["element"], json.dumps(f["value"], ensure_ascii=False), f["provenance"], f["field"], f["evidence"]
        )
    console.print(facts)
    missing = [r["element"] for r in rec["profile"] if r["mandatory"] and not r["known"]]
    console.print("Mandatory elements missing: " + (", ".join(missing) or "none"))
    cmf = Table(title="CMF: " + ("compliant" if rec["cmf"]["compliant"] else "not compliant"))
    for col in ("criterion", "status", "reason"):
        cmf.add_column(col)
    for c in rec["cmf"]["criteria"]:
        cmf.add_row(c["criterion"], c["status"], c["reason"])
    console.print(cmf)


def recognition_refresh(
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output"),
    database_url: str | None = DatabaseUrl,
) -> None:
    """Re-extract the recognition facts of every live course (corrections are kept and re-applied)."""
    from emclm.credentials.store import counts, refresh
    from emclm.db.session import session_scope

    with session_scope(database_url) as session:
        out = refresh(session, None)
        out["by_element"] = counts(session)
    typer.echo(json.dumps(out, ensure_ascii=False) if as_json else ", ".join(f"{k} {v}" for k, v in out.items()))


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    groups["courses"].command("recognition")(course_recognition)
    groups["courses"].command("recognition-refresh")(recognition_refresh)
