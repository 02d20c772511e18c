"""Figures for briefings, returned as PNG bytes (deterministic: no timestamps in metadata)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime, timedelta

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt
from matplotlib.figure import Figure
from matplotlib.patches import Polygon as MplPolygon
from PIL import Image

from sitewatch.evidence.model import EvidenceItem, EvidenceKind
from sitewatch.sites.model import Site

__all__ = [
    "evidence_timeline_png",
    "imagery_panel_png",
    "nice_scale_length",
    "north_is_up",
    "png_bytes",
    "series_png",
    "sites_map_png",
]


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


def nice_scale_length(width_m: float) -> float:
    """A round scale-bar length (1, 2 or 5 × 10ⁿ m) near a fifth of the image width.

    >>> nice_scale_length(1280.0), nice_scale_length(50.0), nice_scale_length(0.0)
    (200.0, 10.0, 0.0)
    """
    if width_m <= 0:
        return 0.0
    target = width_m / 5
    power = 10 ** np.floor(np.log10(target))
    best = max((m * power for m in (1, 2, 5) if m * power <= target), default=power)
    return float(best)


def north_is_up(transform: Sequence[float] | None) -> bool:
    """Whether a pass's affine (a, b, c, d, e, f) keeps north at the top of the image.

    >>> north_is_up((0.5, 0, 0, 0, -0.5, 0)), north_is_up(None)
    (True, False)
    >>> north_is_up((1, 0.3, 0, 0.3, -1, 0))  # rotated: north is not straight up
    False
    """
    if transform is None or len(transform) < 6:
        return False
    a, b, _c, d, e, _f = transform[:6]
    return abs(b) < 1e-9 * max(abs(a), 1e-12) + 1e-12 and abs(d) < 1e-12 + 1e-9 * abs(e) and e < 0


def imagery_panel_png(
    image: npt.NDArray[np.uint8],
    *,
    scale: float,
    gsd_m: float | None,
    north_up: bool,
    title: str,
    boxes: Sequence[tuple[str, Sequence[tuple[float, float]]]] = (),
    events: Sequence[tuple[str, float, float]] = (),
) -> bytes:
    """One imagery panel: the picture, detections, change events, a scale bar and orientation.

    ``image`` is a thumbnail ``scale`` times smaller than the pass (pixel coordinates of
    ``boxes`` — (class, polygon) — and ``events`` — (label, x, y) — are in the full pass and
    are divided by ``scale``). Without a north-up georeference the panel says "pixel frame —
    north unknown" instead of drawing an arrow it cannot justify.
    """
    h, w = image.shape[:2]
    fig, ax = plt.subplots(figsize=(4.6, 4.6 * h / max(w, 1) + 0.35))
    ax.imshow(image, interpolation="antialiased")
    cmap = matplotlib.colormaps["tab10"]
    classes = sorted({c for c, _ in boxes})
    for cls, poly in boxes:
        pts = np.asarray(poly, float) / scale
        if len(pts) >= 3:
            col = cmap(classes.index(cls) % 10)
            ax.add_patch(MplPolygon(pts, closed=True, fill=False, ec=col, lw=0.8))
    for label, x, y in events:
        ax.plot(x / scale, y / scale, marker="o", ms=11, mfc="none", mec="yellow", mew=1.6)
        ax.annotate(
            label,
            (x / scale, y / scale),
            xytext=(6, -6),
            textcoords="offset points",
            color="yellow",
            fontsize=6,
        )
    if gsd_m:
        length_m = nice_scale_length(w * scale * gsd_m)
        bar = length_m / (gsd_m * scale)
        x0, y0 = w * 0.05, h * 0.94
        ax.plot([x0, x0 + bar], [y0, y0], color="white", lw=4, solid_capstyle="butt")
        ax.plot([x0, x0 + bar], [y0, y0], color="black", lw=1.5, solid_capstyle="butt")
        ax.text(
            x0,
            y0 - h * 0.025,
            f"{length_m:g} m",
            color="white",
            fontsize=7,
            bbox={"facecolor": "black", "alpha": 0.5, "pad": 1, "lw": 0},
        )
    if north_up:
        ax.annotate(
            "N",
            xy=(w * 0.93, h * 0.06),
            xytext=(w * 0.93, h * 0.18),
            color="white",
            ha="center",
            fontsize=9,
            fontweight="bold",
            arrowprops={"arrowstyle": "-|>", "color": "white", "lw": 1.5},
        )
    else:
        ax.text(
            w * 0.98,
            h * 0.03,
            "pixel frame — north unknown",
            color="white",
            fontsize=6.5,
            ha="right",
            va="top",
            bbox={"facecolor": "black", "alpha": 0.55, "pad": 1.5, "lw": 0},
        )
    if classes:
        for i, cls in enumerate(classes):
            ax.plot([], [], color=cmap(i % 10), label=cls)
        ax.legend(loc="lower right", fontsize=6, framealpha=0.6)
    ax.set_axis_off()
    ax.set_title(title, fontsize=8)
    return _fig_png(fig)


def series_png(
    series: Sequence[tuple[str, str, Sequence[tuple[datetime, float]]]], *, title: str
) -> bytes:
    """Dated series (name, unit, points) as lines with markers, one axis per unit."""
    units = sorted({u for _n, u, _p in series})
    fig, axes = plt.subplots(len(units), 1, figsize=(9, 2.4 * len(units)), squeeze=False)
    for ax, unit in zip(axes[:, 0], units, strict=True):
        for name, u, points in series:
            if u != unit or not points:
                continue
            pts = sorted(points)
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", ms=3, label=name)
        ax.set_ylabel(unit, fontsize=8)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best")
        ax.xaxis.set_major_locator(mdates.AutoDateLocator())
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
    axes[0, 0].set_title(title)
    return _fig_png(fig)
