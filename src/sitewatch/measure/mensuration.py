"""Metres and degrees from an oriented box, each with an uncertainty.

Two frames:

* **pixel frame** (a pass without a CRS, in its site's pixel frame at a stated GSD ``g``):
  lengths are ``pixels × g``; headings are clockwise from *image up*
  (``HeadingReference.IMAGE_UP``).
* **georeferenced** (an affine transform + CRS): the box's end points are taken through the
  transform to the CRS, then to WGS 84 longitude/latitude with pyproj, and lengths and azimuths
  are *geodesic* (``pyproj.Geod`` on the WGS 84 ellipsoid). This is right for any CRS: a
  geographic one (degrees), a UTM zone (whose scale factor and grid convergence it absorbs), or
  a local projection. Headings are clockwise from true north (``HeadingReference.TRUE_NORTH``).

Uncertainty (one standard deviation), with ``g`` the metres per pixel along the measured axis:

* each box edge is placed with error ``σ_e² = 1/12 + f²`` px² — a uniform quantisation error of
  one pixel (variance 1/12) plus a box-fit error of ``f`` px per edge (default
  :data:`DEFAULT_FIT_PX`; labels fit tighter than detectors, pass the value your source earns);
* a length is the difference of two edges, and the GSD itself is known to a relative ``r``
  (default :data:`DEFAULT_GSD_REL_SD`, or ``gsd_sd_m / g``), so

  ``σ_L = sqrt(2 σ_e² g² + (L r)²)`` and likewise ``σ_W`` with ``W``;
* the axis direction follows from the two ends, each uncertain by ``σ_e`` across the axis, so
  ``σ_θ = degrees(atan(sqrt(2) σ_e / L_px))``.

Heading is over 360° only when the front can be told from the back (:func:`nose_cue` on the image
patch for aircraft and ships); otherwise it is an axis in [0, 180) and flagged
``HeadingKind.AXIAL``.

>>> m = measure(OrientedBox(100, 100, 200, 40, 90.0, "ship"), gsd_m=0.5)
>>> round(m.length.value, 1), round(m.length.sd, 2), m.heading_kind.value, m.heading_deg
(100.0, 2.13, 'axial', 0.0)
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy.typing as npt

from sitewatch.measure.box import OrientedBox, fold180
from sitewatch.measure.heading import NoseCue, nose_cue

__all__ = [
    "DEFAULT_FIT_PX",
    "DEFAULT_GSD_REL_SD",
    "Estimate",
    "HeadingKind",
    "HeadingReference",
    "Measurement",
    "measure",
    "measure_detection",
]

#: Box-fit error per edge in pixels for a detector box. Labels fit tighter: on the 589 DOTA-ports
#: labels the min-area rectangle differs from the label's own edges by a median 0.4 px and a p90
#: of 1 px in length, i.e. about 0.5 px per edge. 1 px is a provisional detector figure, to be
#: re-estimated with ``scripts/measure_length_error.py`` once the detector model exists.
DEFAULT_FIT_PX = 1.0
#: Relative uncertainty of a stated GSD (off-nadir passes differ from nominal by a few %).
DEFAULT_GSD_REL_SD = 0.02


class HeadingKind(enum.Enum):
    """Whether a heading is a direction (nose known) or only an axis (modulo 180°)."""

    DIRECTED = "directed"  # 0–360°, front identified
    AXIAL = "axial"  # 0–180°, front and back indistinguishable


class HeadingReference(enum.Enum):
    """What a heading of 0° points at."""

    TRUE_NORTH = "true_north"
    IMAGE_UP = "image_up"


@dataclass(frozen=True)
class Estimate:
    """A value with its one-sigma uncertainty, in ``unit``."""

    value: float
    sd: float
    unit: str = "m"

    def __str__(self) -> str:
        """``69.0 ± 1.4 m``.

        >>> str(Estimate(69.04, 1.43))
        '69.0 ± 1.4 m'
        """
        return f"{self.value:.1f} ± {self.sd:.1f} {self.unit}"


@dataclass(frozen=True)
class Measurement:
    """What mensuration says about one box.

    ``length`` is measured along the fore-aft axis when that is known (``axes_known``; only an
    aircraft's nose cue can move it to the box's short side), otherwise along the box's long
    side; ``width`` across it (wingspan, rotor disc, beam or vehicle width).
    """

    class_name: str
    length: Estimate
    width: Estimate
    heading_deg: float
    heading_sd_deg: float
    heading_kind: HeadingKind
    heading_reference: HeadingReference
    gsd_m: float
    axes_known: bool
    cue: NoseCue | None = None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict.

        >>> measure(OrientedBox(0, 0, 20, 10, 0, "vehicle"), gsd_m=0.25).as_dict()["length_m"]
        5.0
        """
        return {
            "class": self.class_name,
            "length_m": round(self.length.value, 3),
            "length_sd_m": round(self.length.sd, 3),
            "width_m": round(self.width.value, 3),
            "width_sd_m": round(self.width.sd, 3),
            "heading_deg": round(self.heading_deg, 2),
            "heading_sd_deg": round(self.heading_sd_deg, 2),
            "heading_kind": self.heading_kind.value,
            "heading_reference": self.heading_reference.value,
            "gsd_m": round(self.gsd_m, 4),
            "axes_known": self.axes_known,
            "cue": None if self.cue is None else self.cue.reason,
        }


