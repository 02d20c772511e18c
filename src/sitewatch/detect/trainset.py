"""The training and validation sets: which images, at what GSD, from which split.

Splits are committed files under ``sitewatch/detect/splits/``: Airbus by airport (see
``scripts/airbus_split.py``), ships-aerial by a fixed hash of the file name. DOTA-ports is
never trained on: it is kept for measuring length errors on GSD-labelled oriented objects.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import statistics
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from sitewatch.detect.gsd import estimate_gsd
from sitewatch.detect.labels import (
    LabelledImage,
    read_airbus,
    read_dota_dir,
    read_voc_dir,
    read_yolo_obb_dir,
)
from sitewatch.errors import InputError

__all__ = [
    "FORMATS",
    "SHIPS_AERIAL_GSD_M",
    "SHIPS_AERIAL_GSD_RANGE",
    "SHIPS_AERIAL_VESSEL_M",
    "SHIPS_FOLDS",
    "TrainingSets",
    "airbus_split",
    "load_eval_set",
    "load_sets",
    "scene_fold",
    "ships_aerial_gsd",
    "ships_aerial_vessels",
    "ships_fold",
    "ships_scene",
    "ships_split",
]

FORMATS = ("airbus", "dota", "voc", "yolo-obb")

#: ships-aerial states no GSD, and its crops range from marinas of 6–12 px boats to close-ups
#: of one 200 px hull: no single value fits (a fixed 1.5 m made the close-ups 300 m ships,
#: larger than any training crop). Training and the default evaluation normalise each crop's
#: scale by its own boats: the median labelled boat is taken as 15 m (small craft), clamped to
#: [SHIPS_AERIAL_GSD_RANGE], so a marina of 10 px boats gets 1.5 m per pixel. For the crops of
#: coasters and ocean-going ships that is not their true scale (a container ship comes out
#: 15 m long): ``splits/ships_aerial_vessels.csv`` records, judged by eye, which crops show
#: those, and ``SHIPS_AERIAL_VESSEL_M`` the length taken for their largest vessel, for
#: measuring the model at a plausible true scale (``scripts/ships_true_scale.py``).
SHIPS_AERIAL_VESSEL_M = {"craft": 15.0, "coaster": 70.0, "ship": 150.0}
SHIPS_AERIAL_GSD_RANGE = (0.05, 2.0)
#: used only when an image has no labelled boat to measure
SHIPS_AERIAL_GSD_M = 1.5
#: DOTA8 tiles without a usable ruler (no aircraft or cars) are taken at 0.5 m.
DOTA8_DEFAULT_GSD_M = 0.5


def _commented_rows(file_name: str) -> list[dict[str, str]]:
    """The rows of a committed split file under ``splits/``, its ``#`` comment lines skipped."""
    ref = resources.files("sitewatch.detect") / "splits" / file_name
    with resources.as_file(ref) as p, p.open() as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


def ships_aerial_vessels() -> dict[str, str]:
    """file name → ``ship`` or ``coaster`` for the crops that do not show small craft."""
    return {r["image"]: r["vessel"] for r in _commented_rows("ships_aerial_vessels.csv")}


def ships_aerial_gsd(image: LabelledImage, vessel: str = "craft") -> float:
    """GSD of a ships-aerial crop from its labelled boats (see ``SHIPS_AERIAL_VESSEL_M``).

    ``craft`` (the default, used for training) takes the median boat as 15 m; ``coaster`` and
    ``ship`` take the largest labelled vessel as 70 m and 150 m.

    >>> from pathlib import Path
    >>> from sitewatch.detect.boxes import OrientedBox
    >>> from sitewatch.detect.labels import GTBox
    >>> boats = [GTBox("ship", OrientedBox(0, 0, 10, 4, 0), False)] * 3
    >>> ships_aerial_gsd(LabelledImage(Path("boat.png"), boats))
    1.5
    >>> ships_aerial_gsd(LabelledImage(Path("boat.png"), boats), vessel="ship")  # clamped
    2.0
    """
    sizes = [max(b.box.length, b.box.width) for b in image.boxes if not b.ignore]
    if not sizes:
        return SHIPS_AERIAL_GSD_M
    # a crop of ships often holds a tug or launch too: the largest hull is the ship
    ruler_px = statistics.median(sizes) if vessel == "craft" else max(sizes)
    lo, hi = SHIPS_AERIAL_GSD_RANGE
    return min(hi, max(lo, SHIPS_AERIAL_VESSEL_M[vessel] / ruler_px))


def airbus_split() -> dict[str, str]:
    """image_id → ``train`` or ``val`` from the committed by-airport split."""
    return {r["image_id"]: r["split"] for r in _commented_rows("airbus.csv")}


