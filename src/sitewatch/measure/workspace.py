"""The measure stage over stored detections: what :func:`sitewatch.pipeline.measure_pass` calls.

For each detection of a pass, :func:`measure_records` returns a JSON-ready dict (metres, heading
and its kind, type candidates, state suggestions) to be kept as the detection's ``measurement``.
It uses the analyst's relabelled class and type when review has set them, reads only a small
window of the raster around each box (for the nose/bow cue), and never writes anything itself.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt

from sitewatch.measure.box import OrientedBox
from sitewatch.measure.catalogue import load_catalogue
from sitewatch.measure.describe import describe

__all__ = ["MEASURE_VERSION", "measure_records"]

#: Stored with every record so a figure in a briefing can be traced to the code that made it.
MEASURE_VERSION = "sitewatch-measure-1"
_CUE_CLASSES = ("aircraft", "ship")


def _window(ds: Any, box: OrientedBox) -> tuple[npt.NDArray[np.float64], float, float] | None:
    """Grey pixels around ``box`` and the window's origin (col, row), or ``None``."""
    from rasterio.windows import Window

    half = 0.8 * max(box.length_px, box.width_px) + 4
    c0 = max(0, math.floor(box.cx - half))
    r0 = max(0, math.floor(box.cy - half))
    c1 = min(ds.width, math.ceil(box.cx + half))
    r1 = min(ds.height, math.ceil(box.cy + half))
    if c1 - c0 < 4 or r1 - r0 < 4:
        return None
    arr = ds.read(window=Window(c0, r0, c1 - c0, r1 - r0)).astype(np.float64)
    return arr.mean(axis=0), float(c0), float(r0)


def _type_name(det: Any) -> str | None:
    name = getattr(det, "type_name", None)
    if not name:
        return None
    try:
        return load_catalogue().get(str(name)).name
    except KeyError:
        return None  # a free-text type the catalogue does not know: no state rules for it


def measure_records(p: Any, dets: Iterable[Any]) -> dict[int, dict[str, Any]]:
    """Measure every detection of pass ``p`` (a :class:`sitewatch.imagery.model.Pass`).

    Map-frame passes are measured geodesically from their transform and CRS; pixel-frame
    passes from their GSD. A detection that cannot be measured gets ``{"error": reason}``.
    """
    georef = getattr(p, "transform", None) is not None and getattr(p, "crs", None) is not None
    gsd = getattr(p, "gsd_m", None)
    out: dict[int, dict[str, Any]] = {}
    ds = None
    try:
        try:
            import rasterio
            from rasterio.errors import NotGeoreferencedWarning

            with warnings.catch_warnings():
                # pixel-frame passes (PNG/JPEG) have no transform by design
                warnings.simplefilter("ignore", NotGeoreferencedWarning)
                ds = rasterio.open(p.path)
        except Exception:  # no readable raster: measure without the nose cue
            ds = None
        for det in dets:
            cls = getattr(det, "effective_class", None) or det.class_name
            box = OrientedBox.from_detection(det)
            box = OrientedBox(
                box.cx, box.cy, box.length_px, box.width_px, box.angle_deg, cls, box.score
            )
            image = None
            local = box
            if ds is not None and cls in _CUE_CLASSES:
                win = _window(ds, box)
                if win is not None:
                    image, c0, r0 = win
                    local = OrientedBox(
                        box.cx - c0,
                        box.cy - r0,
                        box.length_px,
                        box.width_px,
                        box.angle_deg,
                        cls,
                        box.score,
                    )
            try:
                if georef and image is not None:
                    # the cue works in window pixels; geodesy needs raster pixels, so shift the
                    # transform's origin to the window instead of moving the box back
                    a, b, c, d, e, f = (float(v) for v in p.transform[:6])
                    c0 = box.cx - local.cx
                    r0 = box.cy - local.cy
                    tf = (a, b, a * c0 + b * r0 + c, d, e, d * c0 + e * r0 + f)
                    desc = describe(
                        local,
                        transform=tf,
                        crs=p.crs,
                        image=image,
                        gsd_m=gsd,
                        type_name=_type_name(det),
                    )
                elif georef:
                    desc = describe(
                        box, transform=p.transform, crs=p.crs, gsd_m=gsd, type_name=_type_name(det)
                    )
                else:
                    desc = describe(local, gsd_m=gsd, image=image, type_name=_type_name(det))
                rec = desc.as_dict()
            except (ValueError, KeyError) as exc:
                rec = {"error": str(exc)}
            rec["measure_version"] = MEASURE_VERSION
            out[int(det.id)] = rec
    finally:
        if ds is not None:
            ds.close()
    return out
