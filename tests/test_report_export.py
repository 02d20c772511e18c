"""Exports checked by tools sitewatch did not write: GDAL (pyogrio) reads the GeoPackage and
KML, shapely round-trips the GeoJSON, and the OASIS ``stix2-validator`` checks the bundle."""

from __future__ import annotations

import csv
import json
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyogrio
import pytest
import shapely
from shapely.geometry import shape

from sitewatch.report.export import ExportResult, NotAvailableError, export
from sitewatch.report.export.features import FeatureRecord
from sitewatch.report.export.geo import write_kml
from sitewatch.report.providers import ASSESS_EXPORT_HOOK, FEATURES_HOOK
from sitewatch.store import Workspace, evidence_repo
from tests.clirun import run
from tests.test_report_briefing import build_workspace

STAMP = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def ws_path(tmp_path_factory: pytest.TempPathFactory, data_root: Path) -> Path:
    return build_workspace(tmp_path_factory.mktemp("export") / "ws.db", data_root)


@pytest.fixture()
def ws(ws_path: Path) -> Iterator[Workspace]:
    with Workspace.open(ws_path) as w:
        yield w


def _export(ws: Workspace, kind: str, fmt: str, out: Path, **kw: object) -> ExportResult:
    return export(ws, kind, fmt, out, stamp=STAMP, **kw)  # type: ignore[arg-type]


def test_sites_geojson_is_rfc7946_and_round_trips(ws: Workspace, tmp_path: Path) -> None:
    path = _export(ws, "sites", "geojson", tmp_path / "sites.geojson").path
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection" and "crs" not in doc and "frame" not in doc
    located = [f for f in doc["features"] if f["geometry"] is not None]
    assert len(doc["features"]) == 17 and len(located) >= 8
    hmeimim = next(f for f in located if f["properties"]["slug"] == "hmeimim")
    geom = shape(hmeimim["geometry"])
    assert geom.is_valid and 35.8 < geom.centroid.x < 36.1 and 35.3 < geom.centroid.y < 35.5
    for f in located:  # lon/lat order and range; shapely writes back what it read
        g = shape(f["geometry"])
        minx, miny, maxx, maxy = g.bounds
        assert -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90
        assert shapely.equals(shape(shapely.geometry.mapping(g)), g)


def test_pixel_detections_say_their_frame(ws: Workspace, tmp_path: Path) -> None:
    res = _export(ws, "detections", "geojson", tmp_path / "d.geojson")
    doc = json.loads(res.path.read_text(encoding="utf-8"))
    assert doc["frame"] == "pixel" and "pixel" in doc["frame_note"]
    assert res.counts == {"detections": 51} and len(doc["features"]) == 51
    polys = [shape(f["geometry"]) for f in doc["features"]]
    assert all(p.geom_type == "Polygon" and p.is_valid and p.area > 0 for p in polys)
    assert all(p.bounds[0] >= 0 and p.bounds[2] <= 2560 for p in polys)  # pixels, not degrees
    assert {f["properties"]["model_version"] for f in doc["features"]} == {
        "airbus-labels annotations-csv"
    }
    with pytest.raises(Exception, match="KML holds longitude/latitude only"):
        _export(ws, "detections", "kml", tmp_path / "d.kml")


def test_geopackage_has_one_layer_per_kind_read_by_gdal(ws: Workspace, tmp_path: Path) -> None:
    res = _export(ws, "case", "gpkg", tmp_path / "case.gpkg")
    layers = {str(name) for name, _ in pyogrio.list_layers(res.path)}
    assert layers == {"sites", "evidence", "detections_pixel"}
    assert any("change stage" in n for n in res.notes)  # objects/events: said, not faked
    sites = pyogrio.read_info(res.path, layer="sites")
    assert sites["features"] == 17 and sites["crs"] == "EPSG:4326"
    dets = pyogrio.read_info(res.path, layer="detections_pixel")
    assert dets["features"] == 51 and dets["crs"] is None
    meta, _fids, _geoms, fields = pyogrio.raw.read(res.path, layer="evidence")
    grades = fields[list(meta["fields"]).index("grade")]
    assert len(grades) == 73 and {str(g) for g in grades} >= {"B2", "B3"}


def test_kml_styled_by_class_read_by_gdal(tmp_path: Path) -> None:
    records = [
        FeatureRecord(
            "detections", 1, shapely.Point(35.95, 35.41).buffer(1e-4), "map", {"class": "aircraft"}
        ),
        FeatureRecord(
            "detections", 2, shapely.Point(35.90, 34.91).buffer(1e-4), "map", {"class": "ship"}
        ),
        FeatureRecord(
            "detections", 3, shapely.Point(35.96, 35.40).buffer(1e-4), "map", {"class": "aircraft"}
        ),
    ]
    path = write_kml(records, tmp_path / "d.kml", title="test")
    text = path.read_text(encoding="utf-8")
    assert text.count("<Style ") == 2 and text.count("<styleUrl>#class-aircraft</styleUrl>") == 2
    info = pyogrio.read_info(path, layer="detections")
    assert info["features"] == 3 and info["crs"] == "EPSG:4326"
    _m, _f, geoms, _fields = pyogrio.raw.read(path, layer="detections")
    back = [shapely.from_wkb(g).centroid.x for g in geoms]
    sent = [r.geometry.centroid.x for r in records if r.geometry is not None]
    assert back == pytest.approx(sent, abs=1e-6)