#: ships-aerial is split into this many folds by scene; fold 0 is the held-out split
SHIPS_FOLDS = 5


@functools.cache
def _ships_scenes() -> dict[str, str]:
    """file name → scene (the first file name of its linked crops), from the committed file.

    Read once: every crop's split is asked for while loading a set.
    """
    return {r["image"]: r["scene"] for r in _commented_rows("ships_aerial.csv")}


def ships_scene(name: str) -> str:
    """The scene of a ships-aerial crop: the first file name of the crops that show it (a
    name not in ``splits/ships_aerial.csv`` is its own scene).

    >>> ships_scene("boat290.png"), ships_scene("boat42.png"), ships_scene("new.png")
    ('boat42.png', 'boat42.png', 'new.png')
    """
    return _ships_scenes().get(name, name)


def scene_fold(scene: str) -> int:
    """The fold of a scene named by its first file name: SHA-1, mod ``SHIPS_FOLDS``.

    >>> scene_fold("boat42.png")
    0
    """
    return int(hashlib.sha1(scene.encode()).hexdigest()[:8], 16) % SHIPS_FOLDS


def ships_fold(name: str) -> int:
    """The fold (0 to ``SHIPS_FOLDS`` − 1) of a ships-aerial crop: SHA-1 of its scene, mod 5.

    Some crops are copies of one picture or overlapping cuts of one scene, labelled apart
    (``boat42`` and ``boat290`` are one picture); ``splits/ships_aerial.csv``, written by
    ``scripts/ships_aerial_split.py``, names each crop's scene so copies share a fold. A
    name not in that file is its own scene.

    >>> ships_fold("boat42.png") == ships_fold("boat290.png")  # one picture, two names
    True
    """
    return scene_fold(ships_scene(name))


def ships_split(name: str, holdout: int = 0) -> str:
    """``val`` for the crops of the held-out fold (fold 0 by default), else ``train``.

    About one scene in five is held out (33 of the 200 crops for fold 0).

    >>> ships_split("boat1.png") in ("train", "val")
    True
    >>> ships_split("boat42.png"), ships_split("boat290.png")
    ('val', 'val')
    """
    return "val" if ships_fold(name) == holdout else "train"


@dataclass
class TrainingSets:
    """Images per source and split, each with a GSD."""

    train: list[LabelledImage]
    val: dict[str, list[LabelledImage]]


def _with_gsd(images: list[LabelledImage], default: float | None) -> list[LabelledImage]:
    out = []
    for img in images:
        g = estimate_gsd(img, default)
        if g is not None:
            img.gsd_m = g
            out.append(img)
    return out


def load_sets(root: Path, *, ships_holdout: int = 0) -> TrainingSets:
    """Read every training source under ``root`` (the shared data folder).

    ``ships_holdout``: the ships-aerial fold kept out of training (0, the held-out split, for
    the default model; another for cross-validation, ``scripts/ships_cv.py``).
    """
    split = airbus_split()
    # Three Airbus images carry no label at all although each shows 20+ aircraft (022f91f0,
    # 22bc9d20, 65825eef): their aircraft are unlabelled, not absent. Trained on, they would
    # teach that an airliner is background.
    airbus = [i for i in read_airbus(root / "airbus-aircraft") if i.boxes]
    a_train = [i for i in airbus if split.get(i.path.name) == "train"]
    a_val = [i for i in airbus if split.get(i.path.name) == "val"]
    gdit_train = []
    for part in ("train", "valid"):
        gdit_train += read_dota_dir(root / "gdit-airport" / part, oriented=False, source="gdit")
    gdit_test = read_dota_dir(root / "gdit-airport" / "test", oriented=False, source="gdit")
    ships = read_voc_dir(root / "ships-aerial")
    for s in ships:
        s.gsd_m = ships_aerial_gsd(s)
        s.source = "ships-aerial"
    s_train = [s for s in ships if ships_split(s.path.name, ships_holdout) == "train"]
    s_val = [s for s in ships if ships_split(s.path.name, ships_holdout) == "val"]
    names = yaml.safe_load((root / "dota8" / "dota8.yaml").read_text())["names"]
    # DOTA8's val tiles stay out of training, so that they remain a held-out set
    dota8 = read_yolo_obb_dir(root / "dota8", {int(k): v for k, v in names.items()}, "train")
    ports = read_dota_dir(root / "dota-ports", oriented=True, source="dota-ports")
    return TrainingSets(
        train=a_train
        + _with_gsd(gdit_train, None)
        + s_train
        + _with_gsd(dota8, DOTA8_DEFAULT_GSD_M),
        val={
            "airbus": a_val,
            "ships-aerial": s_val,
            "gdit": _with_gsd(gdit_test, None),
            "dota-ports": ports,
        },
    )


