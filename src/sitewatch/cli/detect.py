"""``sitewatch detect``, ``sitewatch train`` and ``sitewatch eval``: the detector's commands.

``detect FILE`` needs no workspace: it writes GeoJSON. For a raster without a CRS the geometry
is in pixel coordinates (x right, y down) and the collection says ``"frame": "pixel"``; with a
CRS the geometry is RFC 7946 lon/lat and each feature also carries its pixel polygon.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from sitewatch.cli.options import JsonOpt, ModelOpt, ViewsOpt, WorkspaceOpt, ZoomsOpt
from sitewatch.cli.output import console, console_err, print_json, print_table
from sitewatch.errors import InputError

__all__ = ["detections_geojson", "register"]


def detections_geojson(dets: Sequence[Any], *, source: str | None = None) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of detections (pixel frame when they have no lon/lat).

    >>> from sitewatch.detect.types import Detection
    >>> d = Detection("aircraft", 0.9, 10.0, 5.0, 8.0, 4.0, 0.0,
    ...               ((14.0, 7.0), (6.0, 7.0), (6.0, 3.0), (14.0, 3.0)), "v1")
    >>> fc = detections_geojson([d])
    >>> fc["frame"], fc["features"][0]["properties"]["class"]
    ('pixel', 'aircraft')
    >>> ring = fc["features"][0]["geometry"]["coordinates"][0]
    >>> ring[0] == ring[-1], len(ring)
    (True, 5)
    """
    georef = bool(dets) and all(d.polygon_lonlat for d in dets)
    features = []
    for d in dets:
        ring = list(d.polygon_lonlat) if georef else list(d.polygon)
        ring = [
            [round(float(x), 8 if georef else 2), round(float(y), 8 if georef else 2)]
            for x, y in ring
        ]
        area2 = sum(
            a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, ring[1:] + ring[:1], strict=True)
        )
        if georef and area2 < 0:
            ring.reverse()  # RFC 7946: exterior rings counter-clockwise in lon/lat
        ring.append(ring[0])
        props: dict[str, Any] = {
            "class": d.class_name,
            "score": round(float(d.score), 4),
            "cx_px": round(float(d.cx), 2),
            "cy_px": round(float(d.cy), 2),
            "length_px": round(float(d.length_px), 2),
            "width_px": round(float(d.width_px), 2),
            "angle_deg": round(float(d.angle_deg), 2),
            "model_version": d.model_version,
        }
        if d.model_gsd_m is not None:
            props["model_gsd_m"] = round(float(d.model_gsd_m), 3)
        if georef:
            props["polygon_px"] = [[round(float(x), 2), round(float(y), 2)] for x, y in d.polygon]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": props,
            }
        )
    fc: dict[str, Any] = {"type": "FeatureCollection"}
    if not georef:
        fc["frame"] = "pixel"
    if source:
        fc["source"] = source
    fc["features"] = features
    return fc


