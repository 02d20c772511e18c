"""``sitewatch demo``: build a fresh demo workspace from the real data and write a briefing.

The demo holds the December 2024 case (sites and graded evidence timeline) and a sample
airport: two real dates of one airport from the Airbus Pléiades sample set. The provider
publishes neither the location nor the dates, so the passes say so rather than invent them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sitewatch.config import data_dir
from sitewatch.errors import SitewatchError
from sitewatch.imagery import inspect_pass
from sitewatch.report import collect_briefing, render_briefing
from sitewatch.sites import Site, SiteKind
from sitewatch.store import Workspace, passes_repo, sites_repo

__all__ = ["DEMO_PAIR", "SAMPLE_LABEL", "SAMPLE_SITE", "DemoResult", "run_demo"]

#: Two acquisitions of the same airport that overlap fully. Found by matching ORB features
#: between every pair of the 82 Airbus images (``scripts/find_airbus_pairs.py``); the
#: registration is re-computed at run time by the change stage.
DEMO_PAIR = (
    "0641acc3-c0b9-4f9d-b0ba-7ad18aa08864.jpg",
    "c20b3c21-a6e9-46f7-8536-d4f92574e111.jpg",
)
SAMPLE_SITE = "airbus-sample"
SAMPLE_LABEL = "Airbus Pléiades sample — location and dates not published by the provider"
CASE = "syria-2024"
#: The briefing's date: the day Maxar showed An-124s loading at Hmeimim.
AS_OF = datetime(2024, 12, 13, 23, 59, 59, tzinfo=UTC)
EVOLUTION_TITLE = "Assessment over time"
CHANGE_TITLE = "Sample airport: what changed between the passes"


@dataclass(frozen=True)
class DemoResult:
    """Where the demo wrote its workspace and briefing, and what it holds."""

    workspace: Path
    briefing: Path
    sites: int
    evidence: int
    passes: int


def _missing_data_message(root: Path) -> str:
    return (
        f"the real data folder was not found at {root}. sitewatch's demo uses the shared data "
        "set: put it at ../shared/data beside this checkout, or set SITEWATCH_DATA=/path/to/data "
        "(it must contain case-syria-2024/ and airbus-aircraft/), then run `make demo` again"
    )


def _detect_sample(ws: Workspace, pass_ids: list[int], log: Callable[[str], None]) -> bool:
    """Run the bundled detector over the sample passes; False when no model is installed."""
    from sitewatch.detect import default_model_path
    from sitewatch.pipeline import detect_pass

    if not default_model_path().is_file():
        log("detector: no model file installed; detections skipped (run `sitewatch train`)")
        return False
    for pid in pass_ids:
        res = detect_pass(ws, pid)
        log(f"detections on pass {pid}: {res.by_class} (model {res.model_version})")
    return True


def _compare_sample(ws: Workspace, pass_ids: list[int], log: Callable[[str], None]) -> None:
    """Compare the sample passes and add a briefing section: counts against the baseline,
    the counts plot, and a before/after crop for every change (stayed objects are not changes).
    """
    from collections import Counter
    from html import escape

    from sitewatch.change import count_series, event_crop_png, plot_series, series_table
    from sitewatch.change.workspace import compare_passes, pass_boxes
    from sitewatch.imagery import RasterReader
    from sitewatch.report import providers
    from sitewatch.report.briefing import data_uri

    cmp = compare_passes(ws, pass_ids[0], pass_ids[1])
    kinds = Counter(e.kind.value for e in cmp.result.events)
    log(f"change pass {pass_ids[0]} → {pass_ids[1]}: {dict(sorted(kinds.items()))}")
    rows = count_series(
        [(f"pass {pid}", pass_boxes(ws, pid)) for pid in pass_ids], baseline=0, by_type=True
    )
    cols, body = series_table(rows)
    table = "<table><tr>" + "".join(f"<th>{escape(str(c))}</th>" for c in cols) + "</tr>"
    table += "".join(
        "<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in line) + "</tr>" for line in body
    )
    table += "</table>"
    before = passes_repo.get_pass(ws, pass_ids[0])
    after = passes_repo.get_pass(ws, pass_ids[1])
    changes = [e for e in cmp.result.events if e.kind.value not in ("stayed", "out_of_view")]
    crops = []
    with RasterReader(before.path) as rb, RasterReader(after.path) as ra:
        for i, e in enumerate(changes, start=1):
            png = event_crop_png(e, rb, ra, cmp.result.registration)
            where = e.after_xy or e.before_xy
            at = f" at ({where[0]:.0f}, {where[1]:.0f}) px" if where else ""
            crops.append(
                f'<figure class="crop"><img alt="event {i}" src="{data_uri(png)}">'
                f"<figcaption>{i}. {escape(e.kind.value)} — {escape(e.class_name)}{at}"
                "</figcaption></figure>"
            )
    reg = cmp.result.registration
    html = (
        f"<p>Pass {pass_ids[0]} (baseline) against pass {pass_ids[1]}: registered with "
        f"{reg.inliers} inlier matches, residual {reg.rms_px:.2f} px. Events: "
        + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
        + ". Detections are the bundled model's, unreviewed; every event below is a "
        "candidate for the analyst to confirm.</p>"
        f'<figure><img class="fig" alt="counts per pass" '
        f'src="{data_uri(plot_series(rows, title="Objects per pass (sample airport)"))}">'
        f"</figure>{table}"
        "<p>Before | after, 96 m on a side, for each arrival, departure, move or state "
        "change (a cross marks the registered position where the object is not seen).</p>"
        '<div class="crops" style="display:flex;flex-wrap:wrap;gap:8px">'
        + "".join(crops)
        + "</div>"
    )
    providers.unregister_section(CHANGE_TITLE)
    providers.register_section(CHANGE_TITLE, lambda _ctx: html, order=12)


def _evolution_section(ws: Workspace, out: Path, log: Callable[[str], None]) -> None:
    """Register a briefing section with the case's judgment over time (13 Dec → 31 Jan)."""
    from sitewatch.assess import evolution, plot_evolution
    from sitewatch.report import providers
    from sitewatch.report.briefing import data_uri

    dates = [datetime(2024, 12, d, tzinfo=UTC) for d in (6, 9, 11, 13, 16, 20, 27)] + [
        datetime(2025, 1, d, tzinfo=UTC) for d in (3, 10, 17, 24, 31)
    ]
    records = evolution(ws, CASE, dates)
    png = out / "assessment-evolution.png"
    plot_evolution(records, png)
    uri = data_uri(png.read_bytes())
    rows = "".join(
        f"<tr><td>{r['as_of'][:10]}</td><td>{r['leader'] or '—'}</td>"
        f"<td>{r['estimative_word']}</td><td>{r['confidence']}</td></tr>"
        for r in records
    )
    html = (
        "<p>How the judgment moved as evidence arrived, from the built-in case's graded "
        "timeline and ACH ratings (method: <code>docs/assessment.md</code>).</p>"
        f'<figure><img class="fig" alt="assessment over time" src="{uri}"></figure>'
        "<table><tr><th>as of</th><th>leading hypothesis</th><th>estimative word</th>"
        f"<th>confidence</th></tr>{rows}</table>"
    )
    providers.unregister_section(EVOLUTION_TITLE)
    providers.register_section(EVOLUTION_TITLE, lambda _ctx: html, order=15)
    log(f"assessment evolution: {len(records)} snapshots, 6 Dec 2024 → 31 Jan 2025")


