"""Length-error evaluation of mensuration on oriented, GSD-labelled objects.

Two checks, both reported as the median absolute length error in metres per class:

a. **labels** — the mensuration path (minimum-area rectangle → :func:`measure`) on the labelled
   quadrilaterals themselves, against the label's own length (mean of its two long edges × GSD).
   This is a sanity check of the code path and of how rectangular the labels are, not of a model.
b. **detections** — a detector's boxes matched one-to-one to the labels (same class, rotated IoU ≥
   0.5, highest score first), length measured from the detection versus from the label.

Sources: ``dota-ports`` (DOTA ``labelTxt``, GSD in each header) and ``dota8`` (YOLO-OBB tiles with
no GSD: the GSD is estimated from the median small-vehicle length, 4.5 m, and flagged).

A third, optional check scores the nose/bow cue: DOTA labels start at the object's head, so the
label gives a true front for ships; :func:`nose_agreement` counts how often the cue agrees.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sitewatch.measure.box import OrientedBox
from sitewatch.measure.heading import nose_cue
from sitewatch.measure.mensuration import measure

__all__ = [
    "CAR_LENGTH_M",
    "DOTA_CLASSES",
    "ErrorSummary",
    "LabelledImage",
    "LabelledObject",
    "detection_errors",
    "label_sanity",
    "nose_agreement",
    "read_dota8",
    "read_dota_labels",
    "summarise",
]

Point = tuple[float, float]

#: DOTA class names → detector classes (others are not measured here).
DOTA_CLASSES = {
    "ship": "ship",
    "small-vehicle": "vehicle",
    "large-vehicle": "vehicle",
    "small vehicle": "vehicle",
    "large vehicle": "vehicle",
    "plane": "aircraft",
    "helicopter": "helicopter",
}
#: Typical car length used to estimate a GSD where none is stated.
CAR_LENGTH_M = 4.5


@dataclass(frozen=True)
class LabelledObject:
    """One labelled quadrilateral (pixel corners, DOTA order: first corner at the head)."""

    class_name: str
    polygon: tuple[Point, ...]
    difficult: bool = False
    small_vehicle: bool = False

    @property
    def box(self) -> OrientedBox:
        """Minimum-area rectangle around the label."""
        return OrientedBox.from_polygon(self.polygon, class_name=self.class_name)

    @property
    def edge_length_px(self) -> float:
        """Mean of the two longer opposite edges: the label's own length.

        >>> LabelledObject("ship", ((0, 0), (10, 0), (10, 2), (0, 2))).edge_length_px
        10.0
        """
        p = self.polygon
        e = [math.dist(p[i], p[(i + 1) % 4]) for i in range(4)]
        pair_a, pair_b = (e[0] + e[2]) / 2, (e[1] + e[3]) / 2
        return max(pair_a, pair_b)


@dataclass
class LabelledImage:
    """An image, its GSD (stated or estimated) and its labelled objects."""

    path: Path
    gsd_m: float | None
    objects: list[LabelledObject]
    source: str
    gsd_estimated: bool = False


@dataclass(frozen=True)
class ErrorSummary:
    """Absolute length errors (metres) of one class from one source."""

    source: str
    check: str
    class_name: str
    n: int
    median_abs_m: float
    p90_abs_m: float
    median_length_m: float
    gsd_estimated: bool = False
    note: str = ""


def read_dota_labels(root: Path, source: str = "dota-ports") -> list[LabelledImage]:
    """DOTA ``labelTxt`` files with ``gsd:`` headers under ``root``."""
    out = []
    for lbl in sorted((root / "labelTxt").glob("*.txt")):
        gsd: float | None = None
        objs: list[LabelledObject] = []
        for line in lbl.read_text().splitlines():
            s = line.strip()
            if s.lower().startswith("gsd:"):
                v = s.split(":", 1)[1].strip()
                gsd = float(v) if v and v.lower() != "none" else None
                continue
            parts = s.split()
            if len(parts) < 9 or s.lower().startswith("imagesource"):
                continue
            cls = DOTA_CLASSES.get(parts[8].lower())
            if cls is None:
                continue
            c = [float(x) for x in parts[:8]]
            poly = tuple(zip(c[0::2], c[1::2], strict=True))
            diff = len(parts) > 9 and parts[9] == "1"
            objs.append(LabelledObject(cls, poly, diff, parts[8].lower().startswith("small")))
        img = next(
            (
                p
                for p in (root / "images" / (lbl.stem + e) for e in (".png", ".jpg"))
                if p.is_file()
            ),
            root / "images" / (lbl.stem + ".png"),
        )
        out.append(LabelledImage(img, gsd, objs, source))
    return out


def _estimate_gsd(objs: Sequence[LabelledObject]) -> float | None:
    cars = [o.edge_length_px for o in objs if o.small_vehicle]
    if len(cars) < 3:
        return None
    return CAR_LENGTH_M / statistics.median(cars)


def read_dota8(root: Path) -> list[LabelledImage]:
    """DOTA8 YOLO-OBB tiles (1024 px, normalised corners); GSD estimated from cars."""
    names = {1: "ship", 9: "large-vehicle", 10: "small-vehicle", 0: "plane", 11: "helicopter"}
    out = []
    for split in ("train", "val"):
        for lbl in sorted((root / "labels" / split).glob("*.txt")):
            img = root / "images" / split / (lbl.stem + ".jpg")
            size = 1024.0
            objs = []
            for line in lbl.read_text().splitlines():
                parts = line.split()
                if len(parts) != 9:
                    continue
                name = names.get(int(parts[0]))
                if name is None:
                    continue
                v = [float(x) * size for x in parts[1:]]
                poly = tuple(zip(v[0::2], v[1::2], strict=True))
                objs.append(
                    LabelledObject(DOTA_CLASSES[name], poly, False, name == "small-vehicle")
                )
            out.append(LabelledImage(img, _estimate_gsd(objs), objs, "dota8", gsd_estimated=True))
    return out


def summarise(
    source: str,
    check: str,
    errors: dict[str, list[tuple[float, float]]],
    estimated: bool,
    note: str = "",
) -> list[ErrorSummary]:
    """Per-class summaries of ``(abs error, length)`` pairs.

    >>> s = summarise("x", "labels", {"ship": [(0.1, 20.0), (0.3, 30.0)]}, False)
    >>> s[0].median_abs_m, s[0].n
    (0.2, 2)
    """
    out = []
    for cls, pairs in sorted(errors.items()):
        if not pairs:
            continue
        errs = sorted(e for e, _ in pairs)
        p90 = errs[min(len(errs) - 1, math.ceil(0.9 * len(errs)) - 1)]
        out.append(
            ErrorSummary(
                source,
                check,
                cls,
                len(errs),
                statistics.median(errs),
                p90,
                statistics.median(v for _, v in pairs),
                estimated,
                note,
            )
        )
    return out


def label_sanity(images: Iterable[LabelledImage]) -> list[ErrorSummary]:
    """Check (a): mensuration on the labels versus the labels' own edge lengths."""
    images = list(images)
    out: list[ErrorSummary] = []
    for src in sorted({im.source for im in images}):
        errs: dict[str, list[tuple[float, float]]] = {}
        est = False
        for im in images:
            if im.source != src or not im.gsd_m:
                continue
            est = est or im.gsd_estimated
            for o in im.objects:
                if o.difficult:
                    continue
                m = measure(o.box, gsd_m=im.gsd_m, fit_px=0.5)
                ref = o.edge_length_px * im.gsd_m
                errs.setdefault(o.class_name, []).append((abs(m.length.value - ref), ref))
        out.extend(summarise(src, "labels", errs, est))
    return out


