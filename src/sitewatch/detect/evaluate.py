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
from sitewatch.detect.engine import DEFAULT_ZOOMS, LONG_HULL_PASSES, detect_raster
from sitewatch.detect.fuse import DEFAULT_VIEWS
from sitewatch.detect.labels import GTBox, LabelledImage
from sitewatch.detect.merge import aabb_iou, rotated_iou
from sitewatch.detect.model import DetectorModel

__all__ = [
    "ClassResult",
    "EvalReport",
    "Interval",
    "Prediction",
    "average_precision",
    "bootstrap_ap50",
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
    """Per-class results plus timing, and what they were computed from (for the bootstrap)."""

    classes: dict[str, ClassResult]
    images: int
    seconds_per_image: float
    gts: list[list[GTBox]] = field(default_factory=list, repr=False)
    preds: list[list[Prediction]] = field(default_factory=list, repr=False)


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


def _match_image(
    g: Sequence[GTBox], p: Sequence[Prediction], thresholds: Sequence[float]
) -> dict[float, tuple[list[bool], list[float]]]:
    """Greedy matching of one image's predictions of one class, best score first.

    Returns, per IoU threshold, whether each counted prediction is a true positive and its
    score; a prediction whose only match is an ignored box is not counted at all.
    """
    p = sorted(p, key=lambda x: -x[1])
    ious = np.array([[_iou(gg, pp[2]) for gg in g] for pp in p]).reshape(len(p), len(g))
    ign = np.array([gg.ignore for gg in g], bool)
    out: dict[float, tuple[list[bool], list[float]]] = {}
    for thr in thresholds:
        used = np.zeros(len(g), bool)
        tps: list[bool] = []
        scores: list[float] = []
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
                tps.append(True)
                scores.append(pp[1])
            elif len(g) and bool((ious[k] >= thr)[ign].any()):
                continue
            else:
                tps.append(False)
                scores.append(pp[1])
        out[thr] = (tps, scores)
    return out


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
            matched = _match_image(g, [x for x in img_pr if x[0] == cls], THRESHOLDS)
            for thr, (tps, scores) in matched.items():
                per_thr_tp[thr].extend(tps)
                keep_scores[thr].extend(scores)
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


@dataclass(frozen=True)
class Interval:
    """A bootstrap estimate: the value on the data as they are and its percentile interval."""

    value: float
    low: float
    high: float


def bootstrap_ap50(
    gts: Sequence[Sequence[GTBox]],
    preds: Sequence[Sequence[Prediction]],
    cls: str,
    *,
    baseline: Sequence[Sequence[Prediction]] | None = None,
    resamples: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> Interval:
    """AP50 of ``cls`` with a percentile interval from resampling whole images.

    Images, not boxes, are resampled: the boxes of one image share its sensor, scale and
    annotator, so they are not independent (on ships-aerial val two copies of one picture
    hold 197 of the 288 boats). With ``baseline`` (another model's predictions on the same
    images) the estimate is the difference AP50(preds) − AP50(baseline) over the same
    resampled images: a paired comparison, whose interval says whether one model beats the
    other beyond the noise of the set.

    >>> from sitewatch.detect.boxes import OrientedBox
    >>> from sitewatch.detect.labels import GTBox
    >>> gts = [[GTBox("ship", OrientedBox(50, 50, 20, 6, 0), False)] for _ in range(4)]
    >>> hit = [("ship", 0.9, OrientedBox(50, 50, 20, 6, 0))]
    >>> miss = [("ship", 0.9, OrientedBox(90, 90, 20, 6, 0))]
    >>> r = bootstrap_ap50(gts, [hit, hit, hit, miss], "ship", resamples=500)
    >>> round(r.value, 2), 0.0 <= r.low <= r.value <= r.high <= 1.0
    (0.75, True)
    >>> d = bootstrap_ap50(gts, [hit] * 4, "ship", baseline=[miss] * 4, resamples=200)
    >>> (d.value, d.low, d.high)
    (1.0, 1.0, 1.0)
    """
    rng = np.random.default_rng(seed)

    def per_image(ps: Sequence[Sequence[Prediction]]) -> list[tuple[list[bool], list[float]]]:
        rows = []
        for img_gt, img_pr in zip(gts, ps, strict=True):
            g = [x for x in img_gt if x.class_name == cls]
            rows.append(_match_image(g, [x for x in img_pr if x[0] == cls], (0.5,))[0.5])
        return rows

    n_gt = np.array([sum(1 for g in img if g.class_name == cls and not g.ignore) for img in gts])

    def ap_of(rows: list[tuple[list[bool], list[float]]], pick: npt.NDArray[np.int64]) -> float:
        tp = [t for i in pick for t in rows[i][0]]
        sc = [s for i in pick for s in rows[i][1]]
        return _ap(np.array(tp, bool), np.array(sc, np.float64), int(n_gt[pick].sum()))[0]

    rows = per_image(preds)
    base = per_image(baseline) if baseline is not None else None

    def stat(pick: npt.NDArray[np.int64]) -> float:
        v = ap_of(rows, pick)
        return v - ap_of(base, pick) if base is not None else v

    every = np.arange(len(gts))
    draws = []
    for _ in range(resamples):
        pick = rng.integers(0, len(gts), len(gts))
        if n_gt[pick].sum() > 0:
            draws.append(stat(pick))
    tail = (1.0 - level) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail]) if draws else (np.nan, np.nan)
    return Interval(stat(every), float(low), float(high))


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
    gts: list[list[GTBox]] = []
    preds: list[list[Prediction]] = []
    t0 = time.perf_counter()
    for i, img in enumerate(images):
        preds.append(predict(img))
        gts.append([g for g in img.boxes if classes is None or g.class_name in classes])
        if progress is not None:
            progress(i + 1, len(images))
    secs = (time.perf_counter() - t0) / max(1, len(images))
    return EvalReport(average_precision(gts, preds), len(images), secs, gts, preds)


def predictor(
    model: DetectorModel,
    *,
    threshold: float = 0.05,
    tile: int = 1536,
    long_hulls: tuple[tuple[float, float], ...] = LONG_HULL_PASSES,
    views: int = DEFAULT_VIEWS,
    zooms: tuple[float, ...] = DEFAULT_ZOOMS,
) -> Callable[[LabelledImage], list[Prediction]]:
    """A ``predict`` for :func:`evaluate_images` running the engine at each image's GSD.

    The threshold is low so the PR curve reaches high recall; a whole 2560² Airbus image at
    0.5 m fits one 1280² model tile. ``long_hulls`` overrides the engine's long-hull passes
    (``()``: the model GSD only); ``views`` the engine's readings per tile; ``zooms`` the
    magnifications it reads each image at.
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
            zooms=zooms,
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
