"""The workbench in real headless Chromium: map, sample airport, swipe, review, evidence, ACH.

Screenshots go to ``test-artifacts/web/`` (git-ignored) for a person to look at.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
from playwright.sync_api import Page, Route, expect

from sitewatch.demo import SAMPLE_SITE
from sitewatch.web import create_app, static_ready
from tests.test_web_api import copy_demo, web_demo  # noqa: F401  (session fixture)

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "web"
TOKEN = "browser-token-0123456789"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _compare_if_possible(db: Path) -> bool:
    """Store the change events of the demo pair when the change stage is there."""
    try:
        from sitewatch.change.workspace import compare_passes
    except ImportError:
        return False
    from sitewatch.store import Workspace, passes_repo

    with Workspace.open(db) as ws:
        a, b = (p.id or 0 for p in passes_repo.list_passes(ws, SAMPLE_SITE))
        compare_passes(ws, a, b)
    return True


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(web_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:  # noqa: F811
    """The app on a loopback port in a thread, over a private copy of the demo workspace."""
    if not CHROMIUM.is_file():
        pytest.skip(f"no Chromium at {CHROMIUM} (CI installs the Debian chromium package)")
    if not static_ready():
        pytest.skip("the front-end is not built: run web/build.sh")
    import uvicorn

    db = copy_demo(web_demo, tmp_path_factory.mktemp("web-browser"))
    _compare_if_possible(db)
    port = _free_port()
    app = create_app(db, TOKEN, user="browser", allowed_hosts=["127.0.0.1", "localhost"])
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def page(server: str) -> Iterator[Page]:
    from playwright.sync_api import sync_playwright

    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        # the app must never reach outside the loopback server (no CDN, no tiles from elsewhere)
        outside: list[str] = []

        def only_loopback(route: Route) -> None:
            url = route.request.url
            if url.startswith((server, "data:")):
                route.continue_()
            else:
                outside.append(url)
                route.abort()

        context.route("**/*", only_loopback)
        pg = context.new_page()
        errors: list[str] = []
        pg.on("pageerror", lambda exc: errors.append(str(exc)))
        pg.goto(f"{server}/#token={TOKEN}")
        yield pg
        assert not errors, errors
        assert not outside, outside
        context.close()
        browser.close()


def _ready(pg: Page) -> None:
    # locator waits only: the app's CSP forbids eval, which wait_for_function would need
    pg.wait_for_selector("body[data-ready]", state="attached")
    pg.wait_for_load_state("networkidle")


def _shot(pg: Page, name: str) -> None:
    # every visible tile loaded, and the fade-in over, before the picture is taken
    expect(pg.locator(".leaflet-tile:not(.leaflet-tile-loaded)")).to_have_count(0)
    pg.wait_for_timeout(400)
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_1_sites_map(page: Page, server: str) -> None:
    pg = page
    _ready(pg)
    assert pg.url.endswith("#/")  # token moved out of the URL
    pg.wait_for_selector(".site-marker")
    placed = [s for s in httpx.get(f"{server}/api/sites").json() if s["center"]]
    expect(pg.locator("path.site-marker")).to_have_count(len(placed))
    assert len(placed) >= 5
    expect(pg.locator("#sites-table tbody tr")).to_have_count(17, timeout=30_000)
    hm = pg.locator('#sites-table tr[data-site="hmeimim"]').inner_text()
    assert "Hmeimim" in hm
    _shot(pg, "01-sites-map")


def test_2_sample_airport_and_review(page: Page, server: str) -> None:
    pg = page
    pg.click(f'#sites-table tr[data-site="{SAMPLE_SITE}"] a')
    _ready(pg)
    pg.wait_for_selector("#pass-map .leaflet-tile-loaded")
    pg.wait_for_selector("#pass-map path.leaflet-interactive")
    total_el = pg.locator("#count-total")
    expect(total_el).not_to_have_text("", timeout=30_000)
    total = int(total_el.inner_text())
    # every stored box is drawn: wait for all of them rather than count mid-render
    expect(pg.locator("#pass-map path.leaflet-interactive")).to_have_count(total, timeout=30_000)
    assert total > 5
    _shot(pg, "02-sample-airport")
    # reject one box: the count drops by one; confirm it back: the count returns
    pg.locator("#pass-map path.leaflet-interactive").nth(0).click(force=True)
    pg.wait_for_selector("#btn-reject")
    pg.click("#btn-reject")
    expect(pg.locator("#count-total")).to_have_text(str(total - 1))
    expect(pg.locator("#det-status")).to_have_text("rejected")
    pg.click("#btn-confirm")
    expect(pg.locator("#count-total")).to_have_text(str(total))
    expect(pg.locator("#det-status")).to_have_text("confirmed")
    trail = pg.inner_text("#detection-panel")
    assert "reject" in trail and "confirm" in trail and "browser" in trail
    _shot(pg, "03-detection-confirmed")


def test_3_swipe(page: Page, server: str) -> None:
    pg = page
    pg.click("#open-swipe")
    _ready(pg)
    pg.wait_for_selector("#swipe-map .leaflet-tile-loaded")
    handle = pg.locator("#swipe-divider .grip")
    box = handle.bounding_box()
    assert box is not None
    before = float(pg.get_attribute("#swipe-map", "data-swipe") or "nan")
    assert before == pytest.approx(0.5, abs=0.01)
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    pg.mouse.move(x, y)
    pg.mouse.down()
    pg.mouse.move(x - 250, y, steps=10)
    pg.mouse.up()
    after = float(pg.get_attribute("#swipe-map", "data-swipe") or "nan")
    assert after < before - 0.2
    if httpx.get(f"{server}/api/change/events").json():
        expect(pg.locator("#events table tbody tr").first).to_be_visible()
        assert pg.locator("#swipe-map path.leaflet-interactive").count() > 0
        assert "Registration" in pg.inner_text("#registration")
        warped = httpx.get(f"{server}/api/passes/2/tiles/4/3/3.png", params={"in_frame_of": 1})
        assert warped.status_code == 200 and warped.headers["content-type"] == "image/png"
    style = pg.locator("#swipe-map .leaflet-after-pane").get_attribute("style")
    assert style is not None and "clip: rect(" in style
    _shot(pg, "04-swipe")


def test_4_evidence_log(page: Page, server: str) -> None:
    pg = page
    pg.click('a[data-nav="evidence"]')
    _ready(pg)
    # the log renders after its fetch returns: wait for the rows rather than count at once
    expect(pg.locator("#evidence-table tbody tr")).to_have_count(73, timeout=30_000)
    all_rows = pg.locator("#evidence-table tbody tr").count()
    pg.select_option('select[name="min_grade"]', "B2")
    pg.click("#evidence-filters button")
    expect(pg.locator("#evidence-list > p").first).not_to_have_text(f"{all_rows} items")
    assert 0 < pg.locator("#evidence-table tbody tr").count() < all_rows
    pg.locator("#evidence-table tbody tr").first.click()
    pg.wait_for_selector("#grade-form")
    assert pg.locator("#open-source").get_attribute("rel") == "noopener noreferrer"
    _shot(pg, "05-evidence")


def test_5_ach(page: Page, server: str) -> None:
    pg = page
    pg.goto(f"{server}/#/ach?as_of=2024-12-15")
    _ready(pg)
    pg.wait_for_selector("#ach-judgment")
    if pg.locator("#ach-unavailable").count():
        _shot(pg, "06-ach-unavailable")
        return
    cell = pg.locator("#ach-matrix tbody tr").last.locator("select.rating").first
    score_cell = pg.locator("#ach-matrix tfoot td[data-score]").first
    before = score_cell.inner_text()
    current = cell.input_value()
    cell.select_option("II" if current != "II" else "CC")
    expect(pg.locator("#ach-matrix tfoot td[data-score]").first).not_to_have_text(before)
    expect(pg.locator("#status")).to_contain_text("saved")
    _shot(pg, "06-ach")
