"""The detector's domain object: one oriented detection in a raster.

>>> d = Detection("aircraft", 0.9, 100.0, 50.0, 40.0, 30.0, 0.0,
...               ((120.0, 65.0), (80.0, 65.0), (80.0, 35.0), (120.0, 35.0)), "m-1")
>>> d.class_name, d.length_px, d.polygon_wgs84 is None
('aircraft', 40.0, True)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Detection", "Point"]

Point = tuple[float, float]


@dataclass(frozen=True)
class Detection:
    """One detected object.

    Pixel values are in the ORIGINAL raster's pixel frame (x right, y down), whatever GSD the
    model ran at. ``angle_deg`` is the long axis from +x towards +y, folded into [0, 180).
    ``polygon_map`` is in the raster's CRS and ``polygon_lonlat`` in WGS 84 (lon, lat) when the
    raster is georeferenced, else ``None``. ``model_gsd_m`` is the ground resolution the model
    saw the object at: its own GSD, or a coarser one for a hull found by a long-hull pass.
    """

    class_name: str
    score: float
    cx: float
    cy: float
    length_px: float
    width_px: float
    angle_deg: float
    polygon: tuple[Point, ...]
    model_version: str
    polygon_map: tuple[Point, ...] | None = None
    polygon_lonlat: tuple[Point, ...] | None = None
    crs: str | None = None
    model_gsd_m: float | None = None

    @property
    def polygon_wgs84(self) -> str | None:
        """The lon/lat polygon as WKT (what the workspace store keeps), or ``None``.

        >>> Detection("ship", 0.5, 0, 0, 2, 1, 0, (), "v",
        ...           polygon_lonlat=((1.0, 2.0), (3.0, 2.0), (3.0, 4.0))).polygon_wgs84
        'POLYGON ((1.0 2.0, 3.0 2.0, 3.0 4.0, 1.0 2.0))'
        """
        if not self.polygon_lonlat:
            return None
        ring = [*self.polygon_lonlat, self.polygon_lonlat[0]]
        return "POLYGON ((" + ", ".join(f"{x!r} {y!r}" for x, y in ring) + "))"
