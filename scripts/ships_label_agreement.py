"""How far two labellings of the same ships-aerial picture agree: what AP50 can measure.

Some ships-aerial crops are copies of one picture, or overlapping cuts of one scene, each
labelled on its own (``ships_aerial_split.find_links``). Where two labellings cover the same
water, one is scored against the other at IoU 0.5 (axis-aligned, the labels' own kind),
boxes whose centre lies outside the common area left out. For boats labelled in both, it
also estimates how a *perfect* detector would be scored against labels this noisy: if each
labelling is the truth plus independent noise of the same size, the truth sits 1/√2 of the
way from one labelling's box edges towards the other's (in expectation of the squared error)
— the share of boats it would match at IoU 0.5 is printed.

With ``--runs DIR`` (``DIR/fold0`` … ``fold4`` from ``sitewatch train --ships-holdout K``),
each pair is also scored with the fold model that never trained on its scene, against each
labelling, at the score threshold with the best F1 over all pairs.

Usage: ``python scripts/ships_label_agreement.py [--data DIR] [--runs DIR]``
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image
from shapely.geometry import Point, Polygon, box

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ships_aerial_split import Link, find_links
from ships_cv import fold_model, ships_root

from sitewatch.detect.boxes import OrientedBox, envelope
from sitewatch.detect.evaluate import predictor
from sitewatch.detect.labels import LabelledImage, read_voc_dir
from sitewatch.detect.merge import aabb_iou
from sitewatch.detect.model import load_model
from sitewatch.detect.trainset import SHIPS_FOLDS, ships_aerial_gsd, ships_fold

IOU = 0.5
THRESHOLDS = np.round(np.arange(0.05, 0.95, 0.05), 2)


def _envelope_in_a(b: OrientedBox, m: np.ndarray) -> OrientedBox:
    out = np.array(b.corners()) @ m[:, :2].T + m[:, 2]
    (x0, y0), (x1, y1) = out.min(axis=0), out.max(axis=0)
    return OrientedBox((x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0, 0.0)


def _pairs(gt: list[OrientedBox], pred: list[OrientedBox], floor: float) -> list[tuple[int, int]]:
    """Greedy one-to-one pairs at IoU >= ``floor``, best first."""
    cand = sorted(
        ((aabb_iou(g, p), i, j) for i, g in enumerate(gt) for j, p in enumerate(pred)),
        reverse=True,
    )
    used_g: set[int] = set()
    used_p: set[int] = set()
    out = []
    for iou, i, j in cand:
        if iou < floor:
            break
        if i not in used_g and j not in used_p:
            used_g.add(i)
            used_p.add(j)
            out.append((i, j))
    return out


def _edges(b: OrientedBox) -> np.ndarray:
    """x0, y0, x1, y1 of the box's envelope (a VOC box may be stored long side first, at 90°)."""
    ew, eh = envelope(b.length, b.width, b.angle_deg)
    return np.array([b.cx - ew / 2, b.cy - eh / 2, b.cx + ew / 2, b.cy + eh / 2])


def _from_edges(e: np.ndarray) -> OrientedBox:
    return OrientedBox((e[0] + e[2]) / 2, (e[1] + e[3]) / 2, e[2] - e[0], e[3] - e[1], 0.0)


