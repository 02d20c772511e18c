"""Posture and state suggestions."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from sitewatch.measure.box import OrientedBox
from sitewatch.measure.catalogue import load_catalogue
from sitewatch.measure.describe import describe
from sitewatch.measure.mensuration import measure
from sitewatch.measure.states import (
    ObjectState,
    StateSource,
    parse_state,
    states_for,
    suggest_absent,
    suggest_states,
)


def test_vocabulary_round_trips_and_is_class_specific() -> None:
    for s in ObjectState:
        assert ObjectState(s.value) is s
        assert s.applies_to
    assert ObjectState.ROTOR_REMOVED in states_for("helicopter")
    assert ObjectState.ROTOR_REMOVED not in states_for("ship")
    assert {ObjectState.AT_BERTH, ObjectState.UNDER_WAY, ObjectState.AT_ANCHOR} <= set(
        states_for("ship")
    )
    assert {ObjectState.ERECTED, ObjectState.STOWED} <= set(states_for("vehicle"))
    assert {ObjectState.NOSE_DOOR_OPEN, ObjectState.COVERED, ObjectState.BEING_LOADED} <= set(
        states_for("aircraft")
    )
    assert StateSource("analyst") is StateSource.ANALYST


def test_helicopter_far_below_rotor_diameter_suggests_rotor_removed() -> None:
    mi8 = load_catalogue().get("Mi-8AMTSh")
    stripped = measure(OrientedBox(0, 0, 74, 11, 0.0, "helicopter"), gsd_m=0.25)  # 18.5 x 2.75 m
    sug = suggest_states(stripped, mi8)
    assert sug[0].state is ObjectState.ROTOR_REMOVED
    assert sug[0].confidence > 0.8 and "rotor" in sug[0].reason
    whole = measure(OrientedBox(0, 0, 100, 85, 0.0, "helicopter"), gsd_m=0.25)  # 25 x 21 m
    assert suggest_states(whole, mi8) == []


def test_long_an124_footprint_suggests_open_doors() -> None:
    an124 = load_catalogue().get("An-124")
    m = measure(OrientedBox(0, 0, 300, 290, 0.0, "aircraft"), gsd_m=0.25)  # 75 m long
    states = {s.state for s in suggest_states(m, an124)}
    assert ObjectState.NOSE_DOOR_OPEN in states and ObjectState.CARGO_DOOR_OPEN in states
    normal = measure(OrientedBox(0, 0, 276, 293, 0.0, "aircraft"), gsd_m=0.25)
    assert suggest_states(normal, an124) == []


def test_swing_wing_swept() -> None:
    su24 = load_catalogue().get("Su-24M")
    m = measure(OrientedBox(0, 0, 91, 42, 0.0, "aircraft"), gsd_m=0.25)  # 22.75 x 10.5 m
    assert any(s.state is ObjectState.WINGS_SWEPT for s in suggest_states(m, su24))


def test_ship_berth_and_under_way() -> None:
    m = measure(OrientedBox(0, 0, 500, 60, 0.0, "ship"), gsd_m=0.25)
    assert suggest_states(m, None, berth_distance_m=5)[0].state is ObjectState.AT_BERTH
    assert (
        suggest_states(m, None, berth_distance_m=2000, wake=True)[0].state is ObjectState.UNDER_WAY
    )
    assert (
        suggest_states(m, None, berth_distance_m=2000, wake=False)[0].state is ObjectState.AT_ANCHOR
    )
    both = {s.state for s in suggest_states(m, None, berth_distance_m=2000)}
    assert both == {ObjectState.AT_ANCHOR, ObjectState.UNDER_WAY}


def test_absent_from_position() -> None:
    res = suggest_absent([(0, 0), (50, 0), (100, 0)], [(1, 1), (99, 2)], radius_m=10)
    assert [i for i, _ in res] == [1]
    assert res[0][1].state is ObjectState.ABSENT_FROM_POSITION


def test_suggestions_serialise() -> None:
    mi8 = load_catalogue().get("Mi-17")
    m = measure(OrientedBox(0, 0, 74, 11, 0.0, "helicopter"), gsd_m=0.25)
    d = suggest_states(m, mi8)[0].as_dict()
    assert d["state"] == "rotor_removed" and 0 < d["confidence"] <= 1


def test_parse_state_for_review() -> None:
    assert parse_state("Nose door open", "aircraft") is ObjectState.NOSE_DOOR_OPEN
    with pytest.raises(ValueError, match="does not apply"):
        parse_state("rotor_removed", "ship")
    with pytest.raises(ValueError, match="unknown state"):
        parse_state("on fire")


def test_describe_a_detection() -> None:
    det = SimpleNamespace(
        class_name="ship", score=0.9, cx=0, cy=0, length_px=499, width_px=61, angle_deg=10
    )
    d = describe(det, gsd_m=0.25, berth_distance_m=3.0).as_dict()
    assert d["candidates"][0]["name"] == "Admiral Grigorovich-class frigate"
    assert d["suggested_states"][0]["state"] == "at_berth"
    assert d["heading_kind"] == "axial"
