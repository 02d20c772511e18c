"""Flight and vessel tracks: ADS-B and AIS ingest, flights and voyages, activity near a site.

Readers turn every supported file into one normalised table per domain (see :mod:`.schema`);
:mod:`.segment` cuts flights and voyages; :mod:`.activity` counts what happens at a site;
:mod:`.claims` turns that into evidence claims and indicator series; :mod:`.export` writes
GeoJSON, KML and ``traffic``-compatible frames. Storage lives in
:mod:`sitewatch.store.tracks_repo`.
"""

from sitewatch.tracks.activity import (
    AirActivity,
    SeaActivity,
    air_activity,
    fill_days,
    sea_activity,
)
from sitewatch.tracks.claims import ActivityClaim, air_claims, sea_claims
from sitewatch.tracks.readers import read_track_file
from sitewatch.tracks.schema import ReadResult
from sitewatch.tracks.segment import segment, track_summary

__all__ = [
    "ActivityClaim",
    "AirActivity",
    "ReadResult",
    "SeaActivity",
    "air_activity",
    "air_claims",
    "fill_days",
    "read_track_file",
    "sea_activity",
    "sea_claims",
    "segment",
    "track_summary",
]
