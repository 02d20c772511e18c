"""Run the detector over a raster of any size, window by window, with ONNX Runtime.

The raster is never read whole: it is cut into equal tiles in the MODEL's pixel frame (the
raster resampled to the model GSD), each tile is read from its native-resolution window with
rasterio's resampling read, tiles are batched into ONNX Runtime, and reading the next batch
overlaps inference on the current one. Each tile owns the detections whose centres fall in its
share of the overlaps; what remains doubled across a seam is removed by rotated-IoU NMS.

Long hulls get a second look. The model learnt boats as 10–40 px objects, so at its GSD a
150 m ship is a 150 px object it reads as a string of short boxes. Each long-hull pass
(:data:`LONG_HULL_PASSES`) runs the same model over the raster as if its GSD were ``k`` times
coarser — a 150 m hull becomes a 19 px boat — and keeps only ship boxes at least ``min_m``
long; a model-GSD ship box lying mostly inside such a hull, along its axis and seen less
surely than the hull, is dropped as its fragment. At 8 m the pass costs 1/64 of the pixels of
the main one.

Small craft get a closer look on request. With ``zooms`` the whole plan runs again at each
magnification (zoom 1.4: the raster read as if its GSD were 1.4× coarser, so a 15 px boat
reaches the model as 21 px), and the zooms' boxes are fused as the views of a tile are
(:func:`sitewatch.detect.fuse.fuse_groups`); :data:`SMALL_CRAFT_ZOOMS` with two views per
tile costs about sixteen times the default's inference.

>>> plan_tiles(1280, 1280, tile=1536, overlap=128)
(1280, 1280, [(0, 0)])
>>> tw, th, origins = plan_tiles(5000, 3000, tile=1024, overlap=128)
>>> tw, th, len(origins), origins[-1]
(960, 864, 24, (4040, 2136))
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import rasterio
from rasterio.errors import NotGeoreferencedWarning

from sitewatch.detect.boxes import OrientedBox
from sitewatch.detect.decode import RawBox
from sitewatch.detect.fuse import (
    DEFAULT_VIEWS,
    VIEW_COUNTS,
    decode_views,
    flip_into,
    fuse_groups,
    near_peak_indices,
    split_transposed,
    split_views,
    transposed_views,
)
from sitewatch.detect.merge import NMS_IOU, nms_rotated
from sitewatch.detect.model import DetectorModel, load_model
from sitewatch.detect.types import Detection
from sitewatch.errors import InputError
from sitewatch.imagery.reader import RasterReader, Window

__all__ = [
    "DEFAULT_ZOOMS",
    "LONG_HULL_PASSES",
    "SMALL_CRAFT_ZOOMS",
    "EngineStats",
    "Pass",
    "TileJob",
    "detect_raster",
    "native_gsd",
    "parse_long_hulls",
    "parse_zooms",
    "plan_passes",
    "plan_tiles",
    "tile_jobs",
]

#: Overlap between tiles in model pixels (metres at 1 m GSD): more than the longest aircraft.
DEFAULT_OVERLAP = 128
DEFAULT_TILE = 1536
#: Long-hull passes as (k, min_m): the model run as if its GSD were k times coarser, keeping
#: ship boxes at least min_m metres long. Measured on the held-out ships-aerial crops of
#: coasters and ships at a plausible true scale (scripts/ships_true_scale.py), bundled model
#: ``…-b5e27faa`` (16 hulls of the scene split): AP50 0.018 without, 0.40 with (8, 60) (two
#: readings per tile: 0.001 and 0.35). On the 19 hulls of the file-name split ``…-cdba983e``
#: scored 0.002 and 0.19, and (4, 40) + (10, 100) 0.35 at 1/16 + 1/100 of the pixels (the
#: model before it: 0.06, 0.38, 0.49; see the model card).
LONG_HULL_PASSES: tuple[tuple[float, float], ...] = ((8.0, 60.0),)
#: magnifications the engine reads a raster at by default: once, at the model GSD
DEFAULT_ZOOMS: tuple[float, ...] = (1.0,)
#: zooms for small craft: with two views, cross-validated ship AP50 over the 200
#: ships-aerial crops 0.488 → 0.625 (one reading at zoom 1 → two at these five; model card)
SMALL_CRAFT_ZOOMS: tuple[float, ...] = (0.85, 1.0, 1.18, 1.4, 1.7)
#: the zooms that can be asked for
ZOOM_RANGE = (0.25, 4.0)
#: classes a long-hull pass keeps
LONG_CLASSES = ("ship",)
#: a model-GSD box with at least this share of its area inside a long hull is its fragment
FRAGMENT_SHARE = 0.6
#: score a long hull needs before it may suppress model-GSD boxes as its fragments
HULL_SCORE = 0.3
#: a fragment lies along its hull: a box further off the hull's axis than this is a boat of
#: its own (a row of moored craft read at 8 m as one hull holds boats across it)
FRAGMENT_MAX_ANGLE_DEG = 30.0


def _ceil32(v: float) -> int:
    return max(32, math.ceil(v / 32.0) * 32)


def _axis(size: int, tile: int, overlap: int) -> tuple[int, list[int]]:
    if size <= tile:
        return _ceil32(size), [0]
    n = math.ceil((size - overlap) / (tile - overlap))
    t = min(tile, _ceil32((size + (n - 1) * overlap) / n))
    while t * n - (n - 1) * overlap < size:  # rounding can leave a gap: widen by one step
        n += 1
    step = (size - t) / (n - 1)
    return t, [round(i * step) for i in range(n)]


def plan_tiles(
    width: int, height: int, *, tile: int, overlap: int
) -> tuple[int, int, list[tuple[int, int]]]:
    """Equal tiles (each side a multiple of 32, at most ``tile``) covering width × height.

    The tile size is chosen so that the tiles fit the raster with little padding; adjacent
    tiles overlap by at least ``overlap``.
    """
    tw, xs = _axis(width, tile, overlap)
    th, ys = _axis(height, tile, overlap)
    return tw, th, [(x, y) for y in ys for x in xs]


def native_gsd(ds: rasterio.DatasetReader) -> float | None:
    """Metres per pixel from a georeferenced raster, or ``None`` without a CRS.

    Geographic CRSs are converted at the raster's centre latitude.
    """
    if ds.crs is None or ds.transform.is_identity:
        return None
    a, b, d, e = ds.transform.a, ds.transform.b, ds.transform.d, ds.transform.e
    px = math.sqrt(abs(a * e - b * d))
    if ds.crs.is_geographic:
        lat = ds.transform.f + e * ds.height / 2
        return px * 111_320.0 * math.sqrt(abs(math.cos(math.radians(lat))))
    factor = ds.crs.linear_units_factor[1] if ds.crs.linear_units_factor else 1.0
    return float(px * factor)


@dataclass(frozen=True)
class TileJob:
    """One tile: its origin in the model frame and the native window it is read from."""

    x0: int
    y0: int
    window: Window
    # model pixels per native pixel in x and y, exact for this window
    sx: float
    sy: float
    # the part of the model frame whose detections this tile keeps (x0, y0, x1, y1)
    own: tuple[float, float, float, float]


@dataclass
class EngineStats:
    """Where the time went on one run."""

    tiles: int = 0
    model_pixels: int = 0
    session_s: float = 0.0
    read_wait_s: float = 0.0
    decode_s: float = 0.0
    merge_s: float = 0.0
    total_s: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)


def _owners(origins: list[int], t: int, size: int) -> list[tuple[float, float]]:
    out = []
    for i, o in enumerate(origins):
        lo = 0.0 if i == 0 else (origins[i - 1] + t + o) / 2
        hi = float(size) if i == len(origins) - 1 else (o + t + origins[i + 1]) / 2
        out.append((lo, hi))
    return out


def tile_jobs(
    width: int,
    height: int,
    scale: float,
    *,
    tile: int = DEFAULT_TILE,
    overlap: int = DEFAULT_OVERLAP,
) -> tuple[int, int, list[TileJob]]:
    """Tiles for a ``width`` × ``height`` raster seen at ``scale`` model px per native px.

    >>> tw, th, jobs = tile_jobs(2560, 2560, 0.5, tile=1536)
    >>> tw, th, len(jobs), jobs[0].window
    (1280, 1280, 1, Window(col=0, row=0, width=2560, height=2560))
    """
    mw, mh = max(1, round(width * scale)), max(1, round(height * scale))
    tw, xs = _axis(mw, tile, overlap)
    th, ys = _axis(mh, tile, overlap)
    ox, oy = _owners(xs, tw, mw), _owners(ys, th, mh)
    jobs = []
    for j, y in enumerate(ys):
        for i, x in enumerate(xs):
            col, row = round(x / scale), round(y / scale)
            ww, wh = max(1, round(tw / scale)), max(1, round(th / scale))
            jobs.append(
                TileJob(
                    x,
                    y,
                    Window(col, row, ww, wh),
                    tw / ww,
                    th / wh,
                    (ox[i][0], oy[j][0], ox[i][1], oy[j][1]),
                )
            )
    return tw, th, jobs


def parse_long_hulls(spec: str, *, field: str = "--long-hulls") -> tuple[tuple[float, float], ...]:
    """Long-hull passes from ``"K:MIN_M,…"``; ``"none"`` (or empty) for none.

    >>> parse_long_hulls("8:60")
    ((8.0, 60.0),)
    >>> parse_long_hulls("4:40, 10:100"), parse_long_hulls("none")
    (((4.0, 40.0), (10.0, 100.0)), ())
    >>> try:
    ...     parse_long_hulls("8")
    ... except InputError as e:
    ...     print(e.message, "/", e.expected)
    '8' is not K:MIN_M / K > 1 and MIN_M > 0, e.g. 8:60, or none
    """
    text = spec.strip().lower()
    if text in ("", "none"):
        return ()
    out = []
    for part in text.split(","):
        k, _, m = part.strip().partition(":")
        try:
            kf, mf = float(k), float(m)
        except ValueError:
            kf = mf = -1.0
        if kf <= 1.0 or mf <= 0.0:
            raise InputError(
                f"{part.strip()!r} is not K:MIN_M",
                field=field,
                expected="K > 1 and MIN_M > 0, e.g. 8:60, or none",
            )
        out.append((kf, mf))
    return tuple(out)


def parse_zooms(spec: str | Sequence[float], *, field: str = "--zooms") -> tuple[float, ...]:
    """Zooms from ``"Z,…"``, ``"small-craft"`` (:data:`SMALL_CRAFT_ZOOMS`) or a sequence of
    numbers, each within :data:`ZOOM_RANGE`.

    >>> parse_zooms("1, 1.4"), parse_zooms((1.0,)), parse_zooms("small-craft")
    ((1.0, 1.4), (1.0,), (0.85, 1.0, 1.18, 1.4, 1.7))
    >>> try:
    ...     parse_zooms("1,0")
    ... except InputError as e:
    ...     print(e.message, "/", e.expected)
    '0' is not a zoom / one or more magnifications from 0.25 to 4, e.g. 1,1.2,1.4, or small-craft
    """
    if isinstance(spec, str) and spec.strip().lower() == "small-craft":
        return SMALL_CRAFT_ZOOMS
    parts = [p.strip() for p in spec.split(",")] if isinstance(spec, str) else list(spec)
    out = []
    lo, hi = ZOOM_RANGE
    for part in parts:
        try:
            z = float(part)
        except ValueError:
            z = math.nan
        if not lo <= z <= hi:
            raise InputError(
                f"{part!r} is not a zoom" if isinstance(part, str) else f"{part} is not a zoom",
                field=field,
                expected=f"one or more magnifications from {lo:g} to {hi:g}, e.g. 1,1.2,1.4, "
                "or small-craft",
            )
        out.append(z)
    if not out:
        raise InputError("no zoom given", field=field, expected="e.g. 1 or 1,1.2,1.4")
    return tuple(out)


@dataclass(frozen=True)
class Pass:
    """One run of the model over the raster: its tiles and what it keeps.

    ``k`` is 1 for the main pass; a long-hull pass sees the raster ``k`` times coarser and keeps
    only classes in :data:`LONG_CLASSES` at least ``min_m`` metres long.
    """

    k: float
    min_m: float
    tile_w: int
    tile_h: int
    jobs: list[TileJob]


def plan_passes(
    width: int,
    height: int,
    gsd_m: float,
    model_gsd_m: float,
    *,
    tile: int = DEFAULT_TILE,
    overlap: int = DEFAULT_OVERLAP,
    long_hulls: tuple[tuple[float, float], ...] = LONG_HULL_PASSES,
) -> list[Pass]:
    """The main pass and the long-hull passes for a raster of ``gsd_m`` metres per pixel.

    A long-hull pass is left out when no hull of its length fits in the raster.

    >>> [(p.k, p.tile_w, len(p.jobs)) for p in plan_passes(10240, 10240, 0.5, 1.0)]
    [(1.0, 1376, 16), (8.0, 640, 1)]
    >>> len(plan_passes(400, 300, 0.1, 1.0))  # 40 × 30 m: no 60 m hull fits
    1
    """
    scale = gsd_m / model_gsd_m
    tw, th, jobs = tile_jobs(width, height, scale, tile=tile, overlap=overlap)
    passes = [Pass(1.0, 0.0, tw, th, jobs)]
    diagonal_m = math.hypot(width, height) * gsd_m
    for k, min_m in long_hulls:
        if min_m > diagonal_m:
            continue
        tw, th, jobs = tile_jobs(width, height, scale / k, tile=tile, overlap=overlap)
        passes.append(Pass(k, min_m, tw, th, jobs))
    return passes


def _batches(jobs: list[TileJob], n: int) -> Iterator[list[TileJob]]:
    for i in range(0, len(jobs), n):
        yield jobs[i : i + n]


def detect_raster(
    path: str | Path,
    *,
    gsd_m: float | None = None,
    model: DetectorModel | str | Path | None = None,
    threshold: float = 0.3,
    iou_threshold: float = NMS_IOU,
    tile: int = DEFAULT_TILE,
    overlap: int = DEFAULT_OVERLAP,
    batch: int = 2,
    classes: tuple[str, ...] | None = None,
    progress: bool | Callable[[int, int], None] = False,
    stats: EngineStats | None = None,
    model_path: str | Path | None = None,
    long_hulls: tuple[tuple[float, float], ...] = LONG_HULL_PASSES,
    views: int = DEFAULT_VIEWS,
    zooms: tuple[float, ...] = DEFAULT_ZOOMS,
) -> list[Detection]:
    """Detect objects in a raster of any size; pixel coordinates are the ORIGINAL raster's.

    Parameters
    ----------
    path
        GeoTIFF/COG (with or without CRS), JPEG or PNG.
    gsd_m
        Metres per pixel of the raster; required when it has no CRS, overrides the CRS.
    model
        A loaded model, a path to an ONNX file, or ``None`` for the default model.
    threshold
        Minimum heatmap peak score to keep.
    iou_threshold
        Rotated IoU above which the lower-scored of two same-class boxes is dropped.
    tile, overlap
        Tile size and overlap in model pixels.
    batch
        Tiles per ONNX Runtime call.
    classes
        Keep only these classes.
    progress
        ``True`` for a rich progress bar, or a callback ``(done, total)``.
    stats
        Filled with timings if given.
    model_path
        Same as passing a path as ``model`` (kept for callers that name it so).
    long_hulls
        Long-hull passes ``(k, min_m)`` (module docstring); ``()`` runs the model GSD only.
    views
        1 (default): each tile is read by the model once; 2: twice, as it is and mirrored,
        and the two readings fused (:mod:`sitewatch.detect.fuse`) — tighter boxes on small
        objects, fewer false alarms, twice the inference; 4: mirrored both ways and turned
        half round as well, four times the inference; 8: those four of the tile transposed
        too, eight times the inference.
    zooms
        Magnifications the raster is read at (:data:`DEFAULT_ZOOMS`: once, at the model
        GSD): 1.4 reads it as if its GSD were 1.4 times coarser, so objects look 1.4 times
        larger to the model. Several zooms are fused as the views are; each costs a run.

    Examples
    --------
    >>> from sitewatch.config import data_dir
    >>> img = data_dir() / "airbus-aircraft" / "images" / "0641acc3-c0b9-4f9d-b0ba-7ad18aa08864.jpg"
    >>> dets = detect_raster(img, gsd_m=0.5) if img.is_file() else [None]
    >>> len(dets) > 0
    True
    """
    if views not in VIEW_COUNTS:
        raise InputError(
            f"views must be 1, 2, 4 or 8, not {views}", field="views", expected="1, 2, 4 or 8"
        )
    zooms = parse_zooms(zooms, field="zooms")
    t_start = time.perf_counter()
    st = stats if stats is not None else EngineStats()
    mdl = model if isinstance(model, DetectorModel) else load_model(model or model_path)
    if classes is not None and not set(classes) & set(LONG_CLASSES):
        long_hulls = ()
    with RasterReader(path) as reader:
        ds = reader.dataset
        g = gsd_m if gsd_m is not None else native_gsd(ds)
        if g is None or g <= 0:
            raise InputError(
                "the raster has no CRS, so its ground resolution is unknown",
                path=path,
                expected="--gsd METRES (e.g. 0.5)",
            )
        plans = [
            plan_passes(
                reader.width,
                reader.height,
                g * z,
                mdl.gsd_m,
                tile=tile,
                overlap=overlap,
                long_hulls=long_hulls,
            )
            for z in zooms
        ]
        passes = [ps for plan in plans for ps in plan]
        for ps in passes:
            st.tiles += len(ps.jobs)
            st.model_pixels += len(ps.jobs) * ps.tile_w * ps.tile_h
        # each zoom decodes at threshold / n so that what scores threshold after fusion is kept
        found = _run_passes(
            reader,
            mdl,
            passes,
            batch,
            threshold / len(zooms),
            st,
            progress,
            views,
            iou_threshold,
        )
        t0 = time.perf_counter()
        per_zoom = []
        for z, plan in zip(zooms, plans, strict=True):
            per_zoom.append(_zoom_boxes(found[: len(plan)], plan, g, z, mdl))
            found = found[len(plan) :]
        if len(zooms) == 1:
            raw, seen_at = per_zoom[0]
        else:
            raw, seen_at = _fuse_zooms(per_zoom, threshold, iou_threshold)
        dets = _finish(raw, seen_at, mdl, ds, iou_threshold, classes)
        st.merge_s += time.perf_counter() - t0
    st.total_s += time.perf_counter() - t_start
    return dets


def _run_passes(
    reader: RasterReader,
    mdl: DetectorModel,
    passes: list[Pass],
    batch: int,
    threshold: float,
    st: EngineStats,
    progress: bool | Callable[[int, int], None],
    views: int,
    iou_threshold: float,
) -> list[list[tuple[int, float, OrientedBox]]]:
    """Every pass's boxes, in native pixels; all passes' batches go through one read-ahead
    pipeline, so the first read of a long-hull pass hides behind the main pass's last run."""
    groups = [(i, g) for i, ps in enumerate(passes) for g in _batches(ps.jobs, batch)]
    total = sum(len(ps.jobs) for ps in passes)
    dedupe = near_peak_indices(mdl.classes)
    bar = _progress(progress, total)
    found: list[list[tuple[int, float, OrientedBox]]] = [[] for _ in passes]

    def read(item: tuple[int, list[TileJob]]) -> list[npt.NDArray[np.uint8]]:
        ps, group = passes[item[0]], item[1]
        # tiles land straight in the batch array ONNX Runtime takes: no stacking copy; their
        # mirrored copies are made here too, on the reader thread, while the model runs
        n = len(group)
        arr = np.empty((n * min(views, 4), ps.tile_h, ps.tile_w, 3), np.uint8)
        for k, j in enumerate(group):
            reader.read(j.window, out_shape=(ps.tile_h, ps.tile_w), out=arr[k])
            flip_into(arr, k, n, min(views, 4))
        return [arr] if views <= 4 else [arr, transposed_views(arr, n, views)]

    done = 0
    # one reader thread: GDAL decoding and ONNX Runtime both release the GIL, so the next
    # batch is decoded while this one runs (default_threads leaves it a core)
    with ThreadPoolExecutor(max_workers=1) as pool:
        fut = pool.submit(read, groups[0])
        for gi, (pi, group) in enumerate(groups):
            t0 = time.perf_counter()
            arrs = fut.result()
            st.read_wait_s += time.perf_counter() - t0
            if gi + 1 < len(groups):
                fut = pool.submit(read, groups[gi + 1])
            t0 = time.perf_counter()
            outputs = mdl.run(arrs[0])
            turned = mdl.run(arrs[1]) if len(arrs) > 1 else None
            st.session_s += time.perf_counter() - t0
            t0 = time.perf_counter()
            if views > 1:
                outputs = split_views(outputs, len(group))
            if turned is not None:
                outputs += split_transposed(turned, len(group))
            for k, job in enumerate(group):
                found[pi].extend(
                    _tile_boxes(outputs, k, job, threshold, mdl.stride, iou_threshold, dedupe)
                )
            st.decode_s += time.perf_counter() - t0
            done += len(group)
            bar(done, total)
    return found