def test_case_kml_and_csv_read_back(ws: Workspace, tmp_path: Path) -> None:
    res = _export(ws, "case", "kml", tmp_path / "case.kml")
    layers = {str(n) for n, _ in pyogrio.list_layers(res.path)}
    assert layers == {"sites", "evidence"}
    assert any("51 pixel-frame features left out" in n for n in res.notes)
    path = _export(ws, "evidence", "csv", tmp_path / "e.csv").path
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 73 and {r["frame"] for r in rows} == {"map"}
    assert all(r["grade"] and r["claim"] for r in rows)


def test_stix_bundle_validates_and_carries_grades(ws: Workspace, tmp_path: Path) -> None:
    from stix2validator import ValidationOptions, validate_file

    path = _export(ws, "evidence", "stix", tmp_path / "b.json").path
    result = validate_file(str(path), ValidationOptions(version="2.1"))
    assert result.is_valid, [e for r in result.object_results for e in r.errors]
    objs = json.loads(path.read_text(encoding="utf-8"))["objects"]
    types_ = {o["type"] for o in objs}
    assert {"report", "note", "opinion", "observed-data", "location", "identity"} <= types_
    notes = [o for o in objs if o["type"] == "note" and "sitewatch:evidence" in o["labels"]]
    assert len(notes) == 73
    by_id = {o["id"]: o for o in objs}
    for n in notes:
        grade = n["x_sitewatch_grade"]
        assert f"admiralty:{grade}" in n["labels"]
        expected = {"1": 90, "2": 70, "3": 50, "4": 30, "5": 10}.get(grade[1])
        assert n.get("confidence") == expected
        source = by_id[n["created_by_ref"]]
        assert source["x_opencti_reliability"][0] in "ABCDEF"
    report = next(o for o in objs if o["type"] == "report")
    assert set(report["object_refs"]) == {o["id"] for o in objs if o["type"] != "report"}
    # the same workspace and stamp give the same bytes
    again = _export(ws, "evidence", "stix", tmp_path / "c.json").path
    assert again.read_bytes() == path.read_bytes()


def test_geo_exports_are_deterministic(ws: Workspace, tmp_path: Path) -> None:
    for fmt in ("geojson", "kml", "csv"):
        a = _export(ws, "sites", fmt, tmp_path / f"a.{fmt}").path.read_bytes()
        b = _export(ws, "sites", fmt, tmp_path / f"b.{fmt}").path.read_bytes()
        assert a == b, fmt


def test_missing_kinds_say_which_stage_makes_them(ws: Workspace, tmp_path: Path) -> None:
    # the change stage is installed but has compared nothing in this workspace yet
    for kind in ("objects", "events"):
        with pytest.raises(NotAvailableError, match=rf"the change stage has no {kind}"):
            _export(ws, kind, "geojson", tmp_path / "x.geojson")


def test_change_hook_feeds_event_export(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    @dataclass(frozen=True)
    class Ev:
        id: int
        class_name: str
        frame: str
        geometry: Any
        properties: dict[str, Any]

    event = Ev(7, "aircraft", "map", shapely.Point(35.95, 35.41), {"kind": "disappeared"})

    mod = types.ModuleType(FEATURES_HOOK[0])
    setattr(mod, FEATURES_HOOK[1], lambda ws, kind: [event] if kind == "events" else [])
    monkeypatch.setitem(sys.modules, FEATURES_HOOK[0], mod)
    doc = json.loads(_export(ws, "events", "geojson", tmp_path / "e.geojson").path.read_text())
    assert doc["features"][0]["geometry"] == {"type": "Point", "coordinates": [35.95, 35.41]}
    with pytest.raises(NotAvailableError, match="no objects"):
        _export(ws, "objects", "geojson", tmp_path / "o.geojson")


def test_cli_export(ws_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "s.gpkg"
    ok = run(capsys, "export", "sites", "--format", "gpkg", "--out", str(out), "-w", str(ws_path))
    assert ok.code == 0 and "17 sites" in ok.out and out.is_file()
    missing = run(
        capsys, "export", "events", "--format", "csv", "--out", str(out), "-w", str(ws_path)
    )
    assert missing.code == 1 and "change stage" in missing.err
    bad = run(capsys, "export", "sites", "--format", "stix", "--out", str(out), "-w", str(ws_path))
    assert bad.code == 1 and "--format" in bad.err and "expected one of" in bad.err
    kind = run(capsys, "export", "ships", "--format", "csv", "--out", str(out), "-w", str(ws_path))
    assert kind.code == 1 and "unknown kind" in kind.err


def test_stix_carries_assessments_when_assess_provides_them(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stix2validator import ValidationOptions, validate_file

    from tests.test_report_briefing import _fake_assess

    ids = [e.id or 0 for e in evidence_repo.list_evidence(ws, site="hmeimim")][:4]
    fake = _fake_assess(ids)
    hook = fake.briefing_assessments
    setattr(fake, ASSESS_EXPORT_HOOK[1], lambda ws: hook(ws, sites=[], as_of=None))
    monkeypatch.setitem(sys.modules, ASSESS_EXPORT_HOOK[0], fake)
    path = _export(ws, "case", "stix", tmp_path / "case.json").path
    result = validate_file(str(path), ValidationOptions(version="2.1"))
    assert result.is_valid, [e for r in result.object_results for e in r.errors]
    objs = json.loads(path.read_text(encoding="utf-8"))["objects"]
    assessment = next(o for o in objs if "sitewatch:assessment" in o.get("labels", []))
    assert assessment["confidence"] == 50 and "estimative:likely" in assessment["labels"]
    hyps = [o for o in objs if "sitewatch:hypothesis" in o.get("labels", [])]
    assert [h["abstract"].split(":")[0] for h in hyps] == ["Hypothesis H1", "Hypothesis H2"]
