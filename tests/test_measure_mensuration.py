"""Mensuration: metres and uncertainties, georeferenced passes, heading sense on real labels."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sitewatch.measure.box import OrientedBox
from sitewatch.measure.length_error import label_sanity, nose_agreement, read_dota_labels
from sitewatch.measure.mensuration import HeadingKind, HeadingReference, measure


def test_pixel_frame_length_and_uncertainty() -> None:
    m = measure(OrientedBox(0, 0, 200, 40, 0.0, "ship"), gsd_m=0.5, fit_px=1.0)
    assert m.length.value == pytest.approx(100.0)
    edge_var = 1 / 12 + 1.0
    expected = math.sqrt(2 * edge_var * 0.25 + (100 * 0.02) ** 2)
    assert m.length.sd == pytest.approx(expected)
    assert m.heading_reference is HeadingReference.IMAGE_UP
    assert m.heading_deg == pytest.approx(90.0)  # long axis along +x = east of image-up


def test_gsd_uncertainty_is_used() -> None:
    a = measure(OrientedBox(0, 0, 200, 40, 0.0, "ship"), gsd_m=0.5, gsd_sd_m=0.0)
    b = measure(OrientedBox(0, 0, 200, 40, 0.0, "ship"), gsd_m=0.5, gsd_sd_m=0.05)
    assert b.length.sd > a.length.sd
    assert b.length.sd == pytest.approx(math.hypot(a.length.sd, 10.0), rel=1e-6)


def test_heading_is_axial_without_an_image() -> None:
    m = measure(OrientedBox(0, 0, 100, 10, 135.0, "ship"), gsd_m=1.0)
    assert m.heading_kind is HeadingKind.AXIAL
    assert 0 <= m.heading_deg < 180


def test_vehicle_heading_stays_axial_even_with_an_image() -> None:
    img = np.zeros((50, 50))
    img[20:30, 5:45] = 1
    m = measure(OrientedBox(25, 25, 40, 10, 0.0, "vehicle"), gsd_m=0.25, image=img)
    assert m.heading_kind is HeadingKind.AXIAL


def test_synthetic_aircraft_nose_gives_directed_heading() -> None:
    img = np.zeros((120, 200), dtype=np.uint8)
    img[56:64, 20:180] = 220  # fuselage, nose at x = 180
    img[20:100, 90:110] = 220  # wings
    img[40:80, 24:36] = 220  # tailplane
    m = measure(OrientedBox(100, 60, 160, 80, 0.0, "aircraft"), gsd_m=0.5, image=img)
    assert m.heading_kind is HeadingKind.DIRECTED
    assert m.heading_deg == pytest.approx(90.0)  # nose towards +x: east of image-up
    flipped = measure(OrientedBox(100, 60, 160, 80, 0.0, "aircraft"), gsd_m=0.5, image=img[:, ::-1])
    assert flipped.heading_deg == pytest.approx(270.0)


def test_wide_span_aircraft_uses_fuselage_axis() -> None:
    img = np.zeros((200, 200), dtype=np.uint8)
    img[95:105, 40:160] = 220  # fuselage 120 px along x, nose at x = 160
    img[30:170, 85:100] = 220  # wing spanning 140 px along y
    img[70:130, 42:52] = 220  # tailplane
    box = OrientedBox(100, 100, 140, 120, 90.0, "aircraft")  # long side is the wing
    m = measure(box, gsd_m=0.5, image=img)
    assert m.axes_known
    assert m.length.value == pytest.approx(60.0)
    assert m.width.value == pytest.approx(70.0)
    assert m.heading_deg == pytest.approx(90.0)


def test_georeferenced_utm_and_geographic() -> None:
    b = OrientedBox(500, 500, 400, 40, 90.0, "ship")  # 400 px along +y (image down = south)
    utm = measure(b, transform=(0.25, 0, 500000, 0, -0.25, 3900000), crs="EPSG:32636")
    # near the central meridian the UTM scale factor is 0.9996: ground = grid / k
    assert utm.length.value == pytest.approx(100.0 / 0.9996, rel=2e-4)
    assert utm.heading_reference is HeadingReference.TRUE_NORTH
    # an axis pointing image-down on a north-up grid at the central meridian: north-south
    assert min(utm.heading_deg, 180.0 - utm.heading_deg) < 0.5
    geo = measure(
        OrientedBox(0, 0, 100, 10, 0.0, "ship"),
        transform=(1e-5, 0, 35.9, 0, -1e-5, 35.4),
        crs="EPSG:4326",
    )
    expected = 1e-3 * math.cos(math.radians(35.4)) * 111_320  # ~ metres in 0.001° of longitude
    assert geo.length.value == pytest.approx(expected, rel=0.01)
    assert geo.heading_deg == pytest.approx(90.0, abs=0.1)


def test_requires_a_scale() -> None:
    with pytest.raises(ValueError):
        measure(OrientedBox(0, 0, 10, 5, 0.0), gsd_m=None)


@pytest.fixture(scope="module")
def ports(data_root: Path) -> list:  # type: ignore[type-arg]
    root = data_root / "dota-ports"
    if not (root / "labelTxt").is_dir():
        pytest.skip(f"dota-ports not found at {root}")
    return read_dota_labels(root)


def test_mensuration_on_dota_ports_labels(ports: list) -> None:  # type: ignore[type-arg]
    assert sorted(im.gsd_m for im in ports) == pytest.approx([0.255589285596, 0.266170468393])
    summaries = {s.class_name: s for s in label_sanity(ports)}
    ships, vehicles = summaries["ship"], summaries["vehicle"]
    assert ships.n > 500 and vehicles.n == 64
    # the min-area rectangle reproduces the labels' own lengths to a pixel or so
    assert ships.median_abs_m < 0.26 and vehicles.median_abs_m < 0.27
    # plausible sizes: harbour boats ~10 m, vehicles a few metres to ~20 m
    assert 5 < ships.median_length_m < 20
    assert 3 < vehicles.median_length_m < 20


def test_predicted_sigma_covers_label_noise(ports: list) -> None:  # type: ignore[type-arg]
    im = next(i for i in ports if any(o.class_name == "ship" for o in i.objects))
    inside = total = 0
    for o in im.objects:
        if o.difficult:
            continue
        m = measure(o.box, gsd_m=im.gsd_m, fit_px=0.5)
        ref = o.edge_length_px * im.gsd_m
        total += 1
        inside += abs(m.length.value - ref) <= 2 * m.length.sd
    assert inside / total > 0.9


def test_bow_cue_beats_chance_on_labelled_ships(ports: list) -> None:  # type: ignore[type-arg]
    decided, agree, total = nose_agreement(ports)
    assert total > 500
    assert decided / total > 0.5
    assert agree / decided > 0.7
