"""`emclm search QUERY`, `emclm search-index …` (reindex, label keys, embeddings), `emclm suggest`."""

from __future__ import annotations

import inspect
import json

import typer

from emclm.cli.core import DbUrl

# the facet options, derived from the one facet table; older short spellings kept
CLI_ALIASES = {"eqf_level": ("--eqf",), "certificate_type": ("--certificate",)}


def _facet_options() -> list[inspect.Parameter]:
    from emclm.search import FACET_TABLE

    params = []
    for f in FACET_TABLE:
        what = " | ".join(f.choices) if f.choices else ("weeks" if f.name == "starts_within" else "")
        help_text = f"Facet filter: {f.name.replace('_', ' ')}" + (f" ({what})" if what else "") + ", repeatable"
        params.append(
            inspect.Parameter(
                f"facet_{f.name}",
                inspect.Parameter.KEYWORD_ONLY,
                default=typer.Option(
                    None, "--" + f.name.replace("_", "-"), *CLI_ALIASES.get(f.name, ()), help=help_text
                ),
                annotation=list[str],
            )
        )
    return params


def _filters(options: dict):
    """``Filters`` from the facet options (``facet_<name>`` keyword arguments)."""
    from emclm.search import Filters

    return Filters.from_params(lambda name: options.get(f"facet_{name}") or [])


def _with_facet_options(func):
    """Give a command one option per facet (``--language``, ``--price`` …) besides its own."""
    sig = inspect.signature(func)
    own = [p for p in sig.parameters.values() if p.kind != inspect.Parameter.VAR_KEYWORD]
    func.__signature__ = sig.replace(parameters=own + _facet_options())
    return func


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    index_app = typer.Typer(no_args_is_help=True, help="The search index")
    app.add_typer(index_app, name="search-index")

    @app.command("search")
    @_with_facet_options
    def search_cmd(
        query: str = typer.Argument("", help="Words in any language, an ESCO occupation/skill URI, or empty to browse"),
        lang: str | None = typer.Option(
            None, "--lang", help="Interface language (reported only): the query's language is detected from its words"
        ),
        limit: int = typer.Option(10, "--limit", min=1, max=100),
        page: int = typer.Option(1, "--page", min=1),
        sort: str = typer.Option("relevance", "--sort", help="relevance | start_date | workload"),
        no_embeddings: bool = typer.Option(False, "--no-embeddings"),
        as_json: bool = typer.Option(False, "--json"),
        full: bool = typer.Option(False, "--full", help="With --json: also facets and query analysis"),
        database_url: str | None = DbUrl,
        **facets,
    ) -> None:
        """Search courses in any language (full text + ESCO concepts + embeddings, fused)."""
        from emclm.db.session import session_scope
        from emclm.search import FilterError, SearchError, SearchRequest, search

        try:
            filters = _filters(facets)
        except FilterError as exc:
            raise typer.BadParameter(str(exc)) from exc
        req = SearchRequest(
            q=query,
            lang=lang,
            per_page=limit,
            page=page,
            sort=sort,
            facets=full or not as_json,
            filters=filters,
            embeddings=False if no_embeddings else None,
        )
        try:
            with session_scope(database_url) as session:
                res = search(session, req)
        except SearchError as exc:
            raise typer.BadParameter(str(exc)) from exc
        if as_json:
            out = {
                "total": res.total,
                "results": [
                    {
                        "id": h.id,
                        "title": h.title,
                        "url": h.url,
                        "language": h.language,
                        "provider": h.provider,
                        "score": h.score,
                    }
                    for h in res.results
                ],
            }
            if full:
                out = res.as_dict()
            typer.echo(json.dumps(out, ensure_ascii=False))
            return
        typer.echo(f"{res.total} courses")
        for h in res.results:
            typer.echo(
                f"{h.score:8.5f}  [{h.language or '?'}] {h.title}  ({h.provider_name or h.provider})  {h.url or ''}"
            )
        for c in res.query["concepts"]:
            typer.echo(f"  concept: {c['type']} {c['uri']} ← “{c['matched']}” ({c['lang']})", err=True)

    @app.command("suggest")
    def suggest_cmd(
        prefix: str,
        lang: str = typer.Option("en", "--lang"),
        limit: int = typer.Option(10, "--limit", min=1, max=50),
        database_url: str | None = DbUrl,
    ) -> None:
        """Autocomplete ESCO skills and occupations in the user's language."""
        from emclm.db.session import session_scope
        from emclm.search import suggest

        with session_scope(database_url) as session:
            typer.echo(json.dumps(suggest(session, prefix, lang, limit), ensure_ascii=False))

    @index_app.command("rebuild")
    def rebuild(
        labels: bool = typer.Option(True, "--labels/--no-labels", help="Also rebuild ESCO label stem keys"),
        embeddings: bool = typer.Option(False, "--embeddings", help="Also embed changed courses (slow: ~0.1 s/course)"),
        database_url: str | None = DbUrl,
    ) -> None:
        """Rebuild the search documents of every course (and the ESCO label keys)."""
        import time

        from emclm.db.session import session_scope
        from emclm.search import index_courses

        t = time.perf_counter()
        with session_scope(database_url) as session:
            n = index_courses(session, None)
        typer.echo(f"indexed {n} courses in {time.perf_counter() - t:.1f}s")
        if labels:
            from emclm.search.concepts import build_label_keys

            t = time.perf_counter()
            with session_scope(database_url) as session:
                k = build_label_keys(session)
            typer.echo(f"built {k} ESCO label keys in {time.perf_counter() - t:.1f}s")
        if embeddings:
            from emclm.search.embeddings import build_embeddings

            t = time.perf_counter()
            with session_scope(database_url) as session:
                e = build_embeddings(session)
            typer.echo(f"embedded {e} courses in {time.perf_counter() - t:.1f}s")

    @index_app.command("export-vectors")
    def export_vectors_cmd(
        path: str = typer.Argument(..., help="output file, e.g. data/search/demo-course-vectors.npz"),
        database_url: str | None = DbUrl,
    ) -> None:
        """Write the course vectors (int8, keyed by text hash and model) that `emclm db build` applies."""
        from emclm.db.session import session_scope
        from emclm.search.embeddings import export_vectors

        with session_scope(database_url) as session:
            n = export_vectors(session, path)
        typer.echo(f"wrote {n} course vectors to {path}")
