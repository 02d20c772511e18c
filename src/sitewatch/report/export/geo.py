"""Vector writers: GeoJSON (RFC 7946), KML styled by class, GeoPackage (pyogrio), CSV.

All writers take :class:`~sitewatch.report.export.features.FeatureRecord` lists and write
deterministically (same records → same bytes). Map-frame data is WGS84 lon/lat; pixel-frame
data is written only where the format can say so: GeoJSON with a top-level
``"frame": "pixel"``, GeoPackage as a layer without CRS named ``<kind>_pixel``, CSV with a
``frame`` column. KML is lon/lat by definition, so pixel-frame data is refused there.

>>> import json, shapely
>>> from sitewatch.report.export.features import FeatureRecord
>>> doc = geojson_document([FeatureRecord("sites", 1, shapely.Point(35.94, 35.41), "map",
...                                       {"name": "Hmeimim"})], "map")
>>> doc["features"][0]["geometry"], "frame" in doc
({'type': 'Point', 'coordinates': [35.94, 35.41]}, False)
>>> geojson_document([], "pixel")["frame"]
'pixel'
>>> kml_colour("aircraft") == kml_colour("aircraft")
True
"""

from __future__ import annotations

import csv
import hashlib
import json
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from sitewatch.errors import SitewatchError
from sitewatch.report.export.features import FeatureRecord

__all__ = [
    "PIXEL_NOTE",
    "geojson_document",
    "kml_colour",
    "write_csv",
    "write_geojson",
    "write_gpkg",
    "write_kml",
]

PIXEL_NOTE = (
    "Coordinates are pixels of each feature's pass (x right, y down; see pass_id), not "
    "longitude/latitude: the imagery has no georeference, so north is unknown."
)

# RFC 7946 §11.2: 7 decimals (~1 cm) is more than any source here supports.
_DECIMALS = 7

# Distinct colours for classes, KML-ordered (aabbggrr); a class's colour comes from a hash of
# its name so it stays the same across exports without a central table.
_PALETTE = ("ff0000ff", "ff00a5ff", "ff00ffff", "ff00ff00", "ffffff00", "ffff0000", "ffff00ff")


def kml_colour(name: str) -> str:
    """A stable KML colour (``aabbggrr``) for a class name."""
    digest = hashlib.sha256(name.encode()).digest()
    return _PALETTE[digest[0] % len(_PALETTE)]


def _round(geom: BaseGeometry) -> BaseGeometry:
    return shapely.set_precision(geom, 10**-_DECIMALS) if geom.geom_type != "Point" else geom


def _rfc7946(geom: BaseGeometry) -> dict[str, Any]:
    # RFC 7946 §3.1.6: exterior rings counter-clockwise, holes clockwise.
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        geom = shapely.orient_polygons(geom)
    out: dict[str, Any] = _round_coords(json.loads(json.dumps(mapping(geom))))
    return out


