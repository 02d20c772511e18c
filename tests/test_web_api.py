"""The web API over the demo workspace: every route, auth failures, bad input, tiles."""

from __future__ import annotations

import io
import json
import math
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from sitewatch.demo import DEMO_PAIR, SAMPLE_SITE, run_demo
from sitewatch.store import Workspace, detections_repo, evidence_repo, passes_repo, sites_repo
from sitewatch.web import create_app, is_loopback, resolve_token
from sitewatch.web.security import MIN_TOKEN_LENGTH
from tests.airbus_labels import LabelBox, airbus_label_boxes

TOKEN = "test-token-0123456789"


def seed_labels(db: Path, data_root: Path) -> None:
    """Store the Airbus labels of both demo passes as analyst-added detections."""
    with Workspace.open(db) as ws:
        for p, name in zip(passes_repo.list_passes(ws, SAMPLE_SITE), DEMO_PAIR, strict=True):
            assert p.id is not None
            detections_repo.add_detections(
                ws,
                p.id,
                airbus_label_boxes(data_root, name, include_truncated=True),
                source="label",
            )


@pytest.fixture(scope="session")
def web_demo(tmp_path_factory: pytest.TempPathFactory, data_root: Path) -> Path:
    """The demo workspace, built once, with the provider's labels stored as detections."""
    out = tmp_path_factory.mktemp("web-demo")
    # detect=False: these tests store the provider's labels as the detections themselves
    run_demo(out, log=lambda _: None, detect=False)
    seed_labels(out / "demo.db", data_root)
    load_case_if_any(out / "demo.db")
    return out / "demo.db"


def load_case_if_any(db: Path) -> bool:
    """Load the built-in December 2024 case when the assessment stage is there."""
    try:
        from sitewatch.assess import load_case
    except ImportError:
        return False
    with Workspace.open(db) as ws:
        load_case(ws, "syria-2024", user="fixture")
    return True


def copy_demo(src: Path, dst_dir: Path) -> Path:
    """A private copy of the demo workspace (tests that write must not share one)."""
    dst = dst_dir / "demo.db"
    shutil.copy(src, dst)
    return dst


