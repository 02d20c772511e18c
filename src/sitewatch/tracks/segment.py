"""Split positions into flights (per ICAO address) and voyages (per MMSI) at time gaps."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["FLIGHT_GAP", "VOYAGE_GAP", "segment", "track_summary"]

#: a silence longer than this starts a new flight: aircraft turn around on the ground in
#: under an hour, while receiver coverage gaps in cruise are usually minutes
FLIGHT_GAP = pd.Timedelta(minutes=30)
#: AIS voyages tolerate longer silences (class B, satellite revisit, coverage at sea)
VOYAGE_GAP = pd.Timedelta(hours=6)


def _ident(df: pd.DataFrame) -> pd.Series:
    if "icao24" in df:
        # FR24 CSV exports have no transponder address: the callsign identifies the flight
        return df["icao24"].fillna(df["callsign"]).fillna("unknown").astype(str)
    return df["mmsi"].astype("int64").astype(str)


def segment(df: pd.DataFrame, gap: pd.Timedelta | None = None) -> pd.DataFrame:
    """Add ``ident`` and ``track_seq`` (0, 1, … per ident) columns, ordered by ident and time.

    Undated positions (AIS logs without timestamps) stay in log order as one track per vessel.

    Parameters
    ----------
    df : pandas.DataFrame
        A normalised ADS-B (``icao24``) or AIS (``mmsi``) table.
    gap : pandas.Timedelta, optional
        Silence that splits tracks; default :data:`FLIGHT_GAP` or :data:`VOYAGE_GAP`.

    Examples
    --------
    >>> t = pd.to_datetime(["2024-12-01 10:00", "2024-12-01 10:05", "2024-12-01 12:00"], utc=True)
    >>> df = pd.DataFrame({"time": t, "icao24": ["ae0455"] * 3, "callsign": ["X"] * 3})
    >>> segment(df).track_seq.tolist()
    [0, 0, 1]
    """
    air = "icao24" in df
    gap = gap if gap is not None else (FLIGHT_GAP if air else VOYAGE_GAP)
    out = df.copy()
    out["ident"] = _ident(out)
    out = out.sort_values(["ident", "time"], kind="stable", na_position="first")
    if out.empty:
        out["track_seq"] = pd.Series([], dtype="int64")
        return out.reset_index(drop=True)
    same = out["ident"].eq(out["ident"].shift())
    dt = out["time"].diff()
    brk = (~same) | (dt > gap)
    # a cumulative count of breaks within each ident numbers its tracks 0, 1, 2…
    first = (~same).to_numpy()
    csum = np.cumsum(brk.to_numpy())
    base = np.maximum.accumulate(np.where(first, csum, 0))
    out["track_seq"] = (csum - base).astype("int64")
    return out.reset_index(drop=True)


def track_summary(df: pd.DataFrame) -> pd.DataFrame:
    """One row per track: ident, track_seq, start, end, n_points, callsign/name if known.

    Examples
    --------
    >>> t = pd.to_datetime(["2024-12-01 10:00", "2024-12-01 10:05"], utc=True)
    >>> seg = segment(pd.DataFrame({"time": t, "icao24": ["a", "a"], "callsign": ["C", "C"]}))
    >>> track_summary(seg)[["ident", "n_points"]].values.tolist()
    [['a', 2]]
    """
    label = "callsign" if "callsign" in df else ("name" if "name" in df else None)
    agg: dict[str, tuple[str, str]] = {
        "start": ("time", "min"),
        "end": ("time", "max"),
        "n_points": ("time", "size"),
    }
    if label:
        agg["label"] = (label, "first")
    g = df.groupby(["ident", "track_seq"], sort=True).agg(**agg).reset_index()
    if "label" not in g:
        g["label"] = pd.NA
    return g
