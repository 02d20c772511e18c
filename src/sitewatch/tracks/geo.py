"""Distances in metres around a site, and the coastline used for "distance to coast".

The bundled coastline (``data/coast_levant.geojson``) is hand-digitised for the case area only
(the Syrian coast from the Turkish to the Lebanese border, past Latakia, Jableh, Baniyas and
Tartus) from general knowledge of the shoreline; vertices are 5–15 km apart and the line is
within about 1–2 km of the true shore. It is fit for "about 13 km off the coast", not for
anything finer. Pass a coastline file (GeoJSON lines or polygons, WGS84) for other areas or
better accuracy.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry
from shapely.ops import transform

__all__ = ["bundled_coastline", "distances_m", "load_coastline", "local_transformer"]

_BUNDLED = Path(__file__).resolve().parent / "data" / "coast_levant.geojson"


@lru_cache(maxsize=64)
def local_transformer(lon0: float, lat0: float) -> Transformer:
    """WGS84 → azimuthal equidistant metres centred on (lon0, lat0): true distances nearby.

    Examples
    --------
    >>> x, y = local_transformer(35.9, 35.4).transform(35.9, 35.5)
    >>> round(x), round(y / 1000, 1)
    (0, 11.1)
    """
    local = CRS.from_proj4(f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +units=m +ellps=WGS84")
    return Transformer.from_crs("EPSG:4326", local, always_xy=True)


def distances_m(
    lon: pd.Series | np.ndarray,
    lat: pd.Series | np.ndarray,
    geom: BaseGeometry,
    origin: tuple[float, float],
) -> np.ndarray:
    """Metres from each point to a WGS84 geometry (0 inside a polygon).

    Examples
    --------
    >>> import shapely
    >>> d = distances_m(np.array([35.9]), np.array([35.5]), shapely.Point(35.9, 35.4), (35.9, 35.4))
    >>> round(float(d[0]) / 1000, 1)
    11.1
    """
    tr = local_transformer(*origin)
    x, y = tr.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    g = transform(tr.transform, geom)
    return np.asarray(shapely.distance(shapely.points(x, y), g), dtype=float)


def load_coastline(path: Path) -> BaseGeometry:
    """Union of the line/polygon geometries of a GeoJSON file, as coastline lines.

    Examples
    --------
    >>> bundled_coastline().geom_type
    'LineString'
    """
    doc = json.loads(path.read_text())
    feats = doc["features"] if doc.get("type") == "FeatureCollection" else [doc]
    geoms = [shapely.geometry.shape(f.get("geometry", f)) for f in feats]
    # polygons (land areas) count by their boundary: the shore, not the land, is the coast
    lines = [g.boundary if g.geom_type in ("Polygon", "MultiPolygon") else g for g in geoms]
    return shapely.line_merge(shapely.union_all(lines))


def bundled_coastline() -> BaseGeometry:
    """The small hand-digitised coastline of the case area (see the module docstring)."""
    return load_coastline(_BUNDLED)
