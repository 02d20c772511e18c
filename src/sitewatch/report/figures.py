"""Figures for briefings, returned as PNG bytes (deterministic: no timestamps in metadata)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import timedelta

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt
from matplotlib.figure import Figure
from PIL import Image

from sitewatch.evidence.model import EvidenceItem, EvidenceKind
from sitewatch.sites.model import Site

__all__ = ["evidence_timeline_png", "png_bytes", "sites_map_png"]


def png_bytes(image: npt.NDArray[np.uint8]) -> bytes:
    """Encode an RGB array as PNG.

    >>> png_bytes(np.zeros((2, 2, 3), np.uint8))[:4]
    b'\\x89PNG'
    """
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def _fig_png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def sites_map_png(sites: Sequence[Site]) -> bytes:
    """Sites with coordinates on a lon/lat plot, approximate ones hollow."""
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for s in sites:
        if s.geometry is None:
            continue
        c = s.geometry.centroid
        ax.plot(c.x, c.y, "o", mfc="none" if s.approximate else "tab:red", mec="tab:red", ms=7)
        ax.annotate(s.slug, (c.x, c.y), xytext=(4, 4), textcoords="offset points", fontsize=8)
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")
    ax.set_title("Sites (hollow: approximate coordinates)")
    ax.set_aspect(1 / np.cos(np.deg2rad(35)))
    ax.grid(alpha=0.3)
    return _fig_png(fig)


_KIND_ORDER = list(EvidenceKind)


def evidence_timeline_png(items: Sequence[EvidenceItem]) -> bytes:
    """Evidence over time, one row per kind; ranges as bars; darker = better graded."""
    fig, ax = plt.subplots(figsize=(9, 3.6))
    kinds = [k for k in _KIND_ORDER if any(i.kind == k for i in items)]
    for item in items:
        if item.time_start is None:
            continue
        y = kinds.index(item.kind)
        quality = ("ABCDEF".index(item.grade.reliability) + item.grade.credibility - 1) / 10
        color = plt.cm.viridis(0.15 + 0.7 * quality)
        start = mdates.date2num(item.time_start)
        end = mdates.date2num((item.time_end or item.time_start) + timedelta(days=1))
        ax.barh(y, end - start, left=start, height=0.6, color=color, edgecolor="black", lw=0.3)
    ax.set_yticks(range(len(kinds)), [k.value.replace("_", " ") for k in kinds], fontsize=8)
    ax.xaxis.set_major_locator(mdates.AutoDateLocator())
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
    ax.set_title("Evidence by kind over time (darker = better graded)")
    ax.grid(axis="x", alpha=0.3)
    return _fig_png(fig)
