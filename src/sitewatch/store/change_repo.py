"""Change in the workspace: registrations, change events, tracked objects and their history.

A comparison of two passes is saved as one registration row plus its events. Each event is
attached to a tracked object: the object that already holds the BEFORE detection in BEFORE's
pass when there is one (so objects chain across successive comparisons), else a new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sitewatch.change.events import ChangeEvent, ChangeResult
from sitewatch.errors import NotFoundError
from sitewatch.store.tables.change import (
    ChangeEventRow,
    ObjectHistoryRow,
    RegistrationRow,
    TrackedObjectRow,
)
from sitewatch.store.tables.core import PassRow
from sitewatch.store.workspace import Workspace

__all__ = [
    "HistoryEntry",
    "StoredEvent",
    "StoredRegistration",
    "list_events",
    "list_registrations",
    "object_history",
    "save_comparison",
]


@dataclass(frozen=True)
class StoredRegistration:
    """A saved registration between two passes."""

    id: int
    pass_a_id: int
    pass_b_id: int
    matrix: list[list[float]]
    model: str
    method: str
    inliers: int
    rms_px: float
    rms_m: float | None
    overlap: float
    gate_m: float | None
    created_at: datetime


@dataclass(frozen=True)
class StoredEvent:
    """A saved change event."""

    id: int
    registration_id: int
    pass_a_id: int
    pass_b_id: int
    kind: str
    class_name: str
    type_name: str | None
    before: tuple[float, float] | None
    after: tuple[float, float] | None
    before_detection_id: int | None
    after_detection_id: int | None
    distance_m: float | None
    similarity: float | None
    object_id: int | None
    note: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with the same keys as the file-mode CLI's events."""
        return {
            "id": self.id,
            "kind": self.kind,
            "class": self.class_name,
            "type": self.type_name,
            "before": list(self.before) if self.before else None,
            "after": list(self.after) if self.after else None,
            "before_detection_id": self.before_detection_id,
            "after_detection_id": self.after_detection_id,
            "distance_m": self.distance_m,
            "similarity": self.similarity,
            "object_id": self.object_id,
            "note": self.note,
        }


@dataclass(frozen=True)
class HistoryEntry:
    """A tracked object in one pass."""

    object_id: int
    pass_id: int
    status: str
    detection_id: int | None
    x: float | None
    y: float | None
    state: str | None


def _reg(r: RegistrationRow) -> StoredRegistration:
    return StoredRegistration(
        r.id,
        r.pass_a_id,
        r.pass_b_id,
        [list(x) for x in r.matrix],
        r.model,
        r.method,
        r.inliers,
        r.rms_px,
        r.rms_m,
        r.overlap,
        r.gate_m,
        r.created_at,
    )


def _event(r: ChangeEventRow) -> StoredEvent:
    b = (r.before_x, r.before_y) if r.before_x is not None and r.before_y is not None else None
    a = (r.after_x, r.after_y) if r.after_x is not None and r.after_y is not None else None
    return StoredEvent(
        r.id,
        r.registration_id,
        r.pass_a_id,
        r.pass_b_id,
        r.kind,
        r.class_name,
        r.type_name,
        b,
        a,
        r.before_detection_id,
        r.after_detection_id,
        r.distance_m,
        r.similarity,
        r.object_id,
        r.note,
    )


def _det_id(box: Any) -> int | None:
    value = getattr(box, "id", None) if box is not None else None
    return value if isinstance(value, int) else None


def _object_for(
    s: Session, ev: ChangeEvent, pass_a_id: int, site_id: int | None, now: datetime
) -> int:
    det = _det_id(ev.before)
    if det is not None:
        prior = s.scalars(
            select(ObjectHistoryRow.object_id)
            .where(ObjectHistoryRow.pass_id == pass_a_id, ObjectHistoryRow.detection_id == det)
            .order_by(ObjectHistoryRow.id.desc())
        ).first()
        if prior is not None:
            return int(prior)
    obj = TrackedObjectRow(
        site_id=site_id, class_name=ev.class_name, type_name=ev.type_name, created_at=now
    )
    s.add(obj)
    s.flush()
    if ev.before is not None:
        s.add(
            ObjectHistoryRow(
                object_id=obj.id,
                pass_id=pass_a_id,
                detection_id=det,
                status="seen",
                x=ev.before.cx,
                y=ev.before.cy,
                state=ev.before.state,
            )
        )
    return obj.id


