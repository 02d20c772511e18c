"""Benchmark the detector engine on a large real-content scene, in one run.

Builds a ≥ 10,000² GeoTIFF mosaic from Airbus images (tiled, JPEG-compressed, a synthetic UTM
georeference at 0.5 m) in a temporary folder, then measures with the same ONNX model:

1. ``sitewatch.detect.detect_raster`` end to end (windowed reads, batching, decode, merge),
   with its default long-hull pass (the model once more at 8 m, for ships ≥ 60 m);
2. the bare ``session.run`` time on exactly the same tiles, those of the long-hull pass
   included (read beforehand, not timed);
3. a SAHI-style baseline: read the whole scene at its native resolution (as SAHI's
   ``read_image_as_pil`` loads the whole file; SAHI knows no GSD), bring it to the model GSD
   with ``cv2.resize`` (area), slice it with ``sahi.slicing.slice_image`` (512², overlap 0.2,
   SAHI's defaults), run each slice, merge with SAHI's greedy NMM (IOS 0.5, its default) — or
   a faithful re-implementation of both when ``sahi`` is not installed. Each slice is read
   by the model as many times as the engine reads a tile (``--views``: 2, as it is and
   mirrored, fused by ``sitewatch.detect.fuse``), so the two do the same work per pixel;
4. the same baseline made generous: the whole scene read straight at the model GSD from the
   GeoTIFF's overviews (something SAHI cannot do), to show how much of the gap is reading.

Prints km²/s at 0.5 m, peak RSS of the engine run (measured before the baseline, which holds
the whole scene in memory), end-to-end / bare ratio and baseline / engine ratio.

Usage: ``python bench/detect_scene.py [--grid 4] [--model PATH] [--threads N] [--long-hulls L]
[--views 1|2]``
(threads default: the engine's own choice, every core but one for inference; ``--long-hulls
none`` measures the engine without its long-hull pass).
"""

from __future__ import annotations

import argparse
import functools
import math
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import rasterio
from rasterio.transform import from_origin

from sitewatch.config import data_dir
from sitewatch.detect import EngineStats, detect_raster, load_model
from sitewatch.detect.engine import (
    DEFAULT_OVERLAP,
    LONG_HULL_PASSES,
    parse_long_hulls,
    plan_passes,
)
from sitewatch.detect.fuse import (
    DEFAULT_VIEWS,
    decode_views,
    near_peak_indices,
    split_views,
    with_views,
)
from sitewatch.detect.model import default_threads
from sitewatch.imagery.reader import RasterReader

__all__ = ["build_mosaic", "main"]

GSD = 0.5


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def build_mosaic(out: Path, grid: int) -> tuple[int, int]:
    """Write a grid × grid mosaic of Airbus images as a tiled GeoTIFF, image by image."""
    images = sorted((data_dir() / "airbus-aircraft" / "images").glob("*.jpg"))
    if len(images) < grid * grid:
        raise SystemExit(f"need {grid * grid} Airbus images under {data_dir()}")
    side = 2560
    size = side * grid
    profile = {
        "driver": "GTiff",
        "width": size,
        "height": size,
        "count": 3,
        "dtype": "uint8",
        "crs": "EPSG:32637",
        "transform": from_origin(300_000.0, 3_900_000.0, GSD, GSD),
        "tiled": True,
        "blockxsize": 512,
        "blockysize": 512,
        "compress": "JPEG",
        "photometric": "YCBCR",
        "jpeg_quality": 90,
    }
    with rasterio.open(out, "w", **profile) as ds:
        for k in range(grid * grid):
            bgr = cv2.imread(str(images[k]), cv2.IMREAD_COLOR)
            assert bgr is not None
            arr = bgr[:, :, ::-1]
            r, c = divmod(k, grid)
            ds.write(
                np.transpose(arr, (2, 0, 1)),
                window=rasterio.windows.Window(c * side, r * side, side, side),
            )
    # a COG-like file carries overviews; reading at the model GSD then decodes 4× fewer pixels
    with rasterio.open(out, "r+") as ds:
        ds.build_overviews([2, 4], rasterio.enums.Resampling.average)
    return size, size


