"""The equipment catalogue: types, their dimensions, and where every figure comes from.

The catalogue is the project's own file ``sitewatch/measure/data/catalogue.csv`` (one row a type),
loaded with :mod:`importlib.resources`. Each dimension has its own source column and status:

``verified``
    the figure was read in the cited public source during the catalogue's verification pass;
``cited``
    carried from the case facts (``case-syria-2024/equipment.csv``) with the source given there,
    not re-read in the verification pass;
``estimated``
    derived from a public but non-authoritative source — the bounding box of a flight
    simulator's 3D model of the system — where no published figure was found; it ranks
    candidates (with a widened spread), it is not a figure to report;
``unverified``
    no public source confirming the figure was found; the cited URL is where to check it.

Dimensions: ``length_m`` overall length (helicopters: with rotors turning when known, see
``length_basis``), ``span_m`` what the box's short side measures from above — wingspan, main
rotor diameter, ship's beam or vehicle width (``span_kind`` says which), ``height_m``.

>>> cat = load_catalogue()
>>> an124 = cat.get("An-124")
>>> an124.class_name, an124.length_m is not None
('aircraft', True)
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

__all__ = [
    "CLASSES",
    "DIMENSIONS",
    "STATUSES",
    "Catalogue",
    "EquipmentType",
    "load_catalogue",
]

CLASSES = ("aircraft", "helicopter", "ship", "vehicle")
DIMENSIONS = ("length", "span", "height")
STATUSES = ("verified", "cited", "estimated", "unverified")


def _num(text: str) -> float | None:
    text = text.strip()
    return float(text) if text else None


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


@dataclass(frozen=True)
class EquipmentType:
    """One catalogue row."""

    name: str
    class_name: str
    family: str
    category: str
    origin: str
    aliases: tuple[str, ...]
    nato_name: str
    length_m: float | None
    span_m: float | None
    height_m: float | None
    span_kind: str
    variant_sd_m: float | None
    sources: dict[str, str] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)
    features: str = ""
    notes: str = ""
    nose_door: bool = False
    rear_ramp: bool = False
    swing_wing_span_m: float | None = None
    fuselage_length_m: float | None = None

    @property
    def verified(self) -> bool:
        """Whether every figure the row gives was read in its source.

        >>> load_catalogue().get("Il-76MD").verified
        True
        """
        return all(
            self.status.get(d) == "verified"
            for d in DIMENSIONS
            if getattr(self, f"{d}_m") is not None
        )

    def names(self) -> tuple[str, ...]:
        """The name and its aliases."""
        return (self.name, *self.aliases)

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return {
            "name": self.name,
            "class": self.class_name,
            "family": self.family,
            "category": self.category,
            "origin": self.origin,
            "aliases": list(self.aliases),
            "nato_name": self.nato_name,
            "length_m": self.length_m,
            "span_m": self.span_m,
            "span_kind": self.span_kind,
            "height_m": self.height_m,
            "sources": dict(self.sources),
            "status": dict(self.status),
            "features": self.features,
            "notes": self.notes,
        }


class Catalogue:
    """The loaded catalogue: iterate it, filter by class, look types up by any name."""

    def __init__(self, types: list[EquipmentType]) -> None:
        self.types = types
        self._index: dict[str, EquipmentType] = {}
        for t in types:
            for n in t.names():
                self._index.setdefault(_key(n), t)

    def __iter__(self) -> Iterator[EquipmentType]:
        return iter(self.types)

    def __len__(self) -> int:
        return len(self.types)

    def of_class(self, class_name: str | None) -> list[EquipmentType]:
        """Types of one detector class (all types for ``None``).

        >>> all(t.class_name == "ship" for t in load_catalogue().of_class("ship"))
        True
        """
        return [t for t in self.types if class_name is None or t.class_name == class_name]

    def get(self, name: str) -> EquipmentType:
        """A type by name or alias (case, spaces and punctuation ignored).

        >>> load_catalogue().get("an 124").name
        'Antonov An-124-100 Ruslan'
        """
        try:
            return self._index[_key(name)]
        except KeyError:
            hits = [t for t in self.types if any(_key(name) in _key(n) for n in t.names())]
            if len(hits) == 1:
                return hits[0]
            raise KeyError(name) from None


def _row(r: dict[str, str]) -> EquipmentType:
    aliases = tuple(a.strip() for a in r["aliases"].split(";") if a.strip())
    return EquipmentType(
        name=r["name"].strip(),
        class_name=r["class"].strip(),
        family=r["family"].strip() or r["name"].strip(),
        category=r["category"].strip(),
        origin=r["origin"].strip(),
        aliases=aliases,
        nato_name=r["nato_name"].strip(),
        length_m=_num(r["length_m"]),
        span_m=_num(r["span_m"]),
        height_m=_num(r["height_m"]),
        span_kind=r["span_kind"].strip(),
        variant_sd_m=_num(r["variant_sd_m"]),
        sources={d: r[f"{d}_source"].strip() for d in DIMENSIONS},
        status={d: r[f"{d}_status"].strip() for d in DIMENSIONS},
        features=r["features"].strip(),
        notes=r["notes"].strip(),
        nose_door=r["nose_door"].strip().lower() in ("1", "yes", "true"),
        rear_ramp=r["rear_ramp"].strip().lower() in ("1", "yes", "true"),
        swing_wing_span_m=_num(r["swept_span_m"]),
        fuselage_length_m=_num(r["fuselage_length_m"]),
    )


def parse_catalogue(text: str) -> Catalogue:
    """Parse catalogue CSV text (comment lines start with ``#``)."""
    lines = [ln for ln in text.splitlines() if not ln.startswith("#")]
    return Catalogue([_row(r) for r in csv.DictReader(io.StringIO("\n".join(lines)))])


@lru_cache(maxsize=1)
def load_catalogue() -> Catalogue:
    """The bundled catalogue (read once)."""
    ref = resources.files("sitewatch.measure") / "data" / "catalogue.csv"
    return parse_catalogue(ref.read_text(encoding="utf-8"))