def run_demo(
    out_dir: str | Path = "demo-out",
    *,
    data: str | Path | None = None,
    log: Callable[[str], None] = print,
    detect: bool = True,
) -> DemoResult:
    """Build ``out_dir/demo.db`` from scratch and write ``out_dir/briefing.html`` (and PDF).

    The chain: the built-in case (sites, graded and linked evidence, hypotheses, ratings,
    indicators); the sample airport's two passes; detections with the bundled model and their
    measurements; change between the passes; the case briefing as of 13 Dec 2024 with the
    assessment's evolution to late January 2025.
    """
    from sitewatch.assess import load_case
    from sitewatch.report import providers

    root = Path(data) if data is not None else data_dir()
    timeline = root / "case-syria-2024" / "timeline.csv"
    images = root / "airbus-aircraft" / "images"
    if not timeline.is_file() or not images.is_dir():
        raise SitewatchError(_missing_data_message(root))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    db = out / "demo.db"
    for stale in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        stale.unlink(missing_ok=True)
    with Workspace.open(db) as ws:
        log(f"workspace {db}: {len(sites_repo.list_sites(ws))} case sites")
        report = load_case(ws, CASE, user="sitewatch demo", data=root)
        log(
            f"case {CASE}: {report.evidence_added} evidence items, {report.graded} graded, "
            f"{report.links_added} links, {report.hypotheses} hypotheses, "
            f"{report.ratings} ratings, {report.indicators} indicators"
        )
        sample = sites_repo.add_site(
            ws,
            Site(
                slug=SAMPLE_SITE,
                name="Sample airport (Airbus Pléiades)",
                kind=SiteKind.AIRPORT,
                source="Airbus Aircraft Detection sample set (CC BY-NC-SA 4.0)",
                properties={"note": SAMPLE_LABEL},
            ),
        )
        pass_ids: list[int] = []
        for tag, name in zip(("before", "after"), DEMO_PAIR, strict=True):
            p = inspect_pass(
                images / name,
                sample,
                gsd_m=0.5,
                sensor="Airbus Pléiades",
                label=f"{SAMPLE_LABEL} ({tag})",
            )
            res = passes_repo.add_pass(ws, p)
            pass_ids.append(res.pass_.id or 0)
            log(f"pass {res.pass_.id}: {name} ({tag})")
        sites_repo.set_baseline(ws, SAMPLE_SITE, pass_ids[0])
        if detect and _detect_sample(ws, pass_ids, log):
            _compare_sample(ws, pass_ids, log)
        _evolution_section(ws, out, log)
        try:
            data_ = collect_briefing(
                ws,
                title="sitewatch demo briefing: Russian forces in Syria, as of 13 December 2024",
                subtitle=(
                    "Russian sites in Syria and Libya and a sample airport from the Airbus "
                    "Pléiades set. Every judgment cites its evidence; every row its source."
                ),
                as_of=AS_OF,
            )
            briefing = render_briefing(data_, out / "briefing.html")
            # The PDF needs the optional WeasyPrint extra; without it the HTML is the briefing.
            import importlib.util

            if importlib.util.find_spec("weasyprint") is not None:
                from sitewatch.report import render_pdf

                log(f"PDF briefing written to {render_pdf(data_, out / 'briefing.pdf')}")
        finally:
            providers.unregister_section(EVOLUTION_TITLE)
            providers.unregister_section(CHANGE_TITLE)
        n_sites = len(data_.sites)
        n_passes = len(data_.passes)
    log(f"briefing written to {briefing}")
    return DemoResult(db, briefing, n_sites, len(data_.evidence), n_passes)
