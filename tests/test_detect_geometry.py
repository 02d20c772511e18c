"""Rotated IoU, rotated NMS and the tile plan that merges across tile borders."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from sitewatch.detect.boxes import OrientedBox
from sitewatch.detect.decode import decode
from sitewatch.detect.engine import TileJob, _tile_boxes, tile_jobs
from sitewatch.detect.merge import aabb_iou, nms_rotated, rotated_iou


def test_rotated_iou_basics() -> None:
    a = OrientedBox(0, 0, 40, 10, 30)
    assert rotated_iou(a, a) == pytest.approx(1.0)
    assert rotated_iou(a, OrientedBox(0, 0, 40, 10, 210)) == pytest.approx(1.0)
    # a cross: two 40×10 boxes at right angles share a 10×10 square
    assert rotated_iou(
        OrientedBox(0, 0, 40, 10, 0), OrientedBox(0, 0, 40, 10, 90)
    ) == pytest.approx(100 / 700)
    assert rotated_iou(a, OrientedBox(500, 500, 40, 10, 30)) == 0.0


def test_packed_diagonal_aircraft_survive_rotated_nms() -> None:
    # a row of aircraft parked wing to wing on a diagonal apron, 1 px apart
    row = [OrientedBox(-9.2 * i, 9.2 * i, 40, 12, 45) for i in range(6)]
    for a, b in itertools.pairwise(row):
        assert rotated_iou(a, b) < 0.05
        assert aabb_iou(a, b) > 0.3  # what an axis-aligned merge would wrongly see
    keep = nms_rotated(row, [0.9, 0.8, 0.85, 0.7, 0.95, 0.6], 0.3)
    assert sorted(keep) == list(range(6))
    # axis-aligned NMS at the same threshold would drop every other aircraft
    dup = [*row, OrientedBox(-9.0, 9.4, 40, 12, 44)]
    assert len(nms_rotated(dup, [0.9] * 6 + [0.5], 0.3)) == 6


def test_nms_per_class() -> None:
    a = OrientedBox(0, 0, 40, 10, 0)
    assert nms_rotated([a, a], [0.9, 0.8], 0.5, classes=[0, 1]) == [0, 1]
    assert nms_rotated([a, a], [0.9, 0.8], 0.5, classes=[0, 0]) == [0]


def test_tiles_cover_the_scene_and_own_each_point_once() -> None:
    for w, h, s in [(20_000, 20_000, 0.5), (2560, 2560, 0.5), (3000, 700, 1.0), (100, 90, 2.0)]:
        tw, th, jobs = tile_jobs(w, h, s, tile=1536, overlap=128)
        assert tw % 32 == 0 and th % 32 == 0 and tw <= 1536 and th <= 1536
        mw, mh = round(w * s), round(h * s)
        # every model-frame point is owned by exactly one tile
        rng = np.random.default_rng(0)
        for x, y in rng.uniform(0, 1, (300, 2)) * (mw, mh):
            owners = [j for j in jobs if j.own[0] <= x < j.own[2] and j.own[1] <= y < j.own[3]]
            assert len(owners) == 1
            j = owners[0]
            # and it lies at least half the overlap inside that tile, unless at the scene edge
            assert j.x0 <= x < j.x0 + tw and j.y0 <= y < j.y0 + th
        # native windows cover the raster
        assert min(j.window.col for j in jobs) == 0
        assert max(j.window.col + j.window.width for j in jobs) >= w - 1


def test_object_on_a_tile_border_is_kept_once() -> None:
    # one aircraft at model x = 700 sits in the overlap of the first two tiles
    tw, th, jobs = tile_jobs(4000, 1000, 0.5, tile=1024, overlap=128)
    assert sum(j.x0 <= 700 < j.x0 + tw for j in jobs) == 2
    kept = []
    for job in jobs:
        peaks = np.zeros((1, th // 4, tw // 4), np.float32)
        reg = np.zeros((6, th // 4, tw // 4), np.float32)
        lx = 700 - job.x0
        if not 0 <= lx < tw:
            continue
        cx, cy = lx // 4, 60
        peaks[0, cy, cx] = 0.9
        reg[2, cy, cx], reg[3, cy, cx] = np.log(10.0), np.log(3.0)
        kept += _tile_boxes((peaks[None], reg[None]), 0, job, 0.3, 4)
    assert len(kept) == 1
    _, _, box = kept[0]
    assert box.cx == pytest.approx(700 / 0.5, abs=4.0)
    assert box.length == pytest.approx(40 / 0.5)


def test_decode_returns_long_side_first() -> None:
    pk = np.zeros((1, 4, 4), np.float32)
    pk[0, 1, 1] = 0.8
    rg = np.zeros((6, 4, 4), np.float32)
    rg[2, 1, 1], rg[3, 1, 1] = np.log(2.0), np.log(6.0)  # width > length: swapped
    rg[5, 1, 1] = 1.0
    [b] = decode(pk, rg)
    assert (b.length, b.width, b.angle_deg) == pytest.approx((24.0, 8.0, 90.0))
    assert isinstance(TileJob, type)
