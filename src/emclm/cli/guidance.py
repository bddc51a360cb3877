"""`emclm pathway` and `emclm transitions`: guidance from the command line.

    emclm pathway --from "shop assistant" --to "ICT help desk agent" --lang en --free --max-hours 120 --json
    emclm transitions --from "shop assistant" --json

OCC is an ESCO occupation URI or a label in any loaded language. ``pathway --json`` prints the fixed
shape of ``emclm.guidance.service.pathway_cli_json``.
"""

from __future__ import annotations

import json
from datetime import date

import typer

from emclm.config import get_settings


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _parse_date(value: str | None, option: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(f"{option}: {value!r} is not a date (YYYY-MM-DD)")
    return None


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    @app.command("pathway")
    def pathway(
        from_: list[str] = typer.Option(
            [], "--from", help="Occupation held (ESCO URI or label); repeatable. Omit for an empty profile."
        ),
        to: str = typer.Option(..., "--to", help="Target occupation (ESCO URI or label)"),
        skill: list[str] = typer.Option([], "--skill", help="A skill held (ESCO URI or exact label); repeatable"),
        text: str | None = typer.Option(None, "--text", help="Free text (CV, description): skills via the extractor"),
        lang: list[str] = typer.Option([], "--lang", help="Accepted course language (ISO 639-1); repeatable"),
        free: bool = typer.Option(False, "--free", help="Free courses only"),
        certificate: bool = typer.Option(False, "--certificate", help="Courses with a certificate only"),
        max_hours: float | None = typer.Option(None, "--max-hours", help="Maximum total workload (hours)"),
        weekly_hours: float | None = typer.Option(None, "--weekly-hours", help="Hours a week available"),
        start_before: str | None = typer.Option(None, "--start-before", help="A run starting by this date"),
        start_after: str | None = typer.Option(None, "--start-after", help="... and not before this date"),
        provider: list[str] = typer.Option([], "--provider", help="Provider code; repeatable"),
        eqf_min: int | None = typer.Option(None, "--eqf-min", min=1, max=8),
        eqf_max: int | None = typer.Option(None, "--eqf-max", min=1, max=8),
        optional: bool = typer.Option(False, "--optional", help="Also cover the optional gap skills"),
        cost: str = typer.Option("hours", "--cost", help="hours | money | mix"),
        money_weight: float = typer.Option(1.0, "--money-weight", help="mix: cost = hours + weight × money"),
        method: str = typer.Option("auto", "--method", help="auto | milp | greedy"),
        label_lang: str = typer.Option("en", "--label-lang", help="Language of skill labels"),
        as_json: bool = typer.Option(False, "--json", help="Print JSON"),
        database_url: str | None = typer.Option(None, "--database-url", help="Default: settings"),
    ) -> None:
        """From the occupations (and skills) you have to the job you want, through which courses."""
        from emclm.db.session import session_scope
        from emclm.guidance import service
        from emclm.guidance.repository import GuidanceError
        from emclm.guidance.types import Constraints

        if cost not in ("hours", "money", "mix"):
            _fail(f"--cost: {cost!r} is not one of hours, money, mix")
        if method not in ("auto", "milp", "greedy"):
            _fail(f"--method: {method!r} is not one of auto, milp, greedy")
        constraints = Constraints(
            languages=lang or None,
            free_only=free,
            certificate_required=certificate,
            max_total_hours=max_hours,
            max_weekly_hours=weekly_hours,
            start_before=_parse_date(start_before, "--start-before"),
            start_after=_parse_date(start_after, "--start-after"),
            providers=provider or None,
            eqf_min=eqf_min,
            eqf_max=eqf_max,
            include_optional=optional,
            cost=cost,  # type: ignore[arg-type]
            money_weight=money_weight,
        )
        url = database_url or get_settings().database_url
        try:
            with session_scope(url) as session:
                profile = service.build_profile(
                    session, occupations=from_, skills=skill, text=text, lang=lang[0] if lang else None
                )
                gap = service.compute_gap(session, profile, to, lang=label_lang)
                result = service.compute_pathway(session, gap, constraints, method=method)
        except GuidanceError as exc:
            _fail(str(exc))
            return
        if as_json:
            typer.echo(json.dumps(service.pathway_cli_json(gap, result), ensure_ascii=False, indent=2))
            return
        _print_pathway(gap, result)

    @app.command("transitions")
    def transitions(
        from_: list[str] = typer.Option(..., "--from", help="Occupation held (ESCO URI or label); repeatable"),
        skill: list[str] = typer.Option([], "--skill", help="A skill held (ESCO URI or exact label); repeatable"),
        k: int = typer.Option(10, "--k", min=1, max=100, help="How many occupations"),
        lang: list[str] = typer.Option([], "--lang", help="Accepted course language; repeatable"),
        free: bool = typer.Option(False, "--free", help="Count free courses only"),
        label_lang: str = typer.Option("en", "--label-lang"),
        as_json: bool = typer.Option(False, "--json", help="Print JSON"),
        database_url: str | None = typer.Option(None, "--database-url", help="Default: settings"),
    ) -> None:
        """Occupations closest to your skills, with the gap to each and the courses that would close it."""
        from emclm.db.session import session_scope
        from emclm.guidance import service
        from emclm.guidance.repository import GuidanceError
        from emclm.guidance.types import Constraints

        url = database_url or get_settings().database_url
        try:
            with session_scope(url) as session:
                profile = service.build_profile(session, occupations=from_, skills=skill)
                found = service.compute_transitions(
                    session,
                    profile,
                    k=k,
                    constraints=Constraints(languages=lang or None, free_only=free),
                    lang=label_lang,
                )
        except GuidanceError as exc:
            _fail(str(exc))
            return
        if as_json:
            typer.echo(json.dumps(service.transitions_json(profile, found), ensure_ascii=False, indent=2))
            return
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"Closest occupations ({len(profile.skills)} skills in the profile)")
        for col in ("occupation", "score", "overlap", "gap", "courses", "no course"):
            table.add_column(col)
        for t in found:
            table.add_row(
                t.label or t.occupation_uri,
                f"{t.score:.3f}",
                f"{t.overlap}/{t.essential_total}",
                str(t.gap_size),
                str(t.courses_to_close),
                str(t.uncoverable),
            )
        Console().print(table)


def _print_pathway(gap, result) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    labels = {s.uri: s.label or s.uri for s in gap.skills}
    console.print(
        f"[bold]{gap.occupation_label}[/bold]: {len(gap.essential)} essential and {len(gap.optional)} optional "
        f"skills missing"
    )
    table = Table(title="Pathway")
    for col in ("#", "course", "hours", "covers"):
        table.add_column(col)
    for i, c in enumerate(result.courses, 1):
        table.add_row(str(i), c.course.title, f"{c.workload_hours:g}", "; ".join(labels.get(u, u) for u in c.covers))
    console.print(table)
    sol = result.solution
    console.print(
        f"objective {sol.objective:g} ({'proven optimal' if sol.optimal else 'not proven optimal'}, {sol.method}); "
        f"total {result.total_hours:g} h"
    )
    if sol.uncovered:
        console.print("[yellow]Not covered:[/yellow] " + "; ".join(labels.get(u, u) for u in sol.uncovered))
