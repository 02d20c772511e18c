"""Read sites from GeoJSON files, with errors that name the feature and field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import shape

from sitewatch.errors import InputError
from sitewatch.sites.model import Site, SiteKind, slugify

__all__ = ["SiteImportResult", "read_sites_geojson", "site_from_feature"]


def site_from_feature(feature: dict[str, Any], *, path: str = "<geojson>", index: int = 0) -> Site:
    """Build a :class:`Site` from one GeoJSON feature.

    Properties read: ``name`` (required), ``slug``, ``kind``, ``aliases``, ``radius_m``,
    ``country``, ``approximate``, ``source`` or ``coord_source``; the rest is kept verbatim.

    >>> f = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [35.9, 35.4]},
    ...      "properties": {"name": "Test Field", "kind": "air base", "radius_m": 500}}
    >>> site_from_feature(f).slug
    'test-field'
    >>> site_from_feature({"type": "Feature", "geometry": None, "properties": {}})
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sitewatch.errors.InputError: <geojson>, field 'features[0].properties.name': missing ...
    """
    props = feature.get("properties") or {}
    label = f"features[{index}]"
    name = props.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InputError(
            "missing", path=path, field=f"{label}.properties.name", expected="a site name"
        )
    try:
        kind = SiteKind.parse(str(props.get("kind", "other")))
    except ValueError as exc:
        raise InputError(str(exc), path=path, field=f"{label}.properties.kind") from None
    geom = None
    if feature.get("geometry") is not None:
        try:
            geom = shape(feature["geometry"])
        except Exception as exc:
            raise InputError(
                f"{label}: invalid geometry ({exc})",
                path=path,
                field="geometry",
                expected="a GeoJSON Point or Polygon",
            ) from None
        if geom.geom_type not in ("Point", "Polygon", "MultiPolygon"):
            raise InputError(
                f"{label}: {geom.geom_type} geometry",
                path=path,
                field="geometry",
                expected="Point (with radius_m), Polygon or MultiPolygon",
            )
        if not shapely.is_valid(geom):
            raise InputError(f"{label}: self-intersecting polygon", path=path, field="geometry")
        minx, miny, maxx, maxy = geom.bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            raise InputError(
                f"{label}: coordinates out of range {geom.bounds}",
                path=path,
                field="geometry",
                expected="WGS84 longitude/latitude (RFC 7946)",
            )
    radius = props.get("radius_m")
    if radius is not None and (not isinstance(radius, int | float) or radius <= 0):
        raise InputError(
            f"{label}: radius_m={radius!r}",
            path=path,
            field="properties.radius_m",
            expected="a positive number of metres",
        )
    aliases = props.get("aliases") or []
    if isinstance(aliases, str):
        aliases = [a.strip() for a in aliases.split(";") if a.strip()]
    known = {"name", "slug", "kind", "aliases", "radius_m", "country", "approximate", "source"}
    return Site(
        slug=str(props.get("slug") or slugify(name)),
        name=name.strip(),
        kind=kind,
        geometry=geom,
        radius_m=float(radius) if radius is not None else None,
        aliases=tuple(str(a) for a in aliases),
        country=props.get("country"),
        approximate=bool(props.get("approximate", False)),
        source=props.get("source") or props.get("coord_source"),
        properties={k: v for k, v in props.items() if k not in known},
    )


class SiteImportResult:
    """Sites read from a file, and the features that could not be read (with reasons)."""

    def __init__(self) -> None:
        self.sites: list[Site] = []
        self.errors: list[InputError] = []


def read_sites_geojson(path: str | Path) -> SiteImportResult:
    """Read every feature of a GeoJSON FeatureCollection; a bad feature is reported, not fatal."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("file not found", path=p) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not valid JSON ({exc})", path=p, expected="a GeoJSON file") from None
    if not isinstance(doc, dict) or doc.get("type") not in ("FeatureCollection", "Feature"):
        raise InputError("not a GeoJSON Feature or FeatureCollection", path=p, field="type")
    features = doc["features"] if doc["type"] == "FeatureCollection" else [doc]
    result = SiteImportResult()
    for i, feat in enumerate(features):
        try:
            result.sites.append(site_from_feature(feat, path=str(p), index=i))
        except InputError as exc:
            result.errors.append(exc)
    return result
