"""Store round trip, idempotent import, and the ``sitewatch tracks`` commands on real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sitewatch.store import Workspace
from sitewatch.store.tracks_repo import import_track_file, list_track_files, load_adsb, load_ais
from sitewatch.tracks import read_track_file, segment
from tests.clirun import run


@pytest.fixture(scope="module")
def tracks_dir(data_root: Path) -> Path:
    d = data_root / "tracks"
    if not d.is_dir():
        pytest.skip(f"no track data at {d}")
    return d


def test_round_trip_adsb(any_ws: Workspace, tracks_dir: Path) -> None:
    """On SQLite, and on PostgreSQL when the CI server runs (the Core executemany path)."""
    p = tracks_dir / "traffic-samples/onground/zurich_airport.json.gz"
    s = import_track_file(any_ws, p)
    assert (s.points, s.tracks, s.malformed, s.skipped) == (17132, 10, 0, False)
    again = import_track_file(any_ws, p)
    assert again.skipped and again.file_id == s.file_id
    assert len(list_track_files(any_ws)) == 1
    back = load_adsb(any_ws)
    orig = segment(read_track_file(p).points)
    assert len(back) == len(orig) == 17132
    assert back.time.dt.tz is not None
    cols = ["icao24", "lat", "lon", "altitude_ft", "on_ground", "track_seq"]
    a = back.sort_values(["icao24", "time"]).reset_index(drop=True)
    b = orig.sort_values(["icao24", "time"]).reset_index(drop=True)
    assert (a.time == b.time).all()
    assert a[cols].astype(str).equals(b[cols].astype(str))


def test_round_trip_ais_with_static(any_ws: Workspace, tracks_dir: Path) -> None:
    p = tracks_dir / "aisdb-testdata/test_data_20211101.nm4"
    s = import_track_file(any_ws, p)
    assert (s.points, s.tracks, s.malformed) == (915, 799, 0)
    df = load_ais(any_ws)
    assert len(df) == 915 and df.time.notna().all()
    # type 5/24 reports give names; at least one position carries one after the join
    assert df["name"].notna().sum() > 0
    p2 = tracks_dir / "pyais-nmea/tests_nmea_data_sample.txt"
    s2 = import_track_file(any_ws, p2)
    assert (s2.points, s2.tracks, s2.malformed) == (758, 163, 120)
    assert len(load_ais(any_ws)) == 915 + 758


def test_cli_import_activity_export(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, tracks_dir: Path
) -> None:
    w = str(tmp_path / "ws.db")
    files = [
        tracks_dir / "traffic-samples/onground/zurich_airport.json.gz",
        tracks_dir / "traffic-samples/dump1090/sample_dump1090.bin",
        tracks_dir / "pyais-nmea/tests_mixed.txt",
    ]
    r = run(capsys, "tracks", "import", *map(str, files), "-w", w, "--json")
    assert r.code == 0, r.err
    rows = {Path(x["file"]).name: x for x in r.json()}
    assert rows["zurich_airport.json.gz"]["points"] == 17132
    assert rows["sample_dump1090.bin"]["status"] == "rejected"
    assert "Mode S decoder" in rows["sample_dump1090.bin"]["reason"]
    assert (rows["tests_mixed.txt"]["points"], rows["tests_mixed.txt"]["malformed"]) == (10, 3)
    r = run(capsys, "tracks", "import", str(files[0]), "-w", w, "--json")
    assert r.json()[0]["status"].startswith("skipped")
    r = run(
        capsys,
        "sites",
        "add",
        "Zurich airport",
        "--kind",
        "airport",
        "--slug",
        "lszh",
        "--lon",
        "8.5492",
        "--lat",
        "47.4647",
        "--radius",
        "4000",
        "-w",
        w,
    )
    assert r.code == 0, r.err
    png = tmp_path / "a.png"
    r = run(
        capsys,
        "tracks",
        "activity",
        "lszh",
        "--from",
        "2019-11-05",
        "--to",
        "2019-11-05",
        "--elevation",
        "1416",
        "--plot",
        str(png),
        "-w",
        w,
        "--json",
    )
    assert r.code == 0, r.err
    daily = r.json()["daily"]
    assert daily == [
        {"day": "2019-11-05", "arrivals": 1, "departures": 3, "overflights": 0, "military": 0}
    ]
    assert png.stat().st_size > 1000
    gj = tmp_path / "t.geojson"
    r = run(capsys, "tracks", "export", "--format", "geojson", "--out", str(gj), "-w", w)
    assert r.code == 0, r.err
    fc = json.loads(gj.read_text())
    assert len(fc["features"]) == 10
    kml = tmp_path / "t.kml"
    r = run(capsys, "tracks", "export", "--format", "kml", "--out", str(kml), "-w", w)
    assert r.code == 0 and kml.read_text().count("<Placemark>") == 10
    tp = tmp_path / "t.parquet"
    r = run(capsys, "tracks", "export", "--format", "traffic", "--out", str(tp), "-w", w)
    assert r.code == 0, r.err
    import pandas as pd

    tf = pd.read_parquet(tp)
    assert len(tf) == 17132 and tf.flight_id.nunique() == 10
    assert {"timestamp", "icao24", "latitude", "altitude", "groundspeed"} <= set(tf.columns)
    r = run(capsys, "tracks", "export", "--format", "shp", "--out", str(kml), "-w", w)
    assert r.code == 1 and "--format" in r.err
