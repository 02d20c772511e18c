"""The HTML briefing: sites, passes with thumbnails, and the graded evidence timeline.

Later stages add sections (detections, change, assessment) through :class:`Section`; the
output is deterministic for the same workspace — only the generation stamp differs.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from sitewatch.evidence.model import EvidenceItem
from sitewatch.imagery.model import Pass
from sitewatch.imagery.reader import RasterReader
from sitewatch.report.figures import evidence_timeline_png, png_bytes, sites_map_png
from sitewatch.sites.model import Site
from sitewatch.store import Workspace, evidence_repo, passes_repo, sites_repo

__all__ = ["BriefingData", "Section", "collect_briefing", "data_uri", "render_briefing"]


def data_uri(png: bytes) -> str:
    """A PNG as an inline ``data:`` URI so the briefing is one self-contained file.

    >>> data_uri(b"x")
    'data:image/png;base64,eA=='
    """
    return "data:image/png;base64," + base64.b64encode(png).decode()


@dataclass
class Section:
    """A titled block of trusted HTML that a later stage adds to the briefing."""

    title: str
    html: str
    anchor: str


@dataclass
class PassView:
    """A pass and its thumbnail for the briefing."""

    pass_: Pass
    thumbnail: str


@dataclass
class BriefingData:
    """Everything the template shows."""

    title: str
    subtitle: str
    sites: list[Site]
    passes: list[PassView]
    evidence: list[EvidenceItem]
    sites_map: str
    timeline: str
    sections: list[Section] = field(default_factory=list)
    generated_at: str = ""


def _thumb(p: Pass, max_side: int = 420) -> str:
    with RasterReader(p.path) as r:
        return data_uri(png_bytes(r.thumbnail(max_side)))


def collect_briefing(
    ws: Workspace,
    *,
    title: str,
    subtitle: str = "",
    site_slugs: Sequence[str] | None = None,
) -> BriefingData:
    """Read sites, passes (with thumbnails) and evidence from the workspace."""
    sites = sites_repo.list_sites(ws)
    passes = [
        p for p in passes_repo.list_passes(ws) if site_slugs is None or p.site_slug in site_slugs
    ]
    items = evidence_repo.list_evidence(ws)
    return BriefingData(
        title=title,
        subtitle=subtitle,
        sites=sites,
        passes=[PassView(p, _thumb(p)) for p in passes],
        evidence=items,
        sites_map=data_uri(sites_map_png(sites)),
        timeline=data_uri(evidence_timeline_png(items)) if items else "",
    )


def render_briefing(data: BriefingData, out: str | Path) -> Path:
    """Write the briefing HTML to ``out`` and return its path."""
    env = Environment(
        loader=PackageLoader("sitewatch.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["trusted"] = Markup
    data.generated_at = data.generated_at or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    html = env.get_template("briefing.html.j2").render(b=data)
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