def save_comparison(
    ws: Workspace,
    pass_a_id: int,
    pass_b_id: int,
    result: ChangeResult,
    *,
    params: dict[str, Any] | None = None,
) -> StoredRegistration:
    """Store a comparison (registration, events, tracked objects); returns the registration.

    Box ids that are integers are taken as detection ids of the two passes.
    """
    now = datetime.now(UTC)
    reg = result.registration
    with ws.session() as s:
        pa, pb = s.get(PassRow, pass_a_id), s.get(PassRow, pass_b_id)
        if pa is None or pb is None:
            raise NotFoundError(f"no pass {pass_a_id if pa is None else pass_b_id}")
        row = RegistrationRow(
            pass_a_id=pass_a_id,
            pass_b_id=pass_b_id,
            matrix=[list(r) for r in reg.matrix],
            model=reg.model,
            method=reg.method,
            inliers=reg.inliers,
            rms_px=reg.rms_px,
            rms_m=reg.rms_m,
            overlap=reg.overlap,
            gate_m=result.gate_m,
            params=dict(params or {}),
            created_at=now,
        )
        s.add(row)
        s.flush()
        site_id = pa.site_id if pa.site_id == pb.site_id else None
        for ev in result.events:
            obj_id = _object_for(s, ev, pass_a_id, site_id, now)
            bx, ax = ev.before_xy, ev.after_xy
            if ev.after is not None or ev.before is not None:
                s.add(
                    ObjectHistoryRow(
                        object_id=obj_id,
                        pass_id=pass_b_id,
                        detection_id=_det_id(ev.after),
                        status=ev.kind.value,
                        x=None if ax is None else ax[0],
                        y=None if ax is None else ax[1],
                        state=None if ev.after is None else ev.after.state,
                    )
                )
            s.add(
                ChangeEventRow(
                    registration_id=row.id,
                    pass_a_id=pass_a_id,
                    pass_b_id=pass_b_id,
                    kind=ev.kind.value,
                    class_name=ev.class_name,
                    type_name=ev.type_name,
                    before_detection_id=_det_id(ev.before),
                    after_detection_id=_det_id(ev.after),
                    before_x=None if bx is None else bx[0],
                    before_y=None if bx is None else bx[1],
                    after_x=None if ax is None else ax[0],
                    after_y=None if ax is None else ax[1],
                    distance_m=ev.distance_m,
                    similarity=ev.similarity,
                    object_id=obj_id,
                    note=ev.note or None,
                    created_at=now,
                )
            )
        s.flush()
        return _reg(row)


def list_registrations(
    ws: Workspace, pass_a_id: int | None = None, pass_b_id: int | None = None
) -> list[StoredRegistration]:
    """Saved registrations, oldest first."""
    with ws.session() as s:
        q = select(RegistrationRow).order_by(RegistrationRow.id)
        if pass_a_id is not None:
            q = q.where(RegistrationRow.pass_a_id == pass_a_id)
        if pass_b_id is not None:
            q = q.where(RegistrationRow.pass_b_id == pass_b_id)
        return [_reg(r) for r in s.scalars(q)]


def list_events(
    ws: Workspace,
    *,
    registration_id: int | None = None,
    pass_a_id: int | None = None,
    pass_b_id: int | None = None,
    kind: str | None = None,
) -> list[StoredEvent]:
    """Saved events, by id; by default those of every comparison."""
    with ws.session() as s:
        q = select(ChangeEventRow).order_by(ChangeEventRow.id)
        if registration_id is not None:
            q = q.where(ChangeEventRow.registration_id == registration_id)
        if pass_a_id is not None:
            q = q.where(ChangeEventRow.pass_a_id == pass_a_id)
        if pass_b_id is not None:
            q = q.where(ChangeEventRow.pass_b_id == pass_b_id)
        if kind is not None:
            q = q.where(ChangeEventRow.kind == kind)
        return [_event(r) for r in s.scalars(q)]


def object_history(ws: Workspace, object_id: int) -> list[HistoryEntry]:
    """A tracked object's history, in the order it was recorded."""
    with ws.session() as s:
        if s.get(TrackedObjectRow, object_id) is None:
            raise NotFoundError(f"no tracked object {object_id}")
        rows = s.scalars(
            select(ObjectHistoryRow)
            .where(ObjectHistoryRow.object_id == object_id)
            .order_by(ObjectHistoryRow.id)
        )
        return [
            HistoryEntry(r.object_id, r.pass_id, r.status, r.detection_id, r.x, r.y, r.state)
            for r in rows
        ]
