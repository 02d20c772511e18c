"""The Dask batch: killed halfway and restarted (nothing redone, duplicated or lost), a
2-worker LocalCluster, and a 20,480² scene through the windowed, memory-bounded path."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from pyproj import Transformer
from rasterio.transform import from_origin

from sitewatch.imagery import inspect_pass
from sitewatch.scale import (
    DetectorSpec,
    bright_blobs,
    detect_all_passes,
    plan_windows,
    stand_in_detector,
)
from sitewatch.store import Workspace, passes_repo, sites_repo
from sitewatch.store import detections_repo as dr
from tests.clirun import run

# Airbus scenes with bright aircraft on them: every pass has detections
IMAGES = (
    "0641acc3-c0b9-4f9d-b0ba-7ad18aa08864.jpg",
    "014de911-7810-4f7d-8967-3e5402209f4a.jpg",
    "022f91f0-1434-401f-a11b-e315b7068100.jpg",
    "0263270b-e3ee-41dc-aeef-43ff77e66d5b.jpg",
)
HMEIMIM = (35.9486, 35.4011)
TILE, OVERLAP = 1024, 128


def _utm_origin() -> tuple[float, float]:
    return Transformer.from_crs("EPSG:4326", "EPSG:32636", always_xy=True).transform(*HMEIMIM)


def build_workspace(data_root: Path, folder: Path) -> Path:
    """A workspace with one 2560² GeoTIFF pass (real Airbus pixels, 0.5 m) per image."""
    folder.mkdir(parents=True, exist_ok=True)
    x, y = _utm_origin()
    db = folder / "ws.db"
    with Workspace.open(db) as ws:
        site = sites_repo.get_site(ws, "hmeimim")
        for i, name in enumerate(IMAGES):
            with rasterio.open(data_root / "airbus-aircraft" / "images" / name) as src:
                pixels = src.read()
            out = folder / f"pass{i}.tif"
            with rasterio.open(
                out,
                "w",
                driver="GTiff",
                width=2560,
                height=2560,
                count=3,
                dtype="uint8",
                crs="EPSG:32636",
                transform=from_origin(x - 640, y + 640, 0.5, 0.5),
                tiled=True,
                blockxsize=256,
                blockysize=256,
                compress="deflate",
            ) as dst:
                dst.write(pixels)
            passes_repo.add_pass(ws, inspect_pass(out, site, date=f"2024-12-{10 + i}"))
    return db


def _found(ws: Workspace, pass_id: int) -> list[tuple[str, float, float]]:
    """Every stored detection of a pass (all runs), as comparable tuples."""
    dets = dr.list_detections(ws, pass_id, current_only=False, include_rejected=True)
    return sorted((d.class_name, round(d.cx, 3), round(d.cy, 3)) for d in dets)


KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from distributed import Client
    from sitewatch.scale import detect_all_passes, stand_in_detector

    done = set()

    def on_event(e):
        if e.kind == "pass":
            done.add(e.pass_id)
        # die hard (no cleanup at all) once two scenes are finished and a third is half
        # written: the worst moment for a batch to be interrupted
        if e.kind == "window" and e.pass_id not in done and len(done) >= 2 and e.n_detections:
            os.kill(os.getpid(), signal.SIGKILL)

    if __name__ == "__main__":
        with Client(processes=False, n_workers=1, threads_per_worker=1,
                    dashboard_address=":0") as client:
            detect_all_passes(sys.argv[1], "hmeimim", scheduler=client,
                              detector=stand_in_detector(), tile_px=1024, overlap_px=128,
                              on_event=on_event)
    """
)


