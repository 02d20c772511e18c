"""Measure and identify: metres, heading, type candidates from a verified catalogue, posture.

>>> from sitewatch.measure import OrientedBox, measure, rank_types
>>> m = measure(OrientedBox(0, 0, 276, 40, 0.0, "aircraft"), gsd_m=0.25)
>>> round(m.length.value, 1)
69.0
"""

from sitewatch.measure.box import OrientedBox
from sitewatch.measure.catalogue import Catalogue, EquipmentType, load_catalogue
from sitewatch.measure.describe import Description, describe
from sitewatch.measure.heading import NoseCue, nose_cue
from sitewatch.measure.identify import (
    UNKNOWN,
    Candidate,
    FamilyCandidate,
    candidates_for,
    rank_families,
    rank_types,
)
from sitewatch.measure.mensuration import (
    Estimate,
    HeadingKind,
    HeadingReference,
    Measurement,
    measure,
    measure_detection,
)
from sitewatch.measure.states import (
    ObjectState,
    StateAssignment,
    StateSource,
    StateSuggestion,
    parse_state,
    states_for,
    suggest_absent,
    suggest_states,
)

__all__ = [
    "UNKNOWN",
    "Candidate",
    "Catalogue",
    "Description",
    "EquipmentType",
    "Estimate",
    "FamilyCandidate",
    "HeadingKind",
    "HeadingReference",
    "Measurement",
    "NoseCue",
    "ObjectState",
    "OrientedBox",
    "StateAssignment",
    "StateSource",
    "StateSuggestion",
    "candidates_for",
    "describe",
    "load_catalogue",
    "measure",
    "measure_detection",
    "nose_cue",
    "parse_state",
    "rank_families",
    "rank_types",
    "states_for",
    "suggest_absent",
    "suggest_states",
]