def _common_area(a: LabelledImage, b: LabelledImage, m: np.ndarray) -> Polygon:
    with Image.open(a.path) as ia, Image.open(b.path) as ib:
        (wa, ha), (wb, hb) = ia.size, ib.size
    corners = np.array([[0, 0], [wb, 0], [wb, hb], [0, hb]], float) @ m[:, :2].T + m[:, 2]
    inter = Polygon(corners).intersection(box(0, 0, wa, ha))
    return inter.buffer(-2.0) if isinstance(inter, Polygon) else Polygon()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=None, help="shared data folder")
    ap.add_argument("--runs", type=Path, default=None, help="fold0 … fold4 models")
    args = ap.parse_args()
    root = ships_root(args.data)
    if root is None:
        return 2
    images = {i.path.name: i for i in read_voc_dir(root)}
    links: list[Link] = find_links(sorted(i.path for i in images.values()))
    predictors = {}
    if args.runs is not None:
        for k in range(SHIPS_FOLDS):
            onnx = fold_model(args.runs, k)
            if onnx.is_file():
                predictors[k] = predictor(load_model(onnx, threads=1))
    totals: dict[str, np.ndarray] = {}
    for ln in links:
        a, b = images[ln.a], images[ln.b]
        m = np.array(ln.m)
        if ln.mirrored:
            print(f"{ln.a} {ln.b}: a mirrored copy, left out", file=sys.stderr)
            continue
        common = _common_area(a, b, m)

        def inside(bx: OrientedBox, common: Polygon = common) -> bool:
            return bool(common.contains(Point(bx.cx, bx.cy)))

        ga = [g.box for g in a.boxes if inside(g.box)]
        gb = [bx for bx in (_envelope_in_a(g.box, m) for g in b.boxes) if inside(bx)]
        n = len(_pairs(ga, gb, IOU))
        # boats labelled in both (same boat: IoU >= 0.1), and the perfect detector's score
        same = _pairs(ga, gb, 0.1)
        perfect = 0
        for i, j in same:
            ea, eb = _edges(ga[i]), _edges(gb[j])
            perfect += aabb_iou(ga[i], _from_edges(ea + (eb - ea) / np.sqrt(2))) >= IOU
            perfect += aabb_iou(gb[j], _from_edges(eb + (ea - eb) / np.sqrt(2))) >= IOU
        row = [len(ga), len(gb), n, len(same), perfect]
        fold = ships_fold(ln.a)
        if fold in predictors:
            for img in (a, b):
                img.gsd_m = ships_aerial_gsd(img)
            pa = [(s, bx) for c, s, bx in predictors[fold](a) if c == "ship"]
            pb = [(s, _envelope_in_a(bx, m)) for c, s, bx in predictors[fold](b) if c == "ship"]
            pa = [(s, bx) for s, bx in pa if inside(bx)]
            pb = [(s, bx) for s, bx in pb if inside(bx)]
            for t in THRESHOLDS:
                qa = [bx for s, bx in pa if s >= t]
                qb = [bx for s, bx in pb if s >= t]
                row += [len(_pairs(ga, qa, IOU)), len(qa), len(_pairs(gb, qb, IOU)), len(qb)]
        exact = abs(ln.scale - 1) < 0.01 and ln.overlap > 0.99
        print(
            f"{ln.a:12s} {ln.b:12s} {'copy   ' if exact else 'overlap'} fold {fold}: "
            f"{len(ga)} / {len(gb)} labels in the common area, {n} agree at IoU {IOU}"
        )
        keys = ["every pair", "exact copies" if exact else "overlapping cuts"]
        if ln.a not in ("boat42.png", "boat290.png"):
            keys.append("every pair but boat42/boat290")
        for key in keys:
            if key in totals and len(totals[key]) != len(row):
                continue  # a fold model missing for some pairs: the model columns stay out
            totals[key] = totals.get(key, np.zeros(len(row))) + np.array(row, float)
    for key, t in totals.items():
        na, nb, n, same, perfect = t[:5]
        line = (
            f"{key}: {int(na)} + {int(nb)} labels; one labelling scored against the other: "
            f"recall {n / na:.3f} / {n / nb:.3f}, F1 {2 * n / (na + nb):.3f}; "
            f"{int(same)} boats in both, a perfect detector matched at IoU 0.5 on "
            f"{perfect / (2 * same):.3f} of them"
        )
        if len(t) > 5:
            f1 = [
                2 * (t[5 + 4 * k] + t[7 + 4 * k]) / (t[6 + 4 * k] + t[8 + 4 * k] + na + nb)
                for k in range(len(THRESHOLDS))
            ]
            k = int(np.argmax(f1))
            ma, qa, mb, qb = t[5 + 4 * k : 9 + 4 * k]
            line += (
                f"; the held-out fold model (score >= {THRESHOLDS[k]:.2f}): recall "
                f"{ma / na:.3f} / {mb / nb:.3f}, F1 {f1[k]:.3f}"
            )
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