def test_killed_batch_restarts_without_redoing_or_duplicating(
    data_root: Path, tmp_path: Path
) -> None:
    db = build_workspace(data_root, tmp_path / "a")
    ref_db = build_workspace(data_root, tmp_path / "ref")
    # the reference: the same batch, never interrupted, in this process
    from distributed import Client

    with Client(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=":0") as c:
        ref = detect_all_passes(
            ref_db,
            "hmeimim",
            scheduler=c,
            detector=stand_in_detector(),
            tile_px=TILE,
            overlap_px=OVERLAP,
        )
    assert len(ref.processed) == 4 and ref.detections > 0

    script = tmp_path / "killer.py"
    script.write_text(KILLER)
    proc = subprocess.run([sys.executable, str(script), str(db)], capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]

    with Workspace.open(db) as ws:
        ids = [p.id for p in passes_repo.list_passes(ws, "hmeimim")]
        runs = {pid: dr.list_runs(ws, pid) for pid in ids if pid is not None}
        done_before = {pid: r[0] for pid, r in runs.items() if r and r[0].status == "done"}
        running = [pid for pid, r in runs.items() if r and r[0].status == "running"]
        assert len(done_before) >= 2 and running
        # the interrupted pass has part of its detections stored under a running run
        assert any(dr.list_detections(ws, pid, current_only=False) for pid in running)

    # restart on a real 2-worker LocalCluster (separate processes)
    summary = detect_all_passes(
        db,
        "hmeimim",
        detector=stand_in_detector(),
        workers=2,
        tile_px=TILE,
        overlap_px=OVERLAP,
        memory_limit="1GiB",
    )
    assert sorted(summary.skipped) == sorted(done_before)
    assert set(running) <= set(summary.resumed)
    assert sorted(summary.processed + summary.skipped) == sorted(ids)
    assert not summary.failed
    assert len(summary.workers) == 2  # both workers ran windows and reported their peak RSS
    # in-process workers report the whole test process's RSS: only check it was measured
    # (bench/scale.py measures per-worker memory in separate processes)
    assert all(mb > 0 for mb in summary.workers.values())

    with Workspace.open(db) as ws, Workspace.open(ref_db) as ref_ws:
        ref_ids = [p.id for p in passes_repo.list_passes(ref_ws, "hmeimim")]
        for pid, rid in zip(ids, ref_ids, strict=True):
            assert pid is not None and rid is not None
            after = dr.list_runs(ws, pid)
            # one run per pass: finished ones untouched, the interrupted one reused
            assert len(after) == 1 and after[0].status == "done"
            if pid in done_before:
                assert after[0] == done_before[pid]
            # no duplicates and nothing lost: exactly the uninterrupted batch's detections
            assert _found(ws, pid) == _found(ref_ws, rid)
            assert after[0].n_detections == len(_found(ws, pid))

    # a third start has nothing left to do
    with _threads() as c:
        again = detect_all_passes(db, "hmeimim", detector=stand_in_detector(), scheduler=c)
    assert sorted(again.skipped) == sorted(ids) and again.windows == 0


def _threads() -> Any:
    """A client whose workers are threads of this process (no spawn cost)."""
    from distributed import Client

    return Client(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=":0")


def test_scene_of_20480_px_goes_window_by_window(data_root: Path, tmp_path: Path) -> None:
    """A 20,480² pass (1.26 GB of pixels if read whole) built from real Airbus content; the
    batch holds one window at a time, and objects on window seams are counted once."""
    size, gsd = 20480, 0.5
    x, y = _utm_origin()
    big = tmp_path / "big.tif"
    # Airbus scenes placed at a corner, the far corner, and across the seam of four cells
    spots = [(0, 0), (size - 2560, size - 2560), (4096 - 1280, 4096 - 1280)]
    with rasterio.open(
        big,
        "w",
        driver="GTiff",
        width=size,
        height=size,
        count=3,
        dtype="uint8",
        crs="EPSG:32636",
        transform=from_origin(x - size * gsd / 2, y + size * gsd / 2, gsd, gsd),
        tiled=True,
        blockxsize=512,
        blockysize=512,
        compress="deflate",
        SPARSE_OK=True,  # empty blocks are not written: a 20k² file in a few MB, quickly
    ) as dst:
        for (col, row), name in zip(spots, IMAGES, strict=False):
            with rasterio.open(data_root / "airbus-aircraft" / "images" / name) as src:
                dst.write(src.read(), window=rasterio.windows.Window(col, row, 2560, 2560))
    # what the stand-in finds in each Airbus scene on its own, moved to where it was placed
    expected = []
    for (col, row), name in zip(spots, IMAGES, strict=False):
        one = tmp_path / f"one-{name}.tif"
        with rasterio.open(data_root / "airbus-aircraft" / "images" / name) as src:
            px = src.read()
        with rasterio.open(
            one, "w", driver="GTiff", width=2560, height=2560, count=3, dtype="uint8"
        ) as dst:
            dst.write(px)
        del px
        expected += [(o.cx + col, o.cy + row) for o in bright_blobs(one, gsd_m=gsd)]
    assert expected

    with Workspace.open(tmp_path / "ws.db") as ws:
        p = passes_repo.add_pass(
            ws, inspect_pass(big, sites_repo.get_site(ws, "hmeimim"), date="2024-12-13")
        ).pass_
        assert (p.width, p.height) == (size, size)
        n_windows = len(plan_windows(size, size, tile_px=4096, overlap_px=256))
        tracemalloc.start()
        try:
            client = _threads()
            summary = detect_all_passes(
                ws,
                "hmeimim",
                scheduler=client,
                detector=stand_in_detector(),
                tile_px=4096,
                overlap_px=256,
            )
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
            client.close()
        assert summary.windows == n_windows == 25 and summary.processed == [p.id]
        # one window of 4608² RGB is 64 MB; the scene is 1.26 GB
        assert peak < 400e6, f"peak Python allocations {peak / 1e6:.0f} MB"
        got = [(d.cx, d.cy) for d in dr.list_detections(ws, p.id)]
    pts = np.array(got)
    # no object was counted twice on a seam
    d2 = ((pts[:, None, :] - pts[None, :, :]) ** 2).sum(-1) + np.eye(len(pts)) * 1e9
    assert d2.min() > 8.0**2
    # and (nearly) everything the stand-in sees in each scene alone is found in the big one
    hits = sum(bool(((pts - e) ** 2).sum(-1).min() < 8.0**2) for e in np.array(expected))
    assert hits >= 0.8 * len(expected), (hits, len(expected))


