"""One call from a detection to what the measure stage says about it.

:func:`describe` measures a detector box, ranks catalogue types and suggests states for the most
likely type; :meth:`Description.as_dict` is JSON-ready, for the workspace's per-detection
``measurement`` record that review and reports read.

>>> from types import SimpleNamespace as NS
>>> det = NS(class_name="helicopter", score=0.8, cx=50, cy=50, length_px=74, width_px=11,
...          angle_deg=0.0)
>>> d = describe(det, gsd_m=0.25, type_name="Mi-8AMTSh")
>>> d.measurement.length.value, d.suggestions[0].state.value
(18.5, 'rotor_removed')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy.typing as npt

from sitewatch.measure.box import OrientedBox
from sitewatch.measure.catalogue import load_catalogue
from sitewatch.measure.identify import Candidate, candidates_for
from sitewatch.measure.mensuration import Measurement, measure
from sitewatch.measure.states import StateSuggestion, suggest_states

__all__ = ["Description", "describe"]


@dataclass(frozen=True)
class Description:
    """Measurement, ranked type candidates and state suggestions for one object."""

    measurement: Measurement
    candidates: tuple[Candidate, ...]
    suggestions: tuple[StateSuggestion, ...]
    type_used: str | None

    def as_dict(self, top: int = 5) -> dict[str, Any]:
        """JSON-ready; ``top`` candidates (plus *unknown*) are kept."""
        cands = list(self.candidates[:top])
        if all(c.type is not None for c in cands):
            cands += [c for c in self.candidates if c.type is None][:1]
        return {
            **self.measurement.as_dict(),
            "candidates": [c.as_dict() for c in cands],
            "type_used_for_states": self.type_used,
            "suggested_states": [s.as_dict() for s in self.suggestions],
        }


def describe(
    obj: Any,
    *,
    gsd_m: float | None = None,
    transform: Sequence[float] | None = None,
    crs: Any = None,
    image: npt.ArrayLike | None = None,
    type_name: str | None = None,
    berth_distance_m: float | None = None,
    wake: bool | None = None,
) -> Description:
    """Measure, identify and suggest states for a detection or an :class:`OrientedBox`.

    State suggestions use ``type_name`` (e.g. the analyst's type) when given, else the top
    catalogue candidate when it is a catalogue type.
    """
    box = obj if isinstance(obj, OrientedBox) else OrientedBox.from_detection(obj)
    m = measure(box, gsd_m=gsd_m, transform=transform, crs=crs, image=image)
    cands = candidates_for(m)
    t = load_catalogue().get(type_name) if type_name else cands[0].type
    sugg = suggest_states(m, t, berth_distance_m=berth_distance_m, wake=wake)
    return Description(m, tuple(cands), tuple(sugg), None if t is None else t.name)
