"""The :class:`Site` domain object."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import Any

from shapely.geometry.base import BaseGeometry

__all__ = ["Site", "SiteKind", "slugify"]


class SiteKind(enum.StrEnum):
    """What a site is; drives which activity logic applies (air base vs port)."""

    AIR_BASE = "air_base"
    NAVAL_BASE = "naval_base"
    PORT = "port"
    ANCHORAGE = "anchorage"
    AIRPORT = "airport"
    OUTPOST = "outpost"
    AIR_DEFENCE = "air_defence"
    OTHER = "other"

    @classmethod
    def parse(cls, text: str) -> SiteKind:
        """Accept ``air base``, ``air-base``, ``AIR_BASE``…

        >>> SiteKind.parse("Naval base")
        <SiteKind.NAVAL_BASE: 'naval_base'>
        """
        key = re.sub(r"[\s\-]+", "_", text.strip().lower())
        try:
            return cls(key)
        except ValueError:
            choices = ", ".join(k.value for k in cls)
            raise ValueError(f"unknown site kind {text!r} (one of: {choices})") from None


def slugify(name: str) -> str:
    """A stable lower-case identifier from a name.

    >>> slugify("Hmeimim (Khmeimim) Air Base")
    'hmeimim-khmeimim-air-base'
    """
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "site"


@dataclass(frozen=True)
class Site:
    """A named place watched over time.

    ``geometry`` is WGS84 (lon/lat): a polygon, or a point with ``radius_m``; ``None`` when
    no sourced coordinates exist (the site still holds evidence). ``approximate`` keeps the
    source's warning that the coordinates are not surveyed.

    >>> import shapely
    >>> s = Site(slug="x", name="X", kind=SiteKind.AIRPORT,
    ...          geometry=shapely.Point(35.9, 35.4), radius_m=1000)
    >>> round(s.area_polygon().bounds[2] - 35.9, 3)
    0.011
    """

    slug: str
    name: str
    kind: SiteKind
    geometry: BaseGeometry | None = None
    radius_m: float | None = None
    aliases: tuple[str, ...] = ()
    country: str | None = None
    approximate: bool = False
    source: str | None = None
    properties: dict[str, Any] = field(default_factory=dict, compare=False)
    baseline_pass_id: int | None = None
    id: int | None = None

    def names(self) -> tuple[str, ...]:
        """Slug, name and aliases: everything a user may call this site by."""
        return (self.slug, self.name, *self.aliases)

    def area_polygon(self) -> BaseGeometry | None:
        """The site's area in WGS84: the polygon, or the point buffered by ``radius_m``.

        The buffer is made in a local azimuthal-equidistant projection so the radius is in
        metres wherever the site is.
        """
        if self.geometry is None:
            return None
        if self.geometry.geom_type in ("Polygon", "MultiPolygon"):
            return self.geometry
        if self.radius_m is None:
            return self.geometry
        from pyproj import CRS, Transformer
        from shapely.ops import transform

        c = self.geometry.centroid
        local = CRS.from_proj4(f"+proj=aeqd +lat_0={c.y} +lon_0={c.x} +units=m")
        fwd = Transformer.from_crs("EPSG:4326", local, always_xy=True).transform
        back = Transformer.from_crs(local, "EPSG:4326", always_xy=True).transform
        return transform(back, transform(fwd, self.geometry).buffer(self.radius_m, 64))
