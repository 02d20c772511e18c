"""Label readers for the formats sitewatch trains and evaluates on.

Every reader returns :class:`LabelledImage` objects whose boxes use sitewatch's classes
(``aircraft``, ``helicopter``, ``ship``, ``vehicle``). ``oriented`` says whether the label
carries a true orientation (DOTA, DIOR-R, HRSC) or only an axis-aligned box (Airbus, VOC,
Roboflow quads); ``ignore`` marks boxes that must neither reward nor penalise a detector
(Airbus ``Truncated_airplane``, DOTA ``difficult``).
"""

from __future__ import annotations

import ast
import csv
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sitewatch.detect.boxes import OrientedBox, fold_angle
from sitewatch.errors import InputError

__all__ = [
    "CLASS_MAP",
    "GTBox",
    "LabelledImage",
    "read_airbus",
    "read_dior",
    "read_dota_dir",
    "read_dota_file",
    "read_hrsc",
    "read_voc_dir",
    "read_yolo_obb_dir",
]

#: Source class names → sitewatch classes; anything absent is not a target class.
CLASS_MAP = {
    "airplane": "aircraft",
    "plane": "aircraft",
    "truncated_airplane": "aircraft",
    "aircraft": "aircraft",
    "helicopter": "helicopter",
    "ship": "ship",
    "boat": "ship",
    "vessel": "ship",
    "small-vehicle": "vehicle",
    "small vehicle": "vehicle",
    "large-vehicle": "vehicle",
    "large vehicle": "vehicle",
    "vehicle": "vehicle",
}


@dataclass(frozen=True)
class GTBox:
    """A ground-truth box."""

    class_name: str
    box: OrientedBox
    oriented: bool
    ignore: bool = False


@dataclass
class LabelledImage:
    """An image file, its boxes, and its ground sample distance when known."""

    path: Path
    boxes: list[GTBox]
    gsd_m: float | None = None
    source: str = ""
    width: int | None = None
    height: int | None = None
    meta: dict[str, object] = field(default_factory=dict)


def _aabb(xs: Iterable[float], ys: Iterable[float]) -> OrientedBox:
    xl, yl = list(xs), list(ys)
    w, h = max(xl) - min(xl), max(yl) - min(yl)
    cx, cy = (max(xl) + min(xl)) / 2, (max(yl) + min(yl)) / 2
    if w >= h:
        return OrientedBox(cx, cy, w, h, 0.0)
    return OrientedBox(cx, cy, h, w, 90.0)


def read_airbus(root: Path) -> list[LabelledImage]:
    """Airbus aircraft sample: ``annotations.csv`` polygons (axis-aligned), 0.5 m GSD."""
    csv_path = root / "annotations.csv"
    by_image: dict[str, list[GTBox]] = {}
    with csv_path.open(newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh), start=2):
            try:
                pts = ast.literal_eval(row["geometry"])
                box = _aabb([p[0] for p in pts], [p[1] for p in pts])
            except (ValueError, SyntaxError, IndexError, TypeError):
                raise InputError(
                    "unreadable polygon", path=csv_path, line=i, field="geometry"
                ) from None
            cls = row["class"].strip().lower()
            by_image.setdefault(row["image_id"], []).append(
                GTBox(CLASS_MAP[cls], box, oriented=False, ignore=cls == "truncated_airplane")
            )
    images = []
    for img in sorted((root / "images").glob("*.jpg")):
        images.append(LabelledImage(img, by_image.get(img.name, []), 0.5, "airbus", 2560, 2560))
    return images


