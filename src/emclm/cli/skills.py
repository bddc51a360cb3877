"""CLI commands for this area (registered by emclm.cli)."""

from __future__ import annotations

import typer


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    """Not yet: this area's commands arrive with its issue."""