@pytest.fixture(scope="module")
def db(web_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_demo(web_demo, tmp_path_factory.mktemp("web-api"))


@pytest.fixture()
def client(db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(db, TOKEN, user="tester")) as c:
        yield c


@pytest.fixture()
def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


def sample_passes(client: TestClient) -> list[dict[str, object]]:
    site = client.get(f"/api/sites/{SAMPLE_SITE}").json()
    passes: list[dict[str, object]] = site["passes"]
    return passes


# ------------------------------------------------------------------ server and sites


def test_health_capabilities_openapi(client: TestClient) -> None:
    h = client.get("/api/health").json()
    assert h["ok"] and h["token_required"] and h["schema_revision"]
    caps = {c["stage"]: c for c in client.get("/api/capabilities").json()}
    assert caps["detections"]["available"]
    assert set(caps) == {"detections", "change", "assess", "assess_engine", "links"}
    spec = client.get("/openapi.json").json()
    paths = set(spec["paths"])
    for p in (
        "/api/sites",
        "/api/passes/{pass_id}/tiles/{z}/{x}/{y}.png",
        "/api/evidence/{evidence_id}/grade",
        "/api/detections/{detection_id}/review",
        "/api/change/events",
        "/api/objects",
        "/api/indicators",
        "/api/hypotheses",
        "/api/assessments",
        "/api/ach",
        "/api/ach/ratings",
    ):
        assert p in paths, p
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "cdn" not in docs.text.lower()


def test_sites_have_counts(client: TestClient) -> None:
    sites = client.get("/api/sites").json()
    assert len(sites) == 17
    by = {s["slug"]: s for s in sites}
    hm = by["hmeimim"]
    assert hm["geometry"]["type"] == "Point" and hm["center"]
    assert hm["counts"]["evidence"] > 0 and hm["counts"]["passes"] == 0
    sample = by[SAMPLE_SITE]
    assert sample["counts"]["passes"] == 2
    assert sample["counts"]["detections_latest_pass"] > 0
    assert sample["latest_assessment"] is None  # no assessment stage: honest null
    assert "path" not in sample["latest_pass"]  # server file layout is not exposed


def test_site_detail_timeline_series(client: TestClient) -> None:
    s = client.get(f"/api/sites/{SAMPLE_SITE}").json()
    assert [p["frame"] for p in s["passes"]] == ["pixel", "pixel"]
    tl = client.get(f"/api/sites/{SAMPLE_SITE}/timeline").json()
    assert tl["passes"] == [] and len(tl["undated_passes"]) == 2
    tl = client.get("/api/sites/tartus/timeline").json()
    assert tl["evidence"] and all(e["grade"] for e in tl["evidence"])
    series = client.get(f"/api/sites/{SAMPLE_SITE}/series").json()
    assert series["available"] and series["baseline_pass_id"] == s["passes"][0]["id"]
    assert len(series["points"]) == 2 and series["points"][0]["by_class"]["aircraft"] > 0
    assert client.get("/api/sites/no-such-site").status_code == 404
    assert client.get("/api/sites/no-such-site/series").status_code == 404


def test_passes(client: TestClient) -> None:
    allp = client.get("/api/passes").json()
    assert len(allp) == 2
    one = client.get(f"/api/passes/{allp[0]['id']}").json()
    assert one["tileinfo"]["frame"] == "pixel" and one["tileinfo"]["max_native_zoom"] == 4
    assert client.get("/api/passes", params={"site": SAMPLE_SITE}).json() == allp
    assert client.get("/api/passes/999").status_code == 404
    assert client.get("/api/passes/0").status_code == 422
    assert client.get("/api/passes/abc").status_code == 422


# ------------------------------------------------------------------ tiles


def _png(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def test_pixel_frame_tiles(client: TestClient) -> None:
    pid = sample_passes(client)[0]["id"]
    info = client.get(f"/api/passes/{pid}/tileinfo").json()
    assert info == {
        "frame": "pixel",
        "width": 2560,
        "height": 2560,
        "tile_size": 256,
        "min_zoom": 0,
        "max_native_zoom": 4,
        "max_zoom": 6,
    }
    full = client.get(f"/api/passes/{pid}/tiles/4/3/5.png")
    assert full.status_code == 200 and full.headers["content-type"] == "image/png"
    img = _png(full.content)
    assert img.size == (256, 256) and img.mode == "RGB"
    assert np.asarray(img).std() > 5  # real imagery, not a blank tile
    # zoom 0 holds the whole 2560 px image in a 4096 px tile: the rest is transparent
    edge = _png(client.get(f"/api/passes/{pid}/tiles/0/0/0.png").content)
    alpha = np.asarray(edge)[:, :, 3]
    assert edge.mode == "RGBA" and alpha[0, 0] == 255 and alpha[-1, -1] == 0
    assert alpha[:160, :160].min() == 255
    assert alpha[:, 160:].max() == 0 and alpha[160:, :].max() == 0
    over = _png(client.get(f"/api/passes/{pid}/tiles/6/0/0.png").content)
    assert over.size == (256, 256)
    for bad in ("4/10/0", "4/0/10", "7/0/0"):
        r = client.get(f"/api/passes/{pid}/tiles/{bad}.png")
        assert r.status_code == 404 and "outside" in r.json()["detail"], bad
    assert client.get(f"/api/passes/{pid}/tiles/-1/0/0.png").status_code == 422
    thumb = _png(client.get(f"/api/passes/{pid}/thumbnail.png", params={"size": 128}).content)
    assert thumb.size == (128, 128)
    assert client.get(f"/api/passes/{pid}/thumbnail.png", params={"size": 5000}).status_code == 422


def test_warp_into_another_frame(client: TestClient, db: Path) -> None:
    from sitewatch.web.tiles import Tiler

    with Workspace.open(db) as ws:
        b = passes_repo.list_passes(ws, SAMPLE_SITE)[1]
    tiler = Tiler()

    def arr(data: bytes) -> Any:
        return np.asarray(_png(data).convert("RGB"), dtype=np.int16)

    own = arr(tiler.tile(b, 4, 3, 3))
    same = arr(tiler.tile_in_frame(b, b, np.eye(3).tolist(), "id", 4, 3, 3))
    assert np.abs(own - same).mean() < 2
    shifted = [[1, 0, 256], [0, 1, 0], [0, 0, 1]]  # A pixel + 256 in x = B pixel
    next_tile = arr(tiler.tile(b, 4, 4, 3))
    assert np.abs(next_tile - arr(tiler.tile_in_frame(b, b, shifted, "t", 4, 3, 3))).mean() < 2
    off = [[1, 0, -1000], [0, 1, 0]]  # B lies 1000 px to the right: tile 0 is mostly empty
    alpha = np.asarray(_png(tiler.tile_in_frame(b, b, off, "o", 4, 0, 0)))[:, :, 3]
    assert alpha.max() == 0
    tiler.close()
    pa, pb = (int(str(p["id"])) for p in sample_passes(client))
    r = client.get(f"/api/passes/{pb}/tiles/4/3/3.png", params={"in_frame_of": pa})
    assert r.status_code in (200, 404)
    if r.status_code == 404:
        assert "no registration" in r.json()["detail"]


def test_map_frame_tiles(tmp_path: Path, web_demo: Path) -> None:
    rasterio = pytest.importorskip("rasterio")
    from morecantile import tms
    from rasterio.transform import from_origin

    from sitewatch.imagery import inspect_pass

    db = copy_demo(web_demo, tmp_path)
    tif = tmp_path / "hmeimim.tif"
    # a small UTM 37N raster over Hmeimim, 1 m pixels, with a gradient so tiles are not blank
    with Workspace.open(db) as ws:
        site = sites_repo.get_site(ws, "hmeimim")
        assert site.geometry is not None
        lon, lat = site.geometry.centroid.x, site.geometry.centroid.y
        from pyproj import Transformer

        x, y = Transformer.from_crs("EPSG:4326", "EPSG:32637", always_xy=True).transform(lon, lat)
        size = 600
        grad = np.linspace(20, 230, size, dtype=np.float32)
        band = np.tile(grad, (size, 1)).astype(np.uint8)
        with rasterio.open(
            tif,
            "w",
            driver="GTiff",
            width=size,
            height=size,
            count=3,
            dtype="uint8",
            crs="EPSG:32637",
            transform=from_origin(x - size / 2, y + size / 2, 1.0, 1.0),
        ) as ds:
            ds.write(np.stack([band, band.T, band]))
            ds.update_tags(TIFFTAG_DATETIME="2024:12:13 08:00:00")
        p = inspect_pass(tif, site, date="2024-12-13", sensor="synthetic")
        pid = passes_repo.add_pass(ws, p).pass_.id
        detections_repo.add_detections(
            ws,
            pid or 0,
            [
                LabelBox(
                    "aircraft",
                    0.9,
                    300,
                    300,
                    40,
                    30,
                    30.0,
                    [(280, 285), (320, 285), (320, 315), (280, 315)],
                )
            ],
        )
    with TestClient(create_app(db)) as c:
        info = c.get(f"/api/passes/{pid}/tileinfo").json()
        assert info["frame"] == "map"
        w, s, e, n = info["bounds"]
        assert w < lon < e and s < lat < n
        z = info["max_native_zoom"]
        t = tms.get("WebMercatorQuad").tile(lon, lat, z)
        r = c.get(f"/api/passes/{pid}/tiles/{z}/{t.x}/{t.y}.png")
        assert r.status_code == 200, r.text
        assert _png(r.content).size == (256, 256)
        far = c.get(f"/api/passes/{pid}/tiles/{z}/0/0.png")
        assert far.status_code == 404
        dets = c.get(f"/api/passes/{pid}/detections").json()
        ring = dets[0]["polygon_lonlat"]
        assert len(ring) == 4 and all(abs(a - lon) < 0.01 and abs(b - lat) < 0.01 for a, b in ring)
        series = c.get("/api/sites/hmeimim/series").json()
        assert series["points"][0]["total"] == 1


# ------------------------------------------------------------------ evidence


def test_evidence_filters(client: TestClient) -> None:
    everything = client.get("/api/evidence").json()
    assert everything["total"] == 73 and len(everything["items"]) == 73
    first = everything["items"][0]
    assert {"grade", "grade_text", "open_url", "links", "kind"} <= set(first)
    assert "archive_path" not in first
    assert set(first["links"]) == {"corroborates", "corroborated_by", "contradicts"}
    good = client.get("/api/evidence", params={"min_grade": "B2"}).json()
    assert 0 < good["total"] < 73
    assert all(i["grade"][0] in "AB" and int(i["grade"][1]) <= 2 for i in good["items"])
    news = client.get("/api/evidence", params={"kind": "news report"}).json()
    assert news["total"] and all(i["kind"] == "news_report" for i in news["items"])
    dec = client.get("/api/evidence", params={"since": "2024-12-08", "until": "2024-12-10"}).json()
    assert 0 < dec["total"] < 73
    tartus = client.get("/api/evidence", params={"site": "tartus"}).json()
    assert tartus["total"] and all(i["site_slug"] == "tartus" for i in tartus["items"])
    text = client.get("/api/evidence", params={"q": "Hmeimim"}).json()
    assert text["total"] and all("hmeimim" in json.dumps(i).lower() for i in text["items"])
    page = client.get("/api/evidence", params={"limit": 5, "offset": 5}).json()
    assert page["total"] == 73 and [i["id"] for i in page["items"]] == [
        i["id"] for i in everything["items"][5:10]
    ]
    assert "imagery_observation" in client.get("/api/evidence/kinds").json()


@pytest.mark.parametrize(
    ("params", "word"),
    [
        ({"min_grade": "Z9"}, "grade"),
        ({"kind": "rumour"}, "kind"),
        ({"since": "yesterday"}, "since"),
        ({"site": "atlantis"}, "atlantis"),
        ({"limit": 0}, "limit"),
    ],
)
def test_evidence_bad_filters(client: TestClient, params: dict[str, Any], word: str) -> None:
    r = client.get("/api/evidence", params=params)
    assert r.status_code in (404, 422)
    assert word in json.dumps(r.json()).lower()


def test_evidence_grade_and_edit_with_history(
    client: TestClient, auth: dict[str, str], db: Path
) -> None:
    eid = client.get("/api/evidence").json()["items"][3]["id"]
    r = client.post(
        f"/api/evidence/{eid}/grade",
        json={"grade": "a2", "rationale": "matches our own imagery"},
        headers={**auth, "X-Sitewatch-User": "ana"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["grade"] == "A2"
    r = client.patch(
        f"/api/evidence/{eid}",
        json={"claim": "Edited claim.", "tags": ["web"], "reason": "typo"},
        headers=auth,
    )
    assert r.status_code == 200 and r.json()["claim"] == "Edited claim."
    item = client.get(f"/api/evidence/{eid}").json()
    fields = {(h["field"], h["changed_by"]) for h in item["history"]}
    assert ("reliability", "ana") in fields and ("claim", "tester") in fields
    assert client.get(f"/api/evidence/{eid}/history").json() == item["history"]
    with Workspace.open(db) as ws:
        assert str(evidence_repo.get_evidence(ws, eid).grade) == "A2"


def _snapshot(client: TestClient, eid: int) -> object:
    return client.get(f"/api/evidence/{eid}").json()


@pytest.mark.parametrize(
    ("method", "suffix", "body", "code"),
    [
        ("post", "/grade", {"grade": "Q7", "rationale": "x"}, 422),
        ("post", "/grade", {"grade": "B2", "rationale": "   "}, 422),
        ("post", "/grade", {"grade": "B2"}, 422),
        ("post", "/grade", {"grade": "B2", "rationale": "x", "extra": 1}, 422),
        ("patch", "", {}, 422),
        ("patch", "", {"archive_path": "/etc/passwd"}, 422),
        ("patch", "", {"url": "javascript:alert(1)"}, 422),
        ("patch", "", {"lat": 123}, 422),
        ("patch", "", {"kind": "rumour"}, 422),
        ("patch", "", {"claim": None}, 422),
        ("patch", "", {"time_start": "2024-12-10", "time_end": "2024-12-01"}, 422),
    ],
)
def test_evidence_bad_writes_change_nothing(
    client: TestClient,
    auth: dict[str, str],
    method: str,
    suffix: str,
    body: dict[str, object],
    code: int,
) -> None:
    eid = client.get("/api/evidence").json()["items"][10]["id"]
    before = _snapshot(client, eid)
    r = client.request(method.upper(), f"/api/evidence/{eid}{suffix}", json=body, headers=auth)
    assert r.status_code == code, r.text
    assert r.json()["detail"]
    assert _snapshot(client, eid) == before


def test_evidence_missing_item(client: TestClient, auth: dict[str, str]) -> None:
    assert client.get("/api/evidence/99999").status_code == 404
    assert client.get("/api/evidence/99999/history").status_code == 404
    r = client.post(
        "/api/evidence/99999/grade", json={"grade": "B2", "rationale": "x"}, headers=auth
    )
    assert r.status_code == 404


def test_evidence_import_upload(client: TestClient, auth: dict[str, str]) -> None:
    before = client.get("/api/evidence").json()["total"]
    csv_text = (
        "date,place,event,source_type,source,url\n"
        "2024-12-14,Tartus,Two landing ships seen offshore.,news,Test wire,https://example.org/a\n"
        "not-a-date,Tartus,Bad row.,news,Test wire,https://example.org/b\n"
    )
    files = {"file": ("../../etc/evil name.csv", csv_text.encode(), "text/csv")}
    r = client.post("/api/evidence/import", files=files, headers=auth)
    assert r.status_code == 200, r.text
    out = r.json()
    assert len(out["added"]) == 1 and len(out["errors"]) == 1
    assert out["file"] == "evil_name.csv" and "line 3" in out["errors"][0]
    assert "/tmp" not in json.dumps(out)
    item = client.get(f"/api/evidence/{out['added'][0]}").json()
    assert item["origin"].startswith("upload:evil_name.csv")
    again = client.post("/api/evidence/import", files=files, headers=auth).json()
    assert again["added"] == [] and again["skipped"] == out["added"]
    assert client.get("/api/evidence").json()["total"] == before + 1


def test_evidence_import_rejects(client: TestClient, auth: dict[str, str]) -> None:
    before = client.get("/api/evidence").json()["total"]
    exe = {"file": ("x.exe", b"MZ", "application/octet-stream")}
    assert client.post("/api/evidence/import", files=exe, headers=auth).status_code == 422
    bad = {"file": ("x.json", b"{not json", "application/json")}
    r = client.post("/api/evidence/import", files=bad, headers=auth)
    assert r.status_code == 422 and "x.json" in r.json()["detail"]
    rows = {"file": ("x.csv", b"date,place,event\nnever,nowhere,\n", "text/csv")}
    assert client.post("/api/evidence/import", files=rows, headers=auth).status_code == 422
    assert client.get("/api/evidence").json()["total"] == before


def test_upload_size_is_bounded(db: Path) -> None:
    with TestClient(create_app(db, TOKEN, max_upload_bytes=1000)) as c:
        before = c.get("/api/evidence").json()["total"]
        big = {"file": ("big.csv", b"date,place,event\n" + b"x" * 5000, "text/csv")}
        r = c.post("/api/evidence/import", files=big, headers={"Authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 413 and "limit" in r.json()["detail"]
        assert c.get("/api/evidence").json()["total"] == before


# ------------------------------------------------------------------ detections and review


def test_detections_and_review(client: TestClient, auth: dict[str, str]) -> None:
    pid = sample_passes(client)[1]["id"]
    dets = client.get(f"/api/passes/{pid}/detections").json()
    assert dets and all(len(d["polygon_px"]) == 4 for d in dets)
    assert dets[0]["status"] == "unreviewed" and dets[0]["polygon_lonlat"] is None
    counts = client.get(f"/api/passes/{pid}/counts").json()
    assert counts["available"] and counts["total"] == len(dets)
    did = dets[0]["id"]
    one = client.get(f"/api/detections/{did}").json()
    assert one["trail"] == [] and one["type_candidates"] == []
    r = client.post(
        f"/api/detections/{did}/review", json={"action": "reject", "note": "shadow"}, headers=auth
    )
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert client.get(f"/api/passes/{pid}/counts").json()["total"] == len(dets) - 1
    assert len(client.get(f"/api/passes/{pid}/detections").json()) == len(dets) - 1
    assert len(
        client.get(f"/api/passes/{pid}/detections", params={"include_rejected": 1}).json()
    ) == len(dets)
    for action, value in (("confirm", None), ("relabel_class", "Helicopter"), ("set_type", "A320")):
        r = client.post(
            f"/api/detections/{did}/review", json={"action": action, "value": value}, headers=auth
        )
        assert r.status_code == 200, r.text
    d = client.get(f"/api/detections/{did}").json()
    assert d["status"] == "confirmed" and d["effective_class"] == "helicopter"
    assert d["type_name"] == "A320" and [t["user"] for t in d["trail"]] == ["tester"] * 4
    assert client.get(f"/api/passes/{pid}/counts").json()["by_type"] == {"A320": 1}
    assert client.get(f"/api/passes/{pid}/runs").json() == []


@pytest.mark.parametrize(
    "body",
    [
        {"action": "destroy"},
        {"action": "relabel_class", "value": ""},
        {"action": "relabel_class", "value": "Not A Class!"},
        {"action": "set_type"},
        {"action": "confirm", "bogus": 1},
        {},
    ],
)
def test_review_bad_input_changes_nothing(
    client: TestClient, auth: dict[str, str], body: dict[str, object]
) -> None:
    pid = sample_passes(client)[0]["id"]
    did = client.get(f"/api/passes/{pid}/detections").json()[-1]["id"]
    before = client.get(f"/api/detections/{did}").json()
    r = client.post(f"/api/detections/{did}/review", json=body, headers=auth)
    assert r.status_code == 422, r.text
    assert r.json()["detail"]
    assert client.get(f"/api/detections/{did}").json() == before


def test_review_missing_detection(client: TestClient, auth: dict[str, str]) -> None:
    assert client.get("/api/detections/999999").status_code == 404
    r = client.post("/api/detections/999999/review", json={"action": "confirm"}, headers=auth)
    assert r.status_code == 404
    assert client.get("/api/passes/999/detections").status_code == 404
    assert client.get("/api/passes/999/counts").status_code == 404


# ------------------------------------------------------------------ change and assessment


def test_change_routes_are_honest(client: TestClient) -> None:
    pa, pb = (int(str(p["id"])) for p in sample_passes(client))
    assert client.get("/api/change/events", params={"pass_a": pa, "pass_b": pb}).json() == []
    assert client.get("/api/change/registrations").json() == []
    assert client.get("/api/change/events", params={"site": SAMPLE_SITE}).json() == []
    assert client.get("/api/change/events", params={"site": "atlantis"}).status_code == 404
    objs = client.get("/api/objects")
    assert objs.status_code == 200 and objs.json() == []
    assert client.get("/api/objects/999/history").status_code in (200, 404)


def test_assessment_without_case_is_honest(tmp_path: Path) -> None:
    with TestClient(create_app(tmp_path / "empty.db", TOKEN)) as c:
        for route in ("/api/cases", "/api/indicators", "/api/hypotheses", "/api/assessments"):
            r = c.get(route)
            assert r.status_code == 200 and r.json() == [], route
        ach = c.get("/api/ach", params={"as_of": "2024-12-10"}).json()
        assert ach["available"] is False and ach["reason"]
        assert ach["hypotheses"] == [] and ach["judgment"] is None and ach["evidence"] == []
        r = c.put(
            "/api/ach/ratings",
            json={"case": "syria-2024", "evidence_id": 1, "hypothesis": "H1", "rating": "I"},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert r.status_code in (404, 501)
        assert c.get("/api/sites").json()[0]["latest_assessment"] is None


def test_assessment_routes(client: TestClient, auth: dict[str, str]) -> None:
    cases = client.get("/api/cases").json()
    if not cases:
        pytest.skip("the assessment stage is not in this checkout yet")
    case = cases[0]["slug"]
    hyps = client.get("/api/hypotheses", params={"case": case}).json()
    assert len(hyps) >= 2 and {"key", "text"} <= set(hyps[0])
    assert client.get("/api/hypotheses", params={"case": "nope"}).status_code == 404
    inds = client.get("/api/indicators", params={"case": case, "as_of": "2024-12-15"}).json()
    assert inds and all("level" in i for i in inds)
    ach = client.get("/api/ach", params={"case": case, "as_of": "2024-12-15"}).json()
    assert ach["available"] and ach["judgment"] and ach["leader"] in {h["key"] for h in hyps}
    assert ach["matrix"] and len(ach["evidence"]) == len(ach["matrix"])
    assert set(ach["inconsistency"]) == {h["key"] for h in hyps}
    early = client.get("/api/ach", params={"case": case, "as_of": "2024-11-01"}).json()
    assert len(early["evidence"]) < len(ach["evidence"])
    row = ach["matrix"][-1]
    eid, key = row["evidence_id"], hyps[0]["key"]
    new = "II" if row["ratings"][key] != "II" else "CC"
    r = client.put(
        "/api/ach/ratings",
        json={"case": case, "evidence_id": eid, "hypothesis": key, "rating": new},
        headers=auth,
    )
    assert r.status_code == 200, r.text
    after = client.get("/api/ach", params={"case": case, "as_of": "2024-12-15"}).json()
    assert next(m for m in after["matrix"] if m["evidence_id"] == eid)["ratings"][key] == new
    assert after["inconsistency"] != ach["inconsistency"]
    for bad, code in (
        ({"hypothesis": "H99"}, 422),
        ({"rating": "maybe"}, 422),
        ({"evidence_id": 99999}, 404),
        ({"case": "nope"}, 404),
    ):
        body = {"case": case, "evidence_id": eid, "hypothesis": key, "rating": "N", **bad}
        r = client.put("/api/ach/ratings", json=body, headers=auth)
        assert r.status_code == code, (bad, r.text)
    unchanged = client.get("/api/ach", params={"case": case, "as_of": "2024-12-15"}).json()
    assert unchanged["matrix"] == after["matrix"]
    snap = client.post(
        "/api/assessments/snapshot", json={"case": case, "as_of": "2024-12-15"}, headers=auth
    )
    assert snap.status_code == 200, snap.text
    snaps = client.get("/api/assessments", params={"case": case}).json()
    assert any(s["id"] == snap.json()["id"] for s in snaps)
    current = client.get("/api/assessments/current", params={"case": case}).json()
    assert current["bluf"]
    hm = next(s for s in client.get("/api/sites").json() if s["slug"] == "hmeimim")
    assert hm["latest_assessment"]["leader"] and hm["latest_assessment"]["judgment"]
    assert client.get("/api/ach", params={"as_of": "someday"}).status_code == 422


def test_evidence_links(client: TestClient, auth: dict[str, str]) -> None:
    items = client.get("/api/evidence").json()["items"]
    a, b = items[20]["id"], items[21]["id"]
    r = client.post(
        "/api/evidence/links",
        json={"source_id": a, "target_id": b, "kind": "corroborates", "note": "same ships"},
        headers=auth,
    )
    if r.status_code == 501:
        pytest.skip("evidence links are not in this checkout yet")
    assert r.status_code == 200, r.text
    got = client.get(f"/api/evidence/{a}").json()["links"]
    assert {"id": b, "note": "same ships"} in got["corroborates"]
    assert any(
        x["id"] == a for x in client.get(f"/api/evidence/{b}").json()["links"]["corroborated_by"]
    )
    before = client.get(f"/api/evidence/{a}").json()
    for body in (
        {"source_id": b, "target_id": a, "kind": "corroborates"},  # circular
        {"source_id": a, "target_id": a, "kind": "contradicts"},  # self
        {"source_id": a, "target_id": b, "kind": "supports"},
    ):
        r = client.post("/api/evidence/links", json=body, headers=auth)
        assert r.status_code == 422, (body, r.text)
    assert client.get(f"/api/evidence/{a}").json() == before


# ------------------------------------------------------------------ security


MUTATIONS = [
    ("post", "/api/evidence/1/grade", {"grade": "A1", "rationale": "x"}),
    ("patch", "/api/evidence/1", {"claim": "hijacked"}),
    ("post", "/api/detections/1/review", {"action": "reject"}),
    (
        "put",
        "/api/ach/ratings",
        {"case": "syria-2024", "evidence_id": 1, "hypothesis": "H1", "rating": "I"},
    ),
    ("post", "/api/evidence/links", {"source_id": 1, "target_id": 2, "kind": "corroborates"}),
    ("post", "/api/assessments/snapshot", {"case": "syria-2024", "as_of": "2024-12-15"}),
]


@pytest.mark.parametrize(("method", "url", "body"), MUTATIONS)
def test_writes_need_the_token(
    client: TestClient, method: str, url: str, body: dict[str, object]
) -> None:
    before = (client.get("/api/evidence/1").json(), client.get("/api/detections/1").json())
    r = client.request(method.upper(), url, json=body)
    assert r.status_code == 401 and "token" in r.json()["detail"]
    r = client.request(method.upper(), url, json=body, headers={"Authorization": "Bearer nope"})
    assert r.status_code == 403
    r = client.request(method.upper(), url, json=body, headers={"X-Sitewatch-Token": "nope"})
    assert r.status_code == 403
    after = (client.get("/api/evidence/1").json(), client.get("/api/detections/1").json())
    assert after == before


def test_upload_needs_the_token(client: TestClient) -> None:
    files = {"file": ("a.csv", b"date,place,event\n2024-12-01,Tartus,x\n", "text/csv")}
    assert client.post("/api/evidence/import", files=files).status_code == 401


def test_token_header_alternative_and_user_check(client: TestClient) -> None:
    r = client.post(
        "/api/detections/2/review",
        json={"action": "note", "value": "seen"},
        headers={"X-Sitewatch-Token": TOKEN},
    )
    assert r.status_code == 200
    r = client.post(
        "/api/detections/2/review",
        json={"action": "note", "value": "seen"},
        headers={"X-Sitewatch-Token": TOKEN, "X-Sitewatch-User": "<script>"},
    )
    assert r.status_code == 422


def test_no_token_on_loopback_allows_writes(db: Path) -> None:
    with TestClient(create_app(db)) as c:
        assert c.get("/api/health").json()["token_required"] is False
        r = c.post("/api/detections/3/review", json={"action": "note", "value": "ok"})
        assert r.status_code == 200


def test_cross_origin_and_form_writes_refused(client: TestClient, auth: dict[str, str]) -> None:
    before = client.get("/api/evidence/1").json()
    r = client.post(
        "/api/evidence/1/grade",
        json={"grade": "A1", "rationale": "x"},
        headers={**auth, "Origin": "http://evil.example"},
    )
    assert r.status_code == 403
    r = client.post(
        "/api/evidence/1/grade",
        content=b"grade=A1&rationale=x",
        headers={**auth, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 415
    r = client.post(
        "/api/evidence/1/grade",
        content=b'{"grade": "A1", "rationale": "x"}',
        headers={**auth, "Content-Type": "text/plain"},
    )
    assert r.status_code == 415
    assert client.get("/api/evidence/1").json() == before
    same = client.post(
        "/api/evidence/1/grade",
        json={"grade": before["grade"], "rationale": "same origin"},
        headers={**auth, "Origin": "http://testserver"},
    )
    assert same.status_code == 200


def test_cors_closed_by_default(client: TestClient) -> None:
    r = client.get("/api/sites", headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in r.headers
    pre = client.options(
        "/api/evidence/1/grade",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in pre.headers


def test_cors_opened_explicitly(db: Path) -> None:
    with TestClient(create_app(db, allow_origins=["http://notebook.local"])) as c:
        r = c.get("/api/sites", headers={"Origin": "http://notebook.local"})
        assert r.headers["access-control-allow-origin"] == "http://notebook.local"
        r = c.get("/api/sites", headers={"Origin": "http://evil.example"})
        assert "access-control-allow-origin" not in r.headers


def test_host_check_for_loopback(db: Path) -> None:
    with TestClient(create_app(db, allowed_hosts=["127.0.0.1", "localhost"])) as c:
        assert c.get("/api/health", headers={"Host": "127.0.0.1:8765"}).status_code == 200
        r = c.get("/api/health", headers={"Host": "attacker.example"})
        assert r.status_code == 400


def test_security_headers(client: TestClient) -> None:
    r = client.get("/api/sites")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store"


def test_bind_rules() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4")
    tok, made = resolve_token("0.0.0.0", None)
    assert made and tok and len(tok) >= 32
    assert resolve_token("127.0.0.1", None) == (None, False)
    assert resolve_token("127.0.0.1", TOKEN) == (TOKEN, False)
    with pytest.raises(ValueError, match="at least"):
        resolve_token("0.0.0.0", "x" * (MIN_TOKEN_LENGTH - 1))


def test_front_end_or_build_hint(db: Path, tmp_path: Path) -> None:
    with TestClient(create_app(db, static_dir=tmp_path / "nothing")) as c:
        r = c.get("/")
        assert r.status_code == 503 and "web/build.sh" in r.text
        assert "web/build.sh" in c.get("/docs").text
    from sitewatch.web import STATIC_DIR, static_ready

    if static_ready():
        with TestClient(create_app(db)) as c:
            r = c.get("/")
            assert r.status_code == 200 and "/static/app.js" in r.text
            assert c.get("/static/app.js").status_code == 200
            assert (STATIC_DIR / "swagger" / "swagger-ui-bundle.js").is_file()
            assert "/static/swagger/swagger-ui-bundle.js" in c.get("/docs").text


def test_serve_cli_binding(monkeypatch: pytest.MonkeyPatch, db: Path) -> None:
    import uvicorn
    from typer.testing import CliRunner

    from sitewatch.cli.main import app

    runs: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda a, **kw: runs.append((a, kw)))
    monkeypatch.delenv("SITEWATCH_TOKEN", raising=False)
    res = CliRunner().invoke(app, ["serve", "--workspace", str(db), "--port", "8799"])
    assert res.exit_code == 0, res.output
    assert runs[-1][1]["host"] == "127.0.0.1" and "token" not in res.output
    res = CliRunner().invoke(app, ["serve", "--workspace", str(db), "--host", "0.0.0.0"])
    assert res.exit_code == 0, res.output
    assert "generated token: " in res.output
    token = res.output.split("generated token: ")[1].split()[0]
    served, kw = runs[-1]
    assert kw["host"] == "0.0.0.0"
    with TestClient(served) as c:
        assert c.get("/api/health").json()["token_required"] is True
        r = c.post("/api/detections/1/review", json={"action": "note", "value": "x"})
        assert r.status_code == 401
        r = c.post(
            "/api/detections/1/review",
            json={"action": "note", "value": "x"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 200
    res = CliRunner().invoke(
        app, ["serve", "--workspace", str(db), "--token", "loopback-token-123"]
    )
    assert res.exit_code == 0 and "token: loopback-token-123" in res.output
    with TestClient(runs[-1][0]) as c:
        assert c.get("/api/health").status_code == 400  # Host "testserver": not loopback
        health = c.get("/api/health", headers={"Host": "127.0.0.1:8765"}).json()
        assert health["token_required"] is True


def test_serve_cli_refuses_short_token() -> None:
    from typer.testing import CliRunner

    from sitewatch.cli.main import app

    res = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--token", "short"])
    assert res.exit_code != 0


def test_times_are_utc(client: TestClient) -> None:
    item = client.get("/api/evidence").json()["items"][0]
    assert item["time_start"].endswith("+00:00")
    datetime.fromisoformat(item["time_start"]).astimezone(UTC)
    assert math.isfinite(1.0)
