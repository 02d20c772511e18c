"""Detect over every pass of a site on Dask: scenes and windows as tasks, results streamed in.

The client process plans the work, hands workers small task descriptions (a file path and a
pixel window — never pixels), and writes every result into the workspace as soon as its task
finishes. Workers never touch the store: one writer, no locking across machines.

A scene no larger than ``tile_px`` on both sides is one task; a larger one is cut into
``tile_px`` cells, each read with ``overlap_px`` of context on every side (a VRT pointing into
the scene, so no pixels are copied). A detection belongs to the cell its centre falls in, so
objects on a seam are counted once. Each task holds at most one window in memory.

Restart: a pass whose newest run of this detector (name and version) is ``done`` is skipped;
one left ``running`` by an interruption is cleared (``replace_run``) and redone under the same
run id, so a batch can be killed at any point and started again with no duplicates and
nothing lost. A pass whose detector raised gets a ``failed`` run (with the error, and without
partial detections) and a fresh run the next time. One batch per site at a time: a second
one would take the first one's running runs for interrupted ones.

>>> [w.core for w in plan_windows(9000, 5000, tile_px=4096, overlap_px=256)][:2]
[(0, 0, 4096, 4096), (4096, 0, 4096, 4096)]
>>> w = plan_windows(9000, 5000, tile_px=4096, overlap_px=256)[4]
>>> w.read, w.core
((3840, 3840, 4608, 1160), (4096, 4096, 4096, 904))
>>> plan_windows(3000, 2000, tile_px=4096, overlap_px=256)
[PlannedWindow(read=None, core=(0, 0, 3000, 2000))]
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import rasterio
from rasterio.windows import Window as RioWindow

from sitewatch.errors import InputError, SitewatchError
from sitewatch.imagery.model import Pass
from sitewatch.scale.detectors import DetectorSpec, FoundObject, _to_found, default_detector
from sitewatch.store import Workspace, passes_repo, sites_repo
from sitewatch.store import detections_repo as dr

__all__ = [
    "BatchEvent",
    "BatchSummary",
    "PlannedWindow",
    "WindowResult",
    "WindowTask",
    "detect_all_passes",
    "plan_windows",
    "run_window",
]

#: GDAL's block cache per worker, MB. GDAL's default (5 % of RAM) would let every worker
#: grow by gigabytes on a big machine; windows are read once, so a small cache costs nothing.
WORKER_GDAL_CACHE_MB = 128

_GDAL_TYPES = {
    "uint8": "Byte",
    "int8": "Int8",
    "uint16": "UInt16",
    "int16": "Int16",
    "uint32": "UInt32",
    "int32": "Int32",
    "float32": "Float32",
    "float64": "Float64",
}


@dataclass(frozen=True)
class PlannedWindow:
    """``read``: (col, row, width, height) to read, ``None`` for the whole scene; ``core``:
    the cell whose detections this window owns."""

    read: tuple[int, int, int, int] | None
    core: tuple[int, int, int, int]


def plan_windows(width: int, height: int, *, tile_px: int, overlap_px: int) -> list[PlannedWindow]:
    """Cut a ``width`` × ``height`` scene into cells of ``tile_px`` read with ``overlap_px``
    of context (clipped at the edges); a scene within one cell is one whole-scene window."""
    if tile_px <= 0 or not 0 <= overlap_px < tile_px:
        raise InputError(
            f"tile {tile_px} px, overlap {overlap_px} px",
            field="--tile",
            expected="tile > 0 and 0 ≤ overlap < tile",
        )
    if width <= tile_px and height <= tile_px:
        return [PlannedWindow(None, (0, 0, width, height))]
    out = []
    for r in range(0, height, tile_px):
        for c in range(0, width, tile_px):
            cw, ch = min(tile_px, width - c), min(tile_px, height - r)
            c0, r0 = max(0, c - overlap_px), max(0, r - overlap_px)
            c1, r1 = min(width, c + cw + overlap_px), min(height, r + ch + overlap_px)
            out.append(PlannedWindow((c0, r0, c1 - c0, r1 - r0), (c, r, cw, ch)))
    return out


@dataclass(frozen=True)
class WindowTask:
    """What a worker needs for one task: small and picklable, no pixels."""

    pass_id: int
    run_id: int
    path: str
    gsd_m: float
    index: int
    window: PlannedWindow


@dataclass(frozen=True)
class WindowResult:
    """What a worker sends back: detections in scene pixels, and what the task cost."""

    pass_id: int
    run_id: int
    index: int
    objects: list[FoundObject]
    worker: str
    seconds: float
    peak_rss_mb: float


def _peak_rss_mb() -> float:
    # ru_maxrss is KiB on Linux: the process's high-water mark, which is what a memory
    # limit has to hold against
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _window_vrt(src_path: str, read: tuple[int, int, int, int], folder: str) -> str:
    """A VRT file showing one window of the scene (georeferenced when the scene is)."""
    col, row, w, h = read
    with rasterio.open(src_path) as ds:
        bands = []
        for b in range(1, ds.count + 1):
            dtype = _GDAL_TYPES.get(ds.dtypes[b - 1], "Float32")
            ci = ds.colorinterp[b - 1].name.capitalize() if ds.colorinterp else "Undefined"
            nodata = "" if ds.nodata is None else f"<NoDataValue>{ds.nodata!r}</NoDataValue>"
            bands.append(
                f'<VRTRasterBand dataType="{dtype}" band="{b}"><ColorInterp>{ci}</ColorInterp>'
                f"{nodata}<SimpleSource>"
                f'<SourceFilename relativeToVRT="0">{escape(src_path)}</SourceFilename>'
                f"<SourceBand>{b}</SourceBand>"
                f'<SrcRect xOff="{col}" yOff="{row}" xSize="{w}" ySize="{h}"/>'
                f'<DstRect xOff="0" yOff="0" xSize="{w}" ySize="{h}"/>'
                "</SimpleSource></VRTRasterBand>"
            )
        geo = ""
        if ds.crs is not None and not ds.transform.is_identity:
            gt = rasterio.windows.transform(RioWindow(col, row, w, h), ds.transform).to_gdal()
            geo = (
                f"<SRS>{escape(ds.crs.to_wkt())}</SRS>"
                f"<GeoTransform>{', '.join(repr(float(v)) for v in gt)}</GeoTransform>"
            )
    xml = f'<VRTDataset rasterXSize="{w}" rasterYSize="{h}">{geo}{"".join(bands)}</VRTDataset>'
    out = Path(folder) / f"w{col}_{row}.vrt"
    out.write_text(xml, encoding="utf-8")
    return str(out)


def run_window(task: WindowTask, detector: DetectorSpec) -> WindowResult:
    """Run the detector over one window of a scene (on a worker).

    Returns the detections whose centres fall in the window's core cell, in scene pixels.
    """
    t0 = time.perf_counter()
    win = task.window
    with rasterio.Env(GDAL_CACHEMAX=WORKER_GDAL_CACHE_MB):
        if win.read is None:
            raw = detector.fn(task.path, gsd_m=task.gsd_m)
            dx = dy = 0
        else:
            with tempfile.TemporaryDirectory(prefix="sitewatch-win-") as tmp:
                vrt = _window_vrt(task.path, win.read, tmp)
                raw = detector.fn(vrt, gsd_m=task.gsd_m)
            dx, dy = win.read[0], win.read[1]
    c, r, w, h = win.core
    objs = []
    for d in raw:
        o = _to_found(d, detector.version).shifted(dx, dy)
        if c <= o.cx < c + w and r <= o.cy < r + h:
            objs.append(o)
    try:
        from distributed import get_worker

        worker = str(get_worker().address)
    except (ImportError, ValueError):
        worker = f"pid-{os.getpid()}"
    return WindowResult(
        task.pass_id,
        task.run_id,
        task.index,
        objs,
        worker,
        time.perf_counter() - t0,
        _peak_rss_mb(),
    )


@dataclass(frozen=True)
class BatchEvent:
    """Progress, for a callback: ``kind`` is ``window`` (a window's detections were stored),
    ``pass`` (a pass finished), ``skip`` or ``failed``."""

    kind: str
    pass_id: int
    run_id: int | None
    n_detections: int
    windows_done: int
    windows_total: int
    message: str | None = None


@dataclass
class BatchSummary:
    """What a batch did. ``seconds`` is the whole call; ``compute_seconds`` runs from the
    first task submitted to the last result stored (no cluster start-up)."""

    detector: str
    version: str
    processed: list[int] = field(default_factory=list)
    resumed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    runs: dict[int, int] = field(default_factory=dict)
    detections: int = 0
    windows: int = 0
    workers: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    compute_seconds: float = 0.0


def _newest_run(ws: Workspace, pass_id: int, spec: DetectorSpec) -> dr.RunInfo | None:
    mine = [
        r
        for r in dr.list_runs(ws, pass_id)
        if r.model_name == spec.name and r.model_version == spec.version
    ]
    return mine[-1] if mine else None


def _connect(scheduler: Any, workers: int, memory_limit: str | None) -> tuple[Any, list[Any]]:
    """A dask client and what to close afterwards (nothing when the caller owns the client)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise SitewatchError("Dask is not installed: pip install 'sitewatch[scale]'") from None
    if scheduler is None:
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            memory_limit=memory_limit,
            dashboard_address=":0",  # never fight another cluster for port 8787
        )
        client = Client(cluster)  # type: ignore[no-untyped-call]
        return client, [client, cluster]
    if isinstance(scheduler, str):
        try:
            client = Client(scheduler, timeout="20s")  # type: ignore[no-untyped-call]
        except OSError as exc:
            raise SitewatchError(f"cannot reach the Dask scheduler {scheduler!r}: {exc}") from None
        return client, [client]
    return scheduler, []