def _bare(
    path: Path,
    model: object,
    tile: int,
    overlap: int,
    batch: int,
    long_hulls: tuple[tuple[float, float], ...] = LONG_HULL_PASSES,
    views: int = DEFAULT_VIEWS,
) -> tuple[float, int]:
    """session.run seconds on the engine's tiles, long-hull passes included, each tile with
    its mirrored copy when ``views`` is 2 (reads and copies not timed)."""
    from sitewatch.detect.model import DetectorModel

    assert isinstance(model, DetectorModel)
    total = 0.0
    ntiles = 0
    with RasterReader(path) as reader:
        passes = plan_passes(
            reader.width,
            reader.height,
            GSD,
            model.gsd_m,
            tile=tile,
            overlap=overlap,
            long_hulls=long_hulls,
        )
        for ps in passes:
            jobs, tw, th = ps.jobs, ps.tile_w, ps.tile_h
            ntiles += len(jobs)
            for i in range(0, len(jobs), batch):
                group = jobs[i : i + batch]
                arr = np.stack([reader.read(j.window, out_shape=(th, tw)) for j in group])
                if views == 2:
                    arr = with_views(arr, 2)
                t0 = time.perf_counter()
                model.session.run(None, {model.input_name: arr})
                total += time.perf_counter() - t0
    return total, ntiles


def _sahi_baseline(
    path: Path,
    model: object,
    slice_px: int,
    threshold: float,
    *,
    native: bool = True,
    views: int = DEFAULT_VIEWS,
) -> tuple[float, int]:
    """Slice → run each slice → NMM merge, the SAHI way; returns (seconds, detections)."""
    from sitewatch.detect.model import DetectorModel

    assert isinstance(model, DetectorModel)
    t0 = time.perf_counter()
    with rasterio.open(path) as ds:
        s = GSD / model.gsd_m
        shape = (3, round(ds.height * s), round(ds.width * s))
        if native:
            # SAHI loads the whole image at full resolution; the model needs its GSD
            whole = np.transpose(ds.read(), (1, 2, 0))
            full = cv2.resize(whole, (shape[2], shape[1]), interpolation=cv2.INTER_AREA)
            del whole
        else:
            full = np.transpose(
                ds.read(out_shape=shape, resampling=rasterio.enums.Resampling.bilinear), (1, 2, 0)
            )
    merge: Any = None
    try:
        from sahi.postprocess.combine import batched_greedy_nmm
        from sahi.slicing import slice_image

        merge = batched_greedy_nmm
        sliced = slice_image(
            image=full,
            slice_height=slice_px,
            slice_width=slice_px,
            overlap_height_ratio=0.2,
            overlap_width_ratio=0.2,
            verbose=False,
        )
        slices = [
            (np.asarray(im), st)
            for im, st in zip(sliced.images, sliced.starting_pixels, strict=True)
        ]
    except ImportError:  # faithful re-implementation of SAHI's slicing grid and merge
        step = int(slice_px * 0.8)
        slices = []
        for y in range(0, full.shape[0], step):
            for x in range(0, full.shape[1], step):
                x0 = min(x, full.shape[1] - slice_px)
                y0 = min(y, full.shape[0] - slice_px)
                slices.append((full[y0 : y0 + slice_px, x0 : x0 + slice_px], [x0, y0]))
    preds = []
    # the same per-view work as the engine's, duplicates of small-object classes included
    dedupe = near_peak_indices(model.classes)
    for im, (x0, y0) in slices:
        h, w = im.shape[:2]
        pad = np.zeros((math.ceil(h / 32) * 32, math.ceil(w / 32) * 32, 3), np.uint8)
        pad[:h, :w] = im
        out = (
            model.run(pad[None])
            if views == 1
            else split_views(model.run(with_views(pad[None], 2)), 1)
        )
        for b in decode_views(out, 0, threshold=threshold, stride=model.stride, dedupe=dedupe):
            t = math.radians(b.angle_deg)
            ew = b.length * abs(math.cos(t)) + b.width * abs(math.sin(t))
            eh = b.length * abs(math.sin(t)) + b.width * abs(math.cos(t))
            cx, cy = b.cx + x0, b.cy + y0
            preds.append(
                [cx - ew / 2, cy - eh / 2, cx + ew / 2, cy + eh / 2, b.score, b.class_index]
            )
    arr = np.array(preds, np.float32).reshape(-1, 6)
    if merge is not None:
        kept = len(merge(arr, match_metric="IOS", match_threshold=0.5))
    else:
        kept = len(_greedy_nms_ios(arr, 0.5))
    return time.perf_counter() - t0, kept


def _greedy_nms_ios(p: np.ndarray, thr: float) -> list[int]:
    keep = []
    order = np.argsort(-p[:, 4])
    area = (p[:, 2] - p[:, 0]) * (p[:, 3] - p[:, 1])
    while order.size:
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        ix = np.clip(np.minimum(p[i, 2], p[rest, 2]) - np.maximum(p[i, 0], p[rest, 0]), 0, None)
        iy = np.clip(np.minimum(p[i, 3], p[rest, 3]) - np.maximum(p[i, 1], p[rest, 1]), 0, None)
        ios = ix * iy / np.minimum(area[i], area[rest])
        order = rest[(ios < thr) | (p[rest, 5] != p[i, 5])]
    return keep


