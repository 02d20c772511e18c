"""Length error of sitewatch mensuration on DOTA ports and DOTA8 (ships, vehicles).

Usage: ``.venv/bin/python scripts/measure_length_error.py [--data DIR] [--json OUT]``

(a) mensuration on the labelled boxes themselves (sanity); (b) on detector boxes matched to the
labels (IoU ≥ 0.5) when the detector model exists, else a message says why it was skipped;
(c) how often the bow cue agrees with DOTA's head-first corners on ships.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path


def main() -> int:
    from sitewatch.config import data_dir
    from sitewatch.measure.length_error import (
        detection_errors,
        label_sanity,
        nose_agreement,
        read_dota8,
        read_dota_labels,
    )

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--data", type=Path, default=None, help="data folder (default: sitewatch data_dir)"
    )
    ap.add_argument("--json", type=Path, default=None, help="write the results as JSON here")
    ap.add_argument("--no-cue", action="store_true", help="skip the bow-cue check")
    ap.add_argument("--model", type=Path, default=None, help="ONNX model (default: shipped)")
    ap.add_argument(
        "--iou", type=float, default=0.5, help="rotated IoU for a detection to match a label"
    )
    ap.add_argument("--views", type=int, default=1, choices=(1, 2), help="readings per tile")
    args = ap.parse_args()
    root = args.data or data_dir()
    images = []
    if (root / "dota-ports" / "labelTxt").is_dir():
        images += read_dota_labels(root / "dota-ports")
    else:
        print(f"skip dota-ports: not found under {root}")
    if (root / "dota8" / "labels").is_dir():
        images += read_dota8(root / "dota8")
    else:
        print(f"skip dota8: not found under {root}")
    if not images:
        print("no labelled data found", file=sys.stderr)
        return 1
    results: dict[str, object] = {}
    sanity = label_sanity(images)
    results["labels"] = [asdict(s) for s in sanity]
    print("(a) mensuration on the labels (min-area rectangle vs label edges):")
    for s in sanity:
        flag = " (GSD estimated from cars)" if s.gsd_estimated else ""
        print(
            f"  {s.source:10s} {s.class_name:8s} n={s.n:4d}  median |err| {s.median_abs_m:.3f} m"
            f"  p90 {s.p90_abs_m:.3f} m  median length {s.median_length_m:.1f} m{flag}"
        )
    try:
        from sitewatch.detect import detect_raster
        from sitewatch.detect.model import default_model_path

        model = args.model or default_model_path()
        have_model = model.is_file()
    except Exception as exc:  # the detector package may be mid-change; say so and go on
        have_model, model = False, Path("?")
        print(f"(b) skipped: detector not importable ({exc})")
    if have_model:

        def run(path: Path, gsd: float) -> list[object]:
            return list(detect_raster(path, gsd_m=gsd, model=model, views=args.views))

        # DOTA8's train tiles are in the detector's training set: held-out tiles only
        held_out = [im for im in images if im.source != "dota8" or "/val/" in im.path.as_posix()]
        det = detection_errors(held_out, run, iou_min=args.iou)
        results["detections"] = [asdict(s) for s in det]
        print(
            f"(b) detections matched to labels (IoU >= {args.iou}; DOTA8 val tiles only), "
            f"model {model}:"
        )
        if not det:
            print("  no detection matched a label")
        for s in det:
            flag = " (GSD estimated)" if s.gsd_estimated else ""
            print(
                f"  {s.source:10s} {s.class_name:8s} n={s.n:4d}"
                f"  median |err| {s.median_abs_m:.2f} m"
                f"  p90 {s.p90_abs_m:.2f} m  {s.note}{flag}"
            )
    elif model != Path("?"):
        print(f"(b) skipped: no detector model at {model} (train one or set SITEWATCH_MODEL)")
    if not args.no_cue:
        ports = [im for im in images if im.source == "dota-ports"]
        decided, agree, total = nose_agreement(ports)
        results["bow_cue"] = {"ships": total, "decided": decided, "agree": agree}
        rate = f"{agree / decided:.0%}" if decided else "n/a"
        print(
            f"(c) bow cue on dota-ports ships: decided {decided}/{total}, agrees with label {rate}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
