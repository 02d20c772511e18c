"""The CLI as a user meets it: help everywhere, JSON output, one-line errors, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer.main

from sitewatch.cli.main import app
from tests.clirun import run

AIRBUS = "0641acc3-c0b9-4f9d-b0ba-7ad18aa08864.jpg"


def _all_commands(group: typer.Typer, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    click_group = typer.main.get_command(group)
    out: list[tuple[str, ...]] = []

    def walk(cmd: object, path: tuple[str, ...]) -> None:
        out.append(path)
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, (*path, name))

    walk(click_group, prefix)
    return out


def test_help_everywhere(capsys: pytest.CaptureFixture[str]) -> None:
    commands = _all_commands(app)
    assert ("sites", "import") in commands and ("passes", "add") in commands
    assert ("evidence", "grade") in commands and ("demo",) in commands
    for path in commands:
        r = run(capsys, *path, "--help")
        assert r.code == 0, (path, r.err)
        assert "Usage:" in r.out


def test_sites_commands(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    w = str(tmp_path / "w.db")
    r = run(capsys, "sites", "list", "-w", w, "--json")
    assert r.code == 0
    sites = r.json()
    assert [s["slug"] for s in sites][:3] == ["hmeimim", "tartus", "tartus-offshore"]
    hmeimim = sites[0]
    assert hmeimim["geometry"] == {"type": "Point", "coordinates": (35.9486, 35.4011)} or hmeimim[
        "geometry"
    ]["coordinates"] == [35.9486, 35.4011]
    assert hmeimim["approximate"] is True and hmeimim["radius_m"] == 2500
    assert "coord_source" not in hmeimim and "OSLK" in hmeimim["source"]

    r = run(
        capsys,
        "sites",
        "add",
        "Test Field",
        "--kind",
        "airport",
        "--lon",
        "10",
        "--lat",
        "20",
        "--radius",
        "900",
        "--alias",
        "TFX",
        "-w",
        w,
        "--json",
    )
    assert r.code == 0 and r.json()["slug"] == "test-field"
    r = run(capsys, "sites", "show", "TFX", "-w", w, "--json")
    assert r.json()["radius_m"] == 900
    r = run(
        capsys,
        "sites",
        "add",
        "No Radius",
        "--kind",
        "airport",
        "--lon",
        "10",
        "--lat",
        "20",
        "-w",
        w,
    )
    assert r.code == 1 and "--radius" in r.err and "Traceback" not in r.err
    r = run(capsys, "sites", "add", "Bad", "--kind", "castle", "-w", w)
    assert r.code == 1 and "unknown site kind 'castle'" in r.err
    r = run(capsys, "sites", "show", "atlantis", "-w", w)
    assert r.code == 1 and r.err.count("\n") <= 2 and "unknown site 'atlantis'" in r.err


def test_sites_import_reports_bad_features(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [30.1, 31.2]},
                "properties": {"name": "Good Port", "kind": "port", "radius_m": 700},
            },
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [300, 31]},
                "properties": {"name": "Bad Coords", "kind": "port", "radius_m": 700},
            },
            {"type": "Feature", "geometry": None, "properties": {"kind": "port"}},
            {
                "type": "Feature",
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[30, 30], [30.1, 30], [30.1, 30.1], [30, 30.1], [30, 30]]],
                },
                "properties": {"name": "Poly Base", "kind": "air base", "aliases": ["PB"]},
            },
        ],
    }
    f = tmp_path / "sites.geojson"
    f.write_text(json.dumps(doc))
    w = str(tmp_path / "w.db")
    r = run(capsys, "sites", "import", str(f), "-w", w, "--json")
    assert r.code == 1  # some features were rejected …
    body = r.json()
    assert body["added"] == ["good-port", "poly-base"]  # … but the good ones are in
    assert "features[1]" in body["rejected"][0] and "out of range" in body["rejected"][0]
    assert "features[2].properties.name" in body["rejected"][1]
    r = run(capsys, "sites", "show", "PB", "-w", w, "--json")
    assert r.json()["geometry"]["type"] == "Polygon"
    r = run(capsys, "sites", "import", str(tmp_path / "none.geojson"), "-w", w)
    assert r.code == 1 and "file not found" in r.err


def test_passes_commands(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, data_root: Path
) -> None:
    w = str(tmp_path / "w.db")
    img = data_root / "airbus-aircraft" / "images" / AIRBUS
    junk = tmp_path / "junk.jpg"
    junk.write_text("junk")
    run(capsys, "sites", "add", "Sample", "--kind", "airport", "-w", w)
    r = run(
        capsys,
        "passes",
        "add",
        str(img),
        str(junk),
        "--site",
        "sample",
        "--gsd",
        "0.5",
        "--sensor",
        "Pléiades",
        "-w",
        w,
        "--json",
    )
    assert r.code == 1  # one file was rejected …
    rows = r.json()
    assert rows[0]["status"] == "added" and rows[1]["status"] == "rejected"
    assert "junk.jpg: not a readable image" in rows[1]["error"]
    r = run(capsys, "passes", "add", str(img), "--site", "sample", "--gsd", "0.5", "-w", w)
    assert r.code == 0 and "already in the workspace as pass 1" in r.err
    r = run(capsys, "passes", "list", "-w", w, "--json")
    assert len(r.json()) == 1 and r.json()[0]["frame"] == "pixel"
    r = run(capsys, "passes", "show", "1", "-w", w, "--json")
    assert r.json()["sha256"] and r.json()["gsd_m"] == 0.5
    r = run(capsys, "passes", "add", str(img), "--site", "atlantis", "--gsd", "0.5", "-w", w)
    assert r.code == 1 and "unknown site 'atlantis'" in r.err


def test_workspace_from_environment(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SITEWATCH_WORKSPACE", str(tmp_path / "env.db"))
    r = run(capsys, "sites", "list", "--json")
    assert r.code == 0 and len(r.json()) == 16
    assert (tmp_path / "env.db").exists()


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("detect", "x.jpg", "--views", "3", "--out", "x.geojson"), "--views"),
        (("eval", "--data", "x", "--format", "voc", "--ships-holdout", "9"), "--ships-holdout"),
        (("sites", "list", "--no-such-option"), "--no-such-option"),
    ],
)
def test_usage_errors_name_the_option_without_a_traceback(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], option: str
) -> None:
    """A value the CLI cannot take is a usage error (exit 2) naming the option, whichever
    copy of click's exceptions typer raises it with."""
    res = run(capsys, *args)
    assert res.code == 2, res.err
    assert option in res.err and "Traceback" not in res.err