def detect_file(
    target: Annotated[
        str | None,
        typer.Argument(
            metavar="FILE|PASS_ID",
            help="A raster file (GeoTIFF/COG, JPEG, PNG), or a pass id in the workspace.",
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="GeoJSON file to write (file mode).")
    ] = None,
    gsd: Annotated[
        float | None, typer.Option("--gsd", help="Metres per pixel (required without a CRS).")
    ] = None,
    model: ModelOpt = None,
    threshold: Annotated[float, typer.Option(help="Minimum score.")] = 0.3,
    threads: Annotated[
        int | None,
        typer.Option(help="Inference threads (default: every core but one, left to the reader)."),
    ] = None,
    long_hulls: Annotated[
        str,
        typer.Option(
            "--long-hulls",
            metavar="K:MIN_M,…|none",
            help="Long-hull passes: the model again as if its GSD were K× coarser, keeping "
            "ships ≥ MIN_M metres (finds 100+ m hulls whole); 'none' to skip.",
        ),
    ] = "8:60",
    views: ViewsOpt = 1,
    zooms: ZoomsOpt = "1",
    all_passes: Annotated[
        str | None,
        typer.Option("--all-passes", metavar="SITE", help="Every pass of a site, on Dask."),
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="dask.distributed scheduler address (--all-passes).")
    ] = None,
    workers: Annotated[int, typer.Option(help="Local Dask workers (--all-passes).")] = 2,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Detect aircraft, ships, helicopters and vehicles in one raster file; write GeoJSON."""
    from sitewatch.detect import EngineStats, detect_raster, load_model
    from sitewatch.detect.engine import parse_long_hulls, parse_zooms

    if all_passes is not None:
        from sitewatch.cli.scale import run_detect_all

        run_detect_all(
            all_passes,
            workspace=workspace,
            scheduler=scheduler,
            workers=workers,
            model=str(model) if model else None,
            as_json=as_json,
            views=views,
            zooms=zooms,
        )
        return
    if target is None:
        raise InputError("give a raster FILE, a PASS_ID, or --all-passes SITE", field="FILE")
    if target.isdigit() and not Path(target).exists():
        _detect_pass(
            int(target),
            model,
            threshold,
            workspace,
            as_json,
            threads,
            views=views,
            zooms=parse_zooms(zooms),
        )
        return
    if out is None:
        raise InputError("file mode writes GeoJSON", field="--out", expected="--out OUT.geojson")
    file = Path(target)
    passes = parse_long_hulls(long_hulls)
    zoom_levels = parse_zooms(zooms)
    stats = EngineStats()
    mdl = load_model(model, threads=threads)
    dets = detect_raster(
        file,
        gsd_m=gsd,
        model=mdl,
        threshold=threshold,
        progress=True,
        stats=stats,
        long_hulls=passes,
        views=views,
        zooms=zoom_levels,
    )
    fc = detections_geojson(dets, source=str(file))
    try:
        out.write_text(json.dumps(fc) + "\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write ({exc.strerror})", path=out, field="--out") from None
    counts: dict[str, int] = {}
    for d in dets:
        counts[d.class_name] = counts.get(d.class_name, 0) + 1
    if as_json:
        print_json(
            {"out": str(out), "detections": len(dets), "by_class": counts, "seconds": stats.total_s}
        )
        return
    by_class = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"
    console.print(
        f"{len(dets)} detections ({by_class}) in {stats.total_s:.1f} s → {out}",
        highlight=False,
    )


def _detect_pass(
    pass_id: int,
    model: Path | None,
    threshold: float,
    workspace: str | None,
    as_json: bool,
    threads: int | None = None,
    *,
    views: int,
    zooms: tuple[float, ...],
) -> None:
    """Workspace mode: detect a stored pass, store the run, detections and measurements."""
    from sitewatch.cli.common import open_workspace
    from sitewatch.detect import load_model
    from sitewatch.pipeline import detect_pass

    with open_workspace(workspace) as ws:
        res = detect_pass(
            ws,
            pass_id,
            model=load_model(model, threads=threads),
            threshold=threshold,
            progress=True,
            views=views,
            zooms=zooms,
        )
    if as_json:
        print_json(
            {
                "pass": res.pass_id,
                "run": res.run_id,
                "model_version": res.model_version,
                "detections": res.detections,
                "by_class": res.by_class,
            }
        )
        return
    by_class = ", ".join(f"{k} {v}" for k, v in sorted(res.by_class.items())) or "none"
    console.print(
        f"pass {res.pass_id}: {res.detections} detections ({by_class}), run {res.run_id}, "
        f"model {res.model_version}",
        highlight=False,
    )


def train_cmd(
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the ONNX model and its sidecar.")
    ] = Path("runs/train"),
    data: Annotated[Path | None, typer.Option("--data", help="Shared data folder.")] = None,
    steps: Annotated[
        int | None, typer.Option("--steps", help="Training steps (default: as shipped).")
    ] = None,
    max_steps: Annotated[
        int | None, typer.Option("--max-steps", help="Smoke mode: stop after N small steps (CI).")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed.")] = None,
    stride: Annotated[
        int,
        typer.Option(
            "--stride",
            help="Output stride, 4 (default) or 2: finer for small craft, 2.75× slower to run.",
        ),
    ] = 4,
    ships_holdout: Annotated[
        int,
        typer.Option(
            "--ships-holdout",
            help="ships-aerial fold held out (0-4; 0 is the committed val split, the others "
            "are for cross-validation).",
            min=0,
            max=4,
        ),
    ] = 0,
    init: Annotated[
        Path | None,
        typer.Option(
            "--init",
            help="Start from these weights (sitewatch-det.pt of a run or checkpoint): "
            "fine-tuning; the rate schedule starts afresh.",
        ),
    ] = None,
    lr: Annotated[
        float | None, typer.Option("--lr", help="Peak learning rate (default: as shipped).", min=0)
    ] = None,
    anneal_steps: Annotated[
        int | None,
        typer.Option("--anneal-steps", help="Last steps over which the rate falls to zero.", min=0),
    ] = None,
    small_craft_scale: Annotated[
        str | None,
        typer.Option(
            "--small-craft-scale",
            help="LOW,HIGH: random scale of the ships-aerial crops around the model GSD "
            "(default 0.85,1.18, as for every source).",
        ),
    ] = None,
) -> None:
    """Train the detector from ../shared/data (needs the ``train`` extra: torch, onnx)."""
    try:
        from sitewatch.detect.train import TrainConfig, parse_scale_range, train
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise InputError(
            f"training needs the 'train' extra ({exc})", expected="pip install sitewatch[train]"
        ) from None
    from sitewatch.config import data_dir
    from sitewatch.detect.decode import STRIDES

    if stride not in STRIDES:
        raise InputError(
            f"output stride {stride} is not supported",
            field="--stride",
            expected=" or ".join(map(str, STRIDES)),
        )
    cfg = TrainConfig(stride=stride, ships_holdout=ships_holdout)
    if init is not None:
        if not init.is_file():
            raise InputError(
                "no such weights file", path=init, field="--init", expected="a .pt file"
            )
        cfg.init = str(init)
    if lr is not None:
        cfg.lr = lr
    if anneal_steps is not None:
        cfg.anneal_steps = anneal_steps
    if small_craft_scale is not None:
        cfg.small_craft_scale = parse_scale_range(small_craft_scale, "--small-craft-scale")
    if steps is not None:
        cfg.steps, cfg.stop_at = steps, None
    if seed is not None:
        cfg.seed = seed
    if max_steps is not None:
        # smoke mode: tiny batches, no checkpoints, so CI finishes in seconds
        cfg.steps, cfg.batch, cfg.crop, cfg.checkpoint_every = max_steps, 2, 128, 0
        cfg.stop_at = None
        cfg.max_images_per_source = 2
    path = train(data or data_dir(), out, cfg, log=lambda m: console_err.print(m, highlight=False))
    console.print(f"model written to {path}", highlight=False)


#: below this many images ``eval`` gives no AP50 interval
MIN_IMAGES_FOR_INTERVAL = 10


def eval_cmd(
    data: Annotated[Path, typer.Option("--data", help="Labelled image folder.")],
    fmt: Annotated[str, typer.Option("--format", help="airbus | dota | voc | yolo-obb")],
    model: ModelOpt = None,
    split: Annotated[
        str,
        typer.Option(
            "--split", help="auto (committed held-out part where one exists) | val | train | all"
        ),
    ] = "auto",
    gsd: Annotated[
        float | None, typer.Option("--gsd", help="Override the images' GSD (m/px).")
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Evaluate only the first N images.")
    ] = None,
    plot: Annotated[Path, typer.Option("--plot", help="PR-curve PNG to write.")] = Path(
        "pr-curve.png"
    ),
    views: ViewsOpt = 1,
    zooms: ZoomsOpt = "1",
    bootstrap: Annotated[
        int,
        typer.Option(
            "--bootstrap",
            help="Resamples of whole images for the AP50 95 % interval (0: none).",
            min=0,
        ),
    ] = 2000,
    against: Annotated[
        Path | None,
        typer.Option(
            "--against",
            help="Another model (.onnx) to compare with on the same images: ΔAP50 per class "
            "with a paired bootstrap interval.",
        ),
    ] = None,
    ships_holdout: Annotated[
        int,
        typer.Option(
            "--ships-holdout",
            help="ships-aerial: the fold that is 'val' (0-4; 0 is the committed split).",
            min=0,
            max=4,
        ),
    ] = 0,
    as_json: JsonOpt = False,
) -> None:
    """AP50 and AP50:95 per class on a labelled folder, and a precision–recall plot.

    The AP50 interval comes from resampling whole images (their boxes are not independent):
    when it is wide, the set is too small to tell models apart by a few points.
    """
    from sitewatch.detect import load_model
    from sitewatch.detect.engine import parse_zooms
    from sitewatch.detect.evaluate import bootstrap_ap50, evaluate_images, plot_pr, predictor
    from sitewatch.detect.trainset import load_eval_set

    zoom_levels = parse_zooms(zooms)
    mdl = load_model(model)
    other = load_model(against) if against is not None else None
    images, note = load_eval_set(data, fmt, split=split, gsd_m=gsd, ships_holdout=ships_holdout)
    if limit is not None:
        images = images[:limit]
    if not images:
        raise InputError("no labelled images found", path=data, expected=f"a {fmt} folder")
    report = evaluate_images(
        images, predictor(mdl, views=views, zooms=zoom_levels), classes=mdl.classes
    )
    plot_pr(report, plot, title=f"{data.name} ({note})")
    # a percentile interval from resampling a handful of images says little: not shown
    resample = bootstrap if report.images >= MIN_IMAGES_FOR_INTERVAL else 0
    intervals = {
        cls: bootstrap_ap50(report.gts, report.preds, cls, resamples=resample)
        for cls in report.classes
        if resample
    }
    deltas = {}
    if other is not None:
        base = evaluate_images(
            images, predictor(other, views=views, zooms=zoom_levels), classes=mdl.classes
        )
        deltas = {
            cls: bootstrap_ap50(
                report.gts, report.preds, cls, baseline=base.preds, resamples=resample
            )
            for cls in report.classes
        }
    rows = [
        (
            cls,
            r.n_gt,
            r.n_pred,
            f"{r.ap50:.3f}",
            f"{intervals[cls].low:.3f}–{intervals[cls].high:.3f}" if cls in intervals else "",
            f"{r.ap50_95:.3f}",
        )
        + (
            (
                f"{deltas[cls].value:+.3f}"
                + (f" ({deltas[cls].low:+.3f} to {deltas[cls].high:+.3f})" if resample else ""),
            )
            if other is not None
            else ()
        )
        for cls, r in report.classes.items()
    ]
    if as_json:
        print_json(
            {
                "data": str(data),
                "note": note,
                "model_version": mdl.version,
                "images": report.images,
                "seconds_per_image": report.seconds_per_image,
                "classes": {
                    c: {"n_gt": r.n_gt, "ap50": r.ap50, "ap50_95": r.ap50_95}
                    | (
                        {"ap50_interval": [intervals[c].low, intervals[c].high]}
                        if c in intervals
                        else {}
                    )
                    | (
                        {
                            "ap50_delta": deltas[c].value,
                            "ap50_delta_interval": [deltas[c].low, deltas[c].high]
                            if resample
                            else None,
                        }
                        if c in deltas
                        else {}
                    )
                    for c, r in report.classes.items()
                },
                "bootstrap_resamples": resample,
                "against": None if other is None else other.version,
                "plot": str(plot),
            }
        )
        return
    head = ["class", "gt", "pred", "AP50", "AP50 95 % interval", "AP50:95"]
    if other is not None:
        head.append("ΔAP50 vs --against (95 %)")
    print_table(f"{data.name}: {note}", head, rows)
    console.print(
        f"{report.images} images, {report.seconds_per_image:.2f} s/image, model {mdl.version};"
        + (
            f" AP50 intervals from {resample} resamples of whole images"
            if resample
            else f" no AP50 interval (< {MIN_IMAGES_FOR_INTERVAL} images or --bootstrap 0)"
        )
        + (f"; ΔAP50 = this model − {other.version}, same images" if other else "")
        + f"; PR curve → {plot}",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    """Add ``detect``, ``train`` and ``eval`` to the ``sitewatch`` command."""
    app.command("detect")(detect_file)
    app.command("train")(train_cmd)
    app.command("eval")(eval_cmd)
