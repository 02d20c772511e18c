"""Turn an image file into a :class:`Pass` of a site, with its provenance and a clear error
when it cannot be one.

GeoTIFF/COG: CRS, transform, WGS84 footprint and GSD come from the file; the acquisition time
from the usual tags (``TIFFTAG_DATETIME``, ``ACQUISITION_DATETIME``…) when present. Plain
JPEG/PNG: no CRS, so the pass lives in the site's pixel frame; date, GSD, sensor and label come
from flags or from a sidecar ``FILE.json`` (flags win).
"""

from __future__ import annotations

import json
import math
import re
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import shapely
from pyproj import CRS, Geod, Transformer
from rasterio.errors import NotGeoreferencedWarning
from shapely.geometry import box

from sitewatch.errors import InputError
from sitewatch.imagery.model import Frame, Pass
from sitewatch.imagery.reader import RasterReader, sha256_file
from sitewatch.sites.model import Site

__all__ = ["inspect_pass", "parse_when", "read_sidecar"]

_DATE_TAGS = (
    "ACQUISITION_DATETIME",
    "ACQUISITIONDATETIME",
    "acquisition_datetime",
    "datetime",
    "DATETIME",
    "TIFFTAG_DATETIME",
)
_SIDECAR_KEYS = {"date", "datetime", "acquired_at", "gsd", "gsd_m", "sensor", "label", "notes"}


