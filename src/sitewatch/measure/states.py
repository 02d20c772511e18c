"""Posture and state: the vocabulary analysts use, and suggestions a measurement supports.

The tool only *suggests* (each :class:`StateSuggestion` carries its reason and a confidence in
[0, 1]); the analyst sets the state, through review, as an :class:`StateAssignment` with
``source=StateSource.ANALYST``. Review code can store ``state.value`` strings and read them back
with ``ObjectState(value)``.

>>> ObjectState("rotor_removed").applies_to
('helicopter',)
>>> [s.value for s in states_for("ship")][-4:]
['at_berth', 'under_way', 'at_anchor', 'in_dry_dock']
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sitewatch.measure.catalogue import EquipmentType
from sitewatch.measure.mensuration import Measurement

__all__ = [
    "ObjectState",
    "StateAssignment",
    "StateSource",
    "StateSuggestion",
    "parse_state",
    "states_for",
    "suggest_absent",
    "suggest_states",
]

_ALL = ("aircraft", "helicopter", "ship", "vehicle")


class ObjectState(enum.Enum):
    """States that matter to an analyst watching a site (value: stable storage key)."""

    # any class
    PRESENT = "present"
    ABSENT = "absent"
    DAMAGED = "damaged"
    UNDER_CONSTRUCTION = "under_construction"
    UNKNOWN = "unknown"
    # aircraft
    NOSE_DOOR_OPEN = "nose_door_open"  # An-124 visor raised, nose ramp down
    CARGO_DOOR_OPEN = "cargo_door_open"  # rear ramp / clamshell doors open
    BEING_LOADED = "being_loaded"  # vehicles / pallets / loaders at the doors
    COVERED = "covered"  # canopy/engine covers, tarpaulin, camouflage net
    WINGS_SWEPT = "wings_swept"  # swing-wing type parked with wings back
    ENGINES_REMOVED = "engines_removed"
    # helicopters (and aircraft being broken down for airlift)
    ROTOR_REMOVED = "rotor_removed"
    DISMANTLED = "dismantled"
    # launchers, radars, air-defence vehicles
    ERECTED = "erected"  # launcher canisters / antenna raised: ready to fire or radiating
    STOWED = "stowed"  # travel configuration
    ABSENT_FROM_POSITION = "absent_from_position"  # prepared position empty
    # ships
    AT_BERTH = "at_berth"
    UNDER_WAY = "under_way"
    AT_ANCHOR = "at_anchor"
    IN_DRY_DOCK = "in_dry_dock"

    @property
    def applies_to(self) -> tuple[str, ...]:
        """Detector classes this state can describe."""
        return _APPLIES[self]


_APPLIES: dict[ObjectState, tuple[str, ...]] = {
    ObjectState.PRESENT: _ALL,
    ObjectState.ABSENT: _ALL,
    ObjectState.DAMAGED: _ALL,
    ObjectState.UNDER_CONSTRUCTION: ("ship",),
    ObjectState.UNKNOWN: _ALL,
    ObjectState.NOSE_DOOR_OPEN: ("aircraft",),
    ObjectState.CARGO_DOOR_OPEN: ("aircraft", "helicopter"),
    ObjectState.BEING_LOADED: ("aircraft", "helicopter", "vehicle"),
    ObjectState.COVERED: ("aircraft", "helicopter", "vehicle"),
    ObjectState.WINGS_SWEPT: ("aircraft",),
    ObjectState.ENGINES_REMOVED: ("aircraft",),
    ObjectState.ROTOR_REMOVED: ("helicopter",),
    ObjectState.DISMANTLED: ("aircraft", "helicopter", "vehicle"),
    ObjectState.ERECTED: ("vehicle",),
    ObjectState.STOWED: ("vehicle",),
    ObjectState.ABSENT_FROM_POSITION: ("vehicle", "aircraft", "helicopter"),
    ObjectState.AT_BERTH: ("ship",),
    ObjectState.UNDER_WAY: ("ship",),
    ObjectState.AT_ANCHOR: ("ship",),
    ObjectState.IN_DRY_DOCK: ("ship",),
}


def states_for(class_name: str) -> list[ObjectState]:
    """The states an object of ``class_name`` can be put in."""
    return [s for s in ObjectState if class_name in s.applies_to]


def parse_state(value: str, class_name: str | None = None) -> ObjectState:
    """A state from its stored value (as review records it), checked against the class.

    >>> parse_state("Rotor removed", "helicopter")
    <ObjectState.ROTOR_REMOVED: 'rotor_removed'>
    >>> parse_state("at_berth", "aircraft")
    Traceback (most recent call last):
    ...
    ValueError: state 'at_berth' does not apply to aircraft; one of: present, absent, ...
    """
    key = value.strip().lower().replace(" ", "_").replace("-", "_")
    try:
        state = ObjectState(key)
    except ValueError:
        pool = states_for(class_name) if class_name else list(ObjectState)
        allowed = ", ".join(s.value for s in pool)
        raise ValueError(f"unknown state {value!r}; one of: {allowed}") from None
    if class_name is not None and class_name not in state.applies_to:
        allowed = ", ".join(s.value for s in states_for(class_name))
        raise ValueError(f"state {key!r} does not apply to {class_name}; one of: {allowed}")
    return state


class StateSource(enum.Enum):
    """Who said so."""

    SUGGESTED = "suggested"  # by a measurement rule here
    ANALYST = "analyst"  # set in review


@dataclass(frozen=True)
class StateSuggestion:
    """A state the measurements support, why, and how strongly (0–1)."""

    state: ObjectState
    confidence: float
    reason: str
    evidence: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return {
            "state": self.state.value,
            "confidence": round(self.confidence, 3),
            "reason": self.reason,
            "evidence": {k: round(v, 3) for k, v in self.evidence.items()},
        }


@dataclass(frozen=True)
class StateAssignment:
    """A state as recorded for an object: by the analyst, or accepted from a suggestion."""

    state: ObjectState
    source: StateSource
    note: str = ""


def _phi(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def _sd(t: EquipmentType, v: float) -> float:
    return t.variant_sd_m if t.variant_sd_m is not None else max(0.3, 0.015 * v)


def suggest_states(
    m: Measurement,
    t: EquipmentType | None,
    *,
    berth_distance_m: float | None = None,
    wake: bool | None = None,
) -> list[StateSuggestion]:
    """Suggest states for a measured object believed to be of type ``t``.

    Rules (confidence = the probability that the measured shortfall/excess is real, from the
    normal model with ``σ² = σ_meas² + σ_type²``, scaled by how specific the cue is):

    * helicopter span (box short side) below 60 % of the rotor diameter → ``rotor_removed``;
      and length well below the length with rotors → also ``dismantled`` (weaker);
    * aircraft measured length exceeding the type's by > 2σ for a type with a nose door or
      rear ramp → ``cargo_door_open`` / ``nose_door_open`` (ramps extended lengthen the
      footprint) — weak, check the image;
    * swing-wing aircraft whose span is near the swept span → ``wings_swept``;
    * ship within ``1.5 × beam`` (at least 15 m) of a berth line → ``at_berth``; farther out,
      ``under_way`` if a wake is seen, else ``at_anchor``;
    * launcher/radar vehicle measuring much shorter than its travel length → ``erected``
      (canisters or antenna raised shorten the plan view), near it → ``stowed``.

    >>> from sitewatch.measure.catalogue import load_catalogue
    >>> from sitewatch.measure.box import OrientedBox
    >>> from sitewatch.measure.mensuration import measure
    >>> mi8 = load_catalogue().get("Mi-8AMTSh")
    >>> m = measure(OrientedBox(0, 0, 72, 10, 0.0, "helicopter"), gsd_m=0.25)  # 18 m × 2.5 m
    >>> [s.state.value for s in suggest_states(m, mi8)]
    ['rotor_removed', 'dismantled']
    """
    out: list[StateSuggestion] = []
    L, W = m.length, m.width
    if m.class_name == "ship":
        if berth_distance_m is not None:
            tol = max(15.0, 1.5 * W.value)
            ev = {"berth_distance_m": berth_distance_m, "tolerance_m": tol}
            if berth_distance_m <= tol:
                out.append(
                    StateSuggestion(
                        ObjectState.AT_BERTH,
                        0.85,
                        f"hull within {berth_distance_m:.0f} m of a berth line (≤ {tol:.0f} m)",
                        ev,
                    )
                )
            elif wake:
                out.append(
                    StateSuggestion(
                        ObjectState.UNDER_WAY,
                        0.8,
                        f"{berth_distance_m:.0f} m off the berth line with a visible wake",
                        ev,
                    )
                )
            else:
                conf = 0.6 if wake is False else 0.4
                out.append(
                    StateSuggestion(
                        ObjectState.AT_ANCHOR,
                        conf,
                        f"{berth_distance_m:.0f} m off the berth line, "
                        + ("no wake seen" if wake is False else "wake not assessed"),
                        ev,
                    )
                )
                if wake is None:
                    out.append(
                        StateSuggestion(
                            ObjectState.UNDER_WAY,
                            0.3,
                            "away from the berth; look for a wake to tell under way from anchored",
                            ev,
                        )
                    )
        return out
    if t is None:
        return out
    if m.class_name == "helicopter" and t.span_m:
        sd = math.hypot(W.sd, _sd(t, t.span_m))
        limit = 0.6 * t.span_m
        if W.value < limit:
            conf = _phi((limit - W.value) / sd) * 0.9
            out.append(
                StateSuggestion(
                    ObjectState.ROTOR_REMOVED,
                    conf,
                    f"measured span {W} is far below the {t.span_m:g} m rotor diameter of {t.name}",
                    {"span_m": W.value, "rotor_diameter_m": t.span_m},
                )
            )
            ref = t.length_m
            if ref and L.value < 0.85 * ref:
                z = (0.85 * ref - L.value) / math.hypot(L.sd, _sd(t, ref))
                out.append(
                    StateSuggestion(
                        ObjectState.DISMANTLED,
                        _phi(z) * 0.6,
                        f"measured length {L} also well below {ref:g} m (with rotors): "
                        "tail boom or blades off?",
                        {"length_m": L.value, "type_length_m": ref},
                    )
                )
    if m.class_name == "aircraft" and t.length_m:
        sd = math.hypot(L.sd, _sd(t, t.length_m))
        z = (L.value - t.length_m) / sd
        if z > 2.0 and (t.nose_door or t.rear_ramp):
            conf = min(0.6, 0.3 * (_phi(z - 2.0) + 0.5))
            if t.nose_door:
                out.append(
                    StateSuggestion(
                        ObjectState.NOSE_DOOR_OPEN,
                        conf,
                        f"footprint {L} longer than the {t.length_m:g} m of {t.name} (z={z:.1f}): "
                        "nose visor up and ramp down?",
                        {"length_m": L.value, "type_length_m": t.length_m, "z": z},
                    )
                )
            if t.rear_ramp:
                out.append(
                    StateSuggestion(
                        ObjectState.CARGO_DOOR_OPEN,
                        conf * 0.8,
                        f"footprint {L} longer than the {t.length_m:g} m of {t.name} (z={z:.1f}): "
                        "rear ramp lowered?",
                        {"length_m": L.value, "type_length_m": t.length_m, "z": z},
                    )
                )
        swept = t.swing_wing_span_m
        if swept and t.span_m:
            span = W.value if m.axes_known else min(W.value, L.value)
            mid = 0.5 * (swept + t.span_m)
            if span < mid:
                z2 = (mid - span) / math.hypot(W.sd, _sd(t, swept))
                out.append(
                    StateSuggestion(
                        ObjectState.WINGS_SWEPT,
                        _phi(z2) * 0.8,
                        f"span {span:.1f} m nearer the swept {swept:g} m than the spread "
                        f"{t.span_m:g} m",
                        {"span_m": span, "swept_span_m": swept, "spread_span_m": t.span_m},
                    )
                )
    if m.class_name == "vehicle" and t.length_m:
        sd = math.hypot(L.sd, _sd(t, t.length_m))
        ratio = L.value / t.length_m
        if ratio < 0.8:
            out.append(
                StateSuggestion(
                    ObjectState.ERECTED,
                    _phi((0.8 * t.length_m - L.value) / sd) * 0.6,
                    f"plan length {L} is {ratio:.0%} of the {t.length_m:g} m travel length: "
                    "canisters/antenna raised? (check the shadow)",
                    {"length_m": L.value, "travel_length_m": t.length_m},
                )
            )
        elif abs(L.value - t.length_m) < 2 * sd:
            out.append(
                StateSuggestion(
                    ObjectState.STOWED,
                    0.5,
                    f"plan length {L} matches the {t.length_m:g} m travel length",
                    {"length_m": L.value, "travel_length_m": t.length_m},
                )
            )
    return out


def suggest_absent(
    positions: Sequence[tuple[float, float]],
    seen: Iterable[tuple[float, float]],
    radius_m: float,
) -> list[tuple[int, StateSuggestion]]:
    """Prepared positions (site metres) with no detection within ``radius_m``.

    >>> res = suggest_absent([(0, 0), (100, 0)], [(2, 1)], radius_m=10)
    >>> [(i, s.state.value) for i, s in res]
    [(1, 'absent_from_position')]
    """
    pts = list(seen)
    out: list[tuple[int, StateSuggestion]] = []
    for i, (x, y) in enumerate(positions):
        near = min((math.hypot(x - a, y - b) for a, b in pts), default=math.inf)
        if near > radius_m:
            out.append(
                (
                    i,
                    StateSuggestion(
                        ObjectState.ABSENT_FROM_POSITION,
                        0.7,
                        "no detection within "
                        f"{radius_m:g} m of the position"
                        + ("" if math.isinf(near) else f" (nearest {near:.0f} m)"),
                        {"nearest_m": near if not math.isinf(near) else -1.0},
                    ),
                )
            )
    return out
