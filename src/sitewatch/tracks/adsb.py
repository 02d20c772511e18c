"""ADS-B readers: every layout ends in the one normalised table of :mod:`.schema`.

Supported: ``traffic``/OpenSky trajectory JSON (records or pandas "columns" layout, optionally
gzipped) and parquet, OpenSky state vectors (CSV or parquet, Impala/``history`` columns),
decoded Mode S JSON lines (positions only), Flightradar24 flight JSON and CSV exports, and
readsb/tar1090 ``aircraft.json`` snapshots and ``trace_full`` files. Raw Mode S frames (Beast
binary, ``rawmsg`` parquet) are rejected with the reason: decoding them needs a Mode S
decoder sitewatch does not carry.
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sitewatch.errors import InputError
from sitewatch.tracks._time import from_epoch, to_utc
from sitewatch.tracks.schema import ReadResult, normalise_adsb

__all__ = ["MS_TO_KN", "M_TO_FT", "adsb_from_json", "adsb_from_table", "read_adsb"]

M_TO_FT = 1 / 0.3048
MS_TO_KN = 3600 / 1852

_RAW_MODES = (
    "raw Mode S frames; decoding them needs a Mode S decoder (e.g. pyModeS), not part of sitewatch"
)


def _open_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data


def _times(s: pd.Series, what: str) -> pd.Series:
    """Epoch seconds or milliseconds, or text/datetimes (naive text warns)."""
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        conv: pd.Series = s.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
        return conv
    num = pd.to_numeric(s, errors="coerce")
    if num.notna().all() and len(num):
        # ms epochs are > 1e11 for any date after 1973; seconds stay below for 3,000 years
        return from_epoch(num, "ms" if float(num.abs().max()) > 1e11 else "s")
    return to_utc(s, what=what)


def adsb_from_table(df: pd.DataFrame, source: str) -> pd.DataFrame:
    """Normalise a ``traffic``-style or OpenSky state-vector frame.

    ``traffic`` columns (``timestamp``, ``latitude``, ``altitude`` in ft, ``groundspeed`` in
    kn) and OpenSky state vectors (``time``, ``lat``, ``baroaltitude`` in m, ``velocity`` in
    m/s, ``vertrate`` in m/s) are both recognised by their names.

    Examples
    --------
    >>> sv = pd.DataFrame({"time": [1712401209], "icao24": ["4b1901"], "lat": [47.4],
    ...                    "lon": [8.5], "velocity": [10.0], "baroaltitude": [100.0],
    ...                    "callsign": ["EDW24 "], "onground": [False]})
    >>> row = adsb_from_table(sv, "sv").iloc[0]
    >>> round(row.altitude_ft), float(round(row.groundspeed_kn, 1)), row.callsign
    (328, 19.4, 'EDW24')
    """
    cols = set(df.columns)
    if "lat" in cols and "latitude" not in cols:  # OpenSky state vectors, SI units
        tcol = "time" if "time" in cols else "timestamp"
        out = pd.DataFrame(
            {
                "time": _times(df[tcol], source),
                "icao24": df["icao24"],
                "callsign": df.get("callsign"),
                "lat": df["lat"],
                "lon": df["lon"],
                "altitude_ft": pd.to_numeric(df["baroaltitude"], errors="coerce") * M_TO_FT
                if "baroaltitude" in cols
                else np.nan,
                "groundspeed_kn": pd.to_numeric(df["velocity"], errors="coerce") * MS_TO_KN
                if "velocity" in cols
                else np.nan,
                "track_deg": df.get("heading"),
                "vertical_rate_fpm": pd.to_numeric(df["vertrate"], errors="coerce") * M_TO_FT * 60
                if "vertrate" in cols
                else np.nan,
                "on_ground": df.get("onground"),
            }
        )
    else:
        if "latitude" not in cols or "longitude" not in cols:
            raise InputError(
                "no positions in this file (no latitude/longitude columns)",
                path=source,
                expected="a trajectory with latitude and longitude",
            )
        tcol = "timestamp" if "timestamp" in cols else "time"
        out = pd.DataFrame(
            {
                "time": _times(df[tcol], source),
                "icao24": df.get("icao24"),
                "callsign": df.get("callsign"),
                "lat": df["latitude"],
                "lon": df["longitude"],
                "altitude_ft": df.get("altitude"),
                "groundspeed_kn": df.get("groundspeed"),
                "track_deg": df.get("track"),
                "vertical_rate_fpm": df.get("vertical_rate"),
                "on_ground": df.get("onground"),
            }
        )
    out["source"] = source
    return normalise_adsb(out)


def _fr24_json(doc: dict[str, Any], source: str) -> pd.DataFrame:
    flight = doc["result"]["response"]["data"]["flight"]
    ident = flight.get("identification") or {}
    modes = ((flight.get("aircraft") or {}).get("identification") or {}).get("modes")
    rows = [
        {
            "time": p.get("timestamp"),
            "lat": p.get("latitude"),
            "lon": p.get("longitude"),
            "altitude_ft": (p.get("altitude") or {}).get("feet"),
            "groundspeed_kn": (p.get("speed") or {}).get("kts"),
            "track_deg": p.get("heading"),
            "vertical_rate_fpm": (p.get("verticalSpeed") or {}).get("fpm"),
        }
        for p in flight.get("track") or []
    ]
    out = pd.DataFrame(rows)
    if out.empty:
        raise InputError("Flightradar24 flight without a track", path=source)
    out["time"] = from_epoch(out["time"], "s")
    out["icao24"] = modes
    out["callsign"] = ident.get("callsign")
    # FR24 reports 0 ft both on the ground and as "unknown"; only a 0 kt, 0 ft fix is on ground
    out["on_ground"] = (out["altitude_ft"] == 0) & (out["groundspeed_kn"] < 50)
    out["source"] = source
    return normalise_adsb(out)


def _readsb_trace(doc: dict[str, Any], source: str) -> pd.DataFrame:
    base = float(doc["timestamp"])
    rows = []
    callsign = None
    for p in doc["trace"]:
        details = p[8] if len(p) > 8 else None
        if isinstance(details, dict) and details.get("flight"):
            callsign = details["flight"]
        alt = p[3]
        rows.append(
            {
                "t": base + float(p[0]),
                "lat": p[1],
                "lon": p[2],
                "altitude_ft": 0.0 if alt == "ground" else alt,
                "on_ground": alt == "ground",
                "groundspeed_kn": p[4],
                "track_deg": p[5],
                "vertical_rate_fpm": p[7] if len(p) > 7 else None,
                "callsign": callsign,
            }
        )
    out = pd.DataFrame(rows)
    out["time"] = from_epoch(out.pop("t"), "s")
    out["icao24"] = str(doc["icao"]).lstrip("~")
    out["source"] = source
    return normalise_adsb(out)


def _readsb_aircraft(doc: dict[str, Any], source: str) -> pd.DataFrame:
    now = float(doc["now"])
    rows = []
    for a in doc["aircraft"]:
        if a.get("lat") is None:
            continue
        alt = a.get("alt_baro", a.get("altitude"))
        rows.append(
            {
                # position age, not message age, dates the fix
                "t": now - float(a.get("seen_pos", a.get("seen", 0)) or 0),
                "icao24": str(a.get("hex", "")).lstrip("~"),
                "callsign": a.get("flight"),
                "lat": a["lat"],
                "lon": a["lon"],
                "altitude_ft": 0.0 if alt == "ground" else alt,
                "on_ground": alt == "ground",
                "groundspeed_kn": a.get("gs", a.get("speed")),
                "track_deg": a.get("track"),
                "vertical_rate_fpm": a.get("baro_rate", a.get("vert_rate")),
            }
        )
    out = pd.DataFrame(rows)
    if out.empty:
        return normalise_adsb(pd.DataFrame({"time": [], "lat": [], "lon": []}))
    out["time"] = from_epoch(out.pop("t"), "s")
    out["source"] = source
    return normalise_adsb(out)


def _modes_lines(text: str, source: str) -> tuple[pd.DataFrame, int, int]:
    """Decoded Mode S JSON lines: position rows, identity and altitude carried forward."""
    rows = []
    bad = 0
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            bad += 1
    df = pd.DataFrame(rows)
    if "latitude" not in df:
        raise InputError("no decoded positions in these Mode S messages", path=source)
    df = df.sort_values("timestamp", kind="stable")
    g = df.groupby("icao24", sort=False)
    for col in ("callsign", "altitude"):
        if col in df:
            # a callsign or altitude message belongs to every later fix of the same aircraft
            df[col] = g[col].ffill()
    n = len(df)
    pos = df[df["latitude"].notna()]
    return adsb_from_table(pos, source), n, bad


def adsb_from_json(data: bytes, source: str) -> ReadResult:
    """Read any of the JSON ADS-B layouts (see the module docstring).

    Examples
    --------
    >>> doc = {"now": 1700000000.0, "aircraft": [
    ...     {"hex": "ae0455", "flight": "RCH123 ", "lat": 35.4, "lon": 35.9,
    ...      "alt_baro": "ground", "gs": 3.0, "seen_pos": 2.0}]}
    >>> r = adsb_from_json(json.dumps(doc).encode(), "aircraft.json")
    >>> r.format, r.points.callsign.iloc[0], bool(r.points.on_ground.iloc[0])
    ('readsb-aircraft', 'RCH123', True)
    """
    text = data.decode("utf-8-sig")
    stripped = text.lstrip()
    if stripped.startswith("{") and "\n{" in stripped[:100000] and not stripped.startswith("{\n"):
        pts, n, bad = _modes_lines(text, source)
        return ReadResult(
            "air", "modes-jsonl", pts, messages=n, malformed=bad, skipped=n - bad - len(pts)
        )
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        try:
            pts, n, bad = _modes_lines(text, source)
        except InputError:
            raise InputError("not valid JSON", path=source) from None
        return ReadResult(
            "air", "modes-jsonl", pts, messages=n, malformed=bad, skipped=n - bad - len(pts)
        )
    if isinstance(doc, list):
        df = pd.DataFrame(doc)
        pts = adsb_from_table(df, source)
        return ReadResult("air", "traffic-json", pts, messages=len(df), skipped=len(df) - len(pts))
    if isinstance(doc, dict):
        if "result" in doc:
            pts = _fr24_json(doc, source)
            return ReadResult("air", "fr24-json", pts, messages=len(pts))
        if "trace" in doc and "icao" in doc:
            pts = _readsb_trace(doc, source)
            n = len(doc["trace"])
            return ReadResult("air", "readsb-trace", pts, messages=n, skipped=n - len(pts))
        if "aircraft" in doc and "now" in doc:
            pts = _readsb_aircraft(doc, source)
            n = len(doc["aircraft"])
            return ReadResult("air", "readsb-aircraft", pts, messages=n, skipped=n - len(pts))
        if doc and all(isinstance(v, dict) for v in doc.values()):
            df = pd.DataFrame(doc)  # pandas "columns" orient: {column: {row: value}}
            pts = adsb_from_table(df, source)
            return ReadResult(
                "air", "traffic-json", pts, messages=len(df), skipped=len(df) - len(pts)
            )
    raise InputError(
        "unrecognised JSON layout",
        path=source,
        expected="traffic/OpenSky records, Flightradar24, readsb aircraft.json or trace",
    )


def _fr24_csv(df: pd.DataFrame, source: str) -> pd.DataFrame:
    latlon = df["Position"].astype(str).str.split(",", n=1, expand=True)
    out = pd.DataFrame(
        {
            "time": from_epoch(df["Timestamp"], "s"),
            "callsign": df["Callsign"],
            "lat": pd.to_numeric(latlon[0], errors="coerce"),
            "lon": pd.to_numeric(latlon[1], errors="coerce"),
            "altitude_ft": df["Altitude"],
            "groundspeed_kn": df["Speed"],
            "track_deg": df["Direction"],
        }
    )
    out["on_ground"] = (out["altitude_ft"] == 0) & (out["groundspeed_kn"] < 50)
    out["icao24"] = pd.NA  # the FR24 CSV export names the flight, not the transponder
    out["source"] = source
    return normalise_adsb(out)


def read_adsb(path: Path) -> ReadResult:
    """Read one ADS-B file of any supported layout (gzip is detected from the content).

    Raises
    ------
    InputError
        With the reason when the file is not a supported ADS-B layout.

    Examples
    --------
    >>> import tempfile, os
    >>> p = Path(tempfile.mkdtemp()) / "sv.csv"
    >>> _ = p.write_text("time,icao24,lat,lon,velocity,heading,vertrate,callsign,onground,"
    ...                  "baroaltitude\\n1712401209,4b1901,47.4,8.5,10,90,0,EDW24,True,100\\n")
    >>> r = read_adsb(p)
    >>> r.format, len(r.points)
    ('opensky-csv', 1)
    """
    r = _read_adsb(path)
    if r.skipped:
        r.notes.append(f"{r.skipped} records without a position")
    return r


def _read_adsb(path: Path) -> ReadResult:
    name = path.name.lower()
    source = path.name
    if name.endswith(".parquet"):
        import pyarrow.parquet as pq

        # numpy-backed columns: pyarrow-backed timestamps are not DatetimeTZDtype
        df = pq.read_table(path).to_pandas(ignore_metadata=True)
        if "rawmsg" in df.columns:
            raise InputError(_RAW_MODES, path=source)
        pts = adsb_from_table(df, source)
        fmt = "opensky-parquet" if "lat" in df.columns else "traffic-parquet"
        return ReadResult("air", fmt, pts, messages=len(df), skipped=len(df) - len(pts))
    data = _open_bytes(path)
    head = data[:4096].lstrip()
    if head[:1] in (b"{", b"["):
        return adsb_from_json(data, source)
    if b"\x1a" in data[:16] or name.endswith(".bin"):
        raise InputError(f"Beast binary: {_RAW_MODES}", path=source)
    try:
        df = pd.read_csv(io.BytesIO(data))
    except Exception as exc:
        raise InputError(f"unreadable as CSV or JSON: {exc}", path=source) from None
    if {"Timestamp", "Position", "Callsign"} <= set(df.columns):
        pts = _fr24_csv(df, source)
        return ReadResult("air", "fr24-csv", pts, messages=len(df), skipped=len(df) - len(pts))
    if "icao24" in df.columns:
        pts = adsb_from_table(df, source)
        fmt = "opensky-csv" if "lat" in df.columns else "traffic-csv"
        return ReadResult("air", fmt, pts, messages=len(df), skipped=len(df) - len(pts))
    raise InputError("CSV without icao24 or FR24 columns", path=source)
