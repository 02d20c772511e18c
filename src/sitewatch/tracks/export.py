"""Tracks out: GeoJSON LineStrings, KML, and a frame in the ``traffic`` library's layout."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

import pandas as pd

__all__ = ["to_geojson", "to_kml", "to_traffic"]


def _groups(df: pd.DataFrame) -> Any:
    keys = [k for k in ("file_id", "ident", "track_seq") if k in df]
    return df.sort_values([*keys, "time"], kind="stable").groupby(keys, sort=True)


def _label(g: pd.DataFrame) -> str | None:
    for c in ("callsign", "name"):
        if c in g and g[c].notna().any():
            return str(g[c].dropna().iloc[0])
    return None


def to_geojson(df: pd.DataFrame) -> dict[str, Any]:
    """One LineString feature per track (a Point for single-fix tracks).

    Examples
    --------
    >>> t = pd.to_datetime(["2024-12-01 10:00", "2024-12-01 10:01"], utc=True)
    >>> df = pd.DataFrame({"time": t, "ident": "ae0455", "track_seq": 0,
    ...                    "callsign": "RCH1", "lon": [35.9, 35.95], "lat": [35.4, 35.45]})
    >>> fc = to_geojson(df)
    >>> fc["features"][0]["geometry"]["type"], fc["features"][0]["properties"]["start"]
    ('LineString', '2024-12-01T10:00:00+00:00')
    """
    feats = []
    for _key, g in _groups(df):
        coords = [[float(x), float(y)] for x, y in zip(g["lon"], g["lat"], strict=True)]
        geom = (
            {"type": "LineString", "coordinates": coords}
            if len(coords) > 1
            else {"type": "Point", "coordinates": coords[0]}
        )
        t = g["time"].dropna()
        feats.append(
            {
                "type": "Feature",
                "geometry": geom,
                "properties": {
                    "ident": str(g["ident"].iloc[0]),
                    "track_seq": int(g["track_seq"].iloc[0]),
                    "label": _label(g),
                    "start": t.min().isoformat() if len(t) else None,
                    "end": t.max().isoformat() if len(t) else None,
                    "n_points": len(g),
                },
            }
        )
    return {"type": "FeatureCollection", "features": feats}


def to_kml(df: pd.DataFrame, name: str = "sitewatch tracks") -> str:
    """A KML document with one Placemark per track (LineString, clamped to ground).

    Examples
    --------
    >>> t = pd.to_datetime(["2024-12-01 10:00", "2024-12-01 10:01"], utc=True)
    >>> df = pd.DataFrame({"time": t, "ident": "1", "track_seq": 0,
    ...                    "lon": [35.9, 35.95], "lat": [35.4, 35.45]})
    >>> "<LineString><coordinates>35.9,35.4 35.95,35.45</coordinates>" in to_kml(df)
    True
    """
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document>',
        f"<name>{escape(name)}</name>",
    ]
    for _key, g in _groups(df):
        label = _label(g) or str(g["ident"].iloc[0])
        coords = " ".join(f"{x:.6g},{y:.6g}" for x, y in zip(g["lon"], g["lat"], strict=True))
        t = g["time"].dropna()
        span = (
            f"<TimeSpan><begin>{t.min().isoformat()}</begin><end>{t.max().isoformat()}</end></TimeSpan>"
            if len(t)
            else ""
        )
        geom = (
            f"<LineString><coordinates>{coords}</coordinates></LineString>"
            if len(g) > 1
            else f"<Point><coordinates>{coords}</coordinates></Point>"
        )
        parts.append(f"<Placemark><name>{escape(label)}</name>{span}{geom}</Placemark>")
    parts.append("</Document></kml>")
    return "\n".join(parts)


def to_traffic(df: pd.DataFrame) -> pd.DataFrame:
    """ADS-B points in the column names and units of ``traffic.core.Traffic`` frames.

    ``traffic.core.Traffic(frame)`` accepts the result as it is (``timestamp`` UTC, ``icao24``,
    ``callsign``, ``latitude``, ``longitude``, ``altitude`` ft, ``groundspeed`` kn, ``track``,
    ``vertical_rate`` ft/min, ``onground``); ``flight_id`` names each sitewatch flight.

    Examples
    --------
    >>> t = pd.to_datetime(["2024-12-01 10:00"], utc=True)
    >>> df = pd.DataFrame({"time": t, "icao24": "ae0455", "ident": "ae0455", "track_seq": 0,
    ...     "callsign": "RCH1", "lat": 35.4, "lon": 35.9, "altitude_ft": 1000.0,
    ...     "groundspeed_kn": 150.0, "track_deg": 90.0, "vertical_rate_fpm": 0.0,
    ...     "on_ground": False})
    >>> list(to_traffic(df).columns)[:4]
    ['timestamp', 'icao24', 'callsign', 'latitude']
    """
    out = pd.DataFrame(
        {
            "timestamp": df["time"],
            "icao24": df["icao24"],
            "callsign": df["callsign"],
            "latitude": df["lat"],
            "longitude": df["lon"],
            "altitude": df["altitude_ft"],
            "groundspeed": df["groundspeed_kn"],
            "track": df["track_deg"],
            "vertical_rate": df["vertical_rate_fpm"],
            "onground": df["on_ground"],
        }
    )
    out["flight_id"] = df["ident"].astype(str) + "_" + df["track_seq"].astype(str)
    return out.reset_index(drop=True)
