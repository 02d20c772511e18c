"""The ONNX engine on real imagery: aircraft found, windows bounded, borders merged, GeoJSON."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from sitewatch.config import data_dir
from sitewatch.detect import Detection, EngineStats, detect_raster, load_model
from sitewatch.detect.engine import LONG_HULL_PASSES
from sitewatch.detect.labels import read_airbus
from sitewatch.detect.merge import aabb_iou
from sitewatch.detect.model import DetectorModel, default_model_path
from sitewatch.detect.trainset import airbus_split
from sitewatch.imagery.reader import RasterReader
from tests.clirun import run

GSD = 0.5


@pytest.fixture(scope="module")
def model() -> DetectorModel:
    if not default_model_path().is_file():
        pytest.skip(f"no model at {default_model_path()} (run `sitewatch train`)")
    return load_model()


@pytest.fixture(scope="module")
def val_image() -> tuple[Path, list[object]]:
    root = data_dir() / "airbus-aircraft"
    if not root.is_dir():
        pytest.skip(f"real data not found: {root} (set SITEWATCH_DATA or put it at ../shared/data)")
    split = airbus_split()
    images = [i for i in read_airbus(root) if split.get(i.path.name) == "val"]
    # the held-out image with the most aircraft: an airport the model never saw
    best = max(images, key=lambda i: sum(not b.ignore for b in i.boxes))
    return best.path, list(best.boxes)


@pytest.fixture(scope="module")
def mosaic(tmp_path_factory: pytest.TempPathFactory, val_image: tuple[Path, list[object]]) -> Path:
    """Two real Airbus images side by side as a georeferenced, tiled GeoTIFF."""
    path = tmp_path_factory.mktemp("mosaic") / "mosaic.tif"
    first = val_image[0]
    other = sorted(p for p in first.parent.glob("*.jpg") if p != first)[0]
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=5120,
        height=2560,
        count=3,
        dtype="uint8",
        crs="EPSG:32637",
        transform=from_origin(300_000.0, 3_900_000.0, GSD, GSD),
        tiled=True,
        blockxsize=512,
        blockysize=512,
        compress="DEFLATE",
    ) as ds:
        for k, img in enumerate((first, other)):
            arr = cv2.imread(str(img), cv2.IMREAD_COLOR)[:, :, ::-1]
            ds.write(
                np.transpose(arr, (2, 0, 1)),
                window=rasterio.windows.Window(2560 * k, 0, 2560, 2560),
            )
    return path


def _recall_precision(
    dets: list[Detection], boxes: list[object], x_max: float = 1e9
) -> tuple[float, float]:
    gt = [b for b in boxes if not b.ignore]  # type: ignore[attr-defined]
    preds = [d for d in dets if d.class_name == "aircraft" and d.score >= 0.3 and d.cx < x_max]
    from sitewatch.detect.boxes import OrientedBox

    used: set[int] = set()
    tp = 0
    for d in preds:
        pb = OrientedBox(d.cx, d.cy, d.length_px, d.width_px, d.angle_deg)
        ious = [aabb_iou(g.box, pb) if i not in used else 0.0 for i, g in enumerate(gt)]  # type: ignore[attr-defined]
        if ious and max(ious) >= 0.5:
            used.add(int(np.argmax(ious)))
            tp += 1
    return tp / max(1, len(gt)), tp / max(1, len(preds))


def test_finds_aircraft_on_a_held_out_airbus_image(
    model: DetectorModel, val_image: tuple[Path, list[object]]
) -> None:
    path, boxes = val_image
    dets = detect_raster(path, gsd_m=GSD, model=model)
    recall, precision = _recall_precision(dets, boxes)
    assert recall >= 0.8 and precision >= 0.8, (recall, precision)
    d = dets[0]
    assert d.model_version == model.version and d.polygon_lonlat is None
    assert len(d.polygon) == 4 and d.length_px >= d.width_px > 0 and 0 <= d.angle_deg < 180


def test_readings_and_zooms_are_options_and_are_checked(
    model: DetectorModel, val_image: tuple[Path, list[object]]
) -> None:
    """``views=1`` reads each tile once (the default, for a quick look); 2, 4 and 8 readings
    per tile, and reading the raster at several zooms, all find the held-out airport's
    aircraft. Other view counts and zooms out of range are refused, naming the field."""
    from sitewatch.errors import InputError

    path, boxes = val_image
    for views, zooms in ((1, (1.0,)), (2, (1.0,)), (4, (1.0,)), (8, (1.0,)), (2, (1.0, 1.4))):
        st = EngineStats()
        dets = detect_raster(path, gsd_m=GSD, model=model, views=views, zooms=zooms, stats=st)
        recall, precision = _recall_precision(dets, boxes)
        assert recall >= 0.8 and precision >= 0.8, (views, zooms, recall, precision)
        if zooms != (1.0,):
            # each zoom's readings are kept where they come from
            assert {d.model_gsd_m for d in dets} <= {model.gsd_m / z for z in zooms} | {
                model.gsd_m * k / z for k, _ in LONG_HULL_PASSES for z in zooms
            }
            assert st.tiles >= 2
    with pytest.raises(InputError, match="views"):
        detect_raster(path, gsd_m=GSD, model=model, views=3)
    for bad in ((1.0, 0.0), (), (9.0,)):
        with pytest.raises(InputError, match="zoom") as e:
            detect_raster(path, gsd_m=GSD, model=model, zooms=bad)
        assert e.value.field == "zooms"


def test_windowed_reads_are_bounded_and_borders_merge(
    model: DetectorModel,
    mosaic: Path,
    val_image: tuple[Path, list[object]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[tuple[int, int, int]] = []
    original = RasterReader.read

    def spy(
        self: RasterReader,
        window: object,
        out_shape: tuple[int, int] | None = None,
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        side = max(out_shape) if out_shape else 0
        seen.append((window.width, window.height, side))  # type: ignore[attr-defined]
        return original(self, window, out_shape, out)  # type: ignore[arg-type]

    monkeypatch.setattr(RasterReader, "read", spy)
    # small tiles: many windows, and many aircraft cut by tile borders
    dets = detect_raster(mosaic, model=model, tile=384, overlap=96)
    assert len(seen) >= 16
    # what is held in memory is never more than a tile, whatever the pass
    assert max(s[2] for s in seen) <= 384
    # the model-GSD pass reads small windows, never the whole scene; the long-hull pass
    # (8 m) reads its windows decimated, 16× fewer pixels than they cover
    scale = GSD / model.gsd_m
    main = [s for s in seen if abs(s[2] - max(s[:2]) * scale) <= 1]
    coarse = [s for s in seen if s not in main]
    assert len(main) >= 16 and max(max(s[:2]) for s in main) <= 384 / scale + 1
    assert coarse and all(abs(s[2] - max(s[:2]) * scale / 8) <= 1 for s in coarse)
    # the left half is the held-out image: the tiled run finds what the one-tile run finds
    whole = detect_raster(val_image[0], gsd_m=GSD, model=model)
    left = [d for d in dets if d.cx < 2560 and d.score >= 0.3]
    ref = [d for d in whole if d.score >= 0.3]
    assert abs(len(left) - len(ref)) <= max(2, 0.1 * len(ref)), (len(left), len(ref))
    recall, precision = _recall_precision(dets, val_image[1], x_max=2560)
    assert recall >= 0.75 and precision >= 0.75, (recall, precision)
    # georeferenced: map and lon/lat polygons come with every detection
    d = dets[0]
    assert d.crs == "EPSG:32637" and d.polygon_map is not None and d.polygon_lonlat is not None
    lon, lat = d.polygon_lonlat[0]
    assert 35 < lon < 42 and 30 < lat < 40


def test_geojson_pixel_frame(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    val_image: tuple[Path, list[object]],
    model: DetectorModel,
) -> None:
    out = tmp_path / "dets.geojson"
    res = run(capsys, "detect", str(val_image[0]), "--gsd", "0.5", "--out", str(out))
    assert res.code == 0, res.err
    fc = json.loads(out.read_text())
    assert fc["type"] == "FeatureCollection" and fc["frame"] == "pixel"
    f = fc["features"][0]
    assert f["geometry"]["type"] == "Polygon"
    ring = f["geometry"]["coordinates"][0]
    assert len(ring) == 5 and ring[0] == ring[-1]
    assert all(0 <= x <= 2560 and 0 <= y <= 2560 for x, y in ring)
    props = f["properties"]
    assert {"class", "score", "length_px", "width_px", "angle_deg"} <= set(props)
    assert props["class"] in model.classes
    # an airport: every detection comes from the model-GSD pass, none from the long-hull pass
    assert {f["properties"]["model_gsd_m"] for f in fc["features"]} == {model.gsd_m}


def test_geojson_lonlat_with_crs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, mosaic: Path
) -> None:
    out = tmp_path / "geo.geojson"
    res = run(capsys, "detect", str(mosaic), "--out", str(out), "--threshold", "0.5")
    assert res.code == 0, res.err
    fc = json.loads(out.read_text())
    assert "frame" not in fc and fc["features"]
    lon, lat = fc["features"][0]["geometry"]["coordinates"][0][0]
    assert 35 < lon < 42 and 30 < lat < 40  # RFC 7946: longitude first
    assert len(fc["features"][0]["properties"]["polygon_px"]) == 4
    ring = fc["features"][0]["geometry"]["coordinates"][0]
    area2 = sum(a[0] * b[1] - b[0] * a[1] for a, b in itertools.pairwise(ring))
    assert area2 > 0  # exterior ring counter-clockwise


def test_no_crs_and_no_gsd_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, val_image: tuple[Path, list[object]]
) -> None:
    res = run(capsys, "detect", str(val_image[0]), "--out", str(tmp_path / "x.geojson"))
    assert res.code == 1
    assert "--gsd" in res.err
    out = tmp_path / "y.geojson"
    args = ["detect", str(val_image[0]), "--gsd", "0.5", "--out", str(out)]
    res = run(capsys, *args, "--long-hulls", "8")
    assert res.code == 1 and "--long-hulls" in res.err and "8:60" in res.err
    assert not out.exists()


def test_a_long_hull_is_found_whole_by_the_long_hull_pass(model: DetectorModel) -> None:
    """A held-out crop of an ocean-going ship at a plausible true scale (150 m, about 180 px at
    the model GSD): the model alone sees no ship that long; the engine's 8 m pass finds it as
    one hull."""
    from sitewatch.detect.boxes import OrientedBox
    from sitewatch.detect.labels import read_voc_dir
    from sitewatch.detect.trainset import ships_aerial_gsd, ships_aerial_vessels, ships_split

    root = data_dir() / "ships-aerial"
    if not root.is_dir():
        pytest.skip(f"real data not found: {root}")
    assert ships_aerial_vessels()["boat105.png"] == "ship" and ships_split("boat105.png") == "val"
    img = next(i for i in read_voc_dir(root) if i.path.name == "boat105.png")
    g = ships_aerial_gsd(img, "ship")
    label = img.boxes[0].box
    assert round(label.length * g) == 150

    def long_ships(dets: list[Detection]) -> list[Detection]:
        return [d for d in dets if d.class_name == "ship" and d.length_px * g >= 60]

    assert long_ships(detect_raster(img.path, gsd_m=g, model=model, long_hulls=())) == []
    found = long_ships(detect_raster(img.path, gsd_m=g, model=model))
    assert len(found) == 1 and found[0].score >= 0.3
    d = found[0]
    assert aabb_iou(label, OrientedBox(d.cx, d.cy, d.length_px, d.width_px, d.angle_deg)) >= 0.5
    # one hull, most of its length (measured 102 m; 138 m with the previous model)
    assert 90 <= d.length_px * g <= 170
    # the hull says it was seen at 8 m; everything else at the model's own GSD
    assert d.model_gsd_m == 8 * model.gsd_m
    from sitewatch.cli.detect import detections_geojson

    props = [f["properties"] for f in detections_geojson([d])["features"]]
    assert props[0]["model_gsd_m"] == 8 * model.gsd_m