def _poly_iou(a: Sequence[Point], b: Sequence[Point]) -> float:
    from shapely.geometry import Polygon

    pa, pb = Polygon(a), Polygon(b)
    if not pa.is_valid or not pb.is_valid:
        pa, pb = pa.buffer(0), pb.buffer(0)
    inter = pa.intersection(pb).area
    union = pa.area + pb.area - inter
    return float(inter / union) if union > 0 else 0.0


@dataclass
class _Det:
    class_name: str
    score: float
    box: OrientedBox
    corners: list[Point] = field(default_factory=list)


def detection_errors(
    images: Iterable[LabelledImage],
    detect: Callable[[Path, float], Sequence[object]],
    *,
    iou_min: float = 0.5,
) -> list[ErrorSummary]:
    """Check (b): detections matched to labels (same class, IoU ≥ ``iou_min``, greedy by score).

    ``detect(path, gsd_m)`` returns detector ``Detection`` objects (anything with ``class_name``,
    ``score``, ``cx``, ``cy``, ``length_px``, ``width_px``, ``angle_deg``).
    """
    by_src: dict[str, dict[str, list[tuple[float, float]]]] = {}
    est: dict[str, bool] = {}
    recall: dict[str, list[int]] = {}
    for im in images:
        if not im.gsd_m or not im.path.is_file():
            continue
        dets = []
        for d in detect(im.path, im.gsd_m):
            b = OrientedBox.from_detection(d)
            dets.append(_Det(b.class_name, b.score, b, b.corners()))
        dets.sort(key=lambda d: -d.score)
        gts = [o for o in im.objects if not o.difficult]
        used: set[int] = set()
        errs = by_src.setdefault(im.source, {})
        est[im.source] = est.get(im.source, False) or im.gsd_estimated
        for d in dets:
            best, best_iou = -1, iou_min
            for j, g in enumerate(gts):
                if j in used or g.class_name != d.class_name:
                    continue
                iou = _poly_iou(d.corners, g.box.corners())
                if iou >= best_iou:
                    best, best_iou = j, iou
            if best < 0:
                continue
            used.add(best)
            g = gts[best]
            ref = g.edge_length_px * im.gsd_m
            got = measure(d.box, gsd_m=im.gsd_m).length.value
            errs.setdefault(g.class_name, []).append((abs(got - ref), ref))
        r = recall.setdefault(im.source, [0, 0])
        r[0] += len(used)
        r[1] += len(gts)
    out: list[ErrorSummary] = []
    for src, errs in sorted(by_src.items()):
        m, n = recall.get(src, [0, 0])
        out.extend(summarise(src, "detections", errs, est[src], f"matched {m}/{n} labels"))
    return out


def nose_agreement(
    images: Iterable[LabelledImage], class_name: str = "ship"
) -> tuple[int, int, int]:
    """``(decided, agreeing, total)`` for the nose/bow cue against DOTA's head-first corners."""
    import cv2

    decided = agree = total = 0
    for im in images:
        objs = [o for o in im.objects if o.class_name == class_name and not o.difficult]
        if not objs or not im.path.is_file():
            continue
        img = cv2.imread(str(im.path), cv2.IMREAD_GRAYSCALE)
        if img is None:
            continue
        for o in objs:
            b = o.box
            if b.length_px < 12:
                continue
            total += 1
            cue = nose_cue(img, b)
            if cue.sign == 0:
                continue
            decided += 1
            p = o.polygon
            hx = (p[0][0] + p[1][0]) / 2 - b.cx
            hy = (p[0][1] + p[1][1]) / 2 - b.cy
            t = math.radians(cue.axis_deg)
            along = hx * math.cos(t) + hy * math.sin(t)
            if along * cue.sign > 0:
                agree += 1
    return decided, agree, total
