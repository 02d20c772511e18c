"""Activity as evidence claims and indicator inputs — plain data the evidence stage stores.

Nothing here touches the evidence package: the lead wires these into the evidence store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from sitewatch.tracks.activity import AirActivity, SeaActivity

__all__ = ["ActivityClaim", "air_claims", "flights_vs_baseline", "sea_claims", "vessels_offshore"]


@dataclass(frozen=True)
class ActivityClaim:
    """One evidence claim: kind ``flight_activity`` or ``vessel_activity``."""

    kind: str
    site_slug: str
    time_start: datetime
    time_end: datetime
    claim: str
    numbers: dict[str, Any] = field(default_factory=dict)


def _day(s: str) -> datetime:
    return pd.Timestamp(s, tz="UTC").to_pydatetime()


def air_claims(act: AirActivity, site_slug: str) -> list[ActivityClaim]:
    """One claim per day with movements.

    Examples
    --------
    >>> d = pd.DataFrame({"arrivals": [2], "departures": [1], "overflights": [0],
    ...                   "military": [1]}, index=pd.Index(["2024-12-01"], name="day"))
    >>> c = air_claims(AirActivity(pd.DataFrame(), d), "hmeimim")[0]
    >>> print(c.claim)  # doctest: +NORMALIZE_WHITESPACE
    ADS-B shows 2 arrivals, 1 departures and 0 overflights at hmeimim on 2024-12-01
    (1 by military-flagged aircraft).
    """
    out = []
    for day, r in act.daily.iterrows():
        start = _day(str(day))
        out.append(
            ActivityClaim(
                "flight_activity",
                site_slug,
                start,
                start + pd.Timedelta(days=1),
                f"ADS-B shows {r.arrivals} arrivals, {r.departures} departures and "
                f"{r.overflights} overflights at {site_slug} on {day} "
                f"({r.military} by military-flagged aircraft).",
                {str(k): int(v) for k, v in r.items()},
            )
        )
    return out


def sea_claims(act: SeaActivity, site_slug: str) -> list[ActivityClaim]:
    """One claim per day with vessels near the site; with a coastline, how far offshore.

    Examples
    --------
    >>> d = pd.DataFrame({"in_port": [1], "offshore": [3], "departures": [1], "loitering": [2],
    ...                   "ais_gaps": [0]}, index=pd.Index(["2024-12-02"], name="day"))
    >>> pts = pd.DataFrame({"day": ["2024-12-02"] * 2, "zone": ["offshore"] * 2,
    ...                     "dist_coast_m": [12000.0, 14000.0]})
    >>> c = sea_claims(SeaActivity(pts, d, pd.DataFrame()), "tartus")[0]
    >>> c.numbers["offshore"], c.numbers["median_offshore_km_from_coast"]
    (3, 13.0)
    >>> print(c.claim)  # doctest: +NORMALIZE_WHITESPACE
    AIS shows 1 vessels in port and 3 offshore at tartus on 2024-12-02 (offshore positions a
    median 13.0 km from the coast), with 1 departures and 2 loitering.
    """
    pts = act.points
    off = (
        pts[(pts["zone"] == "offshore") & pts["dist_coast_m"].notna()]
        if {"zone", "dist_coast_m", "day"} <= set(pts.columns)
        else pd.DataFrame()
    )
    out = []
    for day, r in act.daily.iterrows():
        start = _day(str(day))
        numbers: dict[str, Any] = {str(k): int(v) for k, v in r.items()}
        where = ""
        if len(off):
            dist = off.loc[off["day"] == day, "dist_coast_m"]
            if len(dist):
                km = round(float(dist.median()) / 1000, 1)
                numbers["median_offshore_km_from_coast"] = km
                where = f" (offshore positions a median {km} km from the coast)"
        out.append(
            ActivityClaim(
                "vessel_activity",
                site_slug,
                start,
                start + pd.Timedelta(days=1),
                f"AIS shows {r.in_port} vessels in port and {r.offshore} offshore at {site_slug} "
                f"on {day}{where}, with {r.departures} departures and {r.loitering} loitering.",
                numbers,
            )
        )
    return out


def flights_vs_baseline(daily: pd.DataFrame, baseline: tuple[str, str]) -> pd.DataFrame:
    """Movements (arrivals + departures) per day against the mean of a baseline period.

    Examples
    --------
    >>> d = pd.DataFrame({"arrivals": [1, 1, 4], "departures": [1, 1, 4]},
    ...                  index=pd.Index(["2024-11-01", "2024-11-02", "2024-12-01"]))
    >>> flights_vs_baseline(d, ("2024-11-01", "2024-11-02")).ratio.tolist()
    [1.0, 1.0, 4.0]
    """
    moves = (daily["arrivals"] + daily["departures"]).astype("float64")
    base = moves[(moves.index >= baseline[0]) & (moves.index <= baseline[1])]
    mean = float(base.mean()) if len(base) else float("nan")
    return pd.DataFrame(
        {"movements": moves, "baseline_mean": mean, "ratio": moves / mean if mean else float("nan")}
    )


def vessels_offshore(daily: pd.DataFrame) -> pd.Series:
    """The indicator series "vessels offshore per day".

    Examples
    --------
    >>> vessels_offshore(pd.DataFrame({"offshore": [3]}, index=["2024-12-02"])).tolist()
    [3]
    """
    return daily["offshore"].astype("int64").rename("vessels_offshore")
