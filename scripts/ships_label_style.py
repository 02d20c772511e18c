"""What each ships-aerial picture's labelling style costs ship AP50.

Every crop was labelled on its own, and labellers box a 6–12 px boat differently: tight to
the hull or with its shadow and wake, a pixel higher or lower. A detector cannot see from
the pixels how a picture was labelled, yet AP50 on boats this small turns on it. This
script reads each fold's crops with that fold's model, as ``ships_cv.py`` does, and pairs
each label with the model's box (greedily, best score first; score >= ``MIN_SCORE``, IoU
>= ``PAIR_IOU``). For every picture with at least ``--min-boats`` pairs it gives the style
of its labels against the model's boxes: the median scale (label size over box size) and
the median offset of the label's centre, in box sizes. It then pools AP50 twice: as it is,
and with each such picture's style applied to the model's boxes there — the score of a
detector that knew each labeller's habits. Pictures of one scene (copies and overlapping
cuts, ``splits/ships_aerial.csv``) are named together: there two labellers of one picture
are compared against the same boxes.

Usage: ``python scripts/ships_label_style.py RUNS_DIR [--views 2] [--zooms Z,…]
[--folds K,…] [--min-boats 20] [--json OUT]`` (``RUNS_DIR/fold0`` … ``fold4`` from
``sitewatch train --ships-holdout K``; a missing fold is reported and left out).
"""

from __future__ import annotations

import json
import math
import statistics
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ships_cv import fold_model, reading_args, ships_root, wanted_folds

from sitewatch.detect.boxes import OrientedBox, envelope
from sitewatch.detect.evaluate import Prediction
from sitewatch.detect.labels import GTBox
from sitewatch.detect.merge import aabb_iou

#: a model box counts as boxing a label from this IoU: found, if not boxed to the label
PAIR_IOU = 0.3
#: and from this score, so that faint duplicates do not pair
MIN_SCORE = 0.2


@dataclass(frozen=True)
class Style:
    """How one picture's labels sit on the model's boxes of the same boats."""

    pairs: int
    #: median label size over box size (geometric mean of the envelope's two sides)
    scale: float
    #: median offset of the label's centre from the box's, in envelope widths / heights
    dx: float
    dy: float
    #: share of the pairs at IoU >= 0.5: the boats AP50 counts as boxed
    hit50: float


@dataclass(frozen=True)
class Picture:
    """One crop with enough pairs: where it sits, its AP50 as read, its labels' style."""

    fold: int
    scene: str
    boats: int
    ap50: float
    style: Style


def _edges(b: OrientedBox) -> tuple[float, float, float, float]:
    ew, eh = envelope(b.length, b.width, b.angle_deg)
    return b.cx, b.cy, float(ew), float(eh)


def pair_boxes(
    labels: Sequence[GTBox], preds: Sequence[Prediction]
) -> list[tuple[OrientedBox, OrientedBox, float]]:
    """(label, model box, IoU) for each label boxed by a ship prediction, best score first.

    >>> lab = [GTBox("ship", OrientedBox(10, 10, 8, 4, 0), oriented=False)]
    >>> p = [("ship", 0.9, OrientedBox(10.5, 10, 8, 4, 0)),
    ...      ("ship", 0.1, OrientedBox(10, 10, 8, 4, 0))]
    >>> [round(iou, 3) for _, _, iou in pair_boxes(lab, p)]
    [0.882]
    """
    ships = sorted((p for p in preds if p[0] == "ship" and p[1] >= MIN_SCORE), key=lambda p: -p[1])
    free = [g for g in labels if not g.ignore]
    out = []
    for _, _, box in ships:
        best, j = PAIR_IOU, -1
        for i, g in enumerate(free):
            iou = aabb_iou(g.box, box)
            if iou >= best:
                best, j = iou, i
        if j >= 0:
            out.append((free.pop(j).box, box, best))
    return out


def picture_style(pairs: Sequence[tuple[OrientedBox, OrientedBox, float]]) -> Style:
    """The median style of a picture's labels against the model's boxes.

    >>> b = OrientedBox(10, 10, 8, 4, 0)
    >>> s = picture_style([(OrientedBox(11, 10, 10, 5, 0), b, 0.6)] * 3)
    >>> round(s.scale, 3), round(s.dx, 3), s.dy, s.hit50
    (1.25, 0.125, 0.0, 1.0)
    """
    scales, dxs, dys = [], [], []
    for label, box, _ in pairs:
        lx, ly, lw, lh = _edges(label)
        bx, by, bw, bh = _edges(box)
        scales.append(0.5 * (math.log(lw / bw) + math.log(lh / bh)))
        dxs.append((lx - bx) / bw)
        dys.append((ly - by) / bh)
    return Style(
        pairs=len(pairs),
        scale=math.exp(statistics.median(scales)),
        dx=statistics.median(dxs),
        dy=statistics.median(dys),
        hit50=sum(iou >= 0.5 for _, _, iou in pairs) / len(pairs),
    )


