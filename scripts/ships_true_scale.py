"""Ship AP on the held-out ships-aerial crops at a plausible true scale, with and without a
coarse second pass for long hulls.

Usage: ``.venv/bin/python scripts/ships_true_scale.py [--model M] [--levels 8:60]
[--split val|train] [--json OUT]``

Training and ``sitewatch eval`` normalise every ships-aerial crop so that its median boat is
15 m (small craft). For the crops of coasters and ocean-going ships
(``sitewatch/detect/splits/ships_aerial_vessels.csv``) this script instead takes the largest
vessel as 70 m or 150 m, which is closer to what a real pass shows: a container ship 150 px
long at 1 m per pixel. It then reports AP50 for all crops, for the small-craft crops and for
the large-vessel crops, (a) with the engine at the model GSD alone and (b) with the engine's
long-hull passes (``sitewatch.detect.engine``), one per ``K:MIN`` level: ship boxes at least MIN
metres long found with the model run as if its GSD were K times coarser; model-GSD ship boxes
lying mostly inside such a long hull, along its axis and scored below it, are dropped as
its fragments. The default, ``8:60``, is the engine's own. ``--split train`` measures the
training crops instead, where choices can be made without touching the held-out hulls.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main() -> int:
    from sitewatch.config import data_dir
    from sitewatch.detect.engine import parse_long_hulls
    from sitewatch.detect.evaluate import Prediction, average_precision, predictor
    from sitewatch.detect.labels import GTBox
    from sitewatch.detect.model import load_model
    from sitewatch.detect.trainset import load_eval_set, ships_aerial_gsd, ships_aerial_vessels

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=None, help="shared data folder")
    ap.add_argument("--model", default=None, help="ONNX model (default: the bundled one)")
    ap.add_argument("--levels", default="8:60", help="coarse passes, K:MIN_LENGTH_M,…")
    ap.add_argument("--json", type=Path, default=None, help="write the numbers here")
    ap.add_argument("--views", type=int, default=1, choices=(1, 2), help="readings per tile")
    ap.add_argument(
        "--split",
        default="val",
        choices=("val", "train"),
        help="held-out crops, or the training crops (where choices may be made)",
    )
    args = ap.parse_args()
    root = (args.data or data_dir()) / "ships-aerial"
    if not root.is_dir():
        print(f"ships-aerial not found at {root}", file=sys.stderr)
        return 2
    levels = parse_long_hulls(args.levels, field="--levels")
    model = load_model(args.model, threads=1)
    vessels = ships_aerial_vessels()
    images, _ = load_eval_set(root, "voc", split=args.split)
    for img in images:
        img.gsd_m = ships_aerial_gsd(img, vessels.get(img.path.name, "craft"))

    single = predictor(model, long_hulls=(), views=args.views)
    coarse = predictor(model, long_hulls=levels, views=args.views)

    gts: dict[str, list[list[GTBox]]] = {}
    preds: dict[str, dict[str, list[list[Prediction]]]] = {"single": {}, "levels": {}}
    for img in images:
        assert img.gsd_m is not None
        part = "large" if img.path.name in vessels else "craft"
        both = {"single": single(img), "levels": coarse(img)}
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
