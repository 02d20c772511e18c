"""Ready-made STAC catalogue profiles: where to search, which collection, which asset to read.

A profile saves a user from remembering catalogue URLs and asset keys, and carries a plain
statement of what the imagery can and cannot show — a 10 m pixel is not a 0.3 m pixel, and a
briefing must not pretend otherwise.

>>> p = get_profile("earth-search")
>>> p.url, p.collection, p.asset
('https://earth-search.aws.element84.com/v1', 'sentinel-2-l2a', 'visual')
>>> get_profile("maxar-open-data").static
True
>>> get_profile("https://example.org/stac").name    # any URL is an ad hoc profile
'custom'
>>> get_profile("nope")
Traceback (most recent call last):
...
sitewatch.errors.InputError: field '--catalog': unknown catalogue 'nope' (expected \
earth-search, maxar-open-data or an http(s) URL / path to a STAC catalogue)
"""

from __future__ import annotations

from dataclasses import dataclass

from sitewatch.errors import InputError

__all__ = ["DEFAULT_PROFILE", "PROFILES", "CatalogProfile", "get_profile"]


@dataclass(frozen=True)
class CatalogProfile:
    """A STAC catalogue and how sitewatch reads passes from it.

    Parameters
    ----------
    name
        Short name used on the command line (``--catalog earth-search``).
    url
        Root of the STAC API (landing page) or of the static catalogue (``catalog.json``).
    collection
        Default collection to search, or ``None`` for every collection.
    asset
        Asset key holding the 8-bit RGB Cloud-Optimised GeoTIFF a pass is cut from.
    static
        ``True`` for a static catalogue (no ``/search`` endpoint: sitewatch walks it, pruning
        sub-catalogues whose extent misses the site or the dates).
    gsd_m
        Typical ground sample distance, metres (the item's own value wins).
    note
        What this imagery can and cannot show; printed with search results.
    """

    name: str
    url: str
    collection: str | None
    asset: str
    static: bool
    gsd_m: float | None
    note: str


PROFILES: dict[str, CatalogProfile] = {
    "earth-search": CatalogProfile(
        name="earth-search",
        url="https://earth-search.aws.element84.com/v1",
        collection="sentinel-2-l2a",
        asset="visual",
        static=False,
        gsd_m=10.0,
        note=(
            "Sentinel-2 L2A true colour at 10 m: large aircraft (transports, bombers) and ships "
            "show as blobs, not types — a few pixels long, enough to count presence at a runway "
            "or quay, never to tell an Il-76 from an An-124. Fighters and helicopters are "
            "usually invisible."
        ),
    ),
    "maxar-open-data": CatalogProfile(
        name="maxar-open-data",
        url="https://maxar-opendata.s3.amazonaws.com/events/catalog.json",
        collection=None,
        asset="visual",
        static=True,
        gsd_m=0.3,
        note=(
            "Maxar Open Data: 0.3–0.5 m pansharpened ARD tiles, released for disaster events only "
            "(CC BY-NC 4.0) — sharp enough for aircraft and ship types, but coverage of a given "
            "military site is rare and event-driven."
        ),
    ),
}

DEFAULT_PROFILE = "earth-search"


def get_profile(catalog: str | None = None) -> CatalogProfile:
    """The profile named ``catalog``, an ad hoc one for a URL or path, or the default.

    A URL ending in ``.json`` is taken as a static catalogue, anything else as a STAC API;
    searching checks the catalogue's conformance classes and falls back to walking it.
    """
    if catalog is None:
        return PROFILES[DEFAULT_PROFILE]
    if catalog in PROFILES:
        return PROFILES[catalog]
    for prof in PROFILES.values():
        if catalog.rstrip("/") == prof.url:
            return prof
    if "://" in catalog or catalog.endswith(".json"):
        return CatalogProfile(
            name="custom",
            url=catalog,
            collection=None,
            asset="visual",
            static=catalog.endswith(".json"),
            gsd_m=None,
            note="",
        )
    raise InputError(
        f"unknown catalogue {catalog!r}",
        field="--catalog",
        expected=f"{', '.join(PROFILES)} or an http(s) URL / path to a STAC catalogue",
    )
