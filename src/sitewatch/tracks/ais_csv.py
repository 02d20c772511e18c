"""AIS positions from CSV: NOAA MarineCadastre, AISdb decoded exports, and plain id/time/lon/lat.

* **MarineCadastre** (``MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,…``): times are
  UTC by the layout's definition, so naive values do not warn.
* **AISdb decoded CSV** (``MMSI,Message_ID,…,Time,…,Longitude,Latitude``): ``Time`` is
  ``YYYYmmdd_HHMMSS`` UTC; static rows (type 5/24) give names and sizes.
* **Generic** (an id column, a time column, longitude, latitude — e.g. the Suez/VesselsValue
  set): ids need not be MMSIs (anonymised sets number vessels 1, 2, …); naive times warn.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from sitewatch.errors import InputError
from sitewatch.tracks._time import to_utc
from sitewatch.tracks.schema import ReadResult, normalise_ais

__all__ = ["read_ais_csv"]

_ID = ("mmsi", "id", "vessel_id", "ship_id", "track_id")
_TIME = ("basedatetime", "timestamp", "time", "ais_pos_timestamp", "datetime", "t")
_LON = ("lon", "longitude", "x")
_LAT = ("lat", "latitude", "y")


def _pick(cols: dict[str, str], names: tuple[str, ...]) -> str | None:
    return next((cols[n] for n in names if n in cols), None)


def _static(df: pd.DataFrame, cols: dict[str, str | None]) -> pd.DataFrame:
    out = pd.DataFrame({k: df[v] if v else pd.NA for k, v in cols.items()})
    out = out.dropna(subset=[c for c in out.columns if c != "mmsi"], how="all")
    return out


def _marinecadastre(df: pd.DataFrame, source: str) -> ReadResult:
    pts = pd.DataFrame(
        {
            # the layout defines BaseDateTime as UTC: no warning for its missing zone
            "time": pd.to_datetime(df["BaseDateTime"], utc=True, errors="coerce"),
            "mmsi": df["MMSI"],
            "lat": df["LAT"],
            "lon": df["LON"],
            "sog_kn": df["SOG"],
            "cog_deg": df["COG"],
            "heading_deg": df["Heading"].where(df["Heading"] != 511),
            "nav_status": df.get("Status"),
            "source": source,
        }
    )
    imo = df.get("IMO")
    static = pd.DataFrame(
        {
            "mmsi": df["MMSI"],
            "name": df.get("VesselName"),
            "callsign": df.get("CallSign"),
            "imo": imo.astype("string").str.removeprefix("IMO") if imo is not None else pd.NA,
            "ship_type": df.get("VesselType"),
            "length_m": df.get("Length"),
            "width_m": df.get("Width"),
            "draught_m": df.get("Draft"),
        }
    )
    points = normalise_ais(pts)
    return ReadResult(
        "sea",
        "marinecadastre-csv",
        points,
        static=_conform_static(static),
        messages=len(df),
        skipped=len(df) - len(points),
    )


def _aisdb(df: pd.DataFrame, source: str) -> ReadResult:
    t = pd.to_datetime(df["Time"].astype(str), format="%Y%m%d_%H%M%S", utc=True, errors="coerce")
    if "Millisecond" in df:
        ms = pd.to_numeric(df["Millisecond"], errors="coerce").fillna(0)
        t = t + pd.to_timedelta(ms, unit="ms")
    pos = df["Message_ID"].isin([1, 2, 3, 18, 19, 27])
    pts = pd.DataFrame(
        {
            "time": t,
            "mmsi": df["MMSI"],
            "lat": df["Latitude"],
            "lon": df["Longitude"],
            "sog_kn": df["SOG"],
            "cog_deg": df["COG"],
            "heading_deg": df["Heading"].where(df["Heading"] != 511),
            "nav_status": df["Navigational_status"],
            "msg_type": df["Message_ID"],
            "source": source,
        }
    )[pos]
    dims = df[
        ["Dimension_to_Bow", "Dimension_to_stern", "Dimension_to_port", "Dimension_to_starboard"]
    ]
    dims = dims.apply(pd.to_numeric, errors="coerce")
    st = df["Message_ID"].isin([5, 19, 24])
    static = pd.DataFrame(
        {
            "mmsi": df["MMSI"],
            "name": df["Vessel_Name"],
            "callsign": df["Call_sign"],
            "imo": df["IMO"],
            "ship_type": df["Ship_Type"],
            "length_m": dims.iloc[:, 0] + dims.iloc[:, 1],
            "width_m": dims.iloc[:, 2] + dims.iloc[:, 3],
            "draught_m": df["Draught"],
            "destination": df["Destination"],
        }
    )[st]
    points = normalise_ais(pts)
    return ReadResult(
        "sea",
        "aisdb-csv",
        points,
        static=_conform_static(static),
        messages=len(df),
        skipped=len(df) - len(points),
        notes=[f"{int((~pos).sum())} non-position messages"],
    )


def _conform_static(df: pd.DataFrame) -> pd.DataFrame:
    from sitewatch.tracks.schema import STATIC_COLUMNS

    out = pd.DataFrame(index=df.index)
    for c, t in STATIC_COLUMNS.items():
        s = df[c] if c in df else pd.Series(pd.NA, index=df.index)
        if t == "string":
            txt = s.astype("string").str.strip()
            out[c] = txt.where(txt != "")
        else:
            dtype: Any = t if t != "int64" else "Int64"
            out[c] = pd.to_numeric(s, errors="coerce").astype(dtype)
    out = out[out["mmsi"].notna()]
    out["mmsi"] = out["mmsi"].astype("int64")
    return out.drop_duplicates().reset_index(drop=True)


def read_ais_csv(path: Path) -> ReadResult:
    """Read an AIS CSV of any supported layout.

    Raises
    ------
    InputError
        When no id, time, longitude and latitude columns can be found.

    Examples
    --------
    >>> import tempfile, warnings
    >>> p = Path(tempfile.mkdtemp()) / "mc.csv"
    >>> _ = p.write_text("MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,"
    ...     "VesselType,Status,Length,Width,Draft,Cargo,TransceiverClass\\n"
    ...     "367752440,2023-01-11T00:00:00,43.07917,-70.75733,0.0,360.0,95.0,SAN JOSE,,"
    ...     "WDI9818,31,0.0,,,,52.0,A\\n")
    >>> r = read_ais_csv(p)
    >>> r.format, str(r.points.time.iloc[0]), r.static.name.iloc[0]
    ('marinecadastre-csv', '2023-01-11 00:00:00+00:00', 'SAN JOSE')
    """
    source = path.name
    try:
        df = pd.read_csv(path, encoding="utf-8-sig", low_memory=False)
    except Exception as exc:
        raise InputError(f"unreadable CSV: {exc}", path=source) from None
    if {"MMSI", "BaseDateTime", "LAT", "LON"} <= set(df.columns):
        return _marinecadastre(df, source)
    if {"MMSI", "Message_ID", "Time", "Longitude", "Latitude"} <= set(df.columns):
        return _aisdb(df, source)
    cols = {c.strip().lower(): c for c in df.columns}
    idc, tc, lonc, latc = (_pick(cols, n) for n in (_ID, _TIME, _LON, _LAT))
    if not (idc and lonc and latc):
        raise InputError(
            "no vessel id, longitude and latitude columns",
            path=source,
            expected="MarineCadastre, AISdb, or id/time/longitude/latitude columns",
        )
    if tc is None:
        times = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns, UTC]")
    else:
        sample = str(df[tc].dropna().iloc[0]) if df[tc].notna().any() else ""
        # day-first dates (20/03/2021) are the VesselsValue export; ISO dates parse as they are
        fmt = "%d/%m/%Y %H:%M" if len(sample) == 16 and sample[2] == "/" else None
        times = to_utc(df[tc], what=source, fmt=fmt)
    pts = pd.DataFrame(
        {
            "time": times,
            "mmsi": df[idc],
            "lat": df[latc],
            "lon": df[lonc],
            "sog_kn": df[cols["sog"]] if "sog" in cols else None,
            "cog_deg": df[cols["cog"]] if "cog" in cols else None,
            "source": source,
        }
    )
    points = normalise_ais(pts)
    return ReadResult(
        "sea", "positions-csv", points, messages=len(df), malformed=len(df) - len(points)
    )
