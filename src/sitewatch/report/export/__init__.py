"""Exports: data others can load — QGIS (GeoPackage), Google Earth (KML), GeoJSON, CSV, and
OpenCTI (STIX 2.1).

=============  =====================================  =========================================
kind           formats                                comes from
=============  =====================================  =========================================
sites          geojson, kml, gpkg, csv                the site registry
detections     geojson, kml, gpkg, csv                the detector's stored, reviewed output
objects        geojson, kml, gpkg, csv                ``sitewatch.change.export_features``
events         geojson, kml, gpkg, csv                ``sitewatch.change.export_features``
evidence       geojson, kml, gpkg, csv, stix          the evidence log
case           gpkg, kml, stix                        all of the above that exist
=============  =====================================  =========================================

>>> sorted(KINDS)
['case', 'detections', 'events', 'evidence', 'objects', 'sites']
>>> check_format("case", "csv")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
sitewatch.errors.InputError: field '--format': case cannot be written as csv (expected ...)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sitewatch.errors import InputError
from sitewatch.report.export.features import (
    FeatureRecord,
    NotAvailableError,
    detection_features,
    evidence_features,
    provider_features,
    site_features,
    split_frames,
)
from sitewatch.report.export.geo import write_csv, write_geojson, write_gpkg, write_kml
from sitewatch.report.export.stix import build_bundle, write_stix
from sitewatch.store import Workspace

__all__ = [
    "FORMATS",
    "KINDS",
    "ExportResult",
    "FeatureRecord",
    "NotAvailableError",
    "build_bundle",
    "check_format",
    "export",
    "records_for",
]

_VECTOR = ("geojson", "kml", "gpkg", "csv")
KINDS: dict[str, tuple[str, ...]] = {
    "sites": _VECTOR,
    "detections": _VECTOR,
    "objects": _VECTOR,
    "events": _VECTOR,
    "evidence": (*_VECTOR, "stix"),
    "case": ("gpkg", "kml", "stix"),
}
FORMATS = ("geojson", "kml", "gpkg", "csv", "stix")


@dataclass(frozen=True)
class ExportResult:
    """What was written: the file, how many features per layer, and what was left out."""

    path: Path
    counts: dict[str, int]
    notes: tuple[str, ...] = ()


def check_format(kind: str, fmt: str) -> None:
    """Raise :class:`InputError` naming the option when ``kind``/``fmt`` do not go together."""
    if kind not in KINDS:
        raise InputError(f"unknown kind {kind!r}", field="KIND", expected=", ".join(KINDS))
    if fmt not in KINDS[kind]:
        raise InputError(
            f"{kind} cannot be written as {fmt}",
            field="--format",
            expected="one of: " + ", ".join(sorted(KINDS[kind])),
        )


_SOURCES: dict[str, Callable[[Workspace], list[FeatureRecord]]] = {
    "sites": site_features,
    "detections": detection_features,
    "objects": lambda ws: provider_features(ws, "objects"),
    "events": lambda ws: provider_features(ws, "events"),
    "evidence": evidence_features,
}


def records_for(ws: Workspace, kind: str) -> list[FeatureRecord]:
    """The records of one kind (raises :class:`NotAvailableError` when there are none)."""
    return _SOURCES[kind](ws)


def export(
    ws: Workspace,
    kind: str,
    fmt: str,
    out: str | Path,
    *,
    frame: str | None = None,
    stamp: datetime | None = None,
) -> ExportResult:
    """Write ``kind`` as ``fmt`` to ``out``.

    Parameters
    ----------
    frame
        For GeoJSON, KML and CSV of a single kind: ``map`` (WGS84) or ``pixel``; default:
        ``map`` when any feature is georeferenced, else ``pixel``. Features in the other
        frame are left out and counted in ``notes`` (GeoPackage keeps both, as two layers).
    stamp
        The STIX ``created``/``modified`` time (default: now).
    """
    check_format(kind, fmt)
    path = Path(out)
    if fmt == "stix":
        bundle_path = write_stix(ws, path, stamp=stamp)
        return ExportResult(bundle_path, {"stix": 1})
    if kind == "case":
        layers: dict[str, list[FeatureRecord]] = {}
        notes = []
        for name in _SOURCES:
            try:
                layers[name] = records_for(ws, name)
            except NotAvailableError as exc:
                notes.append(f"{name}: {exc}")
        if fmt == "kml":
            on_map = [r for recs in layers.values() for r in recs if r.frame == "map"]
            n_pixel = sum(len(recs) for recs in layers.values()) - len(on_map)
            if n_pixel:
                notes.append(f"{n_pixel} pixel-frame features left out (KML is lon/lat only)")
            write_kml(on_map, path, title="sitewatch case")
            return ExportResult(path, _counts(on_map), tuple(notes))
        write_gpkg(layers, path)
        return ExportResult(path, _counts([r for v in layers.values() for r in v]), tuple(notes))

    records = records_for(ws, kind)
    if fmt == "gpkg":
        write_gpkg({kind: records}, path)
        return ExportResult(path, _counts(records))
    if frame is None:
        frame = "map" if any(r.frame == "map" for r in records) else "pixel"
    if frame not in ("map", "pixel"):
        raise InputError(f"unknown frame {frame!r}", field="--frame", expected="map or pixel")
    kept, left = split_frames(records, frame)
    notes_: tuple[str, ...] = ()
    other = "pixel" if frame == "map" else "map"
    if left:
        notes_ = (f"{len(left)} {kind} in the {other} frame left out: use --frame {other}",)
    if not kept:
        raise NotAvailableError(
            f"no {kind} in the {frame} frame"
            + (f" ({len(left)} are in the other frame: use --frame {other})" if left else "")
        )
    if fmt == "geojson":
        write_geojson(kept, frame, path)
    elif fmt == "kml":
        write_kml(kept, path, title=f"sitewatch {kind}")
    else:
        write_csv(kept, path)
    return ExportResult(path, _counts(kept), notes_)


def _counts(records: list[FeatureRecord]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in records:
        out[r.layer] = out.get(r.layer, 0) + 1
    return dict(sorted(out.items()))
