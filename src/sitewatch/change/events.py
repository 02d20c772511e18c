"""Object identity across two passes and the change events it implies.

Boxes of BEFORE are mapped into AFTER with the registration and paired by a minimum-cost
assignment (:func:`scipy.optimize.linear_sum_assignment`) on distance in metres, gated by a
tolerance that grows with the GSD and the registration residual; class must agree, known
types must agree, and a heading change costs extra. Then:

* paired → ``stayed`` (``state_changed`` when both states are known and differ);
* unpaired, same known type, within ``move_max_m`` → ``moved`` (a second assignment);
* unpaired and wholly inside the other pass → candidate ``departed`` / ``arrived``, which a
  :class:`~sitewatch.change.verify.Verifier` may overturn by looking at the other pass;
* unpaired but outside the shared ground, cut by an image edge, or landing on the other
  pass's edge → ``out_of_view`` (we cannot tell whether it left).

>>> from sitewatch.change.register import Registration
>>> reg = Registration.from_matrix(np.eye(3), (400, 400), (400, 400), gsd_m=0.5)
>>> a = [Box(100, 100, 60, 50, 0, "Airplane"), Box(300, 100, 60, 50, 0, "Airplane")]
>>> b = [Box(104, 98, 60, 50, 0, "Airplane"), Box(200, 300, 60, 50, 0, "Airplane")]
>>> for e in detect_changes(a, b, reg).events:
...     print(e.kind.value, e.before_xy, e.after_xy)
arrived None (200.0, 300.0)
departed (300.0, 100.0) None
stayed (100.0, 100.0) (104.0, 98.0)
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

from sitewatch.change.boxes import Box, dedupe_boxes
from sitewatch.change.register import Registration

__all__ = [
    "ChangeEvent",
    "ChangeResult",
    "EventKind",
    "Tolerances",
    "Verdict",
    "Verifier",
    "detect_changes",
]

_INFEASIBLE = 1e9


class EventKind(enum.StrEnum):
    """What happened to an object between two passes."""

    ARRIVED = "arrived"
    DEPARTED = "departed"
    STAYED = "stayed"
    MOVED = "moved"
    STATE_CHANGED = "state_changed"
    OUT_OF_VIEW = "out_of_view"


_ORDER = {k: i for i, k in enumerate(EventKind)}


@dataclass(frozen=True)
class Tolerances:
    """Matching tolerances.

    The same object on the same stand moves by parallax and registration error between
    passes; the pairing gate is ``base_m + k_rms × rms_m + 2 × GSD`` metres (stands are
    40 m or more apart, so the default stays well under half a stand spacing).
    """

    base_m: float = 10.5
    k_rms: float = 3.0
    heading_deg: float = 30.0
    move_max_m: float = 2000.0
    size_ratio: float = 0.3
    edge_margin_px: float = 2.0

    def gate_m(self, reg: Registration, gsd_m: float) -> float:
        """Pairing distance in metres for this registration.

        >>> from sitewatch.change.register import Registration
        >>> r = Registration.from_matrix(np.eye(3), (10, 10), (10, 10), rms_px=1.0)
        >>> Tolerances().gate_m(r, 0.5)
        13.0
        """
        return self.base_m + self.k_rms * reg.rms_px * gsd_m + 2.0 * gsd_m


@dataclass(frozen=True)
class Verdict:
    """A second look at the other pass: is the object there after all?

    ``in_view`` is false when the other pass has no imagery there (no-data fill), so the
    object's fate cannot be seen.
    """

    present: bool
    similarity: float | None = None
    note: str = ""
    in_view: bool = True


class Verifier(Protocol):
    """Checks a candidate arrival/departure against the other pass."""

    def __call__(self, event: ChangeEvent, reg: Registration) -> Verdict:
        """Return whether the object is present in the other pass."""
        ...


@dataclass(frozen=True)
class ChangeEvent:
    """One object's change between BEFORE and AFTER.

    ``before`` / ``after`` are the boxes when seen; ``before_xy`` / ``after_xy`` are pixel
    centres in each pass (for an object seen in only one pass, the registered position in
    the other is kept in ``registered_xy``).
    """

    kind: EventKind
    class_name: str
    before: Box | None
    after: Box | None
    type_name: str | None = None
    distance_m: float | None = None
    registered_xy: tuple[float, float] | None = None
    similarity: float | None = None
    note: str = ""

    @property
    def before_xy(self) -> tuple[float, float] | None:
        """Centre in BEFORE pixels (or the registered position for an unseen one)."""
        if self.before is not None:
            return (round(float(self.before.cx), 2), round(float(self.before.cy), 2))
        if self.kind is EventKind.STAYED and self.registered_xy is not None:
            return self.registered_xy
        return None

    @property
    def after_xy(self) -> tuple[float, float] | None:
        """Centre in AFTER pixels (or the registered position for an unseen one)."""
        if self.after is not None:
            return (round(float(self.after.cx), 2), round(float(self.after.cy), 2))
        if self.kind is EventKind.STAYED and self.registered_xy is not None:
            return self.registered_xy
        return None

    def sort_key(self) -> tuple[Any, ...]:
        """Deterministic order: kind, then position."""
        xy = self.before_xy or self.after_xy or (0.0, 0.0)
        return (_ORDER[self.kind], xy[1], xy[0])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (the CLI's event object)."""
        bx, ax = self.before_xy, self.after_xy
        return {
            "kind": self.kind.value,
            "class": self.class_name,
            "type": self.type_name,
            "before": None if bx is None else [bx[0], bx[1]],
            "after": None if ax is None else [ax[0], ax[1]],
            "before_id": None if self.before is None else self.before.id,
            "after_id": None if self.after is None else self.after.id,
            "distance_m": None if self.distance_m is None else round(self.distance_m, 2),
            "similarity": None if self.similarity is None else round(self.similarity, 3),
            "note": self.note,
        }


