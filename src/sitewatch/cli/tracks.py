"""``sitewatch tracks``: import ADS-B/AIS files, activity near a site, export."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated, cast

import typer

from sitewatch.cli.common import open_workspace, parse_day
from sitewatch.cli.options import JsonOpt, WorkspaceOpt
from sitewatch.cli.output import console, console_err, print_json, print_table
from sitewatch.errors import InputError, SitewatchError

__all__ = ["register", "tracks_app"]

tracks_app = typer.Typer(
    help="Flight and vessel tracks: import, activity, export.", no_args_is_help=True
)


@tracks_app.command("import")
def import_(
    files: Annotated[
        list[Path],
        typer.Argument(help="ADS-B or AIS files (JSON, CSV, parquet, NMEA) or folders."),
    ],
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Import track files; each is imported, skipped or rejected with a reason."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from sitewatch.store.tracks_repo import import_track_file
    from sitewatch.tracks._time import NaiveTimeWarning

    # a folder stands for every file under it, in a stable order
    files = [
        x
        for f in files
        for x in (sorted(p for p in f.rglob("*") if p.is_file()) if f.is_dir() else [f])
    ]
    results: list[dict[str, object]] = []
    with (
        open_workspace(workspace) as ws,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console_err,
            transient=True,
        ) as bar,
    ):
        task = bar.add_task("files", total=len(files))
        recs = bar.add_task("records", total=None)
        for f in files:
            bar.update(task, description=f.name)
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always", NaiveTimeWarning)
                    s = import_track_file(ws, f, progress=lambda n: bar.advance(recs, n))
                results.append(
                    {
                        "file": str(f),
                        "status": "skipped (imported before)" if s.skipped else "imported",
                        "kind": s.domain,
                        "format": s.format,
                        "points": s.points,
                        "tracks": s.tracks,
                        "malformed": s.malformed,
                        "notes": [*s.notes, *(str(w.message) for w in caught)],
                    }
                )
            except SitewatchError as exc:
                results.append({"file": str(f), "status": "rejected", "reason": str(exc)})
            bar.advance(task)
    if as_json:
        print_json(results)
        return
    print_table(
        f"track import ({len(files)} files)",
        ["file", "status", "kind", "format", "points", "tracks", "malformed", "reason / notes"],
        [
            [
                Path(str(r["file"])).name,
                r["status"],
                r.get("kind"),
                r.get("format"),
                r.get("points"),
                r.get("tracks"),
                r.get("malformed"),
                r.get("reason")
                or "; ".join(str(x) for x in cast(list[object], r.get("notes") or [])),
            ]
            for r in results
        ],
    )


@tracks_app.command("activity")
def activity(
    site: Annotated[str, typer.Argument(help="Site slug, name, alias or id.")],
    from_: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD, UTC).")],
    to: Annotated[str, typer.Option("--to", help="Last day, inclusive (YYYY-MM-DD, UTC).")],
    plot: Annotated[Path | None, typer.Option("--plot", help="Write a PNG chart here.")] = None,
    elevation: Annotated[
        float, typer.Option("--elevation", help="Air base field elevation in feet.")
    ] = 0.0,
    military_list: Annotated[
        Path | None,
        typer.Option("--military-list", help="File of ICAO addresses to flag as military."),
    ] = None,
    coastline: Annotated[
        Path | None,
        typer.Option("--coastline", help="Coastline GeoJSON (default: bundled case-area line)."),
    ] = None,
    offshore_km: Annotated[
        float, typer.Option("--offshore-km", help="Offshore zone radius around a naval site.")
    ] = 30.0,
    log_evidence: Annotated[
        bool,
        typer.Option(
            "--log-evidence",
            help="Also log each day's activity as an evidence item (graded B2 by default).",
        ),
    ] = False,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Flights (arrivals, departures, overflights) or vessels (in port, offshore) per day."""
    import pandas as pd

    from sitewatch.store import sites_repo
    from sitewatch.store.tracks_repo import load_adsb, load_ais
    from sitewatch.tracks.activity import air_activity, fill_days, is_naval, sea_activity
    from sitewatch.tracks.claims import air_claims, sea_claims
    from sitewatch.tracks.geo import bundled_coastline, load_coastline
    from sitewatch.tracks.plot import plot_daily

    start = parse_day(from_, "--from")
    end = parse_day(to, "--to")
    assert start is not None and end is not None
    end = end + pd.Timedelta(days=1)
    if end <= start:
        raise InputError("--to is before --from", field="--to")
    with open_workspace(workspace) as ws:
        s = sites_repo.get_site(ws, site)
        area = s.area_polygon()
        if area is None:
            raise InputError(f"site {s.slug!r} has no coordinates", field="SITE")
        w, so, e, n = area.buffer(0.5).bounds
        if is_naval(s):
            coast = load_coastline(coastline) if coastline else bundled_coastline()
            ais = load_ais(ws, start=start, end=end, bbox=(w, so, e, n))
            sea = sea_activity(ais, s, coastline=coast, offshore_km=offshore_km)
            daily = sea.daily
            claims = sea_claims(sea, s.slug)
        else:
            mil: list[str] = []
            if military_list is not None:
                if not military_list.is_file():
                    raise InputError("no such file", path=military_list, field="--military-list")
                mil = [x.split("#")[0].strip() for x in military_list.read_text().splitlines()]
                mil = [x for x in mil if x]
            adsb = load_adsb(ws, start=start, end=end, bbox=(w, so, e, n))
            air = air_activity(adsb, s, field_elevation_ft=elevation, military=mil)
            daily = air.daily
            claims = air_claims(air, s.slug)
        if log_evidence:
            from sitewatch.store import evidence_repo
            from sitewatch.tracks.evidence import claims_to_items

            res = evidence_repo.add_evidence(
                ws, claims_to_items(claims, source="sitewatch tracks (imported ADS-B/AIS files)")
            )
            console_err.print(
                f"evidence: {len(res.added)} activity items logged, "
                f"{len(res.skipped)} already present",
                highlight=False,
            )
    daily = fill_days(
        daily, start.strftime("%Y-%m-%d"), (end - pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    )
    if plot is not None:
        plot_daily(daily, plot, title=f"{s.name}: activity per day")
    if as_json:
        rows = [
            {"day": str(day), **{str(k): int(v) for k, v in r.items()}}
            for day, r in daily.iterrows()
        ]
        print_json({"site": s.slug, "daily": rows})
        return
    table = daily.reset_index()
    print_table(f"{s.name} {from_} → {to}", list(table.columns), table.astype(str).values.tolist())
    if plot is not None:
        console.print(f"plot written to {plot}")


@tracks_app.command("export")
def export(
    fmt: Annotated[str, typer.Option("--format", help="geojson, kml or traffic (parquet).")],
    out: Annotated[Path, typer.Option("--out", help="Output file.")],
    kind: Annotated[str, typer.Option(help="air or sea.")] = "air",
    workspace: WorkspaceOpt = None,
) -> None:
    """Export stored tracks as GeoJSON LineStrings, KML, or a traffic-compatible parquet."""
    from sitewatch.store.tracks_repo import load_adsb, load_ais
    from sitewatch.tracks.export import to_geojson, to_kml, to_traffic

    if fmt not in ("geojson", "kml", "traffic"):
        raise InputError(
            f"unknown format {fmt!r}", field="--format", expected="geojson, kml, traffic"
        )
    if kind not in ("air", "sea"):
        raise InputError(f"unknown kind {kind!r}", field="--kind", expected="air or sea")
    with open_workspace(workspace) as ws:
        df = load_adsb(ws) if kind == "air" else load_ais(ws)
    if fmt == "geojson":
        import json

        out.write_text(json.dumps(to_geojson(df)))
    elif fmt == "kml":
        out.write_text(to_kml(df), encoding="utf-8")
    else:
        if kind != "air":
            raise InputError("traffic export is for ADS-B tracks", field="--kind", expected="air")
        to_traffic(df).to_parquet(out)
    console.print(
        f"{df.groupby(['file_id', 'ident', 'track_seq']).ngroups if len(df) else 0} tracks "
        f"written to {out}"
    )


@tracks_app.command("files")
def files_(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """List imported track files with their counts."""
    from sitewatch.store.tracks_repo import list_track_files

    with open_workspace(workspace) as ws:
        rows = list_track_files(ws)
    if as_json:
        print_json([r.__dict__ for r in rows])
        return
    print_table(
        f"track files ({len(rows)})",
        ["id", "file", "kind", "format", "points", "tracks", "malformed"],
        [
            [r.file_id, Path(r.path).name, r.domain, r.format, r.points, r.tracks, r.malformed]
            for r in rows
        ],
    )


def register(app: typer.Typer) -> None:
    """Add the ``tracks`` command group."""
    app.add_typer(tracks_app, name="tracks")
