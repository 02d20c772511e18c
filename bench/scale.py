"""Benchmark the Dask batch: throughput on 1 vs 2 local workers, and peak RSS per worker on a
20,480² scene built from real Airbus content.

Run from the repository root (needs ../shared/data)::

    nice -n 15 .venv/bin/python bench/scale.py [--out bench-scale.json]

The detector is the bright-blob stand-in (:func:`sitewatch.scale.bright_blobs`) unless
``--model`` is given: the numbers measure the batch machinery — windowing, Dask, streaming
into the store — on a real raster workload. Everything is written to a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import rasterio
from pyproj import Transformer
from rasterio.errors import NotGeoreferencedWarning
from rasterio.transform import from_origin

from sitewatch.config import data_dir
from sitewatch.imagery import inspect_pass
from sitewatch.scale import DetectorSpec, detect_all_passes, model_detector, stand_in_detector
from sitewatch.store import Workspace, passes_repo, sites_repo

GSD = 0.5
SITE = "hmeimim"


def _origin() -> tuple[float, float]:
    return Transformer.from_crs("EPSG:4326", "EPSG:32636", always_xy=True).transform(
        35.9486, 35.4011
    )


def _images(n: int) -> list[Path]:
    imgs = sorted((data_dir() / "airbus-aircraft" / "images").glob("*.jpg"))
    if len(imgs) < n:
        raise SystemExit(f"need {n} Airbus images under {data_dir()}, found {len(imgs)}")
    return imgs[:n]


def build_batch(folder: Path, n: int) -> Path:
    """A workspace with ``n`` 2560² GeoTIFF passes, one per Airbus image."""
    folder.mkdir(parents=True)
    x, y = _origin()
    db = folder / "ws.db"
    with Workspace.open(db) as ws:
        site = sites_repo.get_site(ws, SITE)
        for i, img in enumerate(_images(n)):
            with rasterio.open(img) as src:
                px = src.read()
            out = folder / f"pass{i:02d}.tif"
            with rasterio.open(
                out,
                "w",
                driver="GTiff",
                width=2560,
                height=2560,
                count=3,
                dtype="uint8",
                crs="EPSG:32636",
                transform=from_origin(x - 640, y + 640, GSD, GSD),
                tiled=True,
                blockxsize=256,
                blockysize=256,
                compress="deflate",
            ) as dst:
                dst.write(px)
            passes_repo.add_pass(ws, inspect_pass(out, site, date=f"2024-12-{1 + i % 28:02d}"))
    return db


def build_big(folder: Path, grid: int = 8) -> Path:
    """A (grid·2560)² tiled, JPEG-compressed GeoTIFF of real Airbus scenes, written block by
    block (never whole in memory), as a pass of the site."""
    folder.mkdir(parents=True)
    size = grid * 2560
    x, y = _origin()
    big = folder / "big.tif"
    with rasterio.open(
        big,
        "w",
        driver="GTiff",
        width=size,
        height=size,
        count=3,
        dtype="uint8",
        crs="EPSG:32636",
        transform=from_origin(x - size * GSD / 2, y + size * GSD / 2, GSD, GSD),
        tiled=True,
        blockxsize=512,
        blockysize=512,
        compress="jpeg",
        photometric="ycbcr",
        BIGTIFF="YES",
    ) as dst:
        for k, img in enumerate(_images(grid * grid)):
            with rasterio.open(img) as src:
                win = rasterio.windows.Window((k % grid) * 2560, (k // grid) * 2560, 2560, 2560)
                dst.write(src.read(), window=win)
    db = folder / "ws.db"
    with Workspace.open(db) as ws:
        passes_repo.add_pass(
            ws, inspect_pass(big, sites_repo.get_site(ws, SITE), date="2024-12-13")
        )
    return db


def timed(db: Path, spec: DetectorSpec, workers: int, tile: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    s = detect_all_passes(db, SITE, detector=spec, workers=workers, tile_px=tile)
    wall = time.perf_counter() - t0
    return {
        "workers": workers,
        "passes": len(s.processed),
        "windows": s.windows,
        "detections": s.detections,
        "wall_s": round(wall, 2),
        "passes_per_s": round(len(s.processed) / wall, 3),
        "compute_s": round(s.compute_seconds, 2),
        "windows_per_compute_s": round(s.windows / max(s.compute_seconds, 1e-9), 3),
        "peak_rss_mb_per_worker": {k: round(v) for k, v in sorted(s.workers.items())},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--passes", type=int, default=12)
    ap.add_argument("--grid", type=int, default=8, help="big scene = grid×2560 px square")
    ap.add_argument("--model", action="store_true", help="use the ONNX model engine")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    # the Airbus JPEGs have no CRS on purpose: they are placed into the GeoTIFFs here
    warnings.filterwarnings("ignore", category=NotGeoreferencedWarning)
    spec = model_detector() if args.model else stand_in_detector()
    result: dict[str, Any] = {
        "detector": f"{spec.name} {spec.version}",
        "cpus": os.cpu_count(),
        "load_avg_at_start": [round(v, 2) for v in os.getloadavg()],
    }
    with tempfile.TemporaryDirectory(prefix="sitewatch-bench-") as tmp:
        one = timed(build_batch(Path(tmp) / "w1", args.passes), spec, 1, 1024)
        two = timed(build_batch(Path(tmp) / "w2", args.passes), spec, 2, 1024)
        result["batch"] = {
            "passes": args.passes,
            "one_worker": one,
            "two_workers": two,
            "throughput_ratio_2_vs_1": round(two["passes_per_s"] / one["passes_per_s"], 2),
            "compute_ratio_2_vs_1": round(
                two["windows_per_compute_s"] / one["windows_per_compute_s"], 2
            ),
        }
        t0 = time.perf_counter()
        db = build_big(Path(tmp) / "big", args.grid)
        built = time.perf_counter() - t0
        big = timed(db, spec, 2, 4096)
        big["scene_px"] = args.grid * 2560
        big["build_s"] = round(built, 1)
        big["file_mb"] = round((Path(tmp) / "big" / "big.tif").stat().st_size / 1e6, 1)
        big["target_mb"] = 1536
        big["within_target"] = max(big["peak_rss_mb_per_worker"].values()) <= 1536
        result["big_scene"] = big
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