def detect_all_passes(
    ws_url: str | Path | Workspace,
    site: str,
    *,
    scheduler: Any = None,
    detector: DetectorSpec | None = None,
    workers: int = 2,
    tile_px: int = 4096,
    overlap_px: int = 256,
    memory_limit: str | None = "1.5GiB",
    redo: bool = False,
    on_event: Callable[[BatchEvent], None] | None = None,
) -> BatchSummary:
    """Run a detector over every pass of a site on Dask, storing results as they arrive.

    Parameters
    ----------
    ws_url
        Workspace path/URL (or an open :class:`~sitewatch.store.Workspace`).
    site
        Site slug, name or alias.
    scheduler
        ``None``: a local cluster of ``workers`` processes (one thread each); a string: the
        address of a ``dask.distributed`` scheduler (``tcp://host:8786``), whose workers must
        see the pass files at the same paths; or a ``distributed.Client`` you manage.
    detector
        A :class:`~sitewatch.scale.detectors.DetectorSpec`; default the ONNX model engine.
    workers
        Worker processes of the local cluster.
    tile_px, overlap_px
        Scenes larger than ``tile_px`` are cut into ``tile_px`` cells read with
        ``overlap_px`` of context (more than the longest object, in pixels).
    memory_limit
        Per-worker memory limit of the local cluster (Dask restarts a worker that passes it).
    redo
        Run again over passes already done with this detector version.
    on_event
        Called in this process with a :class:`BatchEvent` after each stored window, finished
        pass, skipped pass and failure.

    Returns
    -------
    BatchSummary
        Passes processed, resumed, skipped and failed; run ids; detections stored; and the
        peak RSS each worker reported (MB).

    Examples
    --------
    ``detect_all_passes("ws.db", "hmeimim")`` runs the model on a local two-worker cluster;
    ``scheduler="tcp://10.0.0.5:8786"`` uses a real one. Here, a 1200² pass with one bright
    25 m object, the stand-in detector, and a client whose workers are threads:

    >>> import os, tempfile, numpy as np, rasterio
    >>> from rasterio.transform import from_origin
    >>> from distributed import Client
    >>> from sitewatch.imagery import inspect_pass
    >>> from sitewatch.scale import stand_in_detector
    >>> d = tempfile.mkdtemp(); tif = os.path.join(d, "scene.tif")
    >>> img = np.full((3, 1200, 1200), 70, np.uint8); img[:, 590:610, 575:625] = 240
    >>> with rasterio.open(tif, "w", driver="GTiff", width=1200, height=1200, count=3,
    ...                    dtype="uint8", crs="EPSG:32636",
    ...                    transform=from_origin(768800, 3921400, 0.5, 0.5)) as ds:
    ...     ds.write(img)
    >>> with Workspace.open(os.path.join(d, "ws.db")) as ws:
    ...     site = sites_repo.get_site(ws, "hmeimim")
    ...     _ = passes_repo.add_pass(ws, inspect_pass(tif, site, date="2024-12-13"))
    >>> with Client(processes=False, n_workers=1, dashboard_address=":0") as client:
    ...     first = detect_all_passes(os.path.join(d, "ws.db"), "hmeimim", scheduler=client,
    ...                               detector=stand_in_detector(), tile_px=512)
    ...     again = detect_all_passes(os.path.join(d, "ws.db"), "hmeimim", scheduler=client,
    ...                               detector=stand_in_detector(), tile_px=512)
    >>> first.processed, first.windows, first.detections, again.skipped, again.windows
    ([1], 9, 1, [1], 0)
    """
    t_start = time.perf_counter()
    ws = ws_url if isinstance(ws_url, Workspace) else Workspace.open(str(ws_url))
    own_ws = not isinstance(ws_url, Workspace)
    to_close: list[Any] = []
    try:
        slug = sites_repo.get_site(ws, site).slug
        spec = detector if detector is not None else default_detector()
        summary = BatchSummary(spec.name, spec.version)
        emit = on_event or (lambda _e: None)
        tasks: list[WindowTask] = []
        remaining: dict[int, int] = {}
        totals: dict[int, int] = {}
        passes: dict[int, Pass] = {}
        for p in passes_repo.list_passes(ws, slug):
            assert p.id is not None
            newest = _newest_run(ws, p.id, spec)
            if newest is not None and newest.status == "done" and not redo:
                summary.skipped.append(p.id)
                emit(BatchEvent("skip", p.id, newest.id, newest.n_detections, 0, 0))
                continue
            if not Path(p.path).is_file() or p.gsd_m is None:
                why = "file not found" if p.gsd_m is not None else "no GSD"
                summary.failed[p.id] = f"{p.path}: {why}"
                emit(BatchEvent("failed", p.id, None, 0, 0, 0, summary.failed[p.id]))
                continue
            if newest is not None and newest.status == "running" and not redo:
                run_id = newest.id
                # an interrupted run: drop what it stored, redo it whole under the same id
                dr.add_detections(ws, p.id, [], run_id=run_id, replace_run=True)
                summary.resumed.append(p.id)
            else:
                params = {"tile_px": tile_px, "overlap_px": overlap_px, **spec.params}
                run_id = dr.start_run(
                    ws,
                    p.id,
                    model_name=spec.name,
                    model_version=spec.version,
                    model_sha256=spec.model_sha256,
                    params=params,
                ).id
            summary.runs[p.id] = run_id
            passes[p.id] = p
            plan = plan_windows(p.width, p.height, tile_px=tile_px, overlap_px=overlap_px)
            remaining[p.id] = totals[p.id] = len(plan)
            tasks += [WindowTask(p.id, run_id, p.path, p.gsd_m, i, w) for i, w in enumerate(plan)]
        if not tasks:
            return summary
        from distributed import as_completed

        client, to_close = _connect(scheduler, workers, memory_limit)
        t_submit = time.perf_counter()  # cluster start-up is not the batch's throughput
        futures = [client.submit(run_window, t, spec, pure=False) for t in tasks]
        by_key = {f.key: t for f, t in zip(futures, tasks, strict=True)}
        for fut in as_completed(futures):  # type: ignore[no-untyped-call]
            task = by_key[fut.key]
            pid = task.pass_id
            if pid in summary.failed:
                fut.release()
                continue
            try:
                res: WindowResult = fut.result()
            except Exception as exc:  # the detector failed on this scene: record, go on
                msg = f"window {task.index}: {type(exc).__name__}: {exc}"
                summary.failed[pid] = msg
                # windows already stored are dropped: a failed run keeps its reason, not a
                # partial result someone could take for the whole scene
                dr.add_detections(ws, pid, [], run_id=task.run_id, replace_run=True)
                dr.finish_run(ws, task.run_id, status="failed", message=msg)
                emit(BatchEvent("failed", pid, task.run_id, 0, 0, totals[pid], msg))
                continue
            finally:
                fut.release()
            objs: list[Any] = list(res.objects)
            dr.add_detections(ws, pid, objs, run_id=res.run_id, model_version=spec.version)
            summary.detections += len(res.objects)
            summary.windows += 1
            summary.workers[res.worker] = max(summary.workers.get(res.worker, 0.0), res.peak_rss_mb)
            remaining[pid] -= 1
            done = totals[pid] - remaining[pid]
            emit(BatchEvent("window", pid, res.run_id, len(res.objects), done, totals[pid]))
            if remaining[pid] == 0:
                info = dr.finish_run(ws, res.run_id, status="done")
                summary.processed.append(pid)
                emit(BatchEvent("pass", pid, res.run_id, info.n_detections, done, totals[pid]))
        summary.compute_seconds = time.perf_counter() - t_submit
        summary.seconds = time.perf_counter() - t_start
        return summary
    finally:
        for obj in to_close:
            obj.close()
        if own_ws:
            ws.close()
