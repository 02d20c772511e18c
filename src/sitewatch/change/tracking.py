"""Tracked objects: one identity across a sequence of passes, with a per-pass history.

Pairwise results between consecutive passes (from :func:`~sitewatch.change.detect_changes`)
are chained: a box seen in pass *k + 1* continues the object of the box it was paired with in
pass *k*; an arrival (or an object coming into view) starts a new object.

>>> from sitewatch.change.register import Registration
>>> from sitewatch.change.events import detect_changes
>>> import numpy as np
>>> reg = Registration.from_matrix(np.eye(3), (400, 400), (400, 400), gsd_m=0.5)
>>> p0 = [Box(100, 100, 60, 50, 0, "aircraft")]
>>> p1 = [Box(101, 100, 60, 50, 0, "aircraft"), Box(300, 300, 60, 50, 0, "aircraft")]
>>> p2 = [Box(300, 301, 60, 50, 0, "aircraft")]
>>> res = [detect_changes(p0, p1, reg), detect_changes(p1, p2, reg)]
>>> objs = track_objects([("d1", p0), ("d2", p1), ("d3", p2)], res)
>>> [[s.status for s in o.history] for o in objs]
[['seen', 'stayed', 'departed'], ['arrived', 'stayed']]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sitewatch.change.boxes import Box
from sitewatch.change.events import ChangeResult, EventKind

__all__ = ["Sighting", "TrackedObject", "track_objects"]


@dataclass(frozen=True)
class Sighting:
    """An object in one pass: its box when seen, and what happened since the previous pass."""

    pass_index: int
    pass_label: str
    status: str  # seen (first pass), stayed, moved, state_changed, arrived, departed, out_of_view
    box: Box | None = None
    xy: tuple[float, float] | None = None


@dataclass
class TrackedObject:
    """One object followed across passes."""

    id: int
    class_name: str
    type_name: str | None = None
    history: list[Sighting] = field(default_factory=list)

    @property
    def last_seen(self) -> int | None:
        """Index of the last pass the object was seen in."""
        seen = [s.pass_index for s in self.history if s.box is not None]
        return seen[-1] if seen else None


def track_objects(
    passes: Sequence[tuple[str, Sequence[Box]]], results: Sequence[ChangeResult]
) -> list[TrackedObject]:
    """Chain consecutive pairwise results into tracked objects (ids from 1, in first-seen order).

    ``results[k]`` must compare ``passes[k]`` (BEFORE) with ``passes[k + 1]`` (AFTER) on the
    very same box objects.
    """
    if len(results) != max(len(passes) - 1, 0):
        raise ValueError(f"{len(passes)} passes need {max(len(passes) - 1, 0)} results")
    objects: list[TrackedObject] = []
    owner: dict[int, TrackedObject] = {}

    def new(box: Box, k: int, status: str) -> None:
        obj = TrackedObject(len(objects) + 1, box.class_name, box.type_name)
        obj.history.append(Sighting(k, passes[k][0], status, box, (box.cx, box.cy)))
        objects.append(obj)
        owner[id(box)] = obj

    for box in sorted(passes[0][1] if passes else [], key=lambda b: (b.cy, b.cx)):
        new(box, 0, "seen")
    for k, res in enumerate(results, start=1):
        label = passes[k][0]
        for ev in res.events:
            before_obj = owner.get(id(ev.before)) if ev.before is not None else None
            if ev.before is not None and before_obj is None:
                # A box of BEFORE not known yet (e.g. the results skipped it): start it here.
                new(ev.before, k - 1, "seen")
                before_obj = owner[id(ev.before)]
            if before_obj is not None:
                status = ev.kind.value
                xy = (ev.after.cx, ev.after.cy) if ev.after is not None else ev.registered_xy
                before_obj.history.append(Sighting(k, label, status, ev.after, xy))
                if ev.after is not None:
                    owner[id(ev.after)] = before_obj
                    before_obj.type_name = before_obj.type_name or ev.after.type_name
            elif ev.after is not None:
                status = "arrived" if ev.kind is EventKind.ARRIVED else ev.kind.value
                new(ev.after, k, status)
    return objects