def test_bad_tile_is_a_clear_error() -> None:
    from sitewatch.errors import InputError

    with pytest.raises(InputError, match="--tile"):
        plan_windows(100, 100, tile_px=256, overlap_px=256)


def flaky_blobs(path: str | Path, *, gsd_m: float) -> list[Any]:
    """The stand-in, except that one window of the third pass raises (an injected failure)."""
    text = Path(path).read_text(encoding="utf-8") if str(path).endswith(".vrt") else str(path)
    if "pass2.tif" in text and 'xOff="896" yOff="896"' in text:
        raise RuntimeError("injected failure")
    return bright_blobs(path, gsd_m=gsd_m)


def test_a_failing_scene_is_recorded_and_redone(data_root: Path, tmp_path: Path) -> None:
    db = build_workspace(data_root, tmp_path / "f")
    base = stand_in_detector()
    flaky = DetectorSpec(base.name, base.version, flaky_blobs)
    with _threads() as c:
        first = detect_all_passes(
            db, "hmeimim", scheduler=c, detector=flaky, tile_px=TILE, overlap_px=OVERLAP
        )
    with Workspace.open(db) as ws:
        ids = [p.id for p in passes_repo.list_passes(ws, "hmeimim")]
        bad = ids[2]
        assert bad is not None
        assert list(first.failed) == [bad] and "injected failure" in first.failed[bad]
        assert sorted(first.processed) == sorted(i for i in ids if i != bad)
        (run,) = dr.list_runs(ws, bad)
        assert run.status == "failed" and run.message and "injected failure" in run.message
        # no partial result survives the failure
        assert dr.list_detections(ws, bad, run_id=run.id, include_rejected=True) == []
    with _threads() as c:
        second = detect_all_passes(
            db, "hmeimim", scheduler=c, detector=base, tile_px=TILE, overlap_px=OVERLAP
        )
    assert second.processed == [bad] and sorted(second.skipped) == sorted(
        i for i in ids if i != bad
    )
    with Workspace.open(db) as ws:
        runs = dr.list_runs(ws, bad)
        assert [r.status for r in runs] == ["failed", "done"]
        assert len(dr.list_detections(ws, bad)) == runs[1].n_detections > 0


def test_cli_detect_all(
    data_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = build_workspace(data_root, tmp_path / "cli")
    args = ["detect-all", "hmeimim", "--detector", "stand-in", "--workers", "1"]
    r = run(capsys, *args, "--tile", "1024", "--json", "-w", str(db))
    assert r.code == 0, r.err
    out = r.json()
    assert out["version"] == "stand-in-bright-blobs-1" and len(out["processed"]) == 4
    assert out["windows"] == 36 and len(out["worker_peak_rss_mb"]) == 1
    r = run(capsys, *args, "-w", str(db))
    assert r.code == 0 and "0 passes done" in r.out and "4 already done" in r.out
    r = run(capsys, *args[:2], "--detector", "magic", "-w", str(db))
    assert r.code == 1 and "--detector" in r.err


def test_model_engine_on_dask(data_root: Path, tmp_path: Path) -> None:
    """The real detector through the batch, when its model file is present."""
    from sitewatch.detect import default_model_path

    if not default_model_path().is_file():
        pytest.skip(f"no detector model at {default_model_path()} (train it: sitewatch train)")
    from sitewatch.scale import model_detector

    db = build_workspace(data_root, tmp_path / "m")
    spec = model_detector()
    with _threads() as c:
        s = detect_all_passes(db, "hmeimim", scheduler=c, detector=spec, tile_px=TILE)
    assert len(s.processed) == 4 and not s.failed
    with Workspace.open(db) as ws:
        for pid in s.processed:
            (r,) = dr.list_runs(ws, pid)
            assert (r.model_name, r.model_version, r.status) == (spec.name, spec.version, "done")
            assert all(d.model_version == spec.version for d in dr.list_detections(ws, pid))
    # read again at two views and two zooms: the runs say how each was read
    more = model_detector(views=2, zooms=(1.0, 1.4))
    with _threads() as c:
        s2 = detect_all_passes(db, "hmeimim", scheduler=c, detector=more, tile_px=TILE, redo=True)
    assert sorted(s2.processed) == sorted(s.processed) and not s2.failed
    with Workspace.open(db) as ws:
        for pid in s.processed:
            first, second = dr.list_runs(ws, pid)
            assert (first.params["views"], first.params["zooms"]) == (1, [1.0])
            assert (second.params["views"], second.params["zooms"]) == (2, [1.0, 1.4])
            assert second.status == "done"
