"""Activity near a site: flights at an air base, vessels at a naval base or port.

Air: within each flight, points are "low at the field" when inside the site area and on the
ground or below ``field_elevation_ft + low_ft``. Each change from elsewhere to low-at-field is
an **arrival**, each change back a **departure** (a touch-and-go is both); a flight that
crosses the area without ever being low is an **overflight**.

Sea: each position is **in port** (inside the site area), **offshore** (outside it but within
``offshore_km`` of the site) or away. Per day: distinct vessels in port and offshore,
departures (in port → out), loitering vessels (offshore, slower than ``loiter_kn`` for at least
``loiter_min`` minutes) and AIS gaps (silences longer than ``gap_min`` while near the site).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from sitewatch.sites import Site, SiteKind
from sitewatch.tracks.geo import distances_m, local_transformer
from sitewatch.tracks.identity import military_flags

__all__ = ["AirActivity", "SeaActivity", "air_activity", "fill_days", "is_naval", "sea_activity"]


def is_naval(site: Site) -> bool:
    """Whether vessel logic applies to a site (naval base, port, anchorage).

    Examples
    --------
    >>> is_naval(Site(slug="t", name="T", kind=SiteKind.NAVAL_BASE))
    True
    """
    return site.kind in (SiteKind.NAVAL_BASE, SiteKind.PORT, SiteKind.ANCHORAGE)


def fill_days(daily: pd.DataFrame, first: str, last: str) -> pd.DataFrame:
    """Every UTC day from ``first`` to ``last`` (inclusive), days without activity as zeros.

    A day with no flight is a measurement (zero), not a gap: indicators against a baseline
    need it.

    Examples
    --------
    >>> d = pd.DataFrame({"arrivals": [2]}, index=pd.Index(["2024-12-02"], name="day"))
    >>> fill_days(d, "2024-12-01", "2024-12-03").arrivals.tolist()
    [0, 2, 0]
    """
    days = pd.date_range(first, last, freq="D").strftime("%Y-%m-%d")
    out = daily.reindex(days, fill_value=0).astype("int64")
    out.index.name = "day"
    return out


def _inside(df: pd.DataFrame, area: BaseGeometry) -> np.ndarray:
    return np.asarray(shapely.contains_xy(area, df["lon"].to_numpy(), df["lat"].to_numpy()))


def _debounce(
    low: np.ndarray, gid: np.ndarray, time: pd.Series, away: np.ndarray, min_away_s: float
) -> np.ndarray:
    """Fold spells "not at the field" that never really left, or were too short, into it."""
    run = np.cumsum(np.r_[True, (low[1:] != low[:-1]) | (gid[1:] != gid[:-1])])
    df = pd.DataFrame({"run": run, "gid": gid, "low": low, "away": away, "t": time.to_numpy()})
    g = df.groupby("run", sort=True).agg(
        gid=("gid", "first"),
        low=("low", "first"),
        away=("away", "any"),
        t0=("t", "min"),
        t1=("t", "max"),
    )
    first = g["gid"].ne(g["gid"].shift())
    last = g["gid"].ne(g["gid"].shift(-1))
    inner = ~first & ~last
    dur = (g["t1"] - g["t0"]).dt.total_seconds()
    fold = ~g["low"] & (~g["away"] | (inner & (dur < min_away_s)))
    # a flight that is never at the field keeps its runs as they are
    return np.asarray(
        low
        | fold.reindex(run).to_numpy()
        & g["low"].groupby(g["gid"]).transform("any").reindex(run).to_numpy()
    )


@dataclass(frozen=True)
class AirActivity:
    """``events``: one row per arrival/departure/overflight; ``daily``: counts per UTC day."""

    events: pd.DataFrame
    daily: pd.DataFrame


def air_activity(
    df: pd.DataFrame,
    site: Site,
    *,
    field_elevation_ft: float = 0.0,
    low_ft: float = 1500.0,
    military: Iterable[str] = (),
    min_away_s: float = 300.0,
) -> AirActivity:
    """Arrivals, departures and overflights at an air base, with identity and military flag.

    Parameters
    ----------
    df : pandas.DataFrame
        Normalised ADS-B points with ``ident`` and ``track_seq`` (see
        :func:`sitewatch.tracks.segment.segment`).
    site : Site
        The air base; its area polygon (or point and radius) bounds the field.
    field_elevation_ft, low_ft : float
        Points below ``field_elevation_ft + low_ft`` inside the area count as at the field.
    military : iterable of str
        Extra ICAO addresses to flag as military (user list).
    min_away_s : float
        A spell away from the field between two spells at it must last this long to count as
        a departure and an arrival (a circuit takes longer; position and altitude noise on
        the taxiway does not).

    Examples
    --------
    >>> import shapely
    >>> s = Site(slug="f", name="F", kind=SiteKind.AIR_BASE, geometry=shapely.Point(0, 0),
    ...          radius_m=3000)
    >>> t = pd.date_range("2024-12-01 10:00", periods=4, freq="5min", tz="UTC")
    >>> df = pd.DataFrame({"time": t, "icao24": "ae0455", "callsign": "RCH1",
    ...     "lat": [0.5, 0.0, 0.0, 0.5], "lon": 0.0, "altitude_ft": [9000, 0, 0, 9000],
    ...     "on_ground": [False, True, True, False], "ident": "ae0455", "track_seq": 0})
    >>> a = air_activity(df, s)
    >>> a.events.kind.tolist(), int(a.daily.loc["2024-12-01", "military"])
    (['arrival', 'departure'], 2)
    """
    area = site.area_polygon()
    if area is None:
        raise ValueError(f"site {site.slug!r} has no coordinates")
    cols = ["time", "kind", "ident", "icao24", "callsign", "military"]
    if df.empty:
        events = pd.DataFrame({c: [] for c in cols})
    else:
        keys = [k for k in ("file_id", "ident", "track_seq") if k in df]
        d = df.sort_values([*keys, "time"], kind="stable").reset_index(drop=True)
        inside = _inside(d, area)
        low_alt = d["altitude_ft"].astype("float64").to_numpy() <= field_elevation_ft + low_ft
        ground = d["on_ground"].fillna(False).to_numpy(dtype=bool) if "on_ground" in d else False
        alt = d["altitude_ft"].astype("float64")
        low_known = inside & (ground | low_alt)
        # inside the field with neither altitude nor a ground flag: keep the previous state,
        # or every missing altitude on the taxiway would read as a take-off and a landing
        unknown = inside & ~ground & alt.isna().to_numpy()
        gid = d.groupby(keys, sort=False).ngroup().to_numpy()
        state = pd.Series(np.where(unknown, np.nan, low_known.astype(float)))
        state = state.groupby(gid).ffill().groupby(gid).bfill().fillna(0.0)
        low = state.to_numpy() > 0.5
        low = _debounce(
            low,
            gid,
            d["time"],
            ~inside | (alt.to_numpy() > field_elevation_ft + low_ft),
            min_away_s,
        )
        new = np.r_[True, gid[1:] != gid[:-1]]
        prev_low = np.r_[False, low[:-1]]
        next_low = np.r_[low[1:], False]
        last = np.r_[gid[1:] != gid[:-1], True]
        arr = low & ~prev_low & ~new  # came from elsewhere in the same flight
        dep = low & ~next_low & ~last  # goes elsewhere within the same flight
        rows = []
        for kind, mask in (("arrival", arr), ("departure", dep)):
            sel = d[mask]
            rows.append(sel.assign(kind=kind))
        touched = pd.Series(low).groupby(gid).any()
        crossed = pd.Series(inside).groupby(gid).any()
        over_g = touched.index[crossed.to_numpy() & ~touched.to_numpy()]
        over = d[inside & np.isin(gid, over_g)].groupby(gid[inside & np.isin(gid, over_g)]).head(1)
        rows.append(over.assign(kind="overflight"))
        events = pd.concat(rows, ignore_index=True)
        events["military"] = military_flags(events["icao24"].astype("string"), military)
        events = events[cols].sort_values("time", kind="stable").reset_index(drop=True)
    daily = _daily_air(events)
    return AirActivity(events, daily)


def _daily_air(events: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(columns=["arrivals", "departures", "overflights", "military"], dtype="int64")
    if events.empty:
        out.index.name = "day"
        return out
    day = pd.to_datetime(events["time"], utc=True).dt.strftime("%Y-%m-%d")
    counts = pd.crosstab(day, events["kind"])
    for k, name in (
        ("arrival", "arrivals"),
        ("departure", "departures"),
        ("overflight", "overflights"),
    ):
        out[name] = counts.get(k, 0)
    out["military"] = events["military"].groupby(day).sum().astype("int64")
    out = out.fillna(0).astype("int64")
    out.index.name = "day"
    return out


@dataclass(frozen=True)
class SeaActivity:
    """``points``: positions with ``zone``, ``dist_port_m``, ``dist_coast_m``; ``daily``: per
    UTC day counts; ``vessels``: per vessel, its last zone and nearest approach."""

    points: pd.DataFrame
    daily: pd.DataFrame
    vessels: pd.DataFrame


def sea_activity(
    df: pd.DataFrame,
    site: Site,
    *,
    offshore_km: float = 30.0,
    coastline: BaseGeometry | None = None,
    loiter_kn: float = 3.0,
    loiter_min: float = 60.0,
    gap_min: float = 60.0,
) -> SeaActivity:
    """Vessels in port and offshore, departures, loitering and AIS gaps near a naval site.

    Examples
    --------
    >>> import shapely
    >>> s = Site(slug="p", name="P", kind=SiteKind.PORT, geometry=shapely.Point(0, 0),
    ...          radius_m=2000)
    >>> t = pd.to_datetime(["2024-12-01 10:00", "2024-12-01 11:00", "2024-12-01 10:00"], utc=True)
    >>> df = pd.DataFrame({"time": t, "mmsi": [1, 1, 2], "lat": [0.0, 0.1, 0.12],
    ...                    "lon": [0.0, 0.0, 0.0], "sog_kn": [0.0, 10.0, 0.5]})
    >>> a = sea_activity(df, s)
    >>> a.daily.loc["2024-12-01", ["in_port", "offshore", "departures"]].tolist()
    [1, 2, 1]
    """
    area = site.area_polygon()
    if area is None or site.geometry is None:
        raise ValueError(f"site {site.slug!r} has no coordinates")
    c = site.geometry.centroid
    origin = (c.x, c.y)
    d = df.sort_values(["mmsi", "time"], kind="stable").reset_index(drop=True)
    dist_port = distances_m(d["lon"], d["lat"], area, origin)
    d["dist_port_m"] = dist_port
    d["dist_coast_m"] = (
        distances_m(d["lon"], d["lat"], coastline, origin) if coastline is not None else np.nan
    )
    d["zone"] = np.where(
        dist_port == 0, "in_port", np.where(dist_port <= offshore_km * 1000, "offshore", "away")
    )
    d["day"] = d["time"].dt.strftime("%Y-%m-%d")
    vessels = (
        d.groupby("mmsi")
        .agg(
            last_zone=("zone", "last"),
            min_dist_port_m=("dist_port_m", "min"),
            n_points=("zone", "size"),
        )
        .reset_index()
    )
    same = d["mmsi"].eq(d["mmsi"].shift())
    prev_zone = d["zone"].shift()
    d["departure"] = same & (prev_zone == "in_port") & (d["zone"] != "in_port")
    dt_min = d["time"].diff().dt.total_seconds() / 60
    near = d["zone"] != "away"
    d["ais_gap"] = same & near & (dt_min > gap_min)
    sog = (
        pd.to_numeric(d["sog_kn"], errors="coerce")
        if "sog_kn" in d
        else pd.Series(np.nan, index=d.index)
    )
    # sets without reported speed (e.g. VesselsValue exports): speed over the last leg
    tr = local_transformer(*origin)
    x, y = tr.transform(d["lon"].to_numpy(dtype=float), d["lat"].to_numpy(dtype=float))
    leg_m = np.hypot(np.diff(x, prepend=np.nan), np.diff(y, prepend=np.nan))
    hours = d["time"].diff().dt.total_seconds().to_numpy() / 3600
    with np.errstate(divide="ignore", invalid="ignore"):
        leg_kn = np.where(same & (hours > 0), leg_m / 1852 / hours, np.nan)
    sog = sog.fillna(pd.Series(leg_kn, index=d.index))
    slow = (d["zone"] == "offshore") & (sog < loiter_kn)
    # a loiter is a run of slow offshore points of one vessel lasting at least loiter_min
    run = (~(slow & same & slow.shift(fill_value=False))).cumsum()
    spans = (
        d[slow]
        .groupby(run[slow])
        .agg(mmsi=("mmsi", "first"), day=("day", "first"), t0=("time", "min"), t1=("time", "max"))
    )
    loiter = spans[(spans["t1"] - spans["t0"]).dt.total_seconds() / 60 >= loiter_min]
    dated = d[d["time"].notna()]
    if dated.empty:
        daily = pd.DataFrame(
            columns=["in_port", "offshore", "departures", "loitering", "ais_gaps"], dtype="int64"
        )
    else:
        g = dated.groupby("day")
        daily = (
            pd.DataFrame(
                {
                    "in_port": dated[dated.zone == "in_port"].groupby("day")["mmsi"].nunique(),
                    "offshore": dated[dated.zone == "offshore"].groupby("day")["mmsi"].nunique(),
                    "departures": g["departure"].sum(),
                    "loitering": loiter.groupby("day")["mmsi"].nunique(),
                    "ais_gaps": g["ais_gap"].sum(),
                }
            )
            .fillna(0)
            .astype("int64")
        )
    daily.index.name = "day"
    return SeaActivity(d, daily, vessels)
