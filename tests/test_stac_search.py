"""STAC passes offline: recorded Earth Search / Maxar Open Data responses and COGs built from
real Airbus pixels, served by a real HTTP server on 127.0.0.1 that honours Range requests."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import rasterio.shutil
import shapely
from pyproj import Transformer
from rasterio.transform import from_origin

from sitewatch.errors import InputError
from sitewatch.imagery import Frame
from sitewatch.imagery.profiles import PROFILES, get_profile
from sitewatch.imagery.stac import (
    add_scene_pass,
    find_scenes,
    search_passes,
    workspace_data_dir,
)
from sitewatch.sites import Site, SiteKind
from sitewatch.store import Workspace, passes_repo, sites_repo
from tests.clirun import run

FIX = Path(__file__).parent / "fixtures" / "stac"
AIRBUS = "0641acc3-c0b9-4f9d-b0ba-7ad18aa08864.jpg"
ES = "https://earth-search.aws.element84.com/v1"
S2_COGS = "https://sentinel-cogs.s3.us-west-2.amazonaws.com"
MAXAR = "https://maxar-opendata.s3.amazonaws.com"
S2_TCI = "/sentinel-s2-l2a-cogs/36/S/YE/2024/12/{}/TCI.tif"
MAXAR_VISUAL = (
    "/events/Kahramanmaras-turkey-earthquake-23/ard/37/031133102033/2023-02-07/"
    "10400100837E6C00-visual.tif"
)


@dataclass
class Recorder:
    """What the loopback server was asked for."""

    base: str = ""
    files: dict[str, Path] = field(default_factory=dict)
    searches: list[dict[str, Any]] = field(default_factory=list)
    gets: list[str] = field(default_factory=list)
    bytes_sent: dict[str, int] = field(default_factory=dict)

    def rewrite(self, text: str) -> str:
        """Recorded responses name the real hosts; point them at this server."""
        return (
            text.replace(ES, f"{self.base}/v1")
            .replace(S2_COGS, f"{self.base}/s2")
            .replace(MAXAR, f"{self.base}/maxar")
        )


def _handler(rec: Recorder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

        def _json(self, path: Path) -> None:
            body = rec.rewrite(path.read_text(encoding="utf-8")).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _file(self, path: Path, head: bool) -> None:
            size = path.stat().st_size
            m = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
            start, end = (int(m.group(1)), int(m.group(2) or size - 1)) if m else (0, size - 1)
            end = min(end, size - 1)
            self.send_response(206 if m else 200)
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Type", "image/tiff")
            self.send_header("Content-Length", str(end - start + 1))
            if m:
                self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            self.end_headers()
            if head:
                return
            with path.open("rb") as fh:
                fh.seek(start)
                data = fh.read(end - start + 1)
            rec.bytes_sent[self.path] = rec.bytes_sent.get(self.path, 0) + len(data)
            self.wfile.write(data)

        def _route(self, head: bool = False) -> None:
            path = self.path.split("?")[0]
            rec.gets.append(path)
            if path in rec.files:
                return self._file(rec.files[path], head)
            if path.rstrip("/") == "/v1":
                return self._json(FIX / "earth-search" / "landing.json")
            if path == "/v1/search":  # GET search: same recorded first page
                return self._json(FIX / "earth-search" / "search-page-1.json")
            if path.startswith("/maxar/events/"):
                local = FIX / "maxar" / path.removeprefix("/maxar/")
                if local.is_file():
                    return self._json(local)
            self.send_error(404)

        def do_GET(self) -> None:
            self._route()

        def do_HEAD(self) -> None:
            self._route(head=True)

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
            if self.path != "/v1/search":
                self.send_error(404)
                return
            rec.searches.append(body)
            page = 2 if body.get("next") else 1
            self._json(FIX / "earth-search" / f"search-page-{page}.json")

    return Handler


@pytest.fixture()
def server() -> Iterator[Recorder]:
    rec = Recorder()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(rec))
    rec.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield rec
    httpd.shutdown()
    httpd.server_close()


def make_cog(
    src: Path, out: Path, epsg: int, x: float, y: float, gsd: float, size: int = 2560
) -> Path:
    """A COG (256-px tiles, overviews) of real Airbus pixels, centred on (x, y) in EPSG."""
    with rasterio.open(src) as ds:
        pixels = ds.read(window=rasterio.windows.Window(0, 0, size, size))
    tmp = out.with_suffix(".src.tif")
    with rasterio.open(
        tmp,
        "w",
        driver="GTiff",
        width=size,
        height=size,
        count=3,
        dtype="uint8",
        crs=f"EPSG:{epsg}",
        transform=from_origin(x - size / 2 * gsd, y + size / 2 * gsd, gsd, gsd),
    ) as dst:
        dst.write(pixels)
    rasterio.shutil.copy(tmp, out, driver="COG", blocksize=256, compress="DEFLATE")
    tmp.unlink()
    return out


@pytest.fixture()
def s2_cogs(server: Recorder, data_root: Path, tmp_path: Path) -> Path:
    """The Sentinel-2 TCI of 13 December, as a 25.6 km COG at 10 m over Hmeimim."""
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:32636", always_xy=True).transform(
        35.9486, 35.4011
    )
    src = data_root / "airbus-aircraft" / "images" / AIRBUS
    cog = make_cog(src, tmp_path / "tci.tif", 32636, round(x / 10) * 10, round(y / 10) * 10, 10)
    for iid in ("S2A_36SYE_20241208_0_L2A", "S2B_36SYE_20241213_0_L2A"):
        server.files["/s2" + S2_TCI.format(iid)] = cog
    return cog


def test_profiles_carry_the_real_catalogue_urls() -> None:
    assert PROFILES["earth-search"].url == "https://earth-search.aws.element84.com/v1"
    assert PROFILES["earth-search"].collection == "sentinel-2-l2a"
    assert "blobs, not types" in PROFILES["earth-search"].note
    assert PROFILES["maxar-open-data"].url == (
        "https://maxar-opendata.s3.amazonaws.com/events/catalog.json"
    )
    assert PROFILES["maxar-open-data"].static
    with pytest.raises(InputError, match="--catalog"):
        get_profile("sentinel")


def test_search_earth_search_recorded(ws: Workspace, server: Recorder) -> None:
    site = sites_repo.get_site(ws, "hmeimim")
    scenes = search_passes(
        site,
        "2024-12-01",
        "2024-12-31T23:59:59Z",
        catalog=f"{server.base}/v1",
        collection="sentinel-2-l2a",
        max_cloud=20,
    )
    # the recorded API ignored the cloud query on page 2; the client-side check drops it
    assert [s.item_id for s in scenes] == ["S2A_36SYE_20241208_0_L2A", "S2B_36SYE_20241213_0_L2A"]
    s = scenes[1]
    assert s.acquired_at.isoformat() == "2024-12-13T08:31:52.024000+00:00"
    assert (s.platform, s.gsd_m, s.cloud_cover, s.sun_elevation) == (
        "sentinel-2b",
        10.0,
        3.104,
        30.41,
    )
    assert s.asset_key == "visual" and s.asset_href.startswith(server.base + "/s2/")
    # one POST per page; the first carries the site polygon, the dates, collection and query
    assert len(server.searches) == 2
    first = server.searches[0]
    assert first["collections"] == ["sentinel-2-l2a"]
    assert first["query"] == {"eo:cloud_cover": {"lte": 20}}
    assert first["datetime"] == "2024-12-01T00:00:00Z/2024-12-31T23:59:59Z"
    area = shapely.geometry.shape(first["intersects"])
    assert area.contains(site.geometry) and area.area == pytest.approx(
        site.area_polygon().area, rel=1e-6
    )


def test_add_pass_reads_only_the_site_window(
    ws: Workspace, server: Recorder, s2_cogs: Path
) -> None:
    site = sites_repo.get_site(ws, "hmeimim")
    scenes = search_passes(
        site, "2024-12-13", "2024-12-14", catalog=f"{server.base}/v1", collection="sentinel-2-l2a"
    )
    assert [s.item_id for s in scenes] == ["S2B_36SYE_20241213_0_L2A"]
    res = add_scene_pass(ws, site, scenes[0])
    p = res.pass_
    assert res.created and p.frame is Frame.MAP and p.crs == "EPSG:32636"
    assert p.gsd_m == pytest.approx(10.0) and p.sensor == "sentinel-2b"
    assert p.acquired_at is not None and p.acquired_at.isoformat().startswith("2024-12-13T08:31:52")
    # a 2.5 km radius at 10 m: about 500 px on a side (a little more: the lon/lat box is
    # turned by grid convergence in UTM), not the 2560 px of the COG
    assert 495 <= p.width <= 530 and 495 <= p.height <= 530
    assert Path(p.path).parent == workspace_data_dir(ws.url) / "stac"
    stac = p.meta["stac"]
    assert stac["item_id"] == "S2B_36SYE_20241213_0_L2A" and stac["platform"] == "sentinel-2b"
    assert stac["cloud_cover"] == 3.104 and stac["sun_azimuth"] == 162.87
    assert stac["asset_href"] == scenes[0].asset_href and stac["gsd_m"] == 10.0
    # HTTP range reads: far less than the file came over the wire
    sent = sum(server.bytes_sent.values())
    assert 0 < sent < s2_cogs.stat().st_size / 4
    # the pixels are the COG's own window over the site
    with rasterio.open(p.path) as cut, rasterio.open(s2_cogs) as full:
        col, row = ~full.transform * (cut.transform.c, cut.transform.f)
        win = rasterio.windows.Window(round(col), round(row), cut.width, cut.height)
        assert np.array_equal(cut.read(), full.read(window=win))
    # the same item again: the same pass, nothing fetched
    before = dict(server.bytes_sent)
    again = add_scene_pass(ws, site, scenes[0])
    assert not again.created and again.pass_.id == p.id and server.bytes_sent == before
    assert len(passes_repo.list_passes(ws, "hmeimim")) == 1


def test_cli_search_and_add(
    server: Recorder, s2_cogs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wsf = str(tmp_path / "cli.db")
    args = ["--catalog", f"{server.base}/v1", "--collection", "sentinel-2-l2a", "-w", wsf]
    r = run(
        capsys,
        "passes",
        "search",
        "hmeimim",
        "--from",
        "2024-12-01",
        "--to",
        "2024-12-31",
        "--max-cloud",
        "20",
        "--json",
        *args,
    )
    assert r.code == 0, r.err
    assert [s["item_id"] for s in r.json()["scenes"]] == [
        "S2A_36SYE_20241208_0_L2A",
        "S2B_36SYE_20241213_0_L2A",
    ]
    r = run(
        capsys,
        "passes",
        "add-stac",
        "hmeimim",
        "S2B_36SYE_20241213_0_L2A",
        "--from",
        "2024-12-13",
        "--to",
        "2024-12-13",
        "--json",
        *args,
    )
    assert r.code == 0, r.err
    assert r.json()[0]["status"] == "added"
    r = run(
        capsys,
        "passes",
        "add-stac",
        "hmeimim",
        "S2B_NOPE",
        "--from",
        "2024-12-13",
        "--to",
        "2024-12-13",
        *args,
    )
    assert r.code == 1 and "S2B_NOPE" in r.err
    # by id alone, through the API's ids search: the pass is already there
    r = run(capsys, "passes", "add-stac", "hmeimim", "S2B_36SYE_20241213_0_L2A", "--json", *args)
    assert r.code == 0, r.err
    assert r.json()[0]["status"] == "already present"
    assert server.searches[-1]["ids"] == ["S2B_36SYE_20241213_0_L2A"]
    r = run(capsys, "passes", "add-stac", "hmeimim", "S2A_NOPE", *args)
    assert r.code == 1 and "S2A_NOPE" in r.err


def test_maxar_static_catalogue_is_walked_and_pruned(
    ws: Workspace, server: Recorder, data_root: Path, tmp_path: Path
) -> None:
    t37 = Transformer.from_crs("EPSG:32637", "EPSG:4326", always_xy=True)
    lon, lat = t37.transform(240500.0, 4011500.0)
    site = sites_repo.add_site(
        ws, Site("antakya-test", "Antakya test", SiteKind.OTHER, shapely.Point(lon, lat), 300.0)
    )
    src = data_root / "airbus-aircraft" / "images" / AIRBUS
    cog = make_cog(src, tmp_path / "visual.tif", 32637, 240500.0, 4011500.0, 0.5)
    server.files["/maxar" + MAXAR_VISUAL] = cog
    scenes = search_passes(
        site, "2023-02-01", "2023-03-01", catalog=f"{server.base}/maxar/events/catalog.json"
    )
    assert [s.item_id for s in scenes] == ["37/031133102033/10400100837E6C00"]
    s = scenes[0]
    assert (s.platform, s.gsd_m, s.off_nadir, s.incidence_angle, s.cloud_cover) == (
        "WV03",
        0.33,
        17.4,
        71.3,
        0.0,
    )
    maxar = f"{server.base}/maxar/events/catalog.json"
    event = "Kahramanmaras-turkey-earthquake-23"
    assert search_passes(site, "2023-02-01", "2023-03-01", catalog=maxar, collection=event)
    assert not search_passes(
        site, "2023-02-01", "2023-03-01", catalog=maxar, collection="Libya-Floods-Sept-2023"
    )
    with pytest.raises(InputError, match="static catalogue"):
        find_scenes([s.item_id], catalog=f"{server.base}/maxar/events/catalog.json")
    # the Libya event's extent misses the site: its sub-catalogue was never opened
    assert not any("Libya" in g and g.endswith("2023-09-13/catalog.json") for g in server.gets)
    p = add_scene_pass(ws, site, s).pass_
    assert p.meta["stac"]["item_id"] == s.item_id and p.meta["stac"]["off_nadir"] == 17.4
    assert 1195 <= p.width <= 1260  # 600 m at 0.5 m
    # the item id has slashes; the file name must not
    assert Path(p.path).name == "37_031133102033_10400100837E6C00-antakya-test.tif"