def in_style(preds: Sequence[Prediction], style: Style) -> list[Prediction]:
    """The predictions redrawn as the picture's labeller draws boats.

    >>> s = Style(3, 1.25, 0.125, 0.0, 1.0)
    >>> [(b.cx, b.length) for _, _, b in in_style([("ship", 0.9, OrientedBox(10, 10, 8, 4, 0))], s)]
    [(11.0, 10.0)]
    """
    out: list[Prediction] = []
    for cls, score, b in preds:
        _, _, ew, eh = _edges(b)
        moved = OrientedBox(
            b.cx + style.dx * ew,
            b.cy + style.dy * eh,
            b.length * style.scale,
            b.width * style.scale,
            b.angle_deg,
        )
        out.append((cls, score, moved))
    return out


def main() -> int:
    from sitewatch.detect.engine import parse_zooms
    from sitewatch.detect.evaluate import average_precision, bootstrap_ap50, predictor
    from sitewatch.detect.model import load_model
    from sitewatch.detect.trainset import load_eval_set, ships_scene

    ap = reading_args(__doc__.splitlines()[0])
    ap.add_argument(
        "--min-boats", type=int, default=20, help="pairs a picture needs for its style to count"
    )
    args = ap.parse_args()
    root = ships_root(args.data)
    if root is None:
        return 2
    zooms = parse_zooms(args.zooms)
    wanted = wanted_folds(args.folds)
    if wanted is None:
        return 2
    gts: list[list[GTBox]] = []
    preds: list[list[Prediction]] = []
    styled: list[list[Prediction]] = []
    pictures: dict[str, Picture] = {}
    for k in wanted:
        onnx = fold_model(args.runs, k)
        if not onnx.is_file():
            print(f"fold {k}: no model at {onnx}; left out", file=sys.stderr)
            continue
        images, _ = load_eval_set(root, "voc", split="val", ships_holdout=k)
        predict = predictor(load_model(onnx, threads=1), views=args.views, zooms=zooms)
        for img in images:
            g = [b for b in img.boxes if b.class_name == "ship"]
            p = [x for x in predict(img) if x[0] == "ship"]
            gts.append(g)
            preds.append(p)
            pairs = pair_boxes(g, p)
            if len(pairs) < args.min_boats:
                styled.append(p)
                continue
            style = picture_style(pairs)
            styled.append(in_style(p, style))
            name = img.path.name
            ap50 = average_precision([g], [p])["ship"].ap50
            pictures[name] = Picture(k, ships_scene(name), len(g), ap50, style)
    if not gts:
        return 1
    print(f"{'picture':12s} {'scene':12s} fold boats AP50 pairs  scale     dx     dy  hit@0.5")
    for name, pic in sorted(pictures.items(), key=lambda x: (x[1].scene, x[0])):
        st = pic.style
        print(
            f"{name:12s} {pic.scene:12s} {pic.fold:>4} {pic.boats:>5} {pic.ap50:.2f} "
            f"{st.pairs:>5} {st.scale:6.3f} {st.dx:+6.3f} {st.dy:+6.3f} {st.hit50:8.2f}"
        )
    scales = [math.log(pic.style.scale) for pic in pictures.values()]
    if len(scales) > 1:
        print(
            f"{len(scales)} pictures with >= {args.min_boats} pairs: label scale "
            f"{math.exp(min(scales)):.2f}–{math.exp(max(scales)):.2f}× the model's boxes "
            f"(s.d. of its log {statistics.stdev(scales):.3f})"
        )
    summary: dict[str, object] = {}
    for key, ps in (("as_is", preds), ("in_style", styled)):
        r = average_precision(gts, ps)["ship"]
        iv = bootstrap_ap50(gts, ps, "ship")
        summary[key] = {"ap50": r.ap50, "ap50_interval": [iv.low, iv.high], "ap50_95": r.ap50_95}
        what = "as read" if key == "as_is" else "each picture above in its labeller's style"
        print(
            f"{len(gts)} crops, {r.n_gt} boats, {what}: AP50 {r.ap50:.3f} "
            f"({iv.low:.3f}–{iv.high:.3f}), AP50:95 {r.ap50_95:.3f}"
        )
    if args.json:
        rows = {name: asdict(pic) for name, pic in pictures.items()}
        doc = {"pictures": rows, "pooled": summary, "views": args.views, "zooms": list(zooms)}
        args.json.write_text(json.dumps(doc, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