def _axis_aligned(images: list[LabelledImage]) -> bool:
    angles = [b.box.angle_deg for i in images for b in i.boxes]
    return bool(angles) and all(min(a % 90.0, 90.0 - a % 90.0) < 0.05 for a in angles)


def load_eval_set(
    root: Path,
    fmt: str,
    *,
    split: str = "auto",
    gsd_m: float | None = None,
    ships_holdout: int = 0,
) -> tuple[list[LabelledImage], str]:
    """Labelled images to evaluate on, each with a GSD, and a line saying what was chosen.

    ``split``: ``auto`` takes the committed held-out part where sitewatch has one (Airbus by
    airport, ships-aerial by scene) and everything otherwise; ``val``/``train``/``all``
    choose explicitly (``ships_holdout`` picks which ships-aerial fold is ``val``). GSD:
    ``gsd_m`` if given, else the label's own (DOTA ``gsd:``), else the
    set's known value (Airbus 0.5 m), else an estimate from the labelled aircraft, vehicles or
    (ships-aerial) boats — which uses the labels' scale, as training did; said in the note.

    >>> from sitewatch.config import data_dir
    >>> root = data_dir() / "airbus-aircraft"
    >>> imgs, note = load_eval_set(root, "airbus") if root.is_dir() else ([0] * 15, "")
    >>> len(imgs)
    15
    """
    notes = []
    if fmt == "airbus":
        images = read_airbus(root)
        default_gsd: float | None = 0.5
        if split != "all":
            want = "val" if split == "auto" else split
            sp = airbus_split()
            if any(i.path.name in sp for i in images):
                images = [i for i in images if sp.get(i.path.name) == want]
                notes.append(f"Airbus {want} split by airport ({len(images)} images)")
    elif fmt == "dota":
        images = read_dota_dir(root, oriented=True, source=root.name)
        if _axis_aligned(images):
            # Roboflow exports write axis-aligned boxes as quads: no orientation is known
            images = [
                LabelledImage(
                    i.path,
                    [type(b)(b.class_name, b.box, False, b.ignore) for b in i.boxes],
                    i.gsd_m,
                    i.source,
                    i.width,
                    i.height,
                )
                for i in images
            ]
            notes.append("quads are axis-aligned: matched on envelopes")
        default_gsd = None
    elif fmt == "voc":
        images = read_voc_dir(root)
        default_gsd = None
        if root.name == "ships-aerial":
            if split != "all":
                want = "val" if split == "auto" else split
                images = [i for i in images if ships_split(i.path.name, ships_holdout) == want]
                fold = f", fold {ships_holdout} held out" if ships_holdout else ""
                notes.append(f"ships-aerial {want} split by scene{fold} ({len(images)} images)")
            if gsd_m is None:
                for i in images:
                    i.gsd_m = ships_aerial_gsd(i)
                notes.append(
                    f"GSD per image from its boats (median craft = "
                    f"{SHIPS_AERIAL_VESSEL_M['craft']:g} m)"
                )
    elif fmt == "yolo-obb":
        yamls = sorted(root.glob("*.yaml"))
        if not yamls:
            raise InputError("no dataset yaml with class names", path=root, expected="NAME.yaml")
        names = yaml.safe_load(yamls[0].read_text())["names"]
        names = (
            {int(k): v for k, v in names.items()}
            if isinstance(names, dict)
            else dict(enumerate(names))
        )
        if not (root / "labels").is_dir():
            raise InputError(
                "no labels folder", path=root / "labels", expected="labels/SPLIT/*.txt (YOLO-OBB)"
            )
        parts = [p.name for p in sorted((root / "labels").iterdir()) if p.is_dir()]
        if split in ("train", "val"):
            parts = [p for p in parts if p == split]
        elif split == "auto" and root.name == "dota8":
            parts = ["val"]  # sitewatch trains on DOTA8's train tiles only
            notes.append("DOTA8 val tiles (held out of training)")
        images = [i for part in parts for i in read_yolo_obb_dir(root, names, part)]
        default_gsd = DOTA8_DEFAULT_GSD_M
    else:
        raise InputError(f"unknown format {fmt!r}", field="--format", expected=" | ".join(FORMATS))
    estimated = 0
    for img in images:
        if gsd_m is not None:
            img.gsd_m = gsd_m
        elif img.gsd_m is None:
            g = estimate_gsd(img, None)
            if g is not None and default_gsd is None:
                estimated += 1
            img.gsd_m = g if default_gsd is None and g is not None else default_gsd
    if estimated:
        notes.append(f"GSD estimated from labelled aircraft/vehicles on {estimated} images")
    images = [i for i in images if i.gsd_m]
    return images, "; ".join(notes) or f"{len(images)} images"