@dataclass(frozen=True)
class ChangeResult:
    """All events between two passes, with the registration they rest on."""

    registration: Registration
    events: tuple[ChangeEvent, ...]
    gsd_m: float
    gate_m: float
    suppressed: tuple[ChangeEvent, ...] = field(default=())

    def by_kind(self, kind: EventKind | str) -> list[ChangeEvent]:
        """Events of one kind."""
        k = EventKind(kind)
        return [e for e in self.events if e.kind is k]

    def counts(self) -> dict[str, int]:
        """Number of events per kind (every kind listed)."""
        c = Counter(e.kind.value for e in self.events)
        return {k.value: c.get(k.value, 0) for k in EventKind}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``registration``, ``events``, ``counts`` and tolerances."""
        return {
            "registration": self.registration.to_dict(),
            "gsd_m": self.gsd_m,
            "gate_m": round(self.gate_m, 3),
            "counts": self.counts(),
            "events": [e.to_dict() for e in self.events],
        }


def _elongated(b: Box) -> bool:
    return b.width_px > 0 and b.length_px / b.width_px > 1.25


def _heading_diff(a: float, b: float) -> float:
    d = abs(a - b) % 180.0
    return min(d, 180.0 - d)


def _inside(box: Box, to_other: npt.ArrayLike, size: tuple[int, int], margin: float) -> bool:
    """Whether a box's whole footprint, mapped into the other pass, lies inside it."""
    pts = np.asarray(box.corners(), dtype=np.float64)
    hom = np.hstack([pts, np.ones((4, 1))]) @ np.asarray(to_other, dtype=np.float64).T
    xy = hom[:, :2] / hom[:, 2:3]
    w, h = size
    return bool(
        (xy[:, 0] >= margin).all()
        and (xy[:, 1] >= margin).all()
        and (xy[:, 0] <= w - margin).all()
        and (xy[:, 1] <= h - margin).all()
    )


def _touches_edge(box: Box, size: tuple[int, int], margin: float) -> bool:
    x0, y0, x1, y1 = box.bounds()
    return x0 <= margin or y0 <= margin or x1 >= size[0] - margin or y1 >= size[1] - margin


def _assign(cost: npt.NDArray[np.float64]) -> list[tuple[int, int]]:
    if cost.size == 0:
        return []
    rows, cols = linear_sum_assignment(cost)
    return [(int(i), int(j)) for i, j in zip(rows, cols, strict=True) if cost[i, j] < _INFEASIBLE]


