"""Activity on real sites: Zurich airport movements, Suez port/offshore, Greek-waters snapshot."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Any

import pytest
import shapely

from sitewatch.sites import Site, SiteKind
from sitewatch.tracks import air_activity, read_track_file, sea_activity, segment

# a test site, not part of the built-in case: Zurich airport (LSZH), elevation 1,416 ft
ZRH = Site(
    slug="lszh",
    name="Zurich airport",
    kind=SiteKind.AIRPORT,
    geometry=shapely.Point(8.5492, 47.4647),
    radius_m=4000,
)


@pytest.fixture(scope="module")
def tracks_dir(data_root: Path) -> Path:
    d = data_root / "tracks"
    if not d.is_dir():
        pytest.skip(f"no track data at {d}")
    return d


def _km(lat: float, lon: float, lat0: float, lon0: float) -> float:
    p = math.radians
    a = (
        math.sin(p(lat - lat0) / 2) ** 2
        + math.cos(p(lat)) * math.cos(p(lat0)) * math.sin(p(lon - lon0) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def _independent_movements(paths: list[Path]) -> dict[str, tuple[int, int]]:
    """Plain-Python count per UTC day of (arrivals, departures): a departure is an on-ground
    (or below 500 ft above the field) fix within 4 km later followed by a fix more than 6 km
    away; an arrival the reverse."""
    import gzip
    from datetime import UTC, datetime

    by: dict[str, list[dict[str, Any]]] = {}
    for path in paths:
        with gzip.open(path) as fh:
            doc = json.load(fh)
        if isinstance(doc, dict):  # pandas "columns" layout: {column: {row: value}}
            doc = [{k: doc[k][i] for k in doc} for i in doc["timestamp"]]
        for r in doc:
            if r.get("latitude") is not None:
                by.setdefault(str(r["icao24"]), []).append(r)
    out: dict[str, list[int]] = {}
    for fixes in by.values():
        fixes.sort(key=lambda r: float(r["timestamp"]))
        state = None
        for r in fixes:
            d = _km(float(r["latitude"]), float(r["longitude"]), 47.4647, 8.5492)
            day = datetime.fromtimestamp(r["timestamp"] / 1000, UTC).strftime("%Y-%m-%d")
            alt = r.get("altitude")
            # no ground flag in some files: within 500 ft of the field (1,416 ft) is landed
            low = alt is not None and float(alt) < 1416 + 500
            if d < 4 and (r.get("onground") or low):
                if state == "away":
                    out.setdefault(day, [0, 0])[0] += 1
                state = "ground"
            elif d > 6:  # clear of the 4 km field area; altitudes here are too noisy to use
                if state == "ground":
                    out.setdefault(day, [0, 0])[1] += 1
                state = "away"
    return {k: (v[0], v[1]) for k, v in out.items()}


def test_zurich_movements_match_independent_count(tracks_dir: Path) -> None:
    p = tracks_dir / "traffic-samples/onground/zurich_airport.json.gz"
    pts = segment(read_track_file(p).points)
    act = air_activity(pts, ZRH, field_elevation_ft=1416)
    day = act.daily.loc["2019-11-05"]
    # hand-checked: ACA879, SWR137H and SWR5220 take off, SWR5220 lands again at 16:36
    assert (int(day.arrivals), int(day.departures)) == (1, 3)
    assert int(act.daily.arrivals.sum()) == 1 and int(act.daily.departures.sum()) == 3
    assert _independent_movements([p]) == {"2019-11-05": (1, 3)}


def test_zurich_movements_per_day(tracks_dir: Path) -> None:
    import pandas as pd

    names = [
        "onground/zurich_airport",
        "noisy/noisy_takeoff",
        "noisy/noisy_ground",
        "noisy/noisy_landing",
    ]
    paths = [tracks_dir / f"traffic-samples/{n}.json.gz" for n in names]
    pts = segment(pd.concat([read_track_file(p).points for p in paths], ignore_index=True))
    act = air_activity(pts, ZRH, field_elevation_ft=1416)
    got = {d: (int(r.arrivals), int(r.departures)) for d, r in act.daily.iterrows()}
    # hand-checked for 2019-11-11: AFR181L and AUA570 take off, DLH4TR lands
    assert got == {"2019-11-05": (1, 3), "2019-11-11": (1, 2)}
    assert _independent_movements(paths) == got
    assert set(act.events.callsign) == {
        "ACA879",
        "SWR137H",
        "SWR5220",
        "AFR181L",
        "AUA570",
        "DLH4TR",
    }


def test_switzerland_day_is_all_overflights_at_zurich(tracks_dir: Path) -> None:
    pts = segment(
        read_track_file(tracks_dir / "traffic-samples/collections/switzerland.json.gz").points
    )
    act = air_activity(pts, ZRH, field_elevation_ft=1416)
    # the collection holds cruise traffic only: nothing below 33,000 ft near Zurich
    assert act.daily.to_dict("records") == [
        {"arrivals": 0, "departures": 0, "overflights": 70, "military": 0}
    ]


def test_military_flag_on_real_tracks(tracks_dir: Path) -> None:
    r = read_track_file(tracks_dir / "traffic-samples/military/aircraft_carrier.json.gz")
    from sitewatch.tracks.identity import military_flags

    assert military_flags(r.points.icao24).all()  # ae0455, a US military address


SUEZ = Site(
    slug="port-tawfiq",
    name="Port Tawfiq (Suez)",
    kind=SiteKind.PORT,
    geometry=shapely.Point(32.565, 29.935),
    radius_m=5000,
)


def test_suez_in_port_and_offshore_per_day(tracks_dir: Path) -> None:
    import csv
    from datetime import datetime

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = read_track_file(tracks_dir / "movingpandas-evergiven/boat-positions.csv")
    act = sea_activity(r.points, SUEZ, offshore_km=30)
    # independent: great-circle distance to the point, 5 km port, 5-30 km offshore
    want: dict[str, dict[str, set[str]]] = {}
    with (tracks_dir / "movingpandas-evergiven/boat-positions.csv").open(
        encoding="utf-8-sig"
    ) as fh:
        for row in csv.DictReader(fh):
            day = datetime.strptime(row["ais_pos_timestamp"], "%d/%m/%Y %H:%M").strftime("%Y-%m-%d")
            d = _km(float(row["latitude"]), float(row["longitude"]), 29.935, 32.565)
            zone = "in_port" if d <= 5 else "offshore" if d <= 30 else None
            if zone:
                want.setdefault(day, {"in_port": set(), "offshore": set()})[zone].add(row["ID"])
    for day, z in want.items():
        got = act.daily.loc[day]
        # the local projection and the sphere differ by metres: allow boundary vessels
        assert abs(int(got.in_port) - len(z["in_port"])) <= 3, day
        assert abs(int(got.offshore) - len(z["offshore"])) <= 3, day
    assert int(act.daily.offshore.sum()) > 0
    # the Ever Given closed the canal on 23 March 2021: departures from the Suez end stop
    dep = act.daily.departures.to_dict()
    assert min(dep["2021-03-20"], dep["2021-03-21"], dep["2021-03-22"]) > 40
    assert dep["2021-03-23"] < 10 and dep["2021-03-24"] == 0


def test_greek_waters_snapshot_without_timestamps(tracks_dir: Path) -> None:
    r = read_track_file(tracks_dir / "pyais-nmea/tests_nmea_data_sample.txt")
    piraeus = Site(
        slug="piraeus",
        name="Piraeus",
        kind=SiteKind.PORT,
        geometry=shapely.Point(23.62, 37.94),
        radius_m=4000,
    )
    act = sea_activity(r.points, piraeus, offshore_km=30)
    assert act.daily.empty  # no times: no per-day figures, only the snapshot
    zones = act.vessels.last_zone.value_counts().to_dict()
    # independent count with the haversine formula on the last fix of each vessel
    last = r.points.groupby("mmsi").last()
    d = [_km(a, b, 37.94, 23.62) for a, b in zip(last.lat, last.lon, strict=True)]
    # sphere against ellipsoid: a vessel right on a boundary may fall either side
    assert abs(zones.get("in_port", 0) - sum(x <= 4 for x in d)) <= 1
    assert abs(zones.get("offshore", 0) - sum(4 < x <= 30 for x in d)) <= 1


def test_tartus_distance_to_bundled_coast() -> None:
    import pandas as pd

    from sitewatch.tracks.geo import bundled_coastline

    tartus = Site(
        slug="tartus",
        name="Tartus",
        kind=SiteKind.NAVAL_BASE,
        geometry=shapely.Point(35.87, 34.91),
        radius_m=1500,
    )
    t = pd.to_datetime(["2024-12-10 10:00"], utc=True)
    # a ship 13 km due west of the shore line near Tartus
    df = pd.DataFrame(
        {"time": t, "mmsi": [1], "lat": [34.91], "lon": [35.87 - 13 / 91.3], "sog_kn": [0.5]}
    )
    a = sea_activity(df, tartus, coastline=bundled_coastline())
    assert 11_000 < a.points.dist_coast_m.iloc[0] < 15_000
    assert a.points.zone.iloc[0] == "offshore"


def test_claims_and_indicator_inputs(tracks_dir: Path) -> None:
    import pandas as pd

    from sitewatch.tracks.activity import fill_days
    from sitewatch.tracks.claims import (
        air_claims,
        flights_vs_baseline,
        sea_claims,
        vessels_offshore,
    )

    names = [
        "onground/zurich_airport",
        "noisy/noisy_takeoff",
        "noisy/noisy_ground",
        "noisy/noisy_landing",
    ]
    paths = [tracks_dir / f"traffic-samples/{n}.json.gz" for n in names]
    pts = segment(pd.concat([read_track_file(p).points for p in paths], ignore_index=True))
    daily = fill_days(
        air_activity(pts, ZRH, field_elevation_ft=1416).daily, "2019-11-05", "2019-11-11"
    )
    assert len(daily) == 7 and int(daily.loc["2019-11-08"].sum()) == 0
    ind = flights_vs_baseline(daily, ("2019-11-05", "2019-11-10"))
    # baseline: 4 movements over 6 days; 2019-11-11 has 3
    assert ind.loc["2019-11-11", "movements"] == 3
    assert round(float(ind.loc["2019-11-11", "ratio"]), 2) == 4.5
    claims = air_claims(air_activity(pts, ZRH, field_elevation_ft=1416), "lszh")
    assert [c.kind for c in claims] == ["flight_activity"] * 2
    assert claims[0].numbers == {"arrivals": 1, "departures": 3, "overflights": 0, "military": 0}

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = read_track_file(tracks_dir / "movingpandas-evergiven/boat-positions.csv")
    act = sea_activity(r.points, SUEZ, offshore_km=30)
    sc = sea_claims(act, "port-tawfiq")
    assert len(sc) == len(act.daily) == 5
    assert all(c.kind == "vessel_activity" and c.site_slug == "port-tawfiq" for c in sc)
    assert vessels_offshore(act.daily).tolist() == [c.numbers["offshore"] for c in sc]


def test_bundled_coastline_against_case_sites(ws: Any) -> None:
    import numpy as np

    from sitewatch.store.sites_repo import get_site
    from sitewatch.tracks.geo import bundled_coastline, distances_m

    coast = bundled_coastline()

    def km(slug_or_name: str) -> float:
        s = get_site(ws, slug_or_name)
        assert s.geometry is not None
        c = s.geometry.centroid
        d = distances_m(np.array([c.x]), np.array([c.y]), coast, (c.x, c.y))
        return float(d[0]) / 1000

    # Hmeimim lies about 4-5 km inland of the Jableh shore; the Tartus facility is on the quay
    assert 3.0 < km("hmeimim") < 6.5
    assert km("tartus") < 1.5
