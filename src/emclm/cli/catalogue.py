"""CLI for the catalogue: ``emclm sources``, ``emclm harvest``, ``emclm courses stats``."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

DatabaseUrl = typer.Option(None, "--database-url", help="SQLAlchemy URL (default: settings)")
SourcesFile = typer.Option(None, "--sources-file", help="Sources settings (default: data/sources.toml)")


def _configs(sources_file: Path | None):
    from emclm.catalogue.registry import SourcesFileError, load_sources

    try:
        return load_sources(sources_file)
    except SourcesFileError as exc:
        Console(stderr=True).print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc


def sources(
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output"),
    sources_file: Path | None = SourcesFile,
    database_url: str | None = DatabaseUrl,
) -> None:
    """List the configured harvest sources and where their last harvest stands."""
    from emclm.catalogue.queries import source_overview
    from emclm.db.session import session_scope

    configs = _configs(sources_file)
    try:
        with session_scope(database_url) as session:
            overview = source_overview(session)
    except Exception:  # noqa: BLE001 - no database yet: list the settings anyway
        overview = {}
    rows = [
        {
            "name": c.name,
            "kind": c.kind,
            "location": c.url or c.path,
            "priority": c.priority,
            "rate_limit_s": c.rate_limit_s,
            "enabled": c.enabled,
            **{k: overview.get(c.name, {}).get(k) for k in ("status", "last_complete_at", "last_run")},
        }
        for c in configs
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    table = Table(title="Harvest sources")
    for col in ("name", "kind", "url / path", "priority", "enabled", "status", "last complete", "last run"):
        table.add_column(col)
    for r in rows:
        last = r["last_run"]
        last_txt = (
            f"+{last['created']} ~{last['updated']} ={last['unchanged']} -{last['withdrawn']} !{last['failed']}"
            if last
            else ""
        )
        table.add_row(
            r["name"],
            r["kind"],
            str(r["location"]),
            str(r["priority"]),
            "yes" if r["enabled"] else "no",
            r["status"] or "never",
            (r["last_complete_at"] or "")[:19],
            last_txt,
        )
    Console().print(table)


def harvest_cmd(
    names: list[str] = typer.Argument(None, help="Source names (see `emclm sources`)"),
    all_: bool = typer.Option(False, "--all", help="Every enabled source"),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable report"),
    batch_size: int = typer.Option(200, "--batch-size", min=1, max=10000),
    lock_wait: float = typer.Option(
        0.0,
        "--lock-wait",
        min=0,
        metavar="SECONDS",
        help="When another process harvests the same source: wait this long for it, then refuse (default: refuse)",
    ),
    history: bool = typer.Option(
        False, "--history", help="Show the latest harvest runs (of the named sources, or all) instead of harvesting"
    ),
    sources_file: Path | None = SourcesFile,
    database_url: str | None = DatabaseUrl,
) -> None:
    """Harvest sources into the catalogue: incremental (unchanged records cost almost nothing),
    resumable (a killed run continues where its last batch committed), reported. One harvest per
    source at a time; a run whose process died shows as ``abandoned`` in ``--history``."""
    from emclm.catalogue.harvest import SourceBusy, harvest
    from emclm.catalogue.registry import build_source, find_sources

    err = Console(stderr=True)
    if history:
        _history(list(names or []), as_json, database_url)
        return
    configs = _configs(sources_file)
    if all_:
        chosen = [c for c in configs if c.enabled]
    elif names:
        try:
            chosen = find_sources(list(names), configs)
        except LookupError as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from exc
    else:
        err.print("[red]name one or more sources, or pass --all[/red]")
        raise typer.Exit(2)

    reports = []
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[counts]}"),
        TimeElapsedColumn(),
        console=err,
        disable=as_json,
        transient=False,
    ) as progress:
        for config in chosen:
            task = progress.add_task(config.name, total=None, counts="")
            try:
                source = build_source(config)
            except (LookupError, ImportError) as exc:
                err.print(f"[red]{config.name}: {exc}[/red]")
                reports.append({"source": config.name, "status": "unavailable", "error": str(exc)})
                continue

            def on_progress(report, task=task):
                progress.update(
                    task,
                    counts=f"+{report.created} ~{report.updated} ={report.unchanged} -{report.withdrawn} !{report.failed}",
                )

            try:
                report = harvest(
                    source,
                    database_url,
                    batch_size=batch_size,
                    progress=on_progress,
                    priority=config.priority,
                    lock_wait=lock_wait,
                )
            except SourceBusy as exc:
                err.print(f"[red]{exc}[/red]")
                progress.update(task, total=1, completed=0, description=f"{config.name} (busy)")
                reports.append({"source": config.name, "status": "busy", "error": str(exc)})
                continue
            progress.update(task, total=1, completed=1, description=f"{config.name} ({report.status})")
            reports.append(report.to_dict())
            fetch = getattr(source, "fetch", None)
            if hasattr(fetch, "close"):
                fetch.close()

    if as_json:
        typer.echo(json.dumps(reports, indent=2, ensure_ascii=False, default=str))
    else:
        table = Table(title="Harvest report")
        for col in ("source", "status", "created", "updated", "unchanged", "withdrawn", "failed", "seconds"):
            table.add_column(col, justify="right" if col not in ("source", "status") else "left")
        for r in reports:
            table.add_row(
                r["source"],
                r["status"],
                *(str(r.get(k, "")) for k in ("created", "updated", "unchanged", "withdrawn", "failed")),
                str(r.get("duration_s", "")),
            )
        console = Console()
        console.print(table)
        for r in reports:
            for w in (r.get("warnings") or [])[:20]:
                console.print(
                    f"[yellow]{w['source']}: record {w['record_id'] or '?'}: field {w['field'] or '?'}: {w['message']}[/yellow]"
                )
            errors = r.get("errors") or []
            for e in errors[:20]:
                console.print(
                    f"[yellow]{e['source']}: record {e['record_id'] or '?'}: field {e['field'] or '?'}: {e['message']}[/yellow]"
                )
            if len(errors) > 20 or r.get("failed", 0) > len(errors):
                console.print(f"[yellow]… {r['failed']} failed records in {r['source']} in all[/yellow]")
    if any(r["status"] in ("interrupted", "unavailable", "busy") for r in reports):
        raise typer.Exit(1)


def _history(names: list[str], as_json: bool, database_url: str | None) -> None:
    from emclm.catalogue.harvest import harvest_history

    runs = harvest_history(database_url, names or None)
    if as_json:
        typer.echo(json.dumps(runs, indent=2, ensure_ascii=False))
        return
    table = Table(title="Harvest history")
    for col in ("id", "source", "status", "started", "finished", "+", "~", "=", "-", "!", "process"):
        table.add_column(col)
    for r in runs:
        table.add_row(
            str(r["id"]),
            r["source"],
            r["status"],
            (r["started_at"] or "")[:19],
            (r["finished_at"] or "")[:19],
            *(str(r[k]) for k in ("created", "updated", "unchanged", "withdrawn", "failed")),
            f"{r['pid']}@{r['host']}" if r["pid"] else "",
        )
    Console().print(table)


def courses_stats(
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output"),
    database_url: str | None = DatabaseUrl,
) -> None:
    """How many courses (not withdrawn) and runs, by provider and by language."""
    from emclm.catalogue.queries import course_stats
    from emclm.db.session import session_scope

    with session_scope(database_url) as session:
        stats = course_stats(session)
    if as_json:
        typer.echo(json.dumps(stats, ensure_ascii=False))
        return
    console = Console()
    console.print(f"[bold]{stats['courses']}[/bold] courses, [bold]{stats['runs']}[/bold] runs")
    for title, key in (("provider", "by_provider"), ("language", "by_language")):
        table = Table(title=f"Courses by {title}")
        table.add_column(title)
        table.add_column("courses", justify="right")
        for k, v in stats[key].items():
            table.add_row(k, str(v))
        console.print(table)


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    app.command("sources")(sources)
    app.command("harvest")(harvest_cmd)
    groups["courses"].command("stats")(courses_stats)