def parse_when(text: str, *, field: str = "date", path: str | Path | None = None) -> datetime:
    """Parse a date or time into UTC. Naive times are taken as UTC with a warning.

    >>> parse_when("2024-12-13").isoformat()
    '2024-12-13T00:00:00+00:00'
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:  # TIFF tags carry no zone
    ...     warnings.simplefilter("always")
    ...     t = parse_when("2024:12:13 08:41:02")
    >>> t.isoformat(), str(caught[0].message)
    ('2024-12-13T08:41:02+00:00', "date='2024:12:13 08:41:02' has no time zone; taken as UTC")
    >>> parse_when("2024-12-13T10:00:00+02:00").hour
    8
    """
    t = text.strip()
    m = re.fullmatch(r"(\d{4}):(\d{2}):(\d{2})[ T](\d{2}:\d{2}:\d{2})", t)
    if m:
        t = f"{m.group(1)}-{m.group(2)}-{m.group(3)}T{m.group(4)}"
    try:
        value = datetime.fromisoformat(t.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            f"unreadable date {text!r}",
            path=path,
            field=field,
            expected="YYYY-MM-DD or an ISO 8601 time",
        ) from None
    if value.tzinfo is None:
        if len(t) > 10:
            warnings.warn(f"{field}={text!r} has no time zone; taken as UTC", stacklevel=2)
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def read_sidecar(path: Path) -> dict[str, Any]:
    """The metadata in ``FILE.json`` beside an image (empty when there is none)."""
    for side in (path.with_name(path.name + ".json"), path.with_suffix(".json")):
        if side.is_file():
            try:
                data = json.loads(side.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise InputError(f"sidecar is not valid JSON ({exc})", path=side) from None
            if not isinstance(data, dict):
                raise InputError("sidecar must be a JSON object", path=side)
            unknown = set(data) - _SIDECAR_KEYS
            if unknown:
                raise InputError(
                    f"unknown keys {sorted(unknown)}",
                    path=side,
                    expected=f"keys among {sorted(_SIDECAR_KEYS)}",
                )
            data["_sidecar"] = str(side)
            return data
    return {}


def _gsd_from_transform(crs: CRS, transform: Any, width: int, height: int) -> float:
    """Metres per pixel at the scene centre: projected CRS units or geodesic for degrees."""
    a, b, _, d, e, _ = transform[:6]
    if crs.is_geographic:
        cx, cy = transform * (width / 2, height / 2)
        x1, y1 = transform * (width / 2 + 1, height / 2)
        x2, y2 = transform * (width / 2, height / 2 + 1)
        geod = Geod(ellps="WGS84")
        dx = geod.inv(cx, cy, x1, y1)[2]
        dy = geod.inv(cx, cy, x2, y2)[2]
        return float(math.sqrt(abs(dx * dy)))
    unit = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
    return float(math.sqrt(abs(a * e - b * d)) * unit)


def inspect_pass(
    path: str | Path,
    site: Site,
    *,
    date: str | None = None,
    gsd_m: float | None = None,
    sensor: str | None = None,
    label: str | None = None,
) -> Pass:
    """Read a file's header (and its last rows, to catch truncation) and describe it as a pass.

    Raises :class:`InputError` naming the file when it is not an image, is truncated, has no
    usable GSD, or (georeferenced) does not intersect the site.
    """
    p = Path(path).resolve()
    side = read_sidecar(p)
    with RasterReader(p) as reader:
        reader.check_readable()
        ds = reader.dataset
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            crs = ds.crs
            transform = ds.transform
        tags = {**ds.tags(), **ds.tags(ns="IMAGE_STRUCTURE")}
        width, height, count = reader.width, reader.height, reader.count
    meta: dict[str, Any] = {"driver": ds.driver}
    when_text = date or side.get("date") or side.get("datetime") or side.get("acquired_at")
    when_field = "--date" if date else "date"
    if when_text is None:
        for tag in _DATE_TAGS:
            if tags.get(tag):
                when_text, when_field = tags[tag], f"tag {tag}"
                break
    acquired = parse_when(str(when_text), field=when_field, path=p) if when_text else None
    gsd_given = gsd_m if gsd_m is not None else side.get("gsd_m", side.get("gsd"))
    if gsd_given is not None:
        try:
            gsd_given = float(gsd_given)
        except (TypeError, ValueError):
            raise InputError(f"GSD {gsd_given!r}", path=p, field="gsd", expected="metres") from None
        if not 0 < gsd_given < 1000:
            raise InputError(
                f"GSD {gsd_given} m", path=p, field="gsd", expected="0 < GSD < 1000 metres"
            )
    if "_sidecar" in side:
        meta["sidecar"] = side["_sidecar"]
    if crs is not None and not transform.is_identity:
        frame = Frame.MAP
        crs = CRS.from_user_input(crs.to_wkt())  # rasterio's CRS → pyproj's, for axis units
        gsd = _gsd_from_transform(crs, transform, width, height)
        if gsd_given is not None and abs(gsd_given - gsd) / gsd > 0.05:
            meta["gsd_stated_m"] = gsd_given
        to_wgs = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        ring = [transform * (c, r) for c, r in [(0, 0), (width, 0), (width, height), (0, height)]]
        # densify edges so a footprint in a projected CRS stays right after reprojection
        pts = []
        for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
            for k in range(8):
                pts.append(to_wgs.transform(x0 + (x1 - x0) * k / 8, y0 + (y1 - y0) * k / 8))
        footprint = shapely.Polygon(pts)
        area = site.area_polygon()
        if area is not None and not footprint.intersects(area):
            raise InputError(
                f"footprint {tuple(round(v, 4) for v in footprint.bounds)} does not intersect "
                f"site {site.slug!r} ({tuple(round(v, 4) for v in area.bounds)})",
                path=p,
                expected="an image covering the site (check the CRS and the site)",
            )
        epsg = crs.to_epsg()
        crs_text = f"EPSG:{epsg}" if epsg else crs.to_wkt()
        tf: tuple[float, ...] | None = tuple(float(v) for v in transform[:6])
    else:
        frame = Frame.PIXEL
        if gsd_given is None:
            raise InputError(
                "plain image without a CRS needs a ground sample distance",
                path=p,
                field="gsd",
                expected="--gsd METRES or a sidecar FILE.json with 'gsd'",
            )
        gsd = gsd_given
        footprint = box(0, 0, width, height)
        crs_text, tf = None, None
    if acquired is None:
        meta["date_note"] = "acquisition date not known"
    return Pass(
        site_slug=site.slug,
        path=str(p),
        sha256=sha256_file(p),
        file_size=p.stat().st_size,
        width=width,
        height=height,
        band_count=count,
        frame=frame,
        gsd_m=gsd,
        acquired_at=acquired,
        sensor=sensor or side.get("sensor") or tags.get("SENSOR") or None,
        crs=crs_text,
        transform=tf,
        footprint=footprint,
        label=label or side.get("label"),
        meta=meta,
    )
