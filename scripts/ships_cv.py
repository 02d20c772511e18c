"""Ship AP50 by five-fold cross-validation over ships-aerial scenes.

The held-out split (fold 0) has 33 crops, and two of them — one picture saved under two
names and labelled twice — hold 197 of its 288 boats, so its AP50 says more about that
picture than about the model. Cross-validation scores every crop once, by a model that did
not train on its scene: ``sitewatch train --ships-holdout K --out DIR/foldK`` for K = 0…4
(the same recipe, only the held-out fold differs; fold 0 is the bundled model's run), then
this script evaluates each fold's model on its own fold and pools the 200 crops (AP50 with a
95 % interval from resampling whole crops), and gives each fold's AP50 too.

Usage: ``python scripts/ships_cv.py RUNS_DIR [--views 2] [--zooms 1,1.2] [--checkpoint STEP]
[--long-hulls none] [--folds K,…] [--against OTHER_RUNS] [--json OUT]``
(``RUNS_DIR/fold0`` … ``fold4``; a missing fold is reported and left out).

``--against OTHER_RUNS`` scores another recipe's fold models on the same crops at the same
readings and gives the paired difference, RUNS_DIR minus OTHER_RUNS, per fold and pooled with
a 95 % interval from resampling the same crops for both: the way to judge a change of recipe,
since the spread between pictures (0.3–0.7 by fold) dwarfs most changes. A fold missing from
either folder is left out of both.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def fold_model(runs: Path, k: int, checkpoint: int | None = None) -> Path:
    """The ONNX model of fold ``k`` under ``runs`` (``foldK/``, or one of its checkpoints)."""
    d = runs / f"fold{k}"
    if checkpoint is not None:
        d = d / f"checkpoint-{checkpoint}"
    return d / "sitewatch-det.onnx"


def ships_root(data: Path | None) -> Path | None:
    """The ships-aerial folder under ``data`` (default: the shared data), or None, said on
    stderr, when it is not there."""
    from sitewatch.config import data_dir

    root = (data or data_dir()) / "ships-aerial"
    if not root.is_dir():
        print(f"ships-aerial not found at {root}", file=sys.stderr)
        return None
    return root


def reading_args(description: str) -> argparse.ArgumentParser:
    """The arguments every fold-model script takes: the runs folder, the data, the reading
    (views, zooms), the folds and a JSON file for the numbers."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("runs", type=Path, help="folder holding fold0 … fold4")
    ap.add_argument("--data", type=Path, default=None, help="shared data folder")
    ap.add_argument("--views", type=int, default=1, choices=(1, 2, 4, 8), help="readings per tile")
    ap.add_argument("--zooms", default="1", help="magnifications to read each crop at (Z,…)")
    ap.add_argument(
        "--folds",
        default=None,
        help="only these folds (K,…; default all), e.g. to score a fold as soon as its run ends",
    )
    ap.add_argument("--json", type=Path, default=None, help="write the numbers here")
    return ap


def wanted_folds(spec: str | None) -> list[int] | None:
    """The folds ``--folds`` names (all when ``spec`` is None), or None, said on stderr,
    when it names one that does not exist.

    >>> wanted_folds(None), wanted_folds("3, 0,3")
    ([0, 1, 2, 3, 4], [0, 3])
    >>> wanted_folds("0,7") is None
    True
    """
    from sitewatch.detect.trainset import SHIPS_FOLDS

    if spec is None:
        return list(range(SHIPS_FOLDS))
    parts = [k.strip() for k in spec.split(",")]
    bad = [k for k in parts if not k.isdigit() or int(k) >= SHIPS_FOLDS]
    if bad:
        print(
            f"--folds: no fold {', '.join(map(repr, bad))} (0-{SHIPS_FOLDS - 1})", file=sys.stderr
        )
        return None
    return sorted({int(k) for k in parts})