def _zoom_boxes(
    found: list[list[tuple[int, float, OrientedBox]]],
    plan: list[Pass],
    g: float,
    zoom: float,
    mdl: DetectorModel,
) -> tuple[list[tuple[int, float, OrientedBox]], list[float]]:
    """One zoom's boxes (main pass and confident long hulls, their fragments dropped) and the
    GSD the model saw each at."""
    raw = found[0]
    keep = {mdl.classes.index(c) for c in LONG_CLASSES if c in mdl.classes}
    hulls: list[tuple[int, float, OrientedBox]] = []
    # the GSD each hull was seen at: the analyst can tell a long-hull find from the rest
    hull_gsd: list[float] = []
    for ps, boxes in zip(plan[1:], found[1:], strict=True):
        for r in boxes:
            if r[0] in keep and r[2].length * g >= ps.min_m:
                hulls.append(r)
                hull_gsd.append(mdl.gsd_m * ps.k / zoom)
    raw = _drop_fragments(raw, hulls)
    return raw + hulls, [mdl.gsd_m / zoom] * len(raw) + hull_gsd


def _fuse_zooms(
    per_zoom: list[tuple[list[tuple[int, float, OrientedBox]], list[float]]],
    threshold: float,
    iou_threshold: float,
) -> tuple[list[tuple[int, float, OrientedBox]], list[float]]:
    """The zooms' boxes fused as the views of a tile are (:func:`fuse_groups`), each zoom
    first cleared of its own duplicates across tile seams; a fused box keeps the GSD its
    best reading was seen at."""
    views: list[list[RawBox]] = []
    seen: list[float] = []
    for raw, seen_at in per_zoom:
        keep = nms_rotated(
            [r[2] for r in raw], [r[1] for r in raw], iou_threshold, [r[0] for r in raw]
        )
        views.append([_raw_box(raw[i]) for i in keep])
        seen += [seen_at[i] for i in keep]
    fused = fuse_groups(views, threshold=threshold)
    return (
        [
            (r.class_index, r.score, OrientedBox(r.cx, r.cy, r.length, r.width, r.angle_deg))
            for r, _ in fused
        ],
        [seen[i] for _, i in fused],
    )


