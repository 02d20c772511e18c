"""``sitewatch report`` (HTML/PDF briefing) and ``sitewatch export`` (GeoJSON, KML, GeoPackage,
CSV, STIX 2.1)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sitewatch.cli.common import open_workspace, parse_day
from sitewatch.cli.options import WorkspaceOpt
from sitewatch.cli.output import console, console_err
from sitewatch.errors import InputError

__all__ = ["register"]


def report(
    site_or_case: Annotated[
        str, typer.Argument(help="A site (slug, name or alias) or 'case' for every site.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="html or pdf.")] = "html",
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Leave out evidence and passes after this day (UTC)."),
    ] = None,
    title: Annotated[str | None, typer.Option(help="Title (default from the scope).")] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Write a briefing: BLUF, judgments, imagery, evidence, ACH, sources and licences."""
    from sitewatch.report import collect_briefing, render_briefing, render_pdf

    if fmt not in ("html", "pdf"):
        raise InputError(f"unknown format {fmt!r}", field="--format", expected="html or pdf")
    when = parse_day(as_of, "--as-of")
    if when is not None and as_of is not None and len(as_of) == 10:
        when = when.replace(hour=23, minute=59, second=59)  # a day means all of that day
    with open_workspace(workspace) as ws:
        data = collect_briefing(
            ws,
            title=title or f"sitewatch briefing: {site_or_case}",
            subtitle="Every judgment cites its evidence; every image states its source.",
            scope=site_or_case,
            as_of=when,
        )
        path = render_pdf(data, out) if fmt == "pdf" else render_briefing(data, out)
    console.print(
        f"briefing written to {path} ({len(data.evidence)} evidence items, "
        f"{len(data.panels)} imagery panels)",
        highlight=False,
    )
    for status in (data.assess_status, data.change_status, data.activity_status):
        if not status.ran:
            console_err.print(f"note: {status.note}", highlight=False)


def export(
    kind: Annotated[
        str, typer.Argument(help="sites, detections, objects, events, evidence or case.")
    ],
    fmt: Annotated[str, typer.Option("--format", "-f", help="geojson, kml, gpkg, csv or stix.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write.")],
    frame: Annotated[
        str | None,
        typer.Option(help="map (lon/lat) or pixel; default map when any feature is georeferenced."),
    ] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Export data for QGIS (gpkg), Google Earth (kml), GeoJSON, CSV or OpenCTI (stix)."""
    from sitewatch.report.export import check_format
    from sitewatch.report.export import export as run_export

    check_format(kind, fmt)
    with open_workspace(workspace) as ws:
        result = run_export(ws, kind, fmt, out, frame=frame)
    counts = ", ".join(f"{n} {k}" for k, n in result.counts.items())
    console.print(f"{kind} written to {result.path} ({counts})", highlight=False)
    for note in result.notes:
        console_err.print(f"note: {note}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``report`` and ``export`` to the main CLI."""
    app.command("report")(report)
    app.command("export")(export)
