"""``sitewatch detect-all`` (Dask batch over a site's passes) and ``sitewatch passes search`` /
``passes add-stac`` (passes from STAC catalogues).

The STAC commands join the existing ``passes`` group; ``detect-all`` is a top-level command
until the detector's ``detect`` group takes it as ``detect --all-passes``.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.progress import Progress

from sitewatch.cli.common import open_workspace, parse_day, settings
from sitewatch.cli.options import JsonOpt, ModelOpt, ViewsOpt, WorkspaceOpt, ZoomsOpt
from sitewatch.cli.output import console, console_err, print_json, print_table
from sitewatch.errors import InputError, SitewatchError

__all__ = ["detect_all", "register", "run_detect_all"]

CatalogOpt = Annotated[
    str | None,
    typer.Option(
        "--catalog",
        help="Profile (earth-search, maxar-open-data) or STAC API / catalog.json URL.",
    ),
]
CollectionOpt = Annotated[
    str | None, typer.Option("--collection", help="Collection id (default: the profile's).")
]


def _scene_row(s: Any) -> dict[str, Any]:
    return s.meta()  # type: ignore[no-any-return]


def _search(
    site: str,
    start: str,
    end: str,
    catalog: str | None,
    collection: str | None,
    max_cloud: float | None,
    limit: int,
    workspace: str | None,
) -> tuple[Any, list[Any]]:
    from sitewatch.imagery.stac import search_passes
    from sitewatch.store import sites_repo

    t0, t1 = parse_day(start, "--from"), parse_day(end, "--to")
    assert t0 is not None and t1 is not None
    if len(end) == 10:  # a day given as --to means the whole day
        t1 = t1.replace(hour=23, minute=59, second=59)
    with open_workspace(workspace) as ws:
        target = sites_repo.get_site(ws, site)
    scenes = search_passes(
        target,
        t0,
        t1,
        catalog=catalog,
        collection=collection,
        max_cloud=max_cloud,
        limit=limit,
    )
    return target, scenes


def _add(workspace: str | None, target: Any, scenes: list[Any]) -> list[dict[str, Any]]:
    from sitewatch.imagery.stac import add_scene_pass

    out: list[dict[str, Any]] = []
    with open_workspace(workspace) as ws, Progress(console=console_err, transient=True) as bar:
        task = bar.add_task("cutting the site out of each scene", total=len(scenes))
        for s in scenes:
            try:
                res = add_scene_pass(ws, target, s)
                status = "added" if res.created else "already present"
                out.append({"item": s.item_id, "status": status, "pass": res.pass_.id})
            except SitewatchError as exc:
                console_err.print(f"[red]rejected:[/] {s.item_id}: {exc}", highlight=False)
                out.append({"item": s.item_id, "status": "rejected", "error": str(exc)})
            bar.advance(task)
    return out


def search(
    site: Annotated[str, typer.Argument(help="Site slug, name or alias.")],
    start: Annotated[str, typer.Option("--from", help="First day (UTC), YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--to", help="Last day (UTC), YYYY-MM-DD.")],
    catalog: CatalogOpt = None,
    collection: CollectionOpt = None,
    max_cloud: Annotated[
        float | None, typer.Option("--max-cloud", help="Most cloud cover, percent.")
    ] = None,
    limit: Annotated[int, typer.Option(help="Most items to return.")] = 100,
    add: Annotated[
        bool, typer.Option("--add", help="Add every item found as a pass (site window only).")
    ] = False,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Search a STAC catalogue for scenes over a site (needs network for real catalogues)."""
    from sitewatch.imagery.profiles import get_profile

    target, scenes = _search(site, start, end, catalog, collection, max_cloud, limit, workspace)
    note = get_profile(catalog).note
    added = _add(workspace, target, scenes) if add else []
    if as_json:
        print_json({"scenes": [_scene_row(s) for s in scenes], "added": added, "note": note})
    else:
        print_table(
            f"{len(scenes)} scenes over {target.slug}",
            ["item", "acquired (UTC)", "platform", "GSD m", "cloud %", "off-nadir"],
            [
                [
                    s.item_id,
                    s.acquired_at.strftime("%Y-%m-%d %H:%M"),
                    s.platform,
                    s.gsd_m,
                    s.cloud_cover,
                    s.off_nadir,
                ]
                for s in scenes
            ],
        )
        if note:
            console.print(f"[dim]{note}[/]", highlight=False)
        for r in added:
            if r["status"] != "rejected":
                console.print(f"{r['item']}: {r['status']} (pass {r['pass']})", highlight=False)
    if any(r["status"] == "rejected" for r in added):
        raise typer.Exit(1)