def _raw_box(r: tuple[int, float, OrientedBox]) -> RawBox:
    b = r[2]
    return RawBox(r[0], r[1], b.cx, b.cy, b.length, b.width, b.angle_deg)


def _drop_fragments(
    raw: list[tuple[int, float, OrientedBox]], hulls: list[tuple[int, float, OrientedBox]]
) -> list[tuple[int, float, OrientedBox]]:
    """``raw`` without the boxes that are fragments of a confident long hull.

    A fragment has the hull's class, lies mostly inside it (``FRAGMENT_SHARE``), along its axis
    (``FRAGMENT_MAX_ANGLE_DEG``) and scores below it. Without the last two tests a row of
    moored boats that the coarse pass read as one hull lost its boats: on the 120 small-craft
    training crops of ships-aerial, AP50 0.559 without the pass, 0.509 with it, 0.561 now.

    >>> hull = (2, 0.6, OrientedBox(100, 50, 150, 20, 0))
    >>> along = (2, 0.3, OrientedBox(60, 50, 40, 12, 5))
    >>> across = (2, 0.3, OrientedBox(140, 50, 14, 5, 90))
    >>> surer = (2, 0.9, OrientedBox(100, 50, 40, 12, 0))
    >>> [r[2].cx for r in _drop_fragments([along, across, surer], [hull])]
    [140, 100]
    """
    from shapely import STRtree
    from shapely.geometry import Polygon

    strong = [h for h in hulls if h[1] >= HULL_SCORE]
    if not strong:
        return raw
    polys = [Polygon(h[2].corners()) for h in strong]
    tree = STRtree(polys)

    def fragment_of(r: tuple[int, float, OrientedBox], poly: Polygon, i: int) -> bool:
        cls, score, hull = strong[i]
        off_axis = abs(r[2].angle_deg - hull.angle_deg) % 180.0
        return (
            cls == r[0]
            and r[1] < score
            and min(off_axis, 180.0 - off_axis) <= FRAGMENT_MAX_ANGLE_DEG
            and poly.intersection(polys[i]).area >= FRAGMENT_SHARE * poly.area
        )

    out = []
    for r in raw:
        poly = Polygon(r[2].corners())
        if not any(fragment_of(r, poly, int(i)) for i in tree.query(poly)):
            out.append(r)
    return out


