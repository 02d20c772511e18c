"""Every real track file imports or is rejected with a reason; counts checked independently."""

from __future__ import annotations

import csv
import gzip
import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from sitewatch.errors import InputError
from sitewatch.tracks import read_track_file, segment, track_summary
from sitewatch.tracks.nmea import NmeaDecoder, decode_payload


@pytest.fixture(scope="module")
def tracks_dir(data_root: Path) -> Path:
    d = data_root / "tracks"
    if not d.is_dir():
        pytest.skip(f"no track data at {d}")
    return d


def _read(p: Path):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # naive Suez times warn; tested separately
        return read_track_file(p)


# (points, tracks, malformed) verified by the independent computations below or by hand
EXPECTED = {
    "pyais-nmea/tests_nmea_data_sample.txt": (758, 163, 120),
    "pyais-nmea/examples_sample.ais": (10, 8, 3),
    "pyais-nmea/tests_mixed.txt": (10, 8, 3),
    "pyais-nmea/tests_timestamped.ais": (4, 4, 0),
    "aisdb-testdata/test_data_20211101.nm4": (915, 799, 0),
    "aisdb-testdata/test_data_noaa_20230101.csv": (1000, 1000, 0),
    "movingpandas-evergiven/boat-positions.csv": (22287, 397, 0),
    "traffic-samples/collections/switzerland.json.gz": (139098, 1244, 0),
    "traffic-samples/military/aircraft_carrier.json.gz": (7335, 2, 0),
    "traffic-samples/readsb/trace_full_ac671b.json": (2500, 7, 0),
    "traffic-samples/fr24/34a8254b.json": (1249, 1, 0),
}
REJECTED = {
    "traffic-samples/dump1090/sample_dump1090.bin": "Mode S decoder",
    "traffic-samples/tests-cache/8efd4e7164d355dc0568214d15811db1.parquet": "Mode S decoder",
    "traffic-samples/performance/fuelflow_a320.json.gz": "no positions",
}


def test_every_file_imports_or_is_rejected(tracks_dir: Path) -> None:
    for p in sorted(x for x in tracks_dir.rglob("*") if x.is_file()):
        rel = p.relative_to(tracks_dir).as_posix()
        try:
            r = _read(p)
        except InputError as exc:
            assert str(exc), rel
            if rel in REJECTED:
                assert REJECTED[rel] in str(exc)
            else:
                assert "LICENSE" in rel or rel.endswith(".md"), f"{rel} rejected: {exc}"
            continue
        assert rel not in REJECTED
        assert len(r.points) > 0, rel
        if rel in EXPECTED:
            seg = segment(r.points)
            got = (len(r.points), len(track_summary(seg)), r.malformed)
            assert got == EXPECTED[rel], rel


def test_nmea_counts_match_per_line_pyais(tracks_dir: Path) -> None:
    import pyais

    p = tracks_dir / "pyais-nmea/tests_nmea_data_sample.txt"
    ok, mmsi, npos = 0, set(), 0
    for line in p.read_text().splitlines():
        try:
            d = pyais.decode(line).asdict()
        except Exception:
            continue
        ok += 1
        if d["msg_type"] in (1, 2, 3, 18) and abs(d["lat"]) <= 90:
            npos += 1
            mmsi.add(d["mmsi"])
    r = _read(p)
    assert (ok, npos, len(mmsi)) == (778, 758, 163)
    assert r.messages == ok and len(r.points) == npos and r.points.mmsi.nunique() == len(mmsi)
    # 100 empty payloads and 20 first halves of two-part messages whose second half is missing
    assert r.notes[:2] == ["100 empty payload", "20 incomplete multi-part message"]


def test_fast_decoder_agrees_with_pyais(tracks_dir: Path) -> None:
    lines = (tracks_dir / "aisdb-testdata/test_data_20211101.nm4").read_text().splitlines()
    pos, _ = NmeaDecoder().feed(lines)
    assert len(pos) == 915  # 785 type 1/2/3/18 via numpy, 126 type 27 and 4 type 19 via pyais
    pos = pos[pos.msg_type.isin([1, 2, 3, 18])]
    ref = []
    for line in lines:
        body = line.split("\\")[-1]
        f = body.split(",")
        if len(f) > 6 and f[1] == "1" and f[5][:1] in "123B":
            d = decode_payload(f[5], int(f[6][0]))
            if d and d.get("lat") is not None and abs(d["lat"]) <= 90:
                ref.append((d["mmsi"], d["lat"], d["lon"], d["speed"]))
    got = sorted(zip(pos.mmsi, pos.lat, pos.lon, pos.sog_kn.fillna(102.3), strict=True))
    assert len(got) == len(ref) == 785
    # pyais rounds degrees to 6 decimals; numpy keeps the full 1/10000-minute value
    assert np.allclose(np.array(sorted(ref), float), np.array(got, float), atol=1e-5)


def test_timestamps_from_tag_blocks_gatehouse_and_trailing_epochs(tracks_dir: Path) -> None:
    r = _read(tracks_dir / "pyais-nmea/tests_timestamped.ais")
    times = sorted(str(t) for t in r.points.time.dropna())
    # the $PGHP before the first message, and the first epoch after two checksums
    assert times[0].startswith("2008-05-09 00:00:00.0")
    r2 = _read(tracks_dir / "aisdb-testdata/test_data_201201.nmea")
    assert "2012-01-01 05:01:00+00:00" in {str(t) for t in r2.points.time}
    r = _read(tracks_dir / "aisdb-testdata/test_data_20211101.nm4")
    assert r.points.time.notna().all()


def test_counts_against_raw_files(tracks_dir: Path) -> None:
    rows = list(
        csv.DictReader(
            (tracks_dir / "movingpandas-evergiven/boat-positions.csv").open(encoding="utf-8-sig")
        )
    )
    assert len(rows) == 22287 and len({r["ID"] for r in rows}) == 256
    with gzip.open(tracks_dir / "traffic-samples/collections/switzerland.json.gz") as fh:
        raw = json.load(fh)
    assert len(raw) == 139098 and len({r["icao24"] for r in raw}) == 842
    r = _read(tracks_dir / "traffic-samples/collections/switzerland.json.gz")
    assert r.points.icao24.nunique() == 842


def test_naive_times_warn(tracks_dir: Path) -> None:
    from sitewatch.tracks._time import NaiveTimeWarning

    with pytest.warns(NaiveTimeWarning):
        read_track_file(tracks_dir / "movingpandas-evergiven/boat-positions.csv")


def test_marinecadastre_static_joined_military_vessels(tracks_dir: Path) -> None:
    from sitewatch.tracks.schema import join_static

    p = tracks_dir / "aisdb-testdata/test_data_noaa_20230101.csv"
    r = _read(p)
    joined = join_static(r.points, r.static)
    assert len(joined) == 1000 and joined["name"].notna().sum() > 900
    # ship type 35 is "military operations"; the raw CSV has exactly two such rows
    with p.open() as fh:
        raw = sum(1 for row in csv.DictReader(fh) if row["VesselType"] == "35")
    mil = joined[joined.ship_type == 35]
    assert raw == len(mil) == 2
    assert set(mil["name"]) == {"US GOVT VESSEL 19", "PCU MARINETTE"}