def main() -> int:
    from sitewatch.detect.engine import LONG_HULL_PASSES, parse_long_hulls, parse_zooms
    from sitewatch.detect.evaluate import (
        ClassResult,
        Prediction,
        average_precision,
        bootstrap_ap50,
        predictor,
    )
    from sitewatch.detect.labels import GTBox, LabelledImage
    from sitewatch.detect.model import load_model
    from sitewatch.detect.trainset import load_eval_set

    ap = reading_args(__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", type=int, default=None, help="use checkpoint-STEP models")
    ap.add_argument(
        "--long-hulls", default=None, help="the engine's long-hull passes (K:MIN,… or none)"
    )
    ap.add_argument(
        "--against",
        type=Path,
        default=None,
        help="another folder of fold models: give the paired difference on the same crops",
    )
    args = ap.parse_args()
    root = ships_root(args.data)
    if root is None:
        return 2
    zooms = parse_zooms(args.zooms)
    levels = LONG_HULL_PASSES if args.long_hulls is None else parse_long_hulls(args.long_hulls)
    gts: list[list[GTBox]] = []
    preds: list[list[Prediction]] = []
    base: list[list[Prediction]] = []
    folds: dict[int, dict[str, float | int | str]] = {}
    wanted = wanted_folds(args.folds)
    if wanted is None:
        return 2

    def score(
        path: Path, images: list[LabelledImage], g: list[list[GTBox]]
    ) -> tuple[list[list[Prediction]], ClassResult, str]:
        """One model's predictions on a fold's crops, its ship AP and its version."""
        model = load_model(path, threads=1)
        predict = predictor(model, views=args.views, long_hulls=levels, zooms=zooms)
        p = [predict(img) for img in images]
        return p, average_precision(g, p)["ship"], model.version

    for k in wanted:
        onnx = fold_model(args.runs, k, args.checkpoint)
        other = fold_model(args.against, k, args.checkpoint) if args.against else None
        missing = [m for m in (onnx, other) if m is not None and not m.is_file()]
        if missing:
            print(f"fold {k}: no model at {missing[0]}; left out", file=sys.stderr)
            continue
        images, _ = load_eval_set(root, "voc", split="val", ships_holdout=k)
        g = [[b for b in img.boxes if b.class_name == "ship"] for img in images]
        p, r, version = score(onnx, images, g)
        folds[k] = {"images": len(images), "boats": r.n_gt, "ap50": r.ap50, "model": version}
        line = f"fold {k}: {len(images)} crops, {r.n_gt} boats, AP50 {r.ap50:.3f} ({version})"
        if other is not None:
            q, rb, version_b = score(other, images, g)
            folds[k] |= {"against_ap50": rb.ap50, "against_model": version_b}
            line += f"; against {rb.ap50:.3f} ({version_b}), difference {r.ap50 - rb.ap50:+.3f}"
            base += q
        print(line)
        gts += g
        preds += p
    if not folds:
        return 1
    pooled = average_precision(gts, preds)["ship"]
    iv = bootstrap_ap50(gts, preds, "ship")
    print(
        f"pooled over {len(folds)} folds: {len(gts)} crops, {pooled.n_gt} boats, "
        f"AP50 {pooled.ap50:.3f} ({iv.low:.3f}–{iv.high:.3f}), AP50:95 {pooled.ap50_95:.3f}"
    )
    summary: dict[str, object] = {
        "crops": len(gts),
        "boats": pooled.n_gt,
        "ap50": pooled.ap50,
        "ap50_interval": [iv.low, iv.high],
        "ap50_95": pooled.ap50_95,
    }
    if args.against is not None:
        against = average_precision(gts, base)["ship"]
        d = bootstrap_ap50(gts, preds, "ship", baseline=base)
        better = sum(1 for f in folds.values() if float(f["ap50"]) > float(f["against_ap50"]))
        print(
            f"against {args.against}: AP50 {against.ap50:.3f}; difference {d.value:+.3f} "
            f"({d.low:+.3f} to {d.high:+.3f}), ahead on {better} of {len(folds)} folds"
        )
        summary |= {"against_ap50": against.ap50, "difference": [d.value, d.low, d.high]}
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "folds": folds,
                    "pooled": summary,
                    "views": args.views,
                    "zooms": list(zooms),
                    "long_hulls": [list(x) for x in levels],
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
