"""The normalised track tables: one layout for every ADS-B source, one for every AIS source.

ADS-B units follow aviation practice (feet, knots, feet per minute) so a ``traffic``
export needs no conversion; AIS speeds are knots and courses degrees true.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = [
    "ADSB_COLUMNS",
    "AIS_COLUMNS",
    "STATIC_COLUMNS",
    "ReadResult",
    "empty_adsb",
    "empty_ais",
    "empty_static",
    "join_static",
    "normalise_adsb",
    "normalise_ais",
]

#: column → dtype of the normalised ADS-B table.
ADSB_COLUMNS: dict[str, Any] = {
    "time": "datetime64[ns, UTC]",
    "icao24": "string",
    "callsign": "string",
    "lat": "float64",
    "lon": "float64",
    "altitude_ft": "float64",
    "groundspeed_kn": "float64",
    "track_deg": "float64",
    "vertical_rate_fpm": "float64",
    "on_ground": "boolean",
    "source": "string",
}

#: column → dtype of the normalised AIS position table (``time`` is NaT when the log has none).
AIS_COLUMNS: dict[str, Any] = {
    "time": "datetime64[ns, UTC]",
    "mmsi": "int64",
    "lat": "float64",
    "lon": "float64",
    "sog_kn": "float64",
    "cog_deg": "float64",
    "heading_deg": "float64",
    "nav_status": "Int64",
    "msg_type": "Int64",
    "source": "string",
}

#: column → dtype of AIS static and voyage data (type 5 / 24 messages, CSV vessel columns).
STATIC_COLUMNS: dict[str, Any] = {
    "mmsi": "int64",
    "name": "string",
    "callsign": "string",
    "imo": "Int64",
    "ship_type": "Int64",
    "length_m": "float64",
    "width_m": "float64",
    "draught_m": "float64",
    "destination": "string",
}


def _empty(cols: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in cols.items()})


def empty_adsb() -> pd.DataFrame:
    """An empty ADS-B table with the normalised columns.

    Examples
    --------
    >>> list(empty_adsb().columns)[:4]
    ['time', 'icao24', 'callsign', 'lat']
    """
    return _empty(ADSB_COLUMNS)


def empty_ais() -> pd.DataFrame:
    """An empty AIS position table.

    Examples
    --------
    >>> len(empty_ais())
    0
    """
    return _empty(AIS_COLUMNS)


def empty_static() -> pd.DataFrame:
    """An empty AIS static-data table.

    Examples
    --------
    >>> "ship_type" in empty_static()
    True
    """
    return _empty(STATIC_COLUMNS)


def _conform(df: pd.DataFrame, cols: dict[str, Any]) -> pd.DataFrame:
    out = pd.DataFrame(index=df.index)
    for c, t in cols.items():
        if c in df:
            s = df[c]
            if t == "string":
                s = s.astype("string").str.strip()
                s = s.where(s != "")
            elif t in ("float64", "int64"):
                s = pd.to_numeric(s, errors="coerce").astype(t)
            elif t == "Int64":
                s = pd.to_numeric(s, errors="coerce").round().astype("Int64")
            elif t == "boolean":
                s = s.astype("boolean")
            else:
                s = s.astype(t)
            out[c] = s
        else:
            out[c] = pd.Series(pd.NA if t != "float64" else float("nan"), index=df.index).astype(t)
    return out.reset_index(drop=True)


def normalise_adsb(df: pd.DataFrame) -> pd.DataFrame:
    """Give a frame exactly the ADS-B columns and dtypes; rows without a position are dropped.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"time": pd.to_datetime([0, 1], unit="s", utc=True),
    ...                     "icao24": ["AE0455", "ae0455"], "lat": [1.0, None], "lon": [2.0, 3.0]})
    >>> out = normalise_adsb(raw)
    >>> len(out), out.icao24.iloc[0]
    (1, 'ae0455')
    """
    df = df[df["lat"].notna() & df["lon"].notna() & df["time"].notna()]
    out = _conform(df, ADSB_COLUMNS)
    out["icao24"] = out["icao24"].str.lower()
    ok = out["lat"].between(-90, 90) & out["lon"].between(-180, 180)
    return out[ok].sort_values(["icao24", "time"], kind="stable").reset_index(drop=True)


def normalise_ais(df: pd.DataFrame) -> pd.DataFrame:
    """Give a frame exactly the AIS columns; AIS "not available" positions (91°, 181°) go.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"mmsi": [1, 2], "lat": [91.0, 37.9], "lon": [181.0, 23.6]})
    >>> normalise_ais(raw).mmsi.tolist()
    [2]
    """
    out = _conform(df, AIS_COLUMNS)
    ok = out["lat"].between(-90, 90) & out["lon"].between(-180, 180) & out["mmsi"].notna()
    return out[ok].reset_index(drop=True)


def join_static(points: pd.DataFrame, static: pd.DataFrame) -> pd.DataFrame:
    """Add each vessel's name, call sign, type and size to its positions (by MMSI).

    Later reports fill what earlier ones left empty (type 24 arrives in two halves).

    Examples
    --------
    >>> pts = pd.DataFrame({"mmsi": [1, 1, 2], "lat": [0.0, 0.1, 1.0]})
    >>> st = pd.DataFrame({"mmsi": [1, 1], "name": ["EVER GIVEN", None], "ship_type": [70, 70]})
    >>> join_static(pts, st).name.tolist()
    ['EVER GIVEN', 'EVER GIVEN', nan]
    """
    cols = [c for c in STATIC_COLUMNS if c != "mmsi" and c in static]
    if static.empty or not cols:
        out = points.copy()
        for c in ("name", "callsign", "ship_type", "length_m", "width_m"):
            if c not in out:
                out[c] = pd.NA
        return out
    latest = static[["mmsi", *cols]].groupby("mmsi").last().reset_index()
    latest["mmsi"] = latest["mmsi"].astype("int64")
    keep = [c for c in cols if c not in points]
    return points.merge(latest[["mmsi", *keep]], on="mmsi", how="left")


@dataclass
class ReadResult:
    """What one file yielded.

    ``domain`` is ``"air"`` or ``"sea"``; ``points`` is the normalised table of that domain;
    ``static`` holds vessel data (empty for ADS-B); ``messages`` counts the records or
    sentences read, ``malformed`` those that could not be used, ``skipped`` valid records that
    carry no position (other NMEA sentences, Mode S messages without a fix…).
    """

    domain: str
    format: str
    points: pd.DataFrame
    static: pd.DataFrame = field(default_factory=empty_static)
    messages: int = 0
    malformed: int = 0
    skipped: int = 0
    notes: list[str] = field(default_factory=list)
