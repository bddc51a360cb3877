"""`emclm vacancies import|sources`, `emclm occupations rank`, `emclm demand`, `emclm gaps`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console

from emclm.cli.core import DbUrl

console = Console(stderr=True)


def _options(pairs: list[str]) -> dict:
    out: dict = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise typer.BadParameter(f"--option expects key=value, got {pair!r}")
        k, v = pair.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    vac = groups["vacancies"]
    occ = groups["occupations"]

    @vac.command("import")
    def import_(
        sources: list[str] = typer.Argument(
            None, help="Configured source names (data/sources-vacancies.toml) or files/folders"
        ),
        all_: bool = typer.Option(False, "--all", help="Import every configured source"),
        kind: str | None = typer.Option(None, help="jobposting | jobtech | tabular (files only; guessed otherwise)"),
        option: list[str] = typer.Option(
            None, "--option", "-o", help="Source option key=value (country=PL, lang=pl, preset=ojalab)"
        ),
        resume: bool = typer.Option(True, "--resume/--restart", help="Continue an interrupted run from its checkpoint"),
        skills: bool = typer.Option(True, "--skills/--no-skills", help="Tag ESCO skills"),
        batch_size: int = typer.Option(500, min=1, max=50_000),
        as_json: bool = typer.Option(False, "--json"),
        database_url: str | None = DbUrl,
    ) -> None:
        """Import vacancies: streaming, idempotent, resumable; bad rows are reported and skipped."""
        from emclm.db.migrate import upgrade
        from emclm.db.session import session_scope
        from emclm.labour.config import load_vacancy_sources, source_for
        from emclm.labour.importer import import_vacancies
        from emclm.labour.normalise import Normaliser
        from emclm.labour.sources import make_source
        from emclm.labour.tagging import VacancySkillTagger

        configured = load_vacancy_sources()
        names = list(configured) if all_ else list(sources or [])
        if not names:
            raise typer.BadParameter("name at least one source, or --all")
        try:
            configs = [source_for(n, kind, _options(option), configured) for n in names]
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
        upgrade(database_url)
        with console.status("loading ESCO occupations and skills…"), session_scope(database_url) as session:
            normaliser = Normaliser.from_session(session)
            tagger = VacancySkillTagger.from_session(session, database_url) if skills else None
        reports = []
        for cfg in configs:
            src = make_source(cfg)
            with console.status(f"importing {cfg.name}…") as status:
                rep = import_vacancies(
                    database_url,
                    src,
                    batch_size=batch_size,
                    resume=resume,
                    tag_skills=skills,
                    normaliser=normaliser,
                    tagger=tagger,
                    progress=lambda r: status.update(f"importing {r.source}: {r.seen} seen, {r.errors} bad"),
                )
            reports.append(rep)
            if not as_json:
                console.print(
                    f"[bold]{rep.source}[/]: {rep.seen} seen, {rep.created} new, {rep.updated} changed, "
                    f"{rep.unchanged} unchanged, {rep.errors} bad rows skipped ({rep.status}); skills: {rep.skill_tagger}"
                )
                for line in rep.error_samples[:10]:
                    console.print(f"  [yellow]skipped[/] {line}")
                if rep.errors > 10:
                    console.print(f"  … {rep.errors - 10} more (see --json)")
        if as_json:
            typer.echo(json.dumps([r.as_dict() for r in reports], ensure_ascii=False))

    @vac.command("sources")
    def sources_() -> None:
        """List the configured vacancy sources."""
        from emclm.labour.config import load_vacancy_sources

        for name, cfg in load_vacancy_sources().items():
            typer.echo(f"{name}\t{cfg.kind}\t{cfg.path}")

    @occ.command("rank")
    def rank(
        top: int = typer.Option(5, "--top", min=1, max=50, help="Occupations per ad"),
        lang: str | None = typer.Option(None, "--lang", help="Ad language when lines do not say (else detected)"),
        input_: Path | None = typer.Option(None, "--input", "-i", help="JSON lines file (default stdin)"),
        output: Path | None = typer.Option(None, "--output", "-o", help="JSON lines file (default stdout)"),
        database_url: str | None = DbUrl,
    ) -> None:
        """Rank ESCO occupations for ads: {"id", "text"} lines in, {"id", "occupations": [...]} lines out."""
        from emclm.db.session import session_scope
        from emclm.labour.coding import OccupationRanker, rank_lines

        with session_scope(database_url) as session:
            ranker = OccupationRanker.from_session(session)
        fin = input_.open(encoding="utf-8") if input_ else sys.stdin
        fout = output.open("w", encoding="utf-8") if output else sys.stdout
        try:
            for result in rank_lines(ranker, fin, k=top, lang=lang):
                fout.write(json.dumps(result, ensure_ascii=False) + "\n")
        finally:
            if input_:
                fin.close()
            if output:
                fout.close()

    @app.command("demand")
    def demand_(
        region: str | None = typer.Option(None, "--region", help="NUTS code or prefix: PL, PL9, PL91, SE110"),
        country: str | None = typer.Option(None, "--country"),
        by: str = typer.Option("skill", "--by", help="skill | occupation | isco | region | month"),
        level: int = typer.Option(2, "--level", min=0, max=3, help="NUTS level for --by region"),
        month_from: str | None = typer.Option(None, "--from", help="YYYY-MM"),
        month_to: str | None = typer.Option(None, "--to", help="YYYY-MM"),
        lang: str = typer.Option("en", "--lang", help="Label language"),
        methods: str | None = typer.Option(None, "--methods", help="Skill evidence: declared,extracted,occupation"),
        weighted: bool = typer.Option(False, "--weighted", help="Sum vacancy weights instead of counting"),
        limit: int = typer.Option(25, "--limit", min=1, max=1000),
        as_json: bool = typer.Option(False, "--json"),
        database_url: str | None = DbUrl,
    ) -> None:
        """Vacancy counts, shares and growth by skill, occupation, region or month."""
        from emclm.db.session import session_scope
        from emclm.labour.demand import SKILL_METHODS, DemandQueryError, Filters, demand

        f = Filters(
            region,
            country,
            month_from,
            month_to,
            tuple(m.strip() for m in methods.split(",")) if methods else SKILL_METHODS,
        )
        try:
            with session_scope(database_url) as session:
                data = demand(session, by, f, level=level, lang=lang, limit=limit, weighted=weighted)
        except DemandQueryError as exc:
            raise typer.BadParameter(str(exc)) from exc
        if as_json:
            typer.echo(json.dumps(data, ensure_ascii=False))
            return
        typer.echo(f"{data['total_vacancies']:.0f} vacancies; latest month {data['latest_month']}")
        for it in data["items"]:
            g = it.get("growth")
            typer.echo(
                f"{it['count']:8.0f}  {it['share'] * 100:5.1f}%  {'' if g is None else f'{g * 100:+.0f}%':>6}  "
                f"{it.get('label') or ''}  {it.get('key')}"
            )

    @app.command("gaps")
    def gaps_(
        region: str | None = typer.Option(None, "--region", help="NUTS code or prefix"),
        lang: str | None = typer.Option(None, "--lang", help="Course language (ISO 639-1); default any"),
        country: str | None = typer.Option(None, "--country"),
        month_from: str | None = typer.Option(None, "--from", help="YYYY-MM"),
        month_to: str | None = typer.Option(None, "--to", help="YYYY-MM"),
        label_lang: str = typer.Option("en", "--label-lang"),
        poor_below: int = typer.Option(3, "--poor-below", min=1, help="Fewer courses than this is 'poor' coverage"),
        min_vacancies: int = typer.Option(1, "--min-vacancies", min=1),
        limit: int = typer.Option(25, "--limit", min=1, max=1000),
        as_json: bool = typer.Option(False, "--json"),
        database_url: str | None = DbUrl,
    ) -> None:
        """Skills in demand that the catalogue covers poorly or not at all (the supply–demand gap)."""
        from emclm.db.session import session_scope
        from emclm.labour.demand import DemandQueryError, Filters, gaps

        try:
            with session_scope(database_url) as session:
                data = gaps(
                    session,
                    Filters(region, country, month_from, month_to),
                    lang=lang,
                    label_lang=label_lang,
                    limit=limit,
                    min_vacancies=min_vacancies,
                    poor_below=poor_below,
                )
        except DemandQueryError as exc:
            raise typer.BadParameter(str(exc)) from exc
        if as_json:
            typer.echo(json.dumps(data, ensure_ascii=False))
            return
        typer.echo(
            f"{data['total_vacancies']:.0f} vacancies, {data['skills_in_demand']} skills in demand: "
            f"{data['skills_without_courses']} without any course, {data['skills_poorly_covered']} poorly covered"
        )
        for it in data["items"]:
            typer.echo(
                f"{it['vacancies']:7.0f}  {it['demand_share'] * 100:5.1f}%  {it['courses']:4d} courses  "
                f"{it['status']:8}  {it.get('label') or ''}"
            )
