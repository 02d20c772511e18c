"""Label parsers on the real files of every format sitewatch reads."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sitewatch.config import data_dir
from sitewatch.detect.boxes import OrientedBox, envelope
from sitewatch.detect.gsd import estimate_gsd
from sitewatch.detect.labels import (
    read_airbus,
    read_dior,
    read_dota_dir,
    read_dota_file,
    read_hrsc,
    read_voc_dir,
    read_yolo_obb_dir,
)
from sitewatch.detect.trainset import (
    SHIPS_AERIAL_GSD_RANGE,
    SHIPS_AERIAL_VESSEL_M,
    airbus_split,
    load_eval_set,
    ships_aerial_gsd,
    ships_aerial_vessels,
    ships_fold,
    ships_split,
)
from sitewatch.errors import InputError


def _need(sub: str) -> Path:
    path = data_dir() / sub
    if not path.exists():
        pytest.skip(f"real data not found: {path} (set SITEWATCH_DATA or put it at ../shared/data)")
    return path


def test_airbus_counts_and_truncated_ignored() -> None:
    images = read_airbus(_need("airbus-aircraft"))
    assert len(images) == 82
    boxes = [b for i in images for b in i.boxes]
    assert len(boxes) == 2689
    ignored = [b for b in boxes if b.ignore]
    assert 0 < len(ignored) < len(boxes) // 5
    assert all(b.class_name == "aircraft" and not b.oriented for b in boxes)
    assert all(i.gsd_m == 0.5 for i in images)
    # airliners and business jets at 0.5 m: 20-80 m envelopes are 40-160 px
    sizes = sorted(
        max(envelope(b.box.length, b.box.width, b.box.angle_deg)) for b in boxes if not b.ignore
    )
    assert 30 < sizes[len(sizes) // 2] < 160


def test_airbus_split_is_by_airport() -> None:
    split = airbus_split()
    assert set(split.values()) == {"train", "val"}
    root = _need("airbus-aircraft")
    assert set(split) == {p.name for p in (root / "images").glob("*.jpg")}
    import csv

    with (Path(__file__).parents[1] / "src/sitewatch/detect/splits/airbus.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    by_group: dict[str, set[str]] = {}
    for r in rows:
        by_group.setdefault(r["airport_group"], set()).add(r["split"])
    assert all(len(v) == 1 for v in by_group.values()), "an airport is on both sides of the split"


def test_gdit_dota_quads() -> None:
    images = read_dota_dir(_need("gdit-airport/test"), oriented=False, source="gdit")
    assert len(images) == 34
    assert sum(len(i.boxes) for i in images) > 50
    img = images[0]
    g = estimate_gsd(img)
    assert g is not None and 0.2 < g < 5.0


def test_dota_ports_gsd_header_and_oriented_ships() -> None:
    root = _need("dota-ports")
    p0706 = read_dota_file(root / "labelTxt" / "P0706.txt", root / "images" / "P0706.png")
    assert p0706.gsd_m == pytest.approx(0.2556, abs=1e-3)
    ships = [b for b in p0706.boxes if b.class_name == "ship"]
    assert len(ships) == 531
    assert all(b.oriented for b in ships)
    assert len({round(b.box.angle_deg) for b in ships}) > 20  # genuinely oriented
    p1888 = read_dota_file(root / "labelTxt" / "P1888.txt", root / "images" / "P1888.png")
    assert sum(b.class_name == "vehicle" for b in p1888.boxes) == 64


def test_dota_sample_planes_oriented() -> None:
    root = _need("format-samples/dota")
    [img] = read_dota_dir(root)
    planes = [b for b in img.boxes if b.class_name == "aircraft"]
    assert planes
    first = planes[0].box
    # 359 663 369 497 543 509 531 677: a ~166 × 174 px quad rotated by about -4°
    assert first.cx == pytest.approx(450.5, abs=1.0)
    assert 160 < first.width <= first.length < 180


def test_dota_bad_line_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("1 2 3 4 plane\n")
    with pytest.raises(InputError) as err:
        read_dota_file(tmp_path / "x.txt", tmp_path / "x.png")
    assert "x.txt" in str(err.value) and "1" in str(err.value)


def test_yolo_obb_dota8() -> None:
    root = _need("dota8")
    names = yaml.safe_load((root / "dota8.yaml").read_text())["names"]
    names = {int(k): v for k, v in names.items()}
    images = read_yolo_obb_dir(root, names, "train") + read_yolo_obb_dir(root, names, "val")
    assert len(images) == 8
    ships = [b for i in images for b in i.boxes if b.class_name == "ship"]
    assert len(ships) == 105
    assert all(0 <= b.box.cx <= 1024 and 0 <= b.box.cy <= 1024 for b in ships)


def test_voc_ships_aerial_and_its_split() -> None:
    images = read_voc_dir(_need("ships-aerial"))
    assert len(images) == 200
    assert all(b.class_name == "ship" for i in images for b in i.boxes)
    val = [i for i in images if ships_split(i.path.name) == "val"]
    assert 25 <= len(val) <= 55
    imgs, note = load_eval_set(data_dir() / "ships-aerial", "voc")
    assert len(imgs) == len(val) and "val" in note and all(i.gsd_m for i in imgs)
    assert "by scene" in note
    # per-image scale from the boats (median boat = 15 m): a marina of ~10 px craft at 1.5 m,
    # a 148 px tanker near 0.1 m, and everything inside the stated clamp
    gsd = {i.path.name: ships_aerial_gsd(i) for i in images}
    assert gsd["boat42.png"] == pytest.approx(1.5)
    assert gsd["boat101.png"] == pytest.approx(15.0 / 148.0, rel=0.02)
    lo, hi = SHIPS_AERIAL_GSD_RANGE
    assert all(lo <= g <= hi for g in gsd.values()) and "GSD per image" in note
    assert {i.path.name: i.gsd_m for i in imgs} == {i.path.name: gsd[i.path.name] for i in imgs}
    # at a plausible true scale the tanker (a "ship", 150 m) comes out near 1 m per pixel
    tanker = next(i for i in images if i.path.name == "boat101.png")
    assert ships_aerial_gsd(tanker, "ship") == pytest.approx(150.0 / 148.0, rel=0.02)


def _thumb(path: Path) -> bytes:
    from PIL import Image

    with Image.open(path) as im:
        return im.convert("L").resize((16, 16), Image.Resampling.BOX).tobytes()


def test_ships_aerial_split_keeps_copies_of_a_picture_together() -> None:
    """Some crops are one picture saved twice and labelled twice (boat42 and boat290); the
    split goes by scene, so no picture is on both sides, and every fold is a real part."""
    import csv
    from collections import Counter
    from importlib import resources

    root = _need("ships-aerial") / "images"
    names = sorted(p.name for p in root.glob("*.png"))
    ref = resources.files("sitewatch.detect") / "splits" / "ships_aerial.csv"
    with resources.as_file(ref) as p, p.open() as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    assert sorted(r["image"] for r in rows) == names
    for r in rows:
        assert int(r["fold"]) == ships_fold(r["image"])
        assert r["split"] == ships_split(r["image"]) == ("val" if r["fold"] == "0" else "train")
    scene_folds: dict[str, set[str]] = {}
    for r in rows:
        scene_folds.setdefault(r["scene"], set()).add(r["fold"])
    assert all(len(f) == 1 for f in scene_folds.values())
    # the same pixels never sit on both sides (checked on the pictures, not on the file)
    thumbs: dict[bytes, set[str]] = {}
    for n in names:
        thumbs.setdefault(_thumb(root / n), set()).add(ships_split(n))
    assert all(len(sides) == 1 for sides in thumbs.values())
    assert _thumb(root / "boat42.png") == _thumb(root / "boat290.png")
    assert ships_split("boat42.png") == ships_split("boat290.png") == "val"
    sizes = Counter(ships_fold(n) for n in names)
    assert sorted(sizes) == [0, 1, 2, 3, 4] and min(sizes.values()) >= 25
    # the held-out fold and a cross-validation fold, as load_eval_set gives them
    for k in (0, 3):
        imgs, note = load_eval_set(data_dir() / "ships-aerial", "voc", ships_holdout=k)
        assert {i.path.name for i in imgs} == {n for n in names if ships_fold(n) == k}
        assert ("fold 3" in note) == (k == 3)


def test_ships_aerial_links_join_copies_and_cuts_not_lookalikes() -> None:
    """The split script's linking on real crops: a copy and an overlapping cut of one scene
    are linked; two crops of other boats on similar water are not."""
    import importlib
    import sys

    root = _need("ships-aerial") / "images"
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    try:
        split = importlib.import_module("ships_aerial_split")
    finally:
        sys.path.pop(0)
    files = [root / f"boat{n}.png" for n in (42, 290, 228, 437, 235, 275)]
    links = {(ln.a, ln.b): ln for ln in split.find_links(files)}
    assert set(links) == {("boat42.png", "boat290.png"), ("boat228.png", "boat437.png")}
    copy, cut = links[("boat42.png", "boat290.png")], links[("boat228.png", "boat437.png")]
    assert copy.ncc > 0.99 and copy.overlap > 0.99 and abs(copy.scale - 1) < 0.01
    assert cut.ncc > 0.9 and 0.2 < cut.overlap < 0.9
    scene = split.scenes([f.name for f in files], list(links.values()))
    assert scene["boat290.png"] == scene["boat42.png"] == "boat42.png"
    assert scene["boat235.png"] == "boat235.png" and scene["boat275.png"] == "boat275.png"


def test_ships_aerial_vessel_judgements_name_real_crops() -> None:
    names = {p.name for p in (_need("ships-aerial") / "images").iterdir()}
    vessels = ships_aerial_vessels()
    assert len(vessels) >= 50 and set(vessels.values()) == {"ship", "coaster"}
    assert not set(vessels) - names, "judgements for crops that do not exist"
    assert set(SHIPS_AERIAL_VESSEL_M) == {"craft", *vessels.values()}


def test_dior_r_sample() -> None:
    root = _need("format-samples/dior")
    xml = root / "Annotations" / "Oriented Bounding Boxes" / "00001.xml"
    img = read_dior(xml, root / "JPEGImage" / "00001.jpg", keep_other=True)
    [b] = img.boxes
    assert b.class_name == "golffield" and b.oriented
    assert (b.box.cx, b.box.cy) == pytest.approx((408.5, 454.5))
    assert (b.box.length, b.box.width) == pytest.approx((551, 435))
    assert read_dior(xml, root / "JPEGImage" / "00001.jpg").boxes == []


def test_hrsc_sample() -> None:
    root = _need("format-samples/hrsc")
    [xml] = sorted((root / "FullDataSet" / "Annotations").glob("*.xml"))
    img = read_hrsc(xml, root / "x.bmp")
    assert img.gsd_m == pytest.approx(1.07)
    [b] = img.boxes
    assert b.class_name == "ship" and b.oriented
    assert b.box == OrientedBox(341.2143, 443.3325, 778.4297, 178.2595, b.box.angle_deg)
    # -1.122944 rad = -64.34° → folded into [0, 180)
    assert b.box.angle_deg == pytest.approx(115.66, abs=0.01)


def test_unlabelled_airbus_images_are_not_trained_on_as_background() -> None:
    from sitewatch.detect.trainset import load_sets

    root = _need("airbus-aircraft")
    empty = {i.path.name[:8] for i in read_airbus(root) if not i.boxes}
    # three images carry no label although each shows 20+ airliners
    assert empty == {"022f91f0", "22bc9d20", "65825eef"}
    sets = load_sets(root.parent)
    airbus_train = [i for i in sets.train if i.source == "airbus"]
    assert airbus_train and all(i.boxes for i in airbus_train)
    assert not empty & {i.path.name[:8] for i in airbus_train}
    assert not any(i.source == "dota8" and "/val/" in i.path.as_posix() for i in sets.train)
