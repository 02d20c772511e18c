"""Flight activity becomes graded evidence items, once, through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.clirun import run

NAMES = [
    "onground/zurich_airport",
    "noisy/noisy_takeoff",
    "noisy/noisy_ground",
    "noisy/noisy_landing",
]


def test_activity_logged_as_evidence(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, data_root: Path
) -> None:
    files = [str(data_root / "tracks" / "traffic-samples" / f"{n}.json.gz") for n in NAMES]
    w = str(tmp_path / "w.db")
    assert run(capsys, "tracks", "import", *files, "-w", w).code == 0
    r = run(
        capsys,
        "sites",
        "add",
        "Zurich airport",
        "--slug",
        "lszh",
        "--kind",
        "airport",
        "--lon",
        "8.5492",
        "--lat",
        "47.4647",
        "--radius",
        "4000",
        "-w",
        w,
    )
    assert r.code == 0
    args = [
        "tracks",
        "activity",
        "lszh",
        "--from",
        "2019-11-04",
        "--to",
        "2019-11-12",
        "--elevation",
        "1416",
        "--log-evidence",
        "-w",
        w,
    ]
    r = run(capsys, *args)
    assert r.code == 0 and "2 activity items logged" in r.err
    items = run(capsys, "evidence", "list", "--kind", "flight_activity", "-w", w, "--json").json()
    assert [(i["time_start"], i["grade"], i["site_slug"]) for i in items] == [
        ("2019-11-05", "B2", "lszh"),
        ("2019-11-11", "B2", "lszh"),
    ]
    assert "1 arrivals, 2 departures" in items[1]["claim"]
    assert items[1]["meta"]["numbers"]["departures"] == 2
    again = run(capsys, *args)
    assert "0 activity items logged, 2 already present" in again.err
