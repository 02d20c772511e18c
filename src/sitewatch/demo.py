"""``sitewatch demo``: build a fresh demo workspace from the real data and write a briefing.

The demo holds the December 2024 case (sites and graded evidence timeline) and a sample
airport: two real dates of one airport from the Airbus Pléiades sample set. The provider
publishes neither the location nor the dates, so the passes say so rather than invent them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sitewatch.config import data_dir
from sitewatch.errors import SitewatchError
from sitewatch.evidence import parse_evidence_file
from sitewatch.imagery import inspect_pass
from sitewatch.report import collect_briefing, render_briefing
from sitewatch.sites import Site, SiteKind
from sitewatch.store import Workspace, evidence_repo, passes_repo, sites_repo

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


def run_demo(
    out_dir: str | Path = "demo-out",
    *,
    data: str | Path | None = None,
    log: Callable[[str], None] = print,
) -> DemoResult:
    """Build ``out_dir/demo.db`` from scratch and write ``out_dir/briefing.html``."""
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
        parsed = parse_evidence_file(timeline, sites=sites_repo.list_sites(ws))
        for err in parsed.errors:
            log(f"rejected: {err}")
        added = evidence_repo.add_evidence(ws, parsed.items)
        log(f"evidence: {len(added.added)} items from {timeline.name}")
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
        for tag, name in zip(("before", "after"), DEMO_PAIR, strict=True):
            p = inspect_pass(
                images / name,
                sample,
                gsd_m=0.5,
                sensor="Airbus Pléiades",
                label=f"{SAMPLE_LABEL} ({tag})",
            )
            res = passes_repo.add_pass(ws, p)
            log(f"pass {res.pass_.id}: {name} ({tag})")
        sites_repo.set_baseline(
            ws, SAMPLE_SITE, passes_repo.list_passes(ws, SAMPLE_SITE)[0].id or 0
        )
        data_ = collect_briefing(
            ws,
            title="sitewatch demo briefing",
            subtitle=(
                "Russian sites in Syria and Libya, December 2024 – January 2025, and a sample "
                "airport from the Airbus Pléiades set. Every row cites its source."
            ),
        )
        briefing = render_briefing(data_, out / "briefing.html")
        # The PDF needs the optional WeasyPrint extra; without it the HTML is the briefing.
        import importlib.util

        if importlib.util.find_spec("weasyprint") is not None:
            from sitewatch.report import render_pdf

            log(f"PDF briefing written to {render_pdf(data_, out / 'briefing.pdf')}")
        n_sites = len(data_.sites)
        n_passes = len(data_.passes)
    log(f"briefing written to {briefing}")
    return DemoResult(db, briefing, n_sites, len(data_.evidence), n_passes)
