"""The measure stage as the pipeline calls it: records per stored detection."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import rasterio
from rasterio.transform import Affine

from sitewatch.measure.workspace import MEASURE_VERSION, measure_records


def _aircraft_tiff(path: Path) -> None:
    img = np.zeros((400, 400), dtype=np.uint8)
    img[195:205, 90:310] = 200  # fuselage along x, nose at x = 310 (east)
    img[120:280, 180:210] = 200  # wings
    img[160:240, 95:115] = 200  # tailplane at the west end
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=400,
        height=400,
        count=1,
        dtype="uint8",
        crs="EPSG:32637",
        transform=Affine(0.25, 0, 500000, 0, -0.25, 3900000),
    ) as ds:
        ds.write(img, 1)


def test_georeferenced_pass_with_nose_cue(tmp_path: Path) -> None:
    tif = tmp_path / "apron.tif"
    _aircraft_tiff(tif)
    p = SimpleNamespace(
        path=str(tif),
        gsd_m=0.25,
        crs="EPSG:32637",
        transform=(0.25, 0.0, 500000.0, 0.0, -0.25, 3900000.0),
    )
    det = SimpleNamespace(
        id=7,
        class_name="aircraft",
        effective_class="aircraft",
        score=0.9,
        cx=200.0,
        cy=200.0,
        length_px=220.0,
        width_px=160.0,
        angle_deg=0.0,
        type_name=None,
    )
    rec = measure_records(p, [det])[7]
    assert rec["measure_version"] == MEASURE_VERSION
    assert rec["heading_kind"] == "directed"
    assert rec["heading_deg"] == pytest.approx(90.0, abs=0.5)  # nose east, north-up grid
    assert rec["length_m"] == pytest.approx(55.0 / 0.9996, rel=1e-3)
    assert rec["candidates"]


def test_pixel_pass_uses_reviewed_class_and_type(tmp_path: Path) -> None:
    p = SimpleNamespace(path=str(tmp_path / "missing.png"), gsd_m=0.25, crs=None, transform=None)
    det = SimpleNamespace(
        id=3,
        class_name="aircraft",
        effective_class="helicopter",
        score=0.5,
        cx=50.0,
        cy=50.0,
        length_px=74.0,
        width_px=11.0,
        angle_deg=90.0,
        type_name="Mi-17",
    )
    rec = measure_records(p, [det])[3]
    assert rec["class"] == "helicopter"
    assert rec["type_used_for_states"].startswith("Mil Mi-8")
    assert rec["suggested_states"][0]["state"] == "rotor_removed"
    assert rec["heading_kind"] == "axial"
