"""``sitewatch sites``: import, add, list, show, baseline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import shapely
import typer

from sitewatch.cli.common import open_workspace
from sitewatch.cli.options import JsonOpt, WorkspaceOpt
from sitewatch.cli.output import console, console_err, print_json, print_table
from sitewatch.errors import InputError, SitewatchError
from sitewatch.sites import Site, SiteKind, read_sites_geojson, slugify
from sitewatch.store import sites_repo

__all__ = ["register", "site_json", "sites_app"]

sites_app = typer.Typer(help="Site registry: import, add, list, show.", no_args_is_help=True)


def site_json(site: Site) -> dict[str, Any]:
    """A site as GeoJSON-like plain data."""
    return {
        "id": site.id,
        "slug": site.slug,
        "name": site.name,
        "kind": site.kind.value,
        "country": site.country,
        "aliases": list(site.aliases),
        "geometry": shapely.geometry.mapping(site.geometry) if site.geometry else None,
        "radius_m": site.radius_m,
        "approximate": site.approximate,
        "source": site.source,
        "baseline_pass_id": site.baseline_pass_id,
        "properties": site.properties,
    }


@sites_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="GeoJSON FeatureCollection of sites.")],
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Import sites from GeoJSON; bad features are reported and the rest imported."""
    result = read_sites_geojson(file)
    added, skipped = [], []
    with open_workspace(workspace) as ws:
        for site in result.sites:
            try:
                added.append(sites_repo.add_site(ws, site).slug)
            except SitewatchError as exc:
                skipped.append(f"{site.slug}: {exc}")
    for err in result.errors:
        console_err.print(f"[yellow]rejected:[/] {err}", highlight=False)
    for msg in skipped:
        console_err.print(f"[yellow]skipped:[/] {msg}", highlight=False)
    if as_json:
        print_json(
            {"added": added, "skipped": skipped, "rejected": [str(e) for e in result.errors]}
        )
    else:
        console.print(
            f"{len(added)} sites added, {len(skipped)} skipped, {len(result.errors)} rejected"
        )
    if result.errors:
        raise typer.Exit(1)


@sites_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Site name.")],
    kind: Annotated[str, typer.Option(help="air_base, naval_base, port, airport, …")],
    lon: Annotated[float | None, typer.Option(help="Longitude (WGS84) of a point site.")] = None,
    lat: Annotated[float | None, typer.Option(help="Latitude (WGS84) of a point site.")] = None,
    radius: Annotated[float | None, typer.Option(help="Radius in metres around the point.")] = None,
    polygon: Annotated[
        str | None, typer.Option(help="Polygon as WKT in WGS84 lon/lat (instead of a point).")
    ] = None,
    alias: Annotated[list[str] | None, typer.Option(help="Another name; repeatable.")] = None,
    slug: Annotated[str | None, typer.Option(help="Identifier (default: from the name).")] = None,
    country: Annotated[str | None, typer.Option()] = None,
    source: Annotated[str | None, typer.Option(help="Where the coordinates come from.")] = None,
    approximate: Annotated[bool, typer.Option(help="Coordinates are approximate.")] = False,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add one site: a polygon, or a point with a radius."""
    try:
        site_kind = SiteKind.parse(kind)
    except ValueError as exc:
        raise InputError(str(exc), field="--kind") from None
    geom = None
    if polygon is not None:
        try:
            geom = shapely.from_wkt(polygon)
        except Exception:
            raise InputError(f"unreadable WKT {polygon[:40]!r}", field="--polygon") from None
        if geom.geom_type not in ("Polygon", "MultiPolygon") or not geom.is_valid:
            raise InputError("not a valid polygon", field="--polygon", expected="POLYGON((…))")
    elif lon is not None and lat is not None:
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise InputError(f"({lon}, {lat}) out of range", field="--lon/--lat")
        if radius is None or radius <= 0:
            raise InputError("a point site needs a radius", field="--radius", expected="metres > 0")
        geom = shapely.Point(lon, lat)
    elif lon is not None or lat is not None:
        raise InputError("give both --lon and --lat", field="--lon/--lat")
    site = Site(
        slug=slug or slugify(name),
        name=name,
        kind=site_kind,
        geometry=geom,
        radius_m=radius if polygon is None else None,
        aliases=tuple(alias or ()),
        country=country,
        source=source,
        approximate=approximate,
    )
    with open_workspace(workspace) as ws:
        stored = sites_repo.add_site(ws, site)
    if as_json:
        print_json(site_json(stored))
    else:
        console.print(f"site {stored.slug!r} added (id {stored.id})")


@sites_app.command("list")
def list_(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """List the workspace's sites."""
    with open_workspace(workspace) as ws:
        sites = sites_repo.list_sites(ws)
    if as_json:
        print_json([site_json(s) for s in sites])
        return

    def where(s: Site) -> str:
        if s.geometry is None:
            return "no coordinates"
        c = s.geometry.centroid
        r = f" r={s.radius_m:g} m" if s.radius_m else ""
        return f"{c.y:.4f}N {c.x:.4f}E{r}" + (" (approx.)" if s.approximate else "")

    print_table(
        f"sites ({len(sites)})",
        ["slug", "name", "kind", "country", "where", "baseline pass"],
        [[s.slug, s.name, s.kind.value, s.country, where(s), s.baseline_pass_id] for s in sites],
    )


@sites_app.command("show")
def show(
    site: Annotated[str, typer.Argument(help="Slug, name, alias or id.")],
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show one site with its sources and notes."""
    with open_workspace(workspace) as ws:
        s = sites_repo.get_site(ws, site)
    data = site_json(s)
    if as_json:
        print_json(data)
        return
    for key, value in data.items():
        if key == "properties":
            for k, v in value.items():
                if v not in (None, "", [], {}) and k != "facts":
                    console.print(f"[bold]{k}[/]: {v}", highlight=False)
            for fact in value.get("facts", []):
                console.print(
                    f"  • {fact.get('fact')} [dim]({fact.get('source')})[/]", highlight=False
                )
        elif value not in (None, "", [], {}):
            console.print(f"[bold]{key}[/]: {value}", highlight=False)


@sites_app.command("baseline")
def baseline(
    site: Annotated[str, typer.Argument(help="Site slug, name or alias.")],
    pass_id: Annotated[int, typer.Argument(help="Pass id to use as the baseline.")],
    workspace: WorkspaceOpt = None,
) -> None:
    """Set the site's baseline pass (counts and changes are compared with it)."""
    with open_workspace(workspace) as ws:
        s = sites_repo.set_baseline(ws, site, pass_id)
    console.print(f"site {s.slug!r}: baseline pass {pass_id}")


def register(app: typer.Typer) -> None:
    """Add the ``sites`` group to the main CLI."""
    app.add_typer(sites_app, name="sites")