def _sd(extent_m: float, g: float, edge_var: float, rel: float) -> float:
    return math.sqrt(2.0 * edge_var * g * g + (extent_m * rel) ** 2)


def _image_heading(axis_deg: float) -> float:
    # axis from +x towards +y (y down); heading clockwise from image up: atan2(dx, -dy)
    t = math.radians(axis_deg)
    return math.degrees(math.atan2(math.cos(t), -math.sin(t))) % 360.0


def _geo(
    box: OrientedBox,
    axis_deg: float,
    along_px: float,
    across_px: float,
    transform: Sequence[float],
    crs: Any,
) -> tuple[float, float, float]:
    """Geodesic (along m, across m, azimuth of +axis from true north)."""
    from pyproj import CRS, Geod, Transformer

    a, b, c, d, e, f = (float(v) for v in list(transform)[:6])
    to_ll = Transformer.from_crs(CRS.from_user_input(crs), "EPSG:4326", always_xy=True)
    geod = Geod(ellps="WGS84")
    t = math.radians(axis_deg)
    ux, uy, vx, vy = math.cos(t), math.sin(t), -math.sin(t), math.cos(t)

    def ll(px: float, py: float) -> tuple[float, float]:
        lon, lat = to_ll.transform(a * px + b * py + c, d * px + e * py + f)
        return float(lon), float(lat)

    c0 = ll(box.cx, box.cy)
    p_plus = ll(box.cx + ux * along_px / 2, box.cy + uy * along_px / 2)
    p_minus = ll(box.cx - ux * along_px / 2, box.cy - uy * along_px / 2)
    q_plus = ll(box.cx + vx * across_px / 2, box.cy + vy * across_px / 2)
    q_minus = ll(box.cx - vx * across_px / 2, box.cy - vy * across_px / 2)
    _, _, along = geod.inv(p_minus[0], p_minus[1], p_plus[0], p_plus[1])
    _, _, across = geod.inv(q_minus[0], q_minus[1], q_plus[0], q_plus[1])
    az, _, _ = geod.inv(c0[0], c0[1], p_plus[0], p_plus[1])
    return float(along), float(across), float(az) % 360.0


