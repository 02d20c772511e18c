"""Detections in the workspace: runs, boxes, measurements and the review trail.

Detections are added from any object with the attributes ``class_name``, ``score``, ``cx``,
``cy``, ``length_px``, ``width_px``, ``angle_deg`` and ``polygon`` (pixel coordinates) and,
optionally, ``polygon_wgs84`` (a shapely geometry or WKT) — the detector's ``Detection`` has
them, and so can labelled boxes.
"""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sitewatch.errors import InputError, NotFoundError
from sitewatch.review.model import (
    DetectionRecord,
    ReviewAction,
    ReviewEntry,
    apply_reviews,
    validate,
)
from sitewatch.store.tables.core import PassRow
from sitewatch.store.tables.detect import DetectionReviewRow, DetectionRow, DetectionRunRow
from sitewatch.store.workspace import Workspace

__all__ = [
    "BoxLike",
    "RunInfo",
    "add_detections",
    "counts_by_class",
    "finish_run",
    "get_detection",
    "latest_run",
    "list_detections",
    "list_runs",
    "review",
    "set_measurements",
    "start_run",
]


class BoxLike(Protocol):
    """What :func:`add_detections` needs of a detection (read-only attributes)."""

    @property
    def class_name(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def cx(self) -> float: ...
    @property
    def cy(self) -> float: ...
    @property
    def length_px(self) -> float: ...
    @property
    def width_px(self) -> float: ...
    @property
    def angle_deg(self) -> float: ...


@dataclass(frozen=True)
class RunInfo:
    """A model run over a pass."""

    id: int
    pass_id: int
    model_name: str
    model_version: str
    status: str
    n_detections: int
    started_at: datetime
    finished_at: datetime | None
    params: dict[str, Any]
    message: str | None


def _run_info(r: DetectionRunRow) -> RunInfo:
    return RunInfo(
        r.id,
        r.pass_id,
        r.model_name,
        r.model_version,
        r.status,
        r.n_detections,
        r.started_at,
        r.finished_at,
        dict(r.params or {}),
        r.message,
    )


def start_run(
    ws: Workspace,
    pass_id: int,
    *,
    model_name: str,
    model_version: str,
    model_sha256: str | None = None,
    params: dict[str, Any] | None = None,
) -> RunInfo:
    """Record that a model run over a pass has begun (status ``running``)."""
    with ws.session() as s:
        if s.get(PassRow, pass_id) is None:
            raise NotFoundError(f"no pass {pass_id}")
        row = DetectionRunRow(
            pass_id=pass_id,
            model_name=model_name,
            model_version=model_version,
            model_sha256=model_sha256,
            params=dict(params or {}),
            status="running",
            n_detections=0,
            started_at=datetime.now(UTC),
        )
        s.add(row)
        s.flush()
        return _run_info(row)


def finish_run(
    ws: Workspace, run_id: int, *, status: str = "done", message: str | None = None
) -> RunInfo:
    """Close a run as ``done`` or ``failed``."""
    with ws.session() as s:
        row = s.get(DetectionRunRow, run_id)
        if row is None:
            raise NotFoundError(f"no detection run {run_id}")
        row.status = status
        row.message = message
        row.finished_at = datetime.now(UTC)
        row.n_detections = len(
            list(s.scalars(select(DetectionRow.id).where(DetectionRow.run_id == run_id)))
        )
        s.flush()
        return _run_info(row)


def list_runs(ws: Workspace, pass_id: int | None = None) -> list[RunInfo]:
    """Runs, oldest first."""
    with ws.session() as s:
        q = select(DetectionRunRow).order_by(DetectionRunRow.id)
        if pass_id is not None:
            q = q.where(DetectionRunRow.pass_id == pass_id)
        return [_run_info(r) for r in s.scalars(q)]


def latest_run(ws: Workspace, pass_id: int) -> RunInfo | None:
    """The newest finished run over a pass (the one whose detections are current)."""
    done = [r for r in list_runs(ws, pass_id) if r.status == "done"]
    return done[-1] if done else None


def _polygon(det: object) -> list[list[float]]:
    poly = getattr(det, "polygon", None) or getattr(det, "polygon_px", None)
    if poly is None:
        return []
    if hasattr(poly, "exterior"):
        return [[float(x), float(y)] for x, y in list(poly.exterior.coords)[:-1]]
    return [[float(p[0]), float(p[1])] for p in poly]


def add_detections(
    ws: Workspace,
    pass_id: int,
    detections: Iterable[BoxLike],
    *,
    run_id: int | None = None,
    source: str = "model",
    model_version: str | None = None,
    replace_run: bool = False,
) -> list[int]:
    """Store detections of a pass; returns their ids.

    With ``replace_run``, detections already stored for ``run_id`` are removed first (a
    resumed run re-writes its own output, never duplicates it).
    """
    now = datetime.now(UTC)
    ids: list[int] = []
    with ws.session() as s:
        if s.get(PassRow, pass_id) is None:
            raise NotFoundError(f"no pass {pass_id}")
        if replace_run and run_id is not None:
            s.execute(delete(DetectionRow).where(DetectionRow.run_id == run_id))
        rows = []
        for d in detections:
            wgs = getattr(d, "polygon_wgs84", None) or getattr(d, "polygon_map", None)
            rows.append(
                DetectionRow(
                    run_id=run_id,
                    pass_id=pass_id,
                    source=source,
                    class_name=str(d.class_name),
                    score=float(d.score),
                    cx=float(d.cx),
                    cy=float(d.cy),
                    length_px=float(d.length_px),
                    width_px=float(d.width_px),
                    angle_deg=float(d.angle_deg),
                    polygon_px=_polygon(d),
                    polygon_wgs84=(wgs if isinstance(wgs, str) else wgs.wkt) if wgs else None,
                    model_version=getattr(d, "model_version", None) or model_version,
                    measurement={},
                    created_at=now,
                )
            )
        s.add_all(rows)
        s.flush()
        ids = [r.id for r in rows]
    return ids


def _record(row: DetectionRow) -> DetectionRecord:
    return DetectionRecord(
        id=row.id,
        pass_id=row.pass_id,
        class_name=row.class_name,
        score=row.score,
        cx=row.cx,
        cy=row.cy,
        length_px=row.length_px,
        width_px=row.width_px,
        angle_deg=row.angle_deg,
        polygon_px=tuple((float(x), float(y)) for x, y in row.polygon_px or ()),
        source=row.source,
        run_id=row.run_id,
        model_version=row.model_version,
        polygon_wgs84=row.polygon_wgs84,
        measurement=dict(row.measurement or {}),
    )


def _entries(s: Session, ids: Sequence[int]) -> dict[int, list[ReviewEntry]]:
    out: dict[int, list[ReviewEntry]] = {}
    if not ids:
        return out
    q = (
        select(DetectionReviewRow)
        .where(DetectionReviewRow.detection_id.in_(list(ids)))
        .order_by(DetectionReviewRow.id)
    )
    for r in s.scalars(q):
        out.setdefault(r.detection_id, []).append(
            ReviewEntry(ReviewAction(r.action), r.value, r.user, r.at, r.note, r.id)
        )
    return out


def list_detections(
    ws: Workspace,
    pass_id: int,
    *,
    include_rejected: bool = False,
    min_score: float = 0.0,
    run_id: int | None = None,
    current_only: bool = True,
) -> list[DetectionRecord]:
    """Detections of a pass with reviews applied, by id.

    By default only the latest finished run's detections plus analyst-added ones are
    returned (``current_only``), and rejected ones are left out.
    """
    with ws.session() as s:
        q = select(DetectionRow).where(DetectionRow.pass_id == pass_id)
        if run_id is not None:
            q = q.where(DetectionRow.run_id == run_id)
        rows = list(s.scalars(q.order_by(DetectionRow.id)))
        if run_id is None and current_only:
            runs = [
                r.id
                for r in s.scalars(
                    select(DetectionRunRow)
                    .where(DetectionRunRow.pass_id == pass_id, DetectionRunRow.status == "done")
                    .order_by(DetectionRunRow.id)
                )
            ]
            keep = runs[-1] if runs else None
            rows = [r for r in rows if r.run_id is None or r.run_id == keep]
        trail = _entries(s, [r.id for r in rows])
    out = []
    for r in rows:
        rec = apply_reviews(_record(r), trail.get(r.id, []))
        if (include_rejected or rec.counts) and (rec.score >= min_score or rec.source != "model"):
            out.append(rec)
    return out


def get_detection(ws: Workspace, detection_id: int) -> DetectionRecord:
    """One detection with its full review trail."""
    with ws.session() as s:
        row = s.get(DetectionRow, detection_id)
        if row is None:
            raise NotFoundError(f"no detection {detection_id}")
        trail = _entries(s, [row.id]).get(row.id, [])
        return apply_reviews(_record(row), trail)


def review(
    ws: Workspace,
    detection_id: int,
    action: ReviewAction | str,
    value: Any = None,
    *,
    user: str,
    note: str | None = None,
) -> DetectionRecord:
    """Record one review action (appended to the trail) and return the reviewed detection."""
    try:
        act = ReviewAction(action)
    except ValueError:
        choices = ", ".join(a.value for a in ReviewAction)
        raise InputError(
            f"unknown review action {action!r}", field="action", expected=choices
        ) from None
    try:
        clean = validate(act, value)
    except ValueError as exc:
        raise InputError(str(exc), field="value") from None
    if act is ReviewAction.SET_STATE:
        clean = _check_state(clean, get_detection(ws, detection_id).effective_class)
    with ws.session() as s:
        if s.get(DetectionRow, detection_id) is None:
            raise NotFoundError(f"no detection {detection_id}")
        s.add(
            DetectionReviewRow(
                detection_id=detection_id,
                action=act.value,
                value=clean,
                note=note,
                user=user,
                at=datetime.now(UTC),
            )
        )
    return get_detection(ws, detection_id)


def _check_state(value: str, class_name: str) -> str:
    """Validate a posture/state against the measure stage's vocabulary for the class."""
    try:
        states = importlib.import_module("sitewatch.measure.states")
    except ImportError:
        return value
    try:
        return str(states.parse_state(value, class_name).value)
    except ValueError as exc:
        raise InputError(str(exc), field="value") from None


def set_measurements(ws: Workspace, values: dict[int, dict[str, Any]]) -> None:
    """Store the measure stage's output (metres, heading, candidates) per detection id."""
    with ws.session() as s:
        for det_id, m in values.items():
            row = s.get(DetectionRow, det_id)
            if row is None:
                raise NotFoundError(f"no detection {det_id}")
            row.measurement = dict(m)


def counts_by_class(ws: Workspace, pass_id: int, *, min_score: float = 0.0) -> dict[str, int]:
    """Counts of current, non-rejected detections by reviewed class."""
    dets = list_detections(ws, pass_id, min_score=min_score)
    return dict(sorted(Counter(d.effective_class for d in dets).items()))