def main(argv: list[str] | None = None) -> int:
    """Build the mosaic, run the three measurements, print the numbers."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grid", type=int, default=4, help="mosaic of grid × grid 2560² images")
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--tile", type=int, default=1536)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--slice", type=int, default=512, help="SAHI slice size (model pixels)")
    ap.add_argument("--threshold", type=float, default=0.3)
    ap.add_argument("--images", type=int, default=5, help="Airbus images for the per-image time")
    ap.add_argument(
        "--long-hulls",
        default=None,
        help="long-hull passes K:MIN_M,… or 'none' (default: the engine's own)",
    )
    ap.add_argument("--views", type=int, default=DEFAULT_VIEWS, choices=(1, 2))
    args = ap.parse_args(argv)
    hulls = LONG_HULL_PASSES if args.long_hulls is None else parse_long_hulls(args.long_hulls)
    with tempfile.TemporaryDirectory(prefix="sitewatch-bench-") as tmp:
        path = Path(tmp) / "mosaic.tif"
        t0 = time.perf_counter()
        w, h = build_mosaic(path, args.grid)
        print(
            f"mosaic {w}×{h} px at {GSD} m ({w * h * GSD * GSD / 1e6:.1f} km²), built in "
            f"{time.perf_counter() - t0:.1f} s"
        )
        model = load_model(args.model, threads=args.threads)
        args.threads = args.threads or default_threads()
        # per-image speed on whole 2560² Airbus images (the YOLO comparison point)
        imgs = sorted((data_dir() / "airbus-aircraft" / "images").glob("*.jpg"))[: args.images]
        engine = functools.partial(
            detect_raster, model=model, threshold=args.threshold, long_hulls=hulls, views=args.views
        )
        engine(imgs[0], gsd_m=GSD)  # warm-up
        c0, t0 = time.process_time(), time.perf_counter()
        for img in imgs:
            engine(img, gsd_m=GSD)
        per_img = (time.perf_counter() - t0) / len(imgs)
        cpu_img = (time.process_time() - c0) / len(imgs)
        print(
            f"per 2560² image at 0.5 m: {per_img:.2f} s wall, {cpu_img:.2f} CPU-s "
            f"({len(imgs)} images, {args.threads} threads)"
        )
        rss0 = _rss_mb()
        # one untimed pass over the scene: ONNX Runtime plans memory per input shape and GDAL
        # fills its block cache on first use; every measurement below then starts warm
        engine(path, tile=args.tile, batch=args.batch)
        c0 = time.process_time()
        stats = EngineStats()
        dets = engine(path, tile=args.tile, batch=args.batch, stats=stats)
        rss_engine = _rss_mb()
        e2e = stats.total_s
        cpu_e2e = time.process_time() - c0
        bare, ntiles = _bare(path, model, args.tile, DEFAULT_OVERLAP, args.batch, hulls, args.views)
        base = functools.partial(_sahi_baseline, path, model, args.slice, args.threshold)
        sahi_s, sahi_n = base(views=args.views)
        sahi_ov_s, _ = base(native=False, views=args.views)
        km2 = w * h * GSD * GSD / 1e6
        try:
            import sahi  # noqa: F401

            how = "sahi package"
        except ImportError:
            how = "re-implementation"
        print(
            f"engine: {len(dets)} detections, {ntiles} tiles, {e2e:.2f} s end to end "
            f"(session {stats.session_s:.2f} s, read wait {stats.read_wait_s:.2f} s, "
            f"decode {stats.decode_s:.2f} s, merge {stats.merge_s:.2f} s)"
        )
        print(
            f"throughput: {km2 / e2e:.2f} km²/s at {GSD} m ({cpu_e2e:.1f} CPU-s for the scene; "
            f"{km2 / cpu_e2e * args.threads:.2f} km²/s on {args.threads} uncontended cores)"
        )
        print(f"peak RSS: {rss_engine:.0f} MB (before the engine run: {rss0:.0f} MB)")
        print(f"bare session.run on the same tiles: {bare:.2f} s")
        print(f"end-to-end / bare = {e2e / bare:.2f}")
        print(
            f"SAHI-style baseline ({how}, {args.slice}² slices, overlap 0.2, greedy NMM IOS 0.5): "
            f"{sahi_s:.2f} s, {sahi_n} detections → baseline / engine = {sahi_s / e2e:.2f}×"
        )
        print(
            f"  same baseline reading the scene from its overviews at the model GSD: "
            f"{sahi_ov_s:.2f} s → baseline / engine = {sahi_ov_s / e2e:.2f}×"
        )
        print(f"peak RSS including the baseline: {_rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
