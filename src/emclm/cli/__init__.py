"""`emclm …`: the command line. Each area registers its commands from its own module.

The CLI calls domain code; domain code never imports the CLI.
"""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, help="emclm: MOOC catalogue × ESCO × labour market")

GROUPS: dict[str, typer.Typer] = {
    "db": typer.Typer(no_args_is_help=True, help="Database schema and the embedded build"),
    "taxonomy": typer.Typer(no_args_is_help=True, help="ESCO knowledge base"),
    "courses": typer.Typer(no_args_is_help=True, help="The course catalogue"),
    "skills": typer.Typer(no_args_is_help=True, help="ESCO skill extraction"),
    "occupations": typer.Typer(no_args_is_help=True, help="ESCO occupation coding"),
    "vacancies": typer.Typer(no_args_is_help=True, help="Vacancy import"),
    "credentials": typer.Typer(no_args_is_help=True, help="Verifiable credentials and Open Badges"),
}
for _name, _group in GROUPS.items():
    app.add_typer(_group, name=_name)

from emclm.cli import (  # noqa: E402  (registration order is the help order)
    accounts,
    catalogue,
    core,
    credentials,
    guidance,
    labour,
    recognition,
    search,
    skills,
    taxonomy,
)

for _module in (core, taxonomy, catalogue, recognition, skills, search, guidance, labour, accounts, credentials):
    _module.register(app, GROUPS)


@app.callback()
def _startup() -> None:
    """emclm: MOOC catalogue × ESCO × labour market"""
    from emclm.credentials import enable_recognition
    from emclm.search import enable_auto_indexing

    enable_recognition()  # recognition facts after each harvest batch, before the search index
    enable_auto_indexing()


def main() -> None:  # pragma: no cover
    app()
