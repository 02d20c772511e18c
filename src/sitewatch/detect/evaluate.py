"""Average precision of the detector on labelled images (AP50 and AP50:95 per class).

Matching follows the labels: an oriented ground-truth box is matched with the exact rotated
IoU; an axis-aligned one (Airbus, VOC, Roboflow quads) with the IoU of the axis-aligned
envelope of the predicted box, since such a label says nothing about orientation. Ignored
boxes (Airbus ``Truncated_airplane``, DOTA ``difficult``) neither reward nor penalise: a
prediction whose best match is an ignored box is dropped. AP is the area under the
interpolated precision–recall curve sampled at 101 recall points (the COCO convention).

>>> from sitewatch.detect.boxes import OrientedBox
>>> from sitewatch.detect.labels import GTBox
>>> gt = [[GTBox("aircraft", OrientedBox(50, 50, 40, 30, 0), False)]]
>>> pr = [[("aircraft", 0.9, OrientedBox(51, 50, 40, 30, 0)),
...        ("aircraft", 0.3, OrientedBox(200, 200, 40, 30, 0))]]
>>> r = average_precision(gt, pr)["aircraft"]
>>> round(r.ap50, 3), r.n_gt
(1.0, 1)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from sitewatch.detect.boxes import OrientedBox
from sitewatch.detect.engine import LONG_HULL_PASSES, detect_raster
from sitewatch.detect.fuse import DEFAULT_VIEWS
from sitewatch.detect.labels import GTBox, LabelledImage
from sitewatch.detect.merge import aabb_iou, rotated_iou
from sitewatch.detect.model import DetectorModel

__all__ = [
    "ClassResult",
    "EvalReport",
    "Prediction",
    "average_precision",
    "evaluate_images",
    "plot_pr",
    "predictor",
]

Prediction = tuple[str, float, OrientedBox]
THRESHOLDS = tuple(round(0.5 + 0.05 * i, 2) for i in range(10))


@dataclass
class ClassResult:
    """AP of one class, with its PR curve at IoU 0.5."""

    n_gt: int
    n_pred: int
    ap: dict[float, float]
    precision: npt.NDArray[np.float64] = field(repr=False)
    recall: npt.NDArray[np.float64] = field(repr=False)

    @property
    def ap50(self) -> float:
        """AP at IoU 0.5."""
        return self.ap[0.5]

    @property
    def ap50_95(self) -> float:
        """Mean AP over IoU 0.50, 0.55, …, 0.95."""
        return float(np.mean(list(self.ap.values())))


@dataclass
class EvalReport:
    """Per-class results plus timing."""

    classes: dict[str, ClassResult]
    images: int
    seconds_per_image: float


def _iou(gt: GTBox, pred: OrientedBox) -> float:
    return rotated_iou(gt.box, pred) if gt.oriented else aabb_iou(gt.box, pred)


def _ap(
    tp: npt.NDArray[np.bool_], scores: npt.NDArray[np.float64], n_gt: int
) -> tuple[float, npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    if n_gt == 0:
        return float("nan"), np.zeros(0), np.zeros(0)
    order = np.argsort(-scores, kind="stable")
    t = tp[order].astype(np.float64)
    ctp, cfp = np.cumsum(t), np.cumsum(1.0 - t)
    recall = ctp / n_gt
    precision = ctp / np.maximum(ctp + cfp, 1e-12)
    # precision envelope, then 101-point sampling
    env = np.maximum.accumulate(precision[::-1])[::-1] if precision.size else precision
    pts = np.linspace(0, 1, 101)
    idx = np.searchsorted(recall, pts, side="left")
    sampled = np.array([env[i] if i < env.size else 0.0 for i in idx])
    return float(sampled.mean()), precision, recall


def average_precision(
    gts: Sequence[Sequence[GTBox]], preds: Sequence[Sequence[Prediction]]
) -> dict[str, ClassResult]:
    """AP per ground-truth class over a set of images (``gts[i]`` pairs with ``preds[i]``)."""
    classes = sorted({g.class_name for img in gts for g in img})
    out = {}
    for cls in classes:
        n_gt = sum(1 for img in gts for g in img if g.class_name == cls and not g.ignore)
        per_thr_tp: dict[float, list[bool]] = {t: [] for t in THRESHOLDS}
        keep_scores: dict[float, list[float]] = {t: [] for t in THRESHOLDS}
        for img_gt, img_pr in zip(gts, preds, strict=True):
            g = [x for x in img_gt if x.class_name == cls]
            p = sorted((x for x in img_pr if x[0] == cls), key=lambda x: -x[1])
            ious = np.array([[_iou(gg, pp[2]) for gg in g] for pp in p]).reshape(len(p), len(g))
            ign = np.array([gg.ignore for gg in g], bool)
            for thr in THRESHOLDS:
                used = np.zeros(len(g), bool)
                for k, pp in enumerate(p):
                    best_j = -1
                    # real boxes first; a prediction only falls to an ignored box otherwise
                    for j in np.argsort(-ious[k]) if len(g) else []:
                        if ious[k, j] < thr:
                            break
                        if not ign[j] and not used[j]:
                            best_j = int(j)
                            break
                    if best_j >= 0:
                        used[best_j] = True
                        per_thr_tp[thr].append(True)
                        keep_scores[thr].append(pp[1])
                    elif len(g) and bool((ious[k] >= thr)[ign].any()):
                        continue
                    else:
                        per_thr_tp[thr].append(False)
                        keep_scores[thr].append(pp[1])
        ap: dict[float, float] = {}
        prec = rec = np.zeros(0)
        for thr in THRESHOLDS:
            a, p_, r_ = _ap(np.array(per_thr_tp[thr], bool), np.array(keep_scores[thr]), n_gt)
            ap[thr] = a
            if thr == 0.5:
                prec, rec = p_, r_
        n_pred = sum(1 for img in preds for x in img if x[0] == cls)
        out[cls] = ClassResult(n_gt, n_pred, ap, prec, rec)
    return out


def evaluate_images(
    images: Sequence[LabelledImage],
    predict: Callable[[LabelledImage], list[Prediction]],
    *,
    classes: Sequence[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> EvalReport:
    """Run ``predict`` on every image and score it against the labels.

    ``classes`` restricts the evaluation to classes the model has (ground truth of other
    classes is dropped rather than counted as missed).
    """
    gts, preds = [], []
    t0 = time.perf_counter()
    for i, img in enumerate(images):
        preds.append(predict(img))
        gts.append([g for g in img.boxes if classes is None or g.class_name in classes])
        if progress is not None:
            progress(i + 1, len(images))
    secs = (time.perf_counter() - t0) / max(1, len(images))
    return EvalReport(average_precision(gts, preds), len(images), secs)


def predictor(
    model: DetectorModel,
    *,
    threshold: float = 0.05,
    tile: int = 1536,
    long_hulls: tuple[tuple[float, float], ...] = LONG_HULL_PASSES,
    views: int = DEFAULT_VIEWS,
) -> Callable[[LabelledImage], list[Prediction]]:
    """A ``predict`` for :func:`evaluate_images` running the engine at each image's GSD.

    The threshold is low so the PR curve reaches high recall; a whole 2560² Airbus image at
    0.5 m fits one 1280² model tile. ``long_hulls`` overrides the engine's long-hull passes
    (``()``: the model GSD only); ``views`` the engine's readings per tile.
    """

    def predict(img: LabelledImage) -> list[Prediction]:
        dets = detect_raster(
            img.path,
            gsd_m=img.gsd_m,
            model=model,
            threshold=threshold,
            tile=tile,
            long_hulls=long_hulls,
            views=views,
        )
        return [
            (d.class_name, d.score, OrientedBox(d.cx, d.cy, d.length_px, d.width_px, d.angle_deg))
            for d in dets
        ]

    return predict


def plot_pr(report: EvalReport, out: Path, title: str = "") -> Path:
    """Write the IoU-0.5 precision–recall curve of every class to a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 4), dpi=110)
    for cls, r in report.classes.items():
        if r.recall.size:
            ax.plot(r.recall, r.precision, label=f"{cls} AP50={r.ap50:.3f} (n={r.n_gt})")
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_xlim(0, 1.0)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    ax.set_title(title or "precision–recall at IoU 0.5")
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out
