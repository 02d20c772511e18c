"""The equipment catalogue: every figure has a source and a status; the case types are in it."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from sitewatch.measure.catalogue import CLASSES, DIMENSIONS, STATUSES, load_catalogue

URL = re.compile(r"^https?://\S+")


def test_every_figure_has_a_source_and_status() -> None:
    missing = []
    for t in load_catalogue():
        for dim in DIMENSIONS:
            value = getattr(t, f"{dim}_m")
            src = t.sources.get(dim, "")
            status = t.status.get(dim, "")
            if value is None:
                assert not status, f"{t.name}: {dim} has a status but no value"
                continue
            parts = [p.strip() for p in src.split(" ; ")]
            if not src or not all(URL.match(p) for p in parts):
                missing.append(f"{t.name}: {dim}={value} source={src!r}")
            if status not in STATUSES:
                missing.append(f"{t.name}: {dim} status {status!r}")
    assert not missing, "figures without a usable source/status:\n" + "\n".join(missing)


def test_rows_are_well_formed() -> None:
    cat = load_catalogue()
    assert len(cat) >= 60
    names = [t.name for t in cat]
    assert len(names) == len(set(names)), "duplicate type names"
    for t in cat:
        assert t.class_name in CLASSES, t.name
        assert t.family, t.name
        for dim in DIMENSIONS:
            v = getattr(t, f"{dim}_m")
            assert v is None or 0 < v < 400, (t.name, dim, v)
        if t.class_name == "aircraft" and t.length_m and t.span_m:
            assert 0.3 < t.span_m / t.length_m < 3.5, t.name


def test_most_figures_are_verified() -> None:
    figs = [
        t.status[d]
        for t in load_catalogue()
        for d in DIMENSIONS
        if getattr(t, f"{d}_m") is not None
    ]
    verified = sum(s == "verified" for s in figs)
    assert verified / len(figs) > 0.5


def test_lookup_by_alias() -> None:
    cat = load_catalogue()
    assert cat.get("Il-76").family == "Il-76"
    assert cat.get("Project 22350").class_name == "ship"
    assert cat.get("mi-17").span_kind == "rotor diameter"
    with pytest.raises(KeyError):
        cat.get("no such aircraft")


def test_case_types_are_all_in_the_catalogue(data_root: Path) -> None:
    """Every type of the case facts file appears (by name or alias) in the catalogue."""
    cat = load_catalogue()
    with (data_root / "case-syria-2024" / "equipment.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    absent = []
    for row in rows:
        candidates = [row["name"], *[a.strip() for a in row["aliases"].split(";")]]
        if not any(_found(cat, c) for c in candidates if c):
            absent.append(row["name"])
    assert not absent, f"case types missing from the catalogue: {absent}"


def _found(cat: object, name: str) -> bool:
    try:
        cat.get(name)  # type: ignore[attr-defined]
    except KeyError:
        return False
    return True


def test_estimated_figures_carry_a_widened_spread() -> None:
    """A figure taken from a game's 3D model ranks candidates only with its own, wider spread."""
    estimated = [t for t in load_catalogue() if "estimated" in t.status.values()]
    assert {t.family for t in estimated} >= {"Pantsir", "Tor", "Buk", "S-300"}
    for t in estimated:
        assert t.variant_sd_m is not None and t.variant_sd_m >= 1.0, t.name
        assert "3D model" in t.notes, t.name