def _progress(
    progress: bool | Callable[[int, int], None], total: int
) -> Callable[[int, int], None]:
    if callable(progress):
        return progress
    if not progress or total < 4:
        return lambda done, total: None
    from tqdm import tqdm

    bar = tqdm(total=total, unit="tile", desc="detect", leave=False)

    def update(done: int, total: int) -> None:
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return update


def _tile_boxes(
    outputs: tuple[npt.NDArray[np.float32], ...],
    k: int,
    job: TileJob,
    threshold: float,
    stride: int,
    iou_threshold: float = NMS_IOU,
    dedupe: Collection[int] = (),
) -> list[tuple[int, float, OrientedBox]]:
    out = []
    x0, y0, x1, y1 = job.own
    s = math.sqrt(job.sx * job.sy)
    for rb in decode_views(
        outputs, k, threshold=threshold, stride=stride, iou_threshold=iou_threshold, dedupe=dedupe
    ):
        mx, my = job.x0 + rb.cx, job.y0 + rb.cy
        if not (x0 <= mx < x1 and y0 <= my < y1):
            continue  # the neighbouring tile owns this centre
        # model frame → native pixels of this window (exact per-tile scale)
        cx = job.window.col + rb.cx / job.sx
        cy = job.window.row + rb.cy / job.sy
        out.append(
            (
                rb.class_index,
                rb.score,
                OrientedBox(cx, cy, rb.length / s, rb.width / s, rb.angle_deg),
            )
        )
    return out


