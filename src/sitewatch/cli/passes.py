"""``sitewatch passes``: add image files as passes of a site, list and show them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import shapely
import typer
from rich.progress import Progress

from sitewatch.cli.common import open_workspace
from sitewatch.cli.options import JsonOpt, WorkspaceOpt
from sitewatch.cli.output import console, console_err, print_json, print_table
from sitewatch.errors import SitewatchError
from sitewatch.imagery import Pass, inspect_pass
from sitewatch.store import passes_repo, sites_repo

__all__ = ["pass_json", "passes_app", "register"]

passes_app = typer.Typer(help="Imagery passes: add, list, show.", no_args_is_help=True)


def pass_json(p: Pass) -> dict[str, Any]:
    """A pass as plain data."""
    return {
        "id": p.id,
        "site": p.site_slug,
        "path": p.path,
        "sha256": p.sha256,
        "file_size": p.file_size,
        "acquired_at": p.acquired_at.isoformat() if p.acquired_at else None,
        "sensor": p.sensor,
        "gsd_m": p.gsd_m,
        "width": p.width,
        "height": p.height,
        "bands": p.band_count,
        "frame": p.frame.value,
        "crs": p.crs,
        "transform": list(p.transform) if p.transform else None,
        "footprint": shapely.geometry.mapping(p.footprint) if p.footprint is not None else None,
        "area_km2": p.area_km2,
        "label": p.label,
        "meta": p.meta,
    }


@passes_app.command("add")
def add(
    files: Annotated[list[Path], typer.Argument(help="GeoTIFF/COG, JPEG or PNG files.")],
    site: Annotated[str, typer.Option(help="Site slug, name or alias.")],
    date: Annotated[str | None, typer.Option(help="Acquisition date/time (UTC).")] = None,
    gsd: Annotated[float | None, typer.Option(help="Ground sample distance, metres.")] = None,
    sensor: Annotated[str | None, typer.Option(help="Sensor or provider name.")] = None,
    label: Annotated[str | None, typer.Option(help="Caption shown in briefings.")] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add files as passes of a site. A bad file is reported; the others are still added."""
    results: list[dict[str, Any]] = []
    failed = 0
    with open_workspace(workspace) as ws:
        target = sites_repo.get_site(ws, site)
        with Progress(console=console_err, transient=True) as progress:
            task = progress.add_task("adding passes", total=len(files))
            for f in files:
                try:
                    p = inspect_pass(f, target, date=date, gsd_m=gsd, sensor=sensor, label=label)
                    res = passes_repo.add_pass(ws, p)
                    if res.created:
                        results.append({"file": str(f), "status": "added", "pass": res.pass_.id})
                    else:
                        console_err.print(
                            f"{f}: already in the workspace as pass {res.pass_.id} "
                            "(same sha256); nothing added",
                            highlight=False,
                        )
                        results.append(
                            {"file": str(f), "status": "already present", "pass": res.pass_.id}
                        )
                except SitewatchError as exc:
                    failed += 1
                    console_err.print(f"[red]rejected:[/] {exc}", highlight=False)
                    results.append({"file": str(f), "status": "rejected", "error": str(exc)})
                progress.advance(task)
    if as_json:
        print_json(results)
    else:
        for r in results:
            if r["status"] != "rejected":
                console.print(f"{r['file']}: {r['status']} (pass {r['pass']})", highlight=False)
    if failed:
        raise typer.Exit(1)


@passes_app.command("list")
def list_(
    site: Annotated[str | None, typer.Option(help="Only passes of this site.")] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List passes, oldest first."""
    with open_workspace(workspace) as ws:
        slug = sites_repo.get_site(ws, site).slug if site else None
        passes = passes_repo.list_passes(ws, slug)
    if as_json:
        print_json([pass_json(p) for p in passes])
        return
    print_table(
        f"passes ({len(passes)})",
        ["id", "site", "acquired", "sensor", "GSD m", "size", "frame", "file"],
        [
            [
                p.id,
                p.site_slug,
                p.describe_time(),
                p.sensor,
                f"{p.gsd_m:.2f}" if p.gsd_m else "",
                f"{p.width}×{p.height}",
                p.frame.value,
                Path(p.path).name,
            ]
            for p in passes
        ],
    )


@passes_app.command("show")
def show(
    pass_id: Annotated[int, typer.Argument(help="Pass id.")],
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show one pass with its provenance (path, sha256) and geometry."""
    with open_workspace(workspace) as ws:
        p = passes_repo.get_pass(ws, pass_id)
    data = pass_json(p)
    if as_json:
        print_json(data)
        return
    for key, value in data.items():
        if value not in (None, "", [], {}):
            console.print(f"[bold]{key}[/]: {value}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add the ``passes`` group to the main CLI."""
    app.add_typer(passes_app, name="passes")
