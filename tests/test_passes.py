"""Passes: a real-CRS GeoTIFF, plain Airbus JPEGs, sidecars, and every kind of bad file."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import rasterio
from pyproj import Transformer
from rasterio.transform import from_origin

from sitewatch.errors import InputError
from sitewatch.imagery import Frame, RasterReader, Window, inspect_pass
from sitewatch.sites import Site, SiteKind
from sitewatch.store import Workspace, passes_repo, sites_repo

AIRBUS = "0641acc3-c0b9-4f9d-b0ba-7ad18aa08864.jpg"


@pytest.fixture()
def airbus_jpeg(data_root: Path) -> Path:
    return data_root / "airbus-aircraft" / "images" / AIRBUS


def make_geotiff(src: Path, out: Path, lon: float, lat: float, gsd: float = 0.5) -> Path:
    """A GeoTIFF in UTM 36N centred on (lon, lat), pixels from a real Airbus image."""
    with rasterio.open(src) as ds:
        pixels = ds.read(window=rasterio.windows.Window(0, 0, 1024, 1024))
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:32636", always_xy=True).transform(lon, lat)
    transform = from_origin(x - 512 * gsd, y + 512 * gsd, gsd, gsd)
    with rasterio.open(
        out,
        "w",
        driver="GTiff",
        width=1024,
        height=1024,
        count=3,
        dtype="uint8",
        crs="EPSG:32636",
        transform=transform,
        tiled=True,
        blockxsize=256,
        blockysize=256,
    ) as dst:
        dst.write(pixels)
        dst.update_tags(ACQUISITION_DATETIME="2024-12-13T08:41:02Z")
    return out


def test_geotiff_pass_with_real_crs(ws: Workspace, airbus_jpeg: Path, tmp_path: Path) -> None:
    tif = make_geotiff(airbus_jpeg, tmp_path / "hmeimim.tif", 35.9486, 35.4011)
    site = sites_repo.get_site(ws, "hmeimim")
    p = inspect_pass(tif, site, sensor="test")
    assert p.frame is Frame.MAP
    assert p.crs == "EPSG:32636"
    assert p.gsd_m == pytest.approx(0.5)
    assert p.acquired_at is not None and p.acquired_at.isoformat() == "2024-12-13T08:41:02+00:00"
    assert p.footprint is not None
    assert p.footprint.contains(site.geometry)
    # 512 m on a side at 0.5 m/px
    assert p.area_km2 == pytest.approx(0.262144)
    stored = passes_repo.add_pass(ws, p)
    assert stored.created and stored.pass_.sha256 == p.sha256 and len(p.sha256) == 64


def test_geotiff_outside_the_site_is_refused(
    ws: Workspace, airbus_jpeg: Path, tmp_path: Path
) -> None:
    tif = make_geotiff(airbus_jpeg, tmp_path / "elsewhere.tif", 36.6, 35.0)
    with pytest.raises(
        InputError, match=r"elsewhere\.tif: footprint .* does not intersect site 'hmeimim'"
    ):
        inspect_pass(tif, sites_repo.get_site(ws, "hmeimim"))
    assert passes_repo.list_passes(ws) == []


def test_plain_jpeg_lives_in_pixel_frame(ws: Workspace, airbus_jpeg: Path) -> None:
    site = sites_repo.add_site(ws, Site(slug="sample", name="Sample", kind=SiteKind.AIRPORT))
    p = inspect_pass(airbus_jpeg, site, gsd_m=0.5, date="2021-03-04", sensor="Pléiades")
    assert p.frame is Frame.PIXEL and p.crs is None and p.transform is None
    assert (p.width, p.height, p.band_count) == (2560, 2560, 3)
    assert p.footprint is not None and p.footprint.bounds == (0, 0, 2560, 2560)
    assert p.area_km2 == pytest.approx(1.6384)
    assert passes_repo.add_pass(ws, p).created
    assert not passes_repo.add_pass(ws, p).created  # same file twice: a no-op


def test_plain_jpeg_needs_a_gsd(ws: Workspace, airbus_jpeg: Path) -> None:
    site = sites_repo.add_site(ws, Site(slug="sample", name="Sample", kind=SiteKind.AIRPORT))
    with pytest.raises(InputError, match=r"needs a ground sample distance.*--gsd METRES"):
        inspect_pass(airbus_jpeg, site)


def test_sidecar_metadata(ws: Workspace, airbus_jpeg: Path, tmp_path: Path) -> None:
    img = tmp_path / "scene.jpg"
    img.write_bytes(airbus_jpeg.read_bytes())
    (tmp_path / "scene.jpg.json").write_text(
        json.dumps({"date": "2024-12-16", "gsd": 0.5, "sensor": "Pléiades", "label": "A"})
    )
    site = sites_repo.add_site(ws, Site(slug="sample", name="Sample", kind=SiteKind.AIRPORT))
    p = inspect_pass(img, site, sensor="flag wins")
    assert p.gsd_m == 0.5 and p.sensor == "flag wins" and p.label == "A"
    assert p.acquired_at is not None and p.acquired_at.day == 16
    (tmp_path / "scene.jpg.json").write_text(json.dumps({"gsd": 0.5, "cloud": 3}))
    with pytest.raises(InputError, match=r"scene\.jpg\.json: unknown keys \['cloud'\]"):
        inspect_pass(img, site)


def test_bad_files_are_clear_errors(ws: Workspace, airbus_jpeg: Path, tmp_path: Path) -> None:
    site = sites_repo.get_site(ws, "hmeimim")
    text = tmp_path / "notes.png"
    text.write_text("not an image at all")
    with pytest.raises(InputError, match=r"notes\.png: not a readable image"):
        inspect_pass(text, site, gsd_m=0.5)
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes(airbus_jpeg.read_bytes()[:300_000])
    with pytest.raises(InputError, match=r"cut\.jpg: cannot read pixels .* truncated"):
        inspect_pass(truncated, site, gsd_m=0.5)
    with pytest.raises(InputError, match="file not found"):
        inspect_pass(tmp_path / "nope.tif", site)
    with pytest.raises(InputError, match="unreadable date 'yesterday'"):
        inspect_pass(airbus_jpeg, site, gsd_m=0.5, date="yesterday")


def test_window_reader_never_loads_the_whole_scene(tmp_path: Path, airbus_jpeg: Path) -> None:
    """A 8192² tiled GeoTIFF read window by window stays far below its 200 MB size."""
    big = tmp_path / "big.tif"
    with rasterio.open(airbus_jpeg) as ds:
        tile = ds.read(window=rasterio.windows.Window(0, 0, 2048, 2048))
    with rasterio.open(
        big,
        "w",
        driver="GTiff",
        width=8192,
        height=8192,
        count=3,
        dtype="uint8",
        tiled=True,
        blockxsize=512,
        blockysize=512,
    ) as dst:
        for r in range(0, 8192, 2048):
            for c in range(0, 8192, 2048):
                dst.write(tile, window=rasterio.windows.Window(c, r, 2048, 2048))
    tracemalloc.start()
    total = 0.0
    with RasterReader(big) as reader:
        for w in reader.windows(1024, overlap=64):
            total += float(reader.read(w).mean())
        thumb = reader.thumbnail(256)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert thumb.shape == (256, 256, 3)
    assert total > 0
    assert peak < 40e6, f"peak {peak / 1e6:.0f} MB for a {8192 * 8192 * 3 / 1e6:.0f} MB raster"


def test_windows_cover_the_raster(airbus_jpeg: Path) -> None:
    with RasterReader(airbus_jpeg) as r:
        ws = list(r.windows(1024, overlap=128))
        edge = r.read(Window(2500, 2500, 100, 100))
    covered = np.zeros((2560, 2560), bool)
    for w in ws:
        covered[w.row : w.row + w.height, w.col : w.col + w.width] = True
    assert covered.all()
    assert edge.shape == (100, 100, 3) and edge[-1, -1].sum() == 0  # zero-padded past the edge


def test_inside_and_edge_windows_agree_on_shared_pixels(airbus_jpeg: Path) -> None:
    # Windows inside the raster skip rasterio's boundless (VRT) path; a window that straddles
    # the edge still goes through it. Both must return the same pixels where they overlap.
    with RasterReader(airbus_jpeg) as r:
        inside = r.read(Window(0, 1000, 100, 100))
        edge = r.read(Window(-50, 1000, 150, 100))
    assert inside.shape == (100, 100, 3) and edge.shape == (100, 150, 3)
    assert np.array_equal(inside, edge[:, 50:])
    assert edge[:, :50].sum() == 0 and inside.std() > 1


def test_read_into_a_batch_slot_matches_a_plain_read(airbus_jpeg: Path) -> None:
    batch = np.zeros((2, 256, 256, 3), np.uint8)
    with RasterReader(airbus_jpeg) as r:
        plain = r.read(Window(0, 0, 512, 512), out_shape=(256, 256))
        got = r.read(Window(0, 0, 512, 512), out_shape=(256, 256), out=batch[1])
        plain_edge = r.read(Window(-64, 0, 512, 512), out_shape=(256, 256))
        r.read(Window(-64, 0, 512, 512), out_shape=(256, 256), out=batch[0])
        with pytest.raises(ValueError, match="shape"):
            r.read(Window(0, 0, 10, 10), out=np.zeros((5, 5, 3), np.uint8))
    assert np.shares_memory(got, batch) and np.array_equal(batch[1], plain)
    assert np.array_equal(batch[0], plain_edge) and batch[0][:, :30].sum() == 0
