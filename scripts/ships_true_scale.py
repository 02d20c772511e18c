"""Ship AP on the held-out ships-aerial crops at a plausible true scale, with and without a
coarse second pass for long hulls.

Usage: ``.venv/bin/python scripts/ships_true_scale.py [--model M] [--levels 8:60] [--json OUT]``

Training and ``sitewatch eval`` normalise every ships-aerial crop so that its median boat is
15 m (small craft). For the crops of coasters and ocean-going ships
(``sitewatch/detect/splits/ships_aerial_vessels.csv``) this script instead takes the largest
vessel as 70 m or 150 m, which is closer to what a real pass shows: a container ship 150 px
long at 1 m per pixel. It then reports AP50 for all crops, for the small-craft crops and for
the large-vessel crops, (a) with the engine at the model GSD alone and (b) adding, for each
``K:MIN`` level, the ship boxes at least MIN metres long found with the model run as if its GSD
were K times coarser; single-GSD ship boxes lying mostly inside such a long hull are dropped as
fragments, and the rest merged by rotated NMS.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path


def main() -> int:
    from shapely.geometry import Polygon

    from sitewatch.config import data_dir
    from sitewatch.detect.classes import CLASSES
    from sitewatch.detect.evaluate import Prediction, average_precision, predictor
    from sitewatch.detect.labels import GTBox, LabelledImage
    from sitewatch.detect.merge import nms_rotated
    from sitewatch.detect.model import load_model
    from sitewatch.detect.trainset import load_eval_set, ships_aerial_gsd, ships_aerial_vessels

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=None, help="shared data folder")
    ap.add_argument("--model", default=None, help="ONNX model (default: the bundled one)")
    ap.add_argument("--levels", default="8:60", help="coarse passes, K:MIN_LENGTH_M,…")
    ap.add_argument("--json", type=Path, default=None, help="write the numbers here")
    args = ap.parse_args()
    root = (args.data or data_dir()) / "ships-aerial"
    if not root.is_dir():
        print(f"ships-aerial not found at {root}", file=sys.stderr)
        return 2
    levels = [(float(k), float(m)) for k, m in (p.split(":") for p in args.levels.split(","))]
    model = load_model(args.model, threads=1)
    vessels = ships_aerial_vessels()
    images, _ = load_eval_set(root, "voc")
    for img in images:
        img.gsd_m = ships_aerial_gsd(img, vessels.get(img.path.name, "craft"))

    predict = predictor(model)

    def with_levels(img: LabelledImage, base: list[Prediction]) -> list[Prediction]:
        assert img.gsd_m is not None
        g = img.gsd_m
        # telling the engine the crop is k times finer makes it shrink the crop k times more
        long_hulls = [
            p
            for k, min_m in levels
            for p in predict(replace(img, gsd_m=g / k))
            if p[0] == "ship" and p[2].length * g >= min_m
        ]
        hulls = [Polygon(p[2].corners()) for p in long_hulls if p[1] >= 0.3]
        kept = []
        for p in base:
            if p[0] == "ship" and hulls:
                poly = Polygon(p[2].corners())
                if any(poly.intersection(h).area >= 0.6 * poly.area for h in hulls):
                    continue  # a fragment of a long hull found whole at the coarse level
            kept.append(p)
        merged = kept + long_hulls
        keep = nms_rotated(
            [p[2] for p in merged],
            [p[1] for p in merged],
            0.4,
            [CLASSES.index(p[0]) for p in merged],
        )
        return [merged[i] for i in keep]

    gts: dict[str, list[list[GTBox]]] = {}
    preds: dict[str, dict[str, list[list[Prediction]]]] = {"single": {}, "levels": {}}
    for img in images:
        assert img.gsd_m is not None
        part = "large" if img.path.name in vessels else "craft"
        base = predict(img)
        both = {"single": base, "levels": with_levels(img, base)}
        gt = [b for b in img.boxes if b.class_name == "ship"]
        for key in (part, "all"):
            gts.setdefault(key, []).append(gt)
            for mode, p in both.items():
                preds[mode].setdefault(key, []).append(p)
    out: dict[str, dict[str, dict[str, float]]] = {}
    for mode in ("single", "levels"):
        out[mode] = {}
        for key in ("all", "craft", "large"):
            r = average_precision(gts[key], preds[mode][key])["ship"]
            out[mode][key] = {"ap50": r.ap50, "ap50_95": r.ap50_95, "n_gt": r.n_gt}
    label = {"single": "model GSD only", "levels": f"+ coarse passes {args.levels}"}
    for mode, rows in out.items():
        cells = [
            f"{k} {v['ap50']:.3f} ({v['ap50_95']:.3f}, n={v['n_gt']:.0f})" for k, v in rows.items()
        ]
        print(f"{label[mode]:28s} AP50 (AP50:95): " + " | ".join(cells))
    if args.json:
        args.json.write_text(json.dumps({"levels": args.levels, **out}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
