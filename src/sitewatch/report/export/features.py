"""The records every vector export writes: one :class:`FeatureRecord` per site, detection,
object, event or evidence item, each saying which frame its geometry lives in.

``frame`` is ``"map"`` (WGS84 lon/lat) or ``"pixel"`` (a pass's pixel frame: x right, y down,
no CRS, north unknown). A layer never mixes frames in one file: callers pick one with
:func:`split_frames` and say how many were left out.

>>> import shapely
>>> recs = [FeatureRecord("sites", 1, shapely.Point(35.9, 35.4), "map", {"name": "A"}),
...         FeatureRecord("detections", 2, shapely.Point(10, 20), "pixel", {"pass_id": 1})]
>>> [len(x) for x in split_frames(recs, "map")]
[1, 1]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from sitewatch.errors import SitewatchError
from sitewatch.report import providers
from sitewatch.store import Workspace, detections_repo, evidence_repo, passes_repo, sites_repo

__all__ = [
    "FeatureRecord",
    "NotAvailableError",
    "detection_features",
    "evidence_features",
    "provider_features",
    "site_features",
    "split_frames",
]


class NotAvailableError(SitewatchError):
    """The data asked for does not exist (yet): the message says which stage makes it."""


@dataclass(frozen=True)
class FeatureRecord:
    """A feature for export; ``properties`` values are str, int, float, bool or None."""

    layer: str
    id: int
    geometry: BaseGeometry | None
    frame: str
    properties: dict[str, Any] = field(default_factory=dict)

    @property
    def class_name(self) -> str:
        """What KML styles by: the feature's class, else its site kind, else its layer."""
        for key in ("class", "kind"):
            value = self.properties.get(key)
            if value:
                return str(value)
        return self.layer


def split_frames(
    records: Sequence[FeatureRecord], frame: str
) -> tuple[list[FeatureRecord], list[FeatureRecord]]:
    """``(kept, left_out)``: the records in ``frame`` and those in the other frame."""
    kept = [r for r in records if r.frame == frame]
    return kept, [r for r in records if r.frame != frame]


def _clean(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def site_features(ws: Workspace) -> list[FeatureRecord]:
    """Every site as WGS84 (a site without sourced coordinates has no geometry)."""
    out = []
    for s in sites_repo.list_sites(ws):
        out.append(
            FeatureRecord(
                "sites",
                s.id or 0,
                s.geometry,
                "map",
                {
                    "slug": s.slug,
                    "name": s.name,
                    "kind": s.kind.value,
                    "country": s.country,
                    "radius_m": s.radius_m,
                    "approximate": s.approximate,
                    "source": s.source,
                },
            )
        )
    return out


def detection_features(ws: Workspace) -> list[FeatureRecord]:
    """Current, non-rejected detections of every pass, reviewed values applied.

    A detection is in the map frame when the store holds its WGS84 polygon, else in its
    pass's pixel frame.

    Raises
    ------
    NotAvailableError
        When no pass has detections yet.
    """
    out = []
    for p in passes_repo.list_passes(ws):
        # a detection names its model through its run unless it carries its own version
        runs = {
            r.id: f"{r.model_name} {r.model_version}"
            for r in detections_repo.list_runs(ws, p.id or 0)
        }
        for d in detections_repo.list_detections(ws, p.id or 0):
            if d.polygon_wgs84:
                geom: BaseGeometry | None = shapely.from_wkt(d.polygon_wgs84)
                frame = "map"
            else:
                geom = shapely.Polygon(d.polygon_px) if len(d.polygon_px) >= 3 else None
                frame = "pixel"
            props = {
                "class": d.effective_class,
                "model_class": d.class_name,
                "score": round(d.score, 4),
                "status": d.status.value,
                "type": d.type_name,
                "state": d.state,
                "pass_id": d.pass_id,
                "site": p.site_slug,
                "acquired_at": p.acquired_at.isoformat() if p.acquired_at else None,
                "source": d.source,
                "model_version": d.model_version or runs.get(d.run_id or -1),
                "length_px": round(d.length_px, 2),
                "width_px": round(d.width_px, 2),
                "angle_deg": round(d.angle_deg, 2),
            }
            for k, v in sorted(d.measurement.items()):
                props[f"m_{k}"] = _clean(v)
            out.append(FeatureRecord("detections", d.id, geom, frame, props))
    if not out:
        raise NotAvailableError(
            "no detections in this workspace yet: run the detector on a pass first "
            "(the detect stage), then export again"
        )
    return out


def provider_features(ws: Workspace, kind: str) -> list[FeatureRecord]:
    """Objects or events from the change stage's ``export_features`` hook.

    Raises
    ------
    NotAvailableError
        When the change stage does not provide them (yet), or has none.
    """
    ran, result = providers.call_hook(providers.FEATURES_HOOK, ws, kind)
    if not ran:
        raise NotAvailableError(
            f"no {kind} to export: the change stage (sitewatch.change) does not provide "
            f"{'.'.join(providers.FEATURES_HOOK)} yet, so {kind} have not been computed"
        )
    items: Iterable[providers.FeatureLike] = result or []
    out = [
        FeatureRecord(
            kind,
            int(f.id),
            f.geometry,
            "pixel" if str(f.frame) == "pixel" else "map",
            {"class": f.class_name, **{k: _clean(v) for k, v in sorted(f.properties.items())}},
        )
        for f in items
    ]
    if not out:
        raise NotAvailableError(f"the change stage has no {kind} in this workspace yet")
    return out


def evidence_features(ws: Workspace) -> list[FeatureRecord]:
    """Evidence items as points: their own lon/lat, else their site's centre, else none."""
    centres = {
        s.slug: s.geometry.centroid for s in sites_repo.list_sites(ws) if s.geometry is not None
    }
    out = []
    for e in evidence_repo.list_evidence(ws):
        if e.lon is not None and e.lat is not None:
            geom: BaseGeometry | None = shapely.Point(e.lon, e.lat)
            located = "item"
        elif e.site_slug in centres:
            geom = centres[e.site_slug or ""]
            located = "site centre"
        else:
            geom, located = None, "not located"
        out.append(
            FeatureRecord(
                "evidence",
                e.id or 0,
                geom,
                "map",
                {
                    "kind": e.kind.value,
                    "claim": e.claim,
                    "grade": str(e.grade),
                    "reliability": e.grade.reliability,
                    "credibility": e.grade.credibility,
                    "grade_rationale": e.grade_rationale,
                    "time_start": e.time_start.isoformat() if e.time_start else None,
                    "time_end": e.time_end.isoformat() if e.time_end else None,
                    "place": e.place,
                    "site": e.site_slug,
                    "located_by": located,
                    "source": e.source,
                    "source_type": e.source_type,
                    "url": e.url,
                },
            )
        )
    if not out:
        raise NotAvailableError(
            "no evidence in this workspace yet: import some with `sitewatch evidence import`"
        )
    return out