def read_dota_file(
    label: Path, image: Path, *, oriented: bool = True, source: str = "dota"
) -> LabelledImage:
    """One DOTA ``labelTxt`` file (``x1 y1 … x4 y4 class difficult``; optional ``gsd:`` header)."""
    gsd: float | None = None
    boxes = []
    for n, line in enumerate(label.read_text().splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        if line.lower().startswith("gsd:"):
            value = line.split(":", 1)[1].strip()
            gsd = float(value) if value and value.lower() != "none" else None
            continue
        if line.lower().startswith("imagesource:"):
            continue
        parts = line.split()
        if len(parts) < 9:
            raise InputError(
                f"{len(parts)} fields",
                path=label,
                line=n,
                expected="x1 y1 x2 y2 x3 y3 x4 y4 class [difficult]",
            )
        try:
            coords = [float(v) for v in parts[:8]]
        except ValueError:
            raise InputError("non-numeric coordinate", path=label, line=n) from None
        cls = CLASS_MAP.get(parts[8].lower())
        if cls is None:
            continue
        difficult = len(parts) > 9 and parts[9] == "1"
        pts = list(zip(coords[0::2], coords[1::2], strict=True))
        box = OrientedBox.from_corners(pts) if oriented else _aabb(coords[0::2], coords[1::2])
        boxes.append(GTBox(cls, box, oriented=oriented, ignore=difficult))
    return LabelledImage(image, boxes, gsd, source)


def _image_for(label: Path, image_dir: Path) -> Path:
    for ext in (".png", ".jpg", ".jpeg", ".tif", ".bmp"):
        cand = image_dir / (label.stem + ext)
        if cand.is_file():
            return cand
    raise InputError(
        "no image for label file", path=label, expected=f"{label.stem}.png/.jpg in {image_dir}"
    )


def read_dota_dir(
    root: Path, *, oriented: bool = True, source: str = "dota"
) -> list[LabelledImage]:
    """A DOTA-layout folder: ``images/`` and ``labelTxt/``."""
    return [
        read_dota_file(lbl, _image_for(lbl, root / "images"), oriented=oriented, source=source)
        for lbl in sorted((root / "labelTxt").glob("*.txt"))
    ]


def read_yolo_obb_dir(root: Path, names: dict[int, str], split: str) -> list[LabelledImage]:
    """YOLO-OBB labels (``cls x1 y1 … x4 y4`` normalised) under ``labels/SPLIT``."""
    from PIL import Image

    out = []
    for lbl in sorted((root / "labels" / split).glob("*.txt")):
        img = _image_for(lbl, root / "images" / split)
        with Image.open(img) as im:
            w, h = im.size
        boxes = []
        for n, line in enumerate(lbl.read_text().splitlines(), start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 9:
                raise InputError(
                    f"{len(parts)} fields", path=lbl, line=n, expected="cls x1 y1 … x4 y4"
                )
            cls = CLASS_MAP.get(names.get(int(parts[0]), "").lower())
            if cls is None:
                continue
            v = [float(x) for x in parts[1:]]
            pts = [(v[i] * w, v[i + 1] * h) for i in range(0, 8, 2)]
            boxes.append(GTBox(cls, OrientedBox.from_corners(pts), oriented=True))
        out.append(LabelledImage(img, boxes, None, "dota8", w, h))
    return out


def read_voc_dir(root: Path) -> list[LabelledImage]:
    """Pascal VOC xml (``annotations/*.xml`` + ``images/``), axis-aligned."""
    out = []
    for xml in sorted((root / "annotations").glob("*.xml")):
        try:
            tree = ET.parse(xml).getroot()
        except ET.ParseError as exc:
            raise InputError(f"bad XML ({exc})", path=xml) from None
        fname = tree.findtext("filename") or xml.stem
        img = root / "images" / fname
        if not img.is_file():
            img = _image_for(xml, root / "images")
        boxes = []
        for obj in tree.iter("object"):
            cls = CLASS_MAP.get((obj.findtext("name") or "").strip().lower())
            bb = obj.find("bndbox")
            if cls is None or bb is None:
                continue
            x0, y0, x1, y1 = (float(bb.findtext(k) or 0) for k in ("xmin", "ymin", "xmax", "ymax"))
            difficult = (obj.findtext("difficult") or "0").strip() == "1"
            boxes.append(GTBox(cls, _aabb([x0, x1], [y0, y1]), oriented=False, ignore=difficult))
        size = tree.find("size")
        w = int(size.findtext("width") or 0) if size is not None else None
        h = int(size.findtext("height") or 0) if size is not None else None
        out.append(LabelledImage(img, boxes, None, "voc", w, h))
    return out


def read_dior(xml: Path, image: Path, *, keep_other: bool = False) -> LabelledImage:
    """DIOR-R xml (``robndbox`` with four corner points per object).

    ``keep_other`` keeps classes sitewatch does not detect under their DIOR names.
    """
    try:
        tree = ET.parse(xml).getroot()
    except ET.ParseError as exc:
        raise InputError(f"bad XML ({exc})", path=xml) from None
    boxes = []
    for obj in tree.iter("object"):
        name = (obj.findtext("name") or "").strip().lower()
        cls = CLASS_MAP.get(name, name if keep_other else None)
        rb = obj.find("robndbox")
        if cls is None or rb is None:
            continue
        vals = [
            float(rb.findtext(k) or 0)
            for k in (
                "x_left_top",
                "y_left_top",
                "x_right_top",
                "y_right_top",
                "x_right_bottom",
                "y_right_bottom",
                "x_left_bottom",
                "y_left_bottom",
            )
        ]
        pts = list(zip(vals[0::2], vals[1::2], strict=True))
        boxes.append(GTBox(cls, OrientedBox.from_corners(pts), oriented=True))
    return LabelledImage(image, boxes, None, "dior")


def read_hrsc(xml: Path, image: Path) -> LabelledImage:
    """HRSC2016 xml (``mbox_cx, mbox_cy, mbox_w, mbox_h, mbox_ang`` in radians): all ships."""
    tree = ET.parse(xml).getroot()
    boxes = []
    for obj in tree.iter("HRSC_Object"):
        cx, cy, w, h, ang = (
            float(obj.findtext(k) or 0)
            for k in ("mbox_cx", "mbox_cy", "mbox_w", "mbox_h", "mbox_ang")
        )
        a = math.degrees(ang)
        box = (
            OrientedBox(cx, cy, w, h, fold_angle(a))
            if w >= h
            else OrientedBox(cx, cy, h, w, fold_angle(a + 90))
        )
        difficult = (obj.findtext("difficult") or "0").strip() == "1"
        boxes.append(GTBox("ship", box, oriented=True, ignore=difficult))
    res = re.search(r"<Img_Resolution>([\d.]+)</Img_Resolution>", xml.read_text())
    gsd = float(res.group(1)) if res else None
    return LabelledImage(image, boxes, gsd, "hrsc")
