"""Co-registration on real Airbus images: a known pair, neighbouring tiles, CRS passes, refusals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from sitewatch.change import Registration, RegistrationError, register_files, register_passes
from sitewatch.imagery import Frame, Pass

BEFORE = "0641acc3-c0b9-4f9d-b0ba-7ad18aa08864.jpg"
AFTER = "c20b3c21-a6e9-46f7-8536-d4f92574e111.jpg"
# Another airport (no shared ground with BEFORE, checked by the pair search).
ELSEWHERE = "4e8c95f3-bbb6-4e2f-920d-8d3b2bd1d29f.jpg"


@pytest.fixture(scope="module")
def images(data_root: Path) -> Path:
    return data_root / "airbus-aircraft" / "images"


@pytest.fixture(scope="module")
def demo_reg(images: Path) -> Registration:
    return register_files(images / BEFORE, images / AFTER, gsd_m=0.5)


def test_known_pair_registers_with_small_residual(demo_reg: Registration) -> None:
    reg = demo_reg
    assert reg.inliers >= 200
    assert reg.rms_px < 1.5
    assert reg.rms_m is not None and reg.rms_m < 0.75
    assert reg.overlap > 0.97
    # Two dates of the same airport, nearly aligned: a shift of a few pixels, no rotation.
    x, y = reg.to_after([[1280.0, 1280.0]])[0]
    assert abs(x - 1280) < 8 and abs(y - 1280) < 8
    assert abs(reg.scale - 1.0) < 0.01
    d = reg.to_dict()
    assert len(d["matrix"]) == 3 and all(len(r) == 3 for r in d["matrix"])


def test_registration_round_trips(demo_reg: Registration) -> None:
    pts = np.array([[10.0, 20.0], [2000.0, 1500.0]])
    back = demo_reg.to_before(demo_reg.to_after(pts))
    assert np.allclose(back, pts, atol=1e-6)
    inv = demo_reg.inverse()
    assert np.allclose(inv.to_after(demo_reg.to_after(pts)), pts, atol=1e-6)


def test_different_airports_are_refused(images: Path) -> None:
    with pytest.raises(RegistrationError, match="do not seem to show the same ground"):
        register_files(images / BEFORE, images / ELSEWHERE, gsd_m=0.5)


def _crop(src: Path, out: Path, col: int, row: int, size: int) -> Path:
    with rasterio.open(src) as ds:
        px = ds.read(window=rasterio.windows.Window(col, row, size, size))
    with rasterio.open(
        out, "w", driver="PNG", width=size, height=size, count=3, dtype="uint8"
    ) as dst:
        dst.write(px)
    return out


def test_neighbouring_tiles_register_with_the_true_shift(images: Path, tmp_path: Path) -> None:
    # Two tiles of the AFTER image that share a third of their ground, across dates.
    a = _crop(images / BEFORE, tmp_path / "a.png", 0, 0, 1400)
    b = _crop(images / AFTER, tmp_path / "b.png", 900, 500, 1400)
    reg = register_files(a, b, gsd_m=0.5)
    x, y = reg.to_after([[1200.0, 1200.0]])[0]
    # BEFORE→AFTER of the full images is about (+2.4, +1.5); the crop offsets add (-900, -500).
    assert abs(x - (1200 + 2.4 - 900)) < 3 and abs(y - (1200 + 1.5 - 500)) < 3
    assert 0.1 < reg.overlap < 0.3
    assert reg.rms_px < 1.5


def test_tiles_without_shared_ground_are_refused(images: Path, tmp_path: Path) -> None:
    a = _crop(images / BEFORE, tmp_path / "a.png", 0, 0, 1000)
    b = _crop(images / AFTER, tmp_path / "b.png", 1500, 1500, 1000)
    with pytest.raises(RegistrationError, match=r"cannot register|do not overlap"):
        register_files(a, b, gsd_m=0.5)


def _geotiff(src: Path, out: Path, col: int, row: int, x0: float, y0: float) -> Pass:
    size = 1024
    with rasterio.open(src) as ds:
        px = ds.read(window=rasterio.windows.Window(col, row, size, size))
    transform = from_origin(x0, y0, 0.5, 0.5)
    with rasterio.open(
        out,
        "w",
        driver="GTiff",
        width=size,
        height=size,
        count=3,
        dtype="uint8",
        crs="EPSG:32636",
        transform=transform,
    ) as dst:
        dst.write(px)
    return Pass(
        site_slug="test",
        path=str(out),
        sha256="0" * 64,
        file_size=out.stat().st_size,
        width=size,
        height=size,
        band_count=3,
        frame=Frame.MAP,
        gsd_m=0.5,
        crs="EPSG:32636",
        transform=tuple(transform)[:6],
    )


def test_georeferenced_passes_start_from_crs_and_are_refined(images: Path, tmp_path: Path) -> None:
    # AFTER's georeferencing is 3 m off in x: refinement must find the pixel truth.
    pa = _geotiff(images / BEFORE, tmp_path / "a.tif", 500, 500, 300000.0, 3900000.0)
    pb = _geotiff(
        images / AFTER,
        tmp_path / "b.tif",
        800,
        700,
        300000.0 + 300 * 0.5 + 3.0,
        3900000.0 - 200 * 0.5,
    )
    reg = register_passes(pa, pb)
    assert reg.method.startswith("crs")
    x, y = reg.to_after([[600.0, 600.0]])[0]
    assert abs(x - (600 + 2.4 - 300)) < 3 and abs(y - (600 + 1.5 - 200)) < 3


def test_georeferenced_passes_far_apart_are_refused(images: Path, tmp_path: Path) -> None:
    pa = _geotiff(images / BEFORE, tmp_path / "a.tif", 0, 0, 300000.0, 3900000.0)
    pb = _geotiff(images / AFTER, tmp_path / "b.tif", 0, 0, 310000.0, 3900000.0)
    with pytest.raises(RegistrationError, match="do not overlap"):
        register_passes(pa, pb)
