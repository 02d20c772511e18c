"""``sitewatch demo``: build the demo workspace and briefing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sitewatch.cli.output import console
from sitewatch.demo import run_demo

__all__ = ["register"]


def demo(
    out: Annotated[Path, typer.Option(help="Folder for the demo workspace and briefing.")] = Path(
        "demo-out"
    ),
    data: Annotated[
        Path | None, typer.Option(help="Shared data folder (default ../shared/data).")
    ] = None,
) -> None:
    """Build a fresh demo workspace (case sites, evidence, sample airport) and its briefing."""
    result = run_demo(out, data=data, log=lambda m: console.print(m, highlight=False))
    console.print(
        f"[bold green]demo ready[/]: {result.sites} sites, {result.evidence} evidence items, "
        f"{result.passes} passes → open {result.briefing}"
    )


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the main CLI."""
    app.command("demo")(demo)
