"""Who an aircraft is: the military flag from ICAO 24-bit address blocks, or a user list.

ICAO allocates 24-bit addresses to states (Annex 10, Vol. III); several states use a sub-block
for military aircraft. The blocks below are those that open-source ADS-B tools and hobbyist
lists commonly flag as military; those lists disagree at the edges (e.g. the US block is given
as starting at AD F7C7 or AD F7C8), they are **not** an ICAO publication and not exhaustive —
notably Russia has no documented military sub-block, so Russian military aircraft need the
user list (``sitewatch tracks activity --military-list FILE``).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

__all__ = ["MILITARY_BLOCKS", "is_military", "military_flags"]

#: (first, last, who) — inclusive address ranges treated as military.
MILITARY_BLOCKS: tuple[tuple[int, int, str], ...] = (
    (0xADF7C8, 0xAFFFFF, "United States military"),
    (0x43C000, 0x43CFFF, "United Kingdom military"),
    (0x3AA000, 0x3AFFFF, "France military"),
    (0x3B7000, 0x3BFFFF, "France military"),
    (0x3EA000, 0x3EBFFF, "Germany military"),
    (0x3F4000, 0x3FBFFF, "Germany military"),
    (0x33FF00, 0x33FFFF, "Italy military"),
    (0x350000, 0x37FFFF, "Spain military"),
    (0x480000, 0x480FFF, "Netherlands military"),
    (0x44F000, 0x44FFFF, "Belgium military"),
    (0x4B7000, 0x4B7FFF, "Switzerland military"),
    (0x738A00, 0x738AFF, "Israel military"),
    (0x7CF800, 0x7CFAFF, "Australia military"),
)


def is_military(icao24: str | None, extra: Iterable[str] = ()) -> bool:
    """Whether an address falls in a military block or the user's list.

    Examples
    --------
    >>> is_military("ae0455"), is_military("4b1901"), is_military("15abcd", ["15ABCD"])
    (True, False, True)
    >>> is_military(None), is_military("zzz")
    (False, False)
    """
    if not icao24:
        return False
    key = icao24.strip().lower()
    if key in {x.strip().lower() for x in extra}:
        return True
    try:
        a = int(key, 16)
    except ValueError:
        return False
    return any(lo <= a <= hi for lo, hi, _ in MILITARY_BLOCKS)


def military_flags(icao24: pd.Series, extra: Iterable[str] = ()) -> pd.Series:
    """:func:`is_military` over a column (computed once per distinct address).

    Examples
    --------
    >>> military_flags(pd.Series(["ae0455", "4b1901"])).tolist()
    [True, False]
    """
    user = list(extra)
    flags = {a: is_military(a, user) for a in icao24.dropna().unique()}
    return icao24.map(flags).fillna(False).astype(bool)
