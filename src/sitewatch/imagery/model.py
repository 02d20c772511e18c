"""The :class:`Pass` domain object: one image of a site at one time."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shapely.geometry.base import BaseGeometry

__all__ = ["Frame", "Pass"]


class Frame(enum.StrEnum):
    """Where a pass's coordinates live.

    ``MAP``: the raster has a CRS and transform; footprints are WGS84.
    ``PIXEL``: a plain image; it lives in its site's pixel frame (x right, y down) and metres
    come from the stated GSD.
    """

    MAP = "map"
    PIXEL = "pixel"


@dataclass(frozen=True)
class Pass:
    """One image of one site: raster file + time + sensor + GSD + footprint + frame.

    ``transform`` is the 6-number affine (a, b, c, d, e, f) from pixel to CRS coordinates
    when ``frame`` is MAP. ``footprint`` is WGS84 for MAP passes and the pixel rectangle for
    PIXEL passes.
    """

    site_slug: str
    path: str
    sha256: str
    file_size: int
    width: int
    height: int
    band_count: int
    frame: Frame
    gsd_m: float | None
    acquired_at: datetime | None = None
    sensor: str | None = None
    crs: str | None = None
    transform: tuple[float, ...] | None = None
    footprint: BaseGeometry | None = None
    label: str | None = None
    meta: dict[str, Any] = field(default_factory=dict, compare=False)
    id: int | None = None

    @property
    def area_km2(self) -> float | None:
        """Ground area covered, from pixel count × GSD² (None without a GSD)."""
        if self.gsd_m is None:
            return None
        return self.width * self.height * self.gsd_m**2 / 1e6

    def describe_time(self) -> str:
        """The acquisition time as a briefing prints it, or a plain 'date not known'."""
        if self.acquired_at is None:
            return "date not known"
        return self.acquired_at.strftime("%Y-%m-%d %H:%M UTC")
