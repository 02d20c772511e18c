"""What the change stage gives the briefing and the exporters (see ``sitewatch.report.providers``).

Events are placed in the *after* pass's pixel frame: a departure has no after position, so its
before position is carried through the stored registration matrix.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import shapely

from sitewatch.imagery.model import Frame, Pass
from sitewatch.store import Workspace, change_repo, detections_repo, passes_repo

__all__ = [
    "ChangeView",
    "EventView",
    "FeatureView",
    "PairView",
    "SeriesView",
    "briefing_change",
    "export_features",
]


@dataclass(frozen=True)
class EventView:
    """A change event located in the after pass's pixels."""

    kind: str
    class_name: str
    cx: float
    cy: float


@dataclass(frozen=True)
class PairView:
    """Two compared passes and their events."""

    before_pass_id: int
    after_pass_id: int
    events: list[EventView]
    model_version: str | None


@dataclass(frozen=True)
class SeriesView:
    """Detections of one class per dated pass."""

    name: str
    unit: str
    points: list[tuple[datetime, float]]


@dataclass(frozen=True)
class ChangeView:
    """Pairs and series for a briefing."""

    pairs: list[PairView] = field(default_factory=list)
    series: list[SeriesView] = field(default_factory=list)


def _to_after(matrix: Sequence[Sequence[float]], xy: tuple[float, float]) -> tuple[float, float]:
    m = np.asarray(matrix, dtype=np.float64)
    v = m @ np.array([xy[0], xy[1], 1.0])
    return float(v[0] / v[2]), float(v[1] / v[2])


def _events(ws: Workspace, reg: change_repo.StoredRegistration) -> list[EventView]:
    out = []
    for e in change_repo.list_events(ws, registration_id=reg.id):
        if e.kind == "stayed":  # not a change: the briefing marks only what changed
            continue
        if e.after is not None:
            x, y = e.after
        elif e.before is not None:
            x, y = _to_after(reg.matrix, e.before)
        else:
            continue
        out.append(EventView(e.kind, e.class_name, float(x), float(y)))
    return out


def _passes(ws: Workspace, sites: Sequence[str], as_of: datetime | None) -> list[Pass]:
    return [
        p
        for p in passes_repo.list_passes(ws)
        if (not sites or p.site_slug in sites)
        and (as_of is None or p.acquired_at is None or p.acquired_at <= as_of)
    ]


def briefing_change(
    ws: Workspace, *, sites: Sequence[str] = (), as_of: datetime | None = None
) -> ChangeView | None:
    """The newest stored comparison of each consecutive pair of passes per site, and counts
    by class over a site's dated passes. ``None`` when nothing has been compared."""
    passes = _passes(ws, sites, as_of)
    pairs: list[PairView] = []
    by_site: dict[str, list[Pass]] = {}
    for p in passes:
        by_site.setdefault(p.site_slug, []).append(p)
    for site_passes in by_site.values():
        for a, b in itertools.pairwise(site_passes):
            regs = change_repo.list_registrations(ws, a.id, b.id)
            if not regs:
                continue
            run = detections_repo.latest_run(ws, b.id or 0)
            pairs.append(
                PairView(
                    a.id or 0, b.id or 0, _events(ws, regs[-1]), run.model_version if run else None
                )
            )
    series: list[SeriesView] = []
    for slug, site_passes in sorted(by_site.items()):
        dated = [p for p in site_passes if p.acquired_at is not None]
        if len(dated) < 2:
            continue
        counts = [(p.acquired_at, detections_repo.counts_by_class(ws, p.id or 0)) for p in dated]
        for cls in sorted({c for _, cc in counts for c in cc}):
            pts = [(t, float(cc.get(cls, 0))) for t, cc in counts if t is not None]
            series.append(SeriesView(f"{slug}: {cls}", "detections", pts))
    if not pairs and not series:
        return None
    return ChangeView(pairs, series)


@dataclass(frozen=True)
class FeatureView:
    """One exportable event or object."""

    id: int
    class_name: str
    frame: str
    geometry: Any
    properties: dict[str, Any]


def _point(p: Pass, x: float, y: float) -> tuple[str, Any]:
    if p.frame is Frame.MAP and p.transform is not None and p.crs is not None:
        from pyproj import Transformer

        a, b, c, d, e, f = p.transform[:6]
        mx, my = a * x + b * y + c, d * x + e * y + f
        lon, lat = Transformer.from_crs(p.crs, "EPSG:4326", always_xy=True).transform(mx, my)
        return "map", shapely.Point(lon, lat)
    return "pixel", shapely.Point(x, y)


def export_features(ws: Workspace, kind: str) -> list[FeatureView]:
    """Change events (``kind="events"``) or tracked objects at their last position
    (``kind="objects"``) as features; pixel-frame passes give pixel geometry."""
    regs = {r.id: r for r in change_repo.list_registrations(ws)}
    passes = {p.id: p for p in passes_repo.list_passes(ws)}
    feats: list[FeatureView] = []
    last: dict[int, FeatureView] = {}
    for e in change_repo.list_events(ws):
        reg = regs.get(e.registration_id)
        if reg is None:
            continue
        if e.after is not None:
            pid, (x, y) = e.pass_b_id, e.after
        elif e.before is not None:
            pid, (x, y) = e.pass_a_id, e.before
        else:
            continue
        frame, geom = _point(passes[pid], float(x), float(y))
        props = {
            "kind": e.kind,
            "pass_a": e.pass_a_id,
            "pass_b": e.pass_b_id,
            "pass": pid,
            "type": e.type_name,
            "object_id": e.object_id,
            "distance_m": e.distance_m,
            "note": e.note,
        }
        fv = FeatureView(e.id, e.class_name, frame, geom, props)
        feats.append(fv)
        if e.object_id is not None:
            last[e.object_id] = FeatureView(
                e.object_id,
                e.class_name,
                frame,
                geom,
                {"last_event": e.kind, "pass": pid, "type": e.type_name},
            )
    if kind == "events":
        return feats
    if kind == "objects":
        return [last[k] for k in sorted(last)]
    raise ValueError(f"unknown feature kind {kind!r} (events or objects)")
