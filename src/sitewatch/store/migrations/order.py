"""The order of sitewatch's migrations, in one place.

Each migration takes its ``down_revision`` from :func:`previous`, so the chain stays linear
while stages are developed in parallel; once every file exists this is a fixed chain.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["ORDER", "previous"]

ORDER = [
    "0001_foundation",
    "0002_tracks",
    "0003_assess",
    "0004_detections",
    "0005_change",
]

_VERSIONS = Path(__file__).resolve().parent / "versions"


def previous(revision: str) -> str | None:
    """The nearest earlier revision in :data:`ORDER` whose migration file exists."""
    idx = ORDER.index(revision)
    for rev in reversed(ORDER[:idx]):
        if (_VERSIONS / f"{rev}.py").is_file():
            return rev
    return None