def add_stac(
    site: Annotated[str, typer.Argument(help="Site slug, name or alias.")],
    items: Annotated[list[str], typer.Argument(help="STAC item ids.")],
    start: Annotated[
        str | None, typer.Option("--from", help="First day (UTC); needed for static catalogues.")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day (UTC).")] = None,
    catalog: CatalogOpt = None,
    collection: CollectionOpt = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add STAC items as passes: only the window over the site is read from each COG."""
    from sitewatch.imagery.stac import find_scenes
    from sitewatch.store import sites_repo

    if (start is None) != (end is None):
        raise InputError("give both or neither", field="--from/--to", expected="two dates")
    if start is not None and end is not None:
        target, scenes = _search(site, start, end, catalog, collection, None, 1000, workspace)
        wanted = [s for s in scenes if s.item_id in set(items)]
        missing = sorted(set(items) - {s.item_id for s in wanted})
        if missing:
            raise InputError(
                f"items not found over {target.slug} in those dates: {', '.join(missing)}",
                field="ITEMS",
                expected="ids from `sitewatch passes search`",
            )
    else:
        with open_workspace(workspace) as ws:
            target = sites_repo.get_site(ws, site)
        wanted = find_scenes(list(dict.fromkeys(items)), catalog=catalog, collection=collection)
    added = _add(workspace, target, wanted)
    if as_json:
        print_json(added)
    else:
        for r in added:
            if r["status"] != "rejected":
                console.print(f"{r['item']}: {r['status']} (pass {r['pass']})", highlight=False)
    if any(r["status"] == "rejected" for r in added):
        raise typer.Exit(1)


def run_detect_all(
    site: str,
    *,
    workspace: str | None = None,
    scheduler: str | None = None,
    workers: int = 2,
    detector: str = "model",
    model: str | None = None,
    tile: int = 4096,
    redo: bool = False,
    as_json: bool = False,
    views: int = 1,
    zooms: str = "1",
) -> None:
    """What ``detect-all`` (and ``detect --all-passes``) does: for a detect CLI to call.

    ``views`` and ``zooms`` (``Z,…``) are the engine's readings for the model detector; the
    runs record them.
    """
    from sitewatch.scale import BatchEvent, detect_all_passes, model_detector, stand_in_detector

    if detector not in ("model", "stand-in"):
        raise InputError(f"{detector!r}", field="--detector", expected="model or stand-in")
    if workers < 1:
        raise InputError(f"{workers}", field="--workers", expected="at least 1")
    if detector == "stand-in":
        spec = stand_in_detector()
    else:
        from sitewatch.detect.engine import parse_zooms

        spec = model_detector(model, views=views, zooms=parse_zooms(zooms))
    url = settings(workspace).workspace_url
    with Progress(console=console_err, transient=True) as bar:
        task = bar.add_task(f"{spec.name} over {site}", total=None)

        def on_event(e: BatchEvent) -> None:
            if e.kind == "failed":
                console_err.print(f"[red]pass {e.pass_id} failed:[/] {e.message}")
            bar.advance(task)

        summary = detect_all_passes(
            url,
            site,
            scheduler=scheduler,
            detector=spec,
            workers=workers,
            tile_px=tile,
            redo=redo,
            on_event=on_event,
        )
    data = {
        "detector": summary.detector,
        "version": summary.version,
        "processed": summary.processed,
        "resumed": summary.resumed,
        "skipped": summary.skipped,
        "failed": summary.failed,
        "runs": summary.runs,
        "detections": summary.detections,
        "windows": summary.windows,
        "worker_peak_rss_mb": summary.workers,
        "seconds": round(summary.seconds, 2),
        "compute_seconds": round(summary.compute_seconds, 2),
    }
    if as_json:
        print_json(data)
    else:
        console.print(
            f"{summary.detector} {summary.version}: {len(summary.processed)} passes done "
            f"({len(summary.resumed)} resumed), {len(summary.skipped)} already done, "
            f"{len(summary.failed)} failed; {summary.detections} detections "
            f"in {summary.seconds:.1f} s",
            highlight=False,
        )
    if summary.failed:
        raise typer.Exit(1)


def detect_all(
    site: Annotated[str, typer.Argument(help="Site slug, name or alias.")],
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="dask.distributed scheduler address (default: local)."),
    ] = None,
    workers: Annotated[int, typer.Option("--workers", help="Local cluster workers.")] = 2,
    detector: Annotated[
        str, typer.Option("--detector", help="model, or stand-in (bright-blob finder).")
    ] = "model",
    model: ModelOpt = None,
    tile: Annotated[int, typer.Option("--tile", help="Window size, pixels.")] = 4096,
    redo: Annotated[
        bool,
        typer.Option(
            "--redo", help="Redo passes already done (e.g. to read them again with --zooms)."
        ),
    ] = False,
    views: ViewsOpt = 1,
    zooms: ZoomsOpt = "1",
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Detect over every pass of a site on Dask; restartable (finished passes are skipped)."""
    run_detect_all(
        site,
        workspace=workspace,
        scheduler=scheduler,
        workers=workers,
        detector=detector,
        model=str(model) if model else None,
        tile=tile,
        redo=redo,
        as_json=as_json,
        views=views,
        zooms=zooms,
    )


def register(app: typer.Typer) -> None:
    """Add ``detect-all`` and the STAC commands of the ``passes`` group."""
    from sitewatch.cli.passes import passes_app

    passes_app.command("search")(search)
    passes_app.command("add-stac")(add_stac)
    app.command("detect-all")(detect_all)