def _round_coords(obj: Any) -> Any:
    if isinstance(obj, float):
        return round(obj, _DECIMALS)
    if isinstance(obj, list | tuple):
        return [_round_coords(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _round_coords(v) for k, v in obj.items()}
    return obj


def geojson_document(records: Sequence[FeatureRecord], frame: str) -> dict[str, Any]:
    """A FeatureCollection: RFC 7946 for ``map``; with ``"frame": "pixel"`` otherwise."""
    features = []
    for r in records:
        geometry = None if r.geometry is None else _rfc7946(r.geometry)
        features.append(
            {
                "type": "Feature",
                "id": f"{r.layer}-{r.id}",
                "geometry": geometry,
                "properties": {"layer": r.layer, "id": r.id, **r.properties},
            }
        )
    doc: dict[str, Any] = {"type": "FeatureCollection"}
    if frame == "pixel":
        doc["frame"] = "pixel"
        doc["frame_note"] = PIXEL_NOTE
    doc["features"] = features
    return doc


def write_geojson(records: Sequence[FeatureRecord], frame: str, out: Path) -> Path:
    """Write :func:`geojson_document` to ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(geojson_document(records, frame), ensure_ascii=False, indent=1)
    out.write_text(text + "\n", encoding="utf-8")
    return out


def _kml_coords(coords: Any) -> str:
    return " ".join(f"{x:.{_DECIMALS}f},{y:.{_DECIMALS}f}" for x, y, *_ in coords)


def _kml_geometry(parent: ET.Element, geom: BaseGeometry) -> None:
    kind = geom.geom_type
    if kind == "Point":
        ET.SubElement(ET.SubElement(parent, "Point"), "coordinates").text = _kml_coords(geom.coords)
    elif kind == "LineString":
        ET.SubElement(ET.SubElement(parent, "LineString"), "coordinates").text = _kml_coords(
            geom.coords
        )
    elif isinstance(geom, shapely.Polygon):
        poly = ET.SubElement(parent, "Polygon")
        outer = ET.SubElement(ET.SubElement(poly, "outerBoundaryIs"), "LinearRing")
        ET.SubElement(outer, "coordinates").text = _kml_coords(geom.exterior.coords)
        for ring in geom.interiors:
            inner = ET.SubElement(ET.SubElement(poly, "innerBoundaryIs"), "LinearRing")
            ET.SubElement(inner, "coordinates").text = _kml_coords(ring.coords)
    else:  # Multi* and collections
        multi = ET.SubElement(parent, "MultiGeometry")
        for part in getattr(geom, "geoms", []):
            _kml_geometry(multi, part)


def _style_id(name: str) -> str:
    return "class-" + "".join(c if c.isalnum() else "-" for c in name.lower())


def write_kml(records: Sequence[FeatureRecord], out: Path, *, title: str) -> Path:
    """KML for Google Earth: one folder per layer, one shared style per class.

    Raises
    ------
    SitewatchError
        When a record is in the pixel frame (KML can only hold lon/lat).
    """
    if any(r.frame != "map" for r in records):
        raise SitewatchError(
            "KML holds longitude/latitude only and these features are in a pixel frame "
            "(their imagery has no georeference): export them as geojson, gpkg or csv"
        )
    kml = ET.Element("kml", xmlns="http://www.opengis.net/kml/2.2")
    doc = ET.SubElement(kml, "Document")
    ET.SubElement(doc, "name").text = title
    for cls in sorted({r.class_name for r in records}):
        style = ET.SubElement(doc, "Style", id=_style_id(cls))
        colour = kml_colour(cls)
        icon = ET.SubElement(style, "IconStyle")
        ET.SubElement(icon, "color").text = colour
        ET.SubElement(
            ET.SubElement(icon, "Icon"), "href"
        ).text = "http://maps.google.com/mapfiles/kml/shapes/placemark_circle.png"
        line = ET.SubElement(style, "LineStyle")
        ET.SubElement(line, "color").text = colour
        ET.SubElement(line, "width").text = "2"
        poly = ET.SubElement(style, "PolyStyle")
        ET.SubElement(poly, "color").text = "40" + colour[2:]
    for layer in sorted({r.layer for r in records}):
        folder = ET.SubElement(doc, "Folder")
        ET.SubElement(folder, "name").text = layer
        for r in (x for x in records if x.layer == layer):
            if r.geometry is None or r.geometry.is_empty:
                continue
            pm = ET.SubElement(folder, "Placemark", id=f"{r.layer}-{r.id}")
            name = r.properties.get("name") or f"{r.class_name} {r.id}"
            ET.SubElement(pm, "name").text = str(name)
            ET.SubElement(pm, "styleUrl").text = "#" + _style_id(r.class_name)
            data = ET.SubElement(pm, "ExtendedData")
            for key, value in r.properties.items():
                if value is None:
                    continue
                item = ET.SubElement(data, "Data", name=key)
                ET.SubElement(item, "value").text = str(value)
            _kml_geometry(pm, r.geometry)
    ET.indent(kml)
    out.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(kml).write(out, encoding="utf-8", xml_declaration=True)
    return out


def _columns(records: Sequence[FeatureRecord]) -> list[str]:
    cols: dict[str, None] = {}
    for r in records:
        for k in r.properties:
            cols.setdefault(k, None)
    return list(cols)


def _field_array(values: list[Any]) -> npt.NDArray[Any]:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return np.array([None if v is None else int(v) for v in values], dtype=object)
    ints = all(isinstance(v, int) and not isinstance(v, bool) for v in present)
    if present and ints and len(present) == len(values):
        return np.array(values, dtype=np.int64)
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
    return np.array([None if v is None else str(v) for v in values], dtype=object)


def write_gpkg(layers: Mapping[str, Sequence[FeatureRecord]], out: Path) -> Path:
    """A GeoPackage with one layer per kind (``<kind>_pixel`` for pixel-frame data).

    Map layers carry EPSG:4326; pixel layers carry no CRS, which QGIS shows as "unknown CRS"
    — the honest state of an image without a georeference.
    """
    import pyogrio.raw

    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    first = True
    for name, records in layers.items():
        for frame in ("map", "pixel"):
            recs = [r for r in records if r.frame == frame]
            if not recs:
                continue
            cols = _columns(recs)
            fields = ["feature_id", "frame", *cols]
            data = [
                np.array([r.id for r in recs], dtype=np.int64),
                np.array([frame] * len(recs), dtype=object),
                *[_field_array([r.properties.get(c) for r in recs]) for c in cols],
            ]
            wkb = np.array(
                [None if r.geometry is None else shapely.to_wkb(r.geometry) for r in recs],
                dtype=object,
            )
            with warnings.catch_warnings():
                # A pixel layer has no CRS on purpose; pyogrio's "no crs" warning is expected.
                warnings.filterwarnings("ignore", message="'crs' was not provided")
                pyogrio.raw.write(
                    str(out),
                    geometry=wkb,
                    field_data=data,
                    fields=fields,
                    layer=name if frame == "map" else f"{name}_pixel",
                    driver="GPKG",
                    geometry_type="Unknown",
                    crs="EPSG:4326" if frame == "map" else None,
                    append=not first,
                    encoding="UTF-8",
                )
            first = False
    if first:
        raise SitewatchError("nothing to write: every layer is empty")
    return out


def write_csv(records: Sequence[FeatureRecord], out: Path) -> Path:
    """One row per feature: ids, frame, centroid (lon/lat or x/y), WKT, then properties."""
    cols = _columns(records)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["layer", "id", "frame", "lon_or_x", "lat_or_y", "wkt", *cols])
        for r in records:
            if r.geometry is None or r.geometry.is_empty:
                cx: str = ""
                cy: str = ""
                wkt = ""
            else:
                c = r.geometry.centroid
                cx, cy = f"{c.x:.{_DECIMALS}f}", f"{c.y:.{_DECIMALS}f}"
                wkt = shapely.to_wkt(r.geometry, rounding_precision=_DECIMALS)
            values = ["" if r.properties.get(k) is None else r.properties.get(k) for k in cols]
            w.writerow([r.layer, r.id, r.frame, cx, cy, wkt, *values])
    return out