def _finish(
    raw: list[tuple[int, float, OrientedBox]],
    seen_at: list[float],
    mdl: DetectorModel,
    ds: rasterio.DatasetReader,
    iou_threshold: float,
    classes: tuple[str, ...] | None,
) -> list[Detection]:
    if classes is not None:
        wanted = [i for i, r in enumerate(raw) if mdl.classes[r[0]] in classes]
        raw, seen_at = [raw[i] for i in wanted], [seen_at[i] for i in wanted]
    keep = nms_rotated([r[2] for r in raw], [r[1] for r in raw], iou_threshold, [r[0] for r in raw])
    raw, seen_at = [raw[i] for i in keep], [seen_at[i] for i in keep]
    georef = ds.crs is not None and not ds.transform.is_identity
    polys = [tuple(r[2].corners()) for r in raw]
    maps: list[tuple[tuple[float, float], ...] | None] = [None] * len(raw)
    lonlat: list[tuple[tuple[float, float], ...] | None] = [None] * len(raw)
    crs_text: str | None = None
    if georef and raw:
        from rasterio.warp import transform as warp

        crs_text = ds.crs.to_string()
        xs, ys = [], []
        for poly in polys:
            for x, y in poly:
                mx, my = ds.transform * (x, y)
                xs.append(mx)
                ys.append(my)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            lons, lats = warp(ds.crs, "EPSG:4326", xs, ys)
        for i in range(len(raw)):
            sl = slice(4 * i, 4 * i + 4)
            maps[i] = tuple(zip(xs[sl], ys[sl], strict=True))
            lonlat[i] = tuple(zip(lons[sl], lats[sl], strict=True))
    out = []
    for i, (c, score, b) in enumerate(raw):
        out.append(
            Detection(
                class_name=mdl.classes[c],
                score=round(score, 4),
                cx=b.cx,
                cy=b.cy,
                length_px=b.length,
                width_px=b.width,
                angle_deg=b.angle_deg,
                polygon=polys[i],
                model_version=mdl.version,
                polygon_map=maps[i],
                polygon_lonlat=lonlat[i],
                crs=crs_text,
                model_gsd_m=seen_at[i],
            )
        )
    out.sort(key=lambda d: -d.score)
    return out