def measure(
    box: OrientedBox,
    *,
    gsd_m: float | None = None,
    transform: Sequence[float] | None = None,
    crs: Any = None,
    image: npt.ArrayLike | None = None,
    gsd_sd_m: float | None = None,
    fit_px: float = DEFAULT_FIT_PX,
) -> Measurement:
    """Measure one box in metres and degrees.

    Parameters
    ----------
    box
        The oriented box in the raster's pixel frame.
    gsd_m
        Metres per pixel, for a pass without a CRS (ignored when ``transform`` and ``crs`` are
        given, except as the GSD whose uncertainty ``gsd_sd_m`` describes).
    transform, crs
        The raster's affine transform (``a, b, c, d, e, f`` as in GDAL/rasterio:
        ``x = a·col + b·row + c``, ``y = d·col + e·row + f``; a rasterio ``Affine`` works) and CRS
        (anything pyproj accepts).
    image
        The raster (or the window the box coordinates refer to), grey or channels-last, used to
        tell nose from tail; without it the heading is axial.
    gsd_sd_m
        One-sigma uncertainty of the GSD in metres; default :data:`DEFAULT_GSD_REL_SD` × GSD.
    fit_px
        Box-fit error per edge in pixels.

    Examples
    --------
    A 276 × 292 px aircraft box at 0.25 m on a georeferenced UTM pass:

    >>> b = OrientedBox(500, 500, 292, 276, 0.0, "aircraft")
    >>> m = measure(b, transform=(0.25, 0, 500000, 0, -0.25, 3900000), crs="EPSG:32637")
    >>> round(m.length.value, 1), round(m.width.value, 1), m.heading_reference.value
    (73.0, 69.0, 'true_north')

    On a pass in degrees (EPSG:4326), lengths are still metres:

    >>> g = measure(OrientedBox(0, 0, 100, 20, 0, "ship"),
    ...             transform=(1e-5, 0, 35.9, 0, -1e-5, 35.4), crs="EPSG:4326")
    >>> round(g.length.value, 1)
    90.8
    """
    georef = transform is not None and crs is not None
    if not georef and (gsd_m is None or gsd_m <= 0):
        raise ValueError("give gsd_m (> 0) for a pixel-frame pass, or transform and crs")
    cue: NoseCue | None = None
    axis = box.angle_deg
    along_px, across_px = box.length_px, box.width_px
    if image is not None:
        cue = nose_cue(image, box)
        if cue.sign != 0:
            if abs(math.cos(math.radians(cue.axis_deg - box.angle_deg))) < 0.5:
                along_px, across_px = box.width_px, box.length_px
            axis = cue.axis_deg if cue.sign > 0 else cue.axis_deg + 180.0
    axes_known = cue is not None and cue.sign != 0
    if georef:
        assert transform is not None
        along_m, across_m, az = _geo(box, axis, along_px, across_px, transform, crs)
        g = along_m / along_px if along_px > 0 else float(gsd_m or 0.0)
        ref = HeadingReference.TRUE_NORTH
        g_across = across_m / across_px if across_px > 0 else g
    else:
        assert gsd_m is not None
        g = g_across = gsd_m
        along_m, across_m = along_px * g, across_px * g
        az = _image_heading(axis)
        ref = HeadingReference.IMAGE_UP
    rel = (gsd_sd_m / (gsd_m or g)) if gsd_sd_m is not None else DEFAULT_GSD_REL_SD
    edge_var = 1.0 / 12.0 + fit_px * fit_px
    kind = HeadingKind.DIRECTED if axes_known else HeadingKind.AXIAL
    heading = az % 360.0 if axes_known else fold180(az)
    sd_deg = math.degrees(math.atan(math.sqrt(2.0 * edge_var) / max(along_px, 1e-9)))
    return Measurement(
        class_name=box.class_name,
        length=Estimate(along_m, _sd(along_m, g, edge_var, rel)),
        width=Estimate(across_m, _sd(across_m, g_across, edge_var, rel)),
        heading_deg=heading,
        heading_sd_deg=sd_deg,
        heading_kind=kind,
        heading_reference=ref,
        gsd_m=g,
        axes_known=axes_known,
        cue=cue,
    )


def measure_detection(det: Any, **kwargs: Any) -> Measurement:
    """Measure a detector ``Detection`` (adapted with :meth:`OrientedBox.from_detection`).

    >>> from types import SimpleNamespace as NS
    >>> d = NS(class_name="vehicle", score=0.9, cx=0, cy=0, length_px=18, width_px=8, angle_deg=0)
    >>> round(measure_detection(d, gsd_m=0.25).length.value, 2)
    4.5
    """
    return measure(OrientedBox.from_detection(det), **kwargs)