def _pair_costs(
    before: Sequence[Box],
    after: Sequence[Box],
    pts_a_in_b: npt.NDArray[np.float64],
    m_per_px: float,
    gate: float,
    tol: Tolerances,
    *,
    need_type: bool,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    n, m = len(before), len(after)
    cost = np.full((n, m), _INFEASIBLE)
    dist = np.zeros((n, m))
    if n == 0 or m == 0:
        return cost, dist
    pb = np.array([[b.cx, b.cy] for b in after], dtype=np.float64)
    dist = np.linalg.norm(pts_a_in_b[:, None, :] - pb[None, :, :], axis=2) * m_per_px
    for i, a in enumerate(before):
        for j, b in enumerate(after):
            d = float(dist[i, j])
            if d > gate or a.canonical != b.canonical:
                continue
            if a.type_name and b.type_name and a.type_name != b.type_name:
                continue
            if need_type:
                if not (a.type_name and b.type_name):
                    continue
                la, lb = a.length_px, b.length_px
                if abs(la - lb) > tol.size_ratio * max(la, lb):
                    continue
            c = d
            if (
                _elongated(a)
                and _elongated(b)
                and _heading_diff(a.angle_deg, b.angle_deg) > tol.heading_deg
            ):
                # A turned object may still be the same one; prefer an unturned candidate.
                c += 0.5 * gate
            cost[i, j] = c
    return cost, dist


def detect_changes(
    before: Sequence[Box],
    after: Sequence[Box],
    reg: Registration,
    *,
    gsd_m: float | None = None,
    tolerances: Tolerances | None = None,
    verifier: Verifier | None = None,
    dedupe: bool = True,
    event_score: float = 0.0,
) -> ChangeResult:
    """Pair BEFORE and AFTER boxes and derive change events.

    Parameters
    ----------
    before, after
        Boxes in each pass's pixel frame.
    reg
        BEFORE→AFTER registration.
    gsd_m
        Metres per BEFORE pixel (default: the registration's, else 0.5).
    tolerances
        Gates and weights (:class:`Tolerances`).
    verifier
        Optional second look at the other pass for each candidate arrival/departure; a
        candidate whose object is found there becomes ``stayed`` with a note (kept in
        ``suppressed`` too, for audit).
    dedupe
        Merge repeated boxes of one object within a pass first (:func:`dedupe_boxes`).
    event_score
        Hysteresis: every box takes part in pairing, but an unpaired box scoring below this
        makes no arrival or departure (it is kept in ``suppressed``) — an unsure detection
        can confirm that an object stayed, not announce that one came or went.

    Returns
    -------
    ChangeResult
        Events sorted by kind then position — the same input always gives the same output.
    """
    tol = tolerances or Tolerances()
    if dedupe:
        before, after = dedupe_boxes(before), dedupe_boxes(after)
    gsd = gsd_m if gsd_m is not None else (reg.gsd_m if reg.gsd_m is not None else 0.5)
    gate = tol.gate_m(reg, gsd)
    m_after = gsd / max(reg.scale, 1e-9)  # metres per AFTER pixel
    pa = reg.to_after([[b.cx, b.cy] for b in before]) if before else np.zeros((0, 2))
    fwd, back = reg.m, np.linalg.inv(reg.m)

    cost, dist = _pair_costs(before, after, pa, m_after, gate, tol, need_type=False)
    pairs = _assign(cost)
    events: list[ChangeEvent] = []
    for i, j in pairs:
        a, b = before[i], after[j]
        changed = a.state is not None and b.state is not None and a.state != b.state
        events.append(
            ChangeEvent(
                EventKind.STATE_CHANGED if changed else EventKind.STAYED,
                b.class_name if b.canonical == a.canonical else a.class_name,
                a,
                b,
                type_name=a.type_name or b.type_name,
                distance_m=float(dist[i, j]),
                note=f"state {a.state} → {b.state}" if changed else "",
            )
        )
    left_a = [i for i in range(len(before)) if i not in {p[0] for p in pairs}]
    left_b = [j for j in range(len(after)) if j not in {p[1] for p in pairs}]

    def visible_a(i: int) -> bool:
        box = before[i]
        return (
            not box.truncated
            and _inside(box, fwd, reg.after_size, tol.edge_margin_px)
            and (not _touches_edge(box, reg.before_size, tol.edge_margin_px))
        )

    def visible_b(j: int) -> bool:
        box = after[j]
        return (
            not box.truncated
            and _inside(box, back, reg.before_size, tol.edge_margin_px)
            and (not _touches_edge(box, reg.after_size, tol.edge_margin_px))
        )

    for i in [i for i in left_a if not visible_a(i)]:
        events.append(
            ChangeEvent(
                EventKind.OUT_OF_VIEW,
                before[i].class_name,
                before[i],
                None,
                type_name=before[i].type_name,
                note="not wholly inside AFTER's view (or cut by an image edge)",
            )
        )
    for j in [j for j in left_b if not visible_b(j)]:
        events.append(
            ChangeEvent(
                EventKind.OUT_OF_VIEW,
                after[j].class_name,
                None,
                after[j],
                type_name=after[j].type_name,
                note="not wholly inside BEFORE's view (or cut by an image edge)",
            )
        )
    left_a = [i for i in left_a if visible_a(i)]
    left_b = [j for j in left_b if visible_b(j)]

    # Moved: only objects whose type is known on both sides, or any two aircraft would do.
    sub_a = [before[i] for i in left_a]
    sub_b = [after[j] for j in left_b]
    mcost, mdist = _pair_costs(
        sub_a,
        sub_b,
        pa[left_a] if left_a else np.zeros((0, 2)),
        m_after,
        tol.move_max_m,
        tol,
        need_type=True,
    )
    moved = _assign(mcost)
    for i, j in moved:
        events.append(
            ChangeEvent(
                EventKind.MOVED,
                sub_b[j].class_name,
                sub_a[i],
                sub_b[j],
                type_name=sub_a[i].type_name,
                distance_m=float(mdist[i, j]),
            )
        )
    rest_a = [sub_a[i] for i in range(len(sub_a)) if i not in {p[0] for p in moved}]
    rest_b = [sub_b[j] for j in range(len(sub_b)) if j not in {p[1] for p in moved}]

    candidates: list[ChangeEvent] = []
    for box in rest_a:
        xy = reg.to_after([[box.cx, box.cy]])[0]
        candidates.append(
            ChangeEvent(
                EventKind.DEPARTED,
                box.class_name,
                box,
                None,
                type_name=box.type_name,
                registered_xy=(round(float(xy[0]), 2), round(float(xy[1]), 2)),
            )
        )
    for box in rest_b:
        xy = reg.to_before([[box.cx, box.cy]])[0]
        candidates.append(
            ChangeEvent(
                EventKind.ARRIVED,
                box.class_name,
                None,
                box,
                type_name=box.type_name,
                registered_xy=(round(float(xy[0]), 2), round(float(xy[1]), 2)),
            )
        )
    suppressed: list[ChangeEvent] = []
    for ev in candidates:
        own = ev.before if ev.before is not None else ev.after
        if own is not None and own.score < event_score:
            suppressed.append(replace(ev, note=f"score {own.score:.2f} below {event_score:.2f}"))
            continue
        if verifier is None:
            events.append(ev)
            continue
        v = verifier(ev, reg)
        if not v.in_view:
            events.append(replace(ev, kind=EventKind.OUT_OF_VIEW, note=v.note))
        elif v.present:
            side = "AFTER" if ev.kind is EventKind.DEPARTED else "BEFORE"
            suppressed.append(replace(ev, similarity=v.similarity, note=v.note))
            events.append(
                replace(
                    ev,
                    kind=EventKind.STAYED,
                    similarity=v.similarity,
                    note=f"not detected in {side}, but seen there on a second look: {v.note}",
                )
            )
        else:
            events.append(replace(ev, similarity=v.similarity, note=v.note))
    events.sort(key=ChangeEvent.sort_key)
    suppressed.sort(key=ChangeEvent.sort_key)
    return ChangeResult(reg, tuple(events), gsd, gate, tuple(suppressed))
