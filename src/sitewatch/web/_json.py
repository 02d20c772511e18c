"""Turn domain objects (dataclasses, enums, shapely geometries, UTC times) into JSON data.

The web API never hand-writes a field list for records owned by other packages: a dataclass
is serialised field by field, so a field added upstream shows up in the API without an edit
here.

>>> from datetime import UTC, datetime
>>> from sitewatch.evidence import Grade
>>> to_jsonable({"when": datetime(2024, 12, 13, tzinfo=UTC), "grade": Grade("B", 2)})
{'when': '2024-12-13T00:00:00+00:00', 'grade': 'B2'}
>>> to_jsonable((1, {2, }))
[1, [2]]
>>> import shapely
>>> to_jsonable(shapely.Point(35.9, 35.4))
{'type': 'Point', 'coordinates': [35.9, 35.4]}
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from sitewatch.evidence.model import Grade

__all__ = ["to_jsonable"]


def _geometry(geom: BaseGeometry) -> dict[str, Any]:
    out: dict[str, Any] = to_jsonable(dict(mapping(geom)))
    return out


def to_jsonable(value: Any) -> Any:
    """Plain JSON data (dict, list, str, number, bool, None) from a domain value.

    Datetimes become ISO 8601 strings with their offset, enums their value, grades their
    ``"B2"`` text, geometries GeoJSON, and NaN/infinite floats ``None``. A dataclass with a
    ``to_dict`` method gets its fields plus what ``to_dict`` returns.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Grade):
        return str(value)
    if isinstance(value, BaseGeometry):
        return _geometry(value)
    if isinstance(value, Path):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        own = getattr(value, "to_dict", None)
        if callable(own):
            # the owner's own JSON shape wins where it renames fields; the rest stay
            out.update(to_jsonable(own()))
        return out
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else value
        return [to_jsonable(v) for v in items]
    if hasattr(value, "to_dict") and callable(value.to_dict):
        return to_jsonable(value.to_dict())
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return to_jsonable(value.item())
    return str(value)
