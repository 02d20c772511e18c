"""Benchmark what more readings cost: views per tile and zooms, against one reading.

Runs ``sitewatch.detect.detect_raster`` on real Airbus scenes (2560² at 0.5 m, the held-out
airports) with the default single reading first (the baseline, in this process), then with
2, 4 and 8 views per tile, and with two views at :data:`SMALL_CRAFT_ZOOMS`; prints the
median seconds per scene, the ratio to the baseline, the model pixels each setting runs,
and the peak RSS after all of them. The accuracy each buys is in the model card
(*Reading the boats larger*); this says what it costs.

Usage: ``python bench/detect_readings.py [--images 3] [--repeats 2] [--threshold 0.3]``
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time

from sitewatch.config import data_dir
from sitewatch.detect import EngineStats, detect_raster, load_model
from sitewatch.detect.engine import DEFAULT_ZOOMS, SMALL_CRAFT_ZOOMS
from sitewatch.detect.trainset import airbus_split

SETTINGS: list[tuple[str, int, tuple[float, ...]]] = [
    ("1 view, zoom 1 (default)", 1, DEFAULT_ZOOMS),
    ("2 views", 2, DEFAULT_ZOOMS),
    ("4 views", 4, DEFAULT_ZOOMS),
    ("8 views", 8, DEFAULT_ZOOMS),
    ("2 views, small-craft zooms", 2, SMALL_CRAFT_ZOOMS),
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=3, help="held-out Airbus scenes to run")
    ap.add_argument("--repeats", type=int, default=2, help="runs of each scene per setting")
    ap.add_argument("--threshold", type=float, default=0.3, help="score threshold")
    args = ap.parse_args(argv)
    root = data_dir() / "airbus-aircraft" / "images"
    held_out = sorted(k for k, v in airbus_split().items() if v == "val")
    scenes = [root / k for k in held_out if (root / k).is_file()][: args.images]
    if not scenes:
        print(f"no Airbus held-out scenes under {root}", file=sys.stderr)
        return 2
    model = load_model()
    base = None
    print(
        f"{len(scenes)} scenes of 2560² at 0.5 m, {args.repeats} runs each, model {model.version}"
    )
    for name, views, zooms in SETTINGS:
        times, found, pixels = [], 0, 0
        for path in scenes:
            for _ in range(args.repeats):
                st = EngineStats()
                t0 = time.perf_counter()
                dets = detect_raster(
                    path,
                    gsd_m=0.5,
                    model=model,
                    threshold=args.threshold,
                    views=views,
                    zooms=zooms,
                    stats=st,
                )
                times.append(time.perf_counter() - t0)
            found += len(dets)
            pixels += st.model_pixels * views
        med = statistics.median(times)
        base = base or med
        print(
            f"{name:30s} {med:6.2f} s/scene  ×{med / base:5.1f}  "
            f"{pixels / len(scenes) / 1e6:5.1f} Mpx read by the model per scene  "
            f"{found / len(scenes):5.1f} detections per scene"
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f"peak RSS: {rss:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
