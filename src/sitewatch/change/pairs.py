"""Find which images of a collection show the same ground (same site, other dates).

Reduced-view SIFT features are extracted once per image; every pair is then tried with the
coarse similarity fit of :func:`~sitewatch.change.register.coarse_transform`, and the pairs
that agree and overlap are returned for full registration.

>>> find_candidate_pairs([])
[]
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sitewatch.change.register import (
    ImageFeatures,
    Registration,
    coarse_transform,
    extract_features,
)
from sitewatch.imagery.reader import RasterReader

__all__ = ["CandidatePair", "find_candidate_pairs", "image_features"]


@dataclass(frozen=True)
class CandidatePair:
    """Two images whose reduced views agree on a similarity transform."""

    before: Path
    after: Path
    inliers: int
    overlap: float


def image_features(
    paths: Sequence[str | Path], max_side: int = 1024, n: int = 2000
) -> list[ImageFeatures]:
    """Reduced-view features of each image, in order (``n`` per image: matching every pair
    costs n², so a search over many images uses fewer than one registration does)."""
    out = []
    for p in paths:
        with RasterReader(p) as r:
            out.append(extract_features(r, max_side, n))
    return out


def find_candidate_pairs(
    paths: Sequence[str | Path],
    *,
    min_inliers: int = 25,
    min_overlap: float = 0.02,
    features: Sequence[ImageFeatures] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[CandidatePair]:
    """Pairs (i < j, in the given order) that seem to show the same ground.

    Returns the pairs sorted by path; register each with
    :func:`~sitewatch.change.register.register_files` to confirm and refine.
    """
    if not paths:
        return []
    feats = list(features) if features is not None else image_features(paths)
    out = []
    combos = list(itertools.combinations(range(len(paths)), 2))
    for k, (i, j) in enumerate(combos):
        if progress is not None:
            progress(k, len(combos))
        found = coarse_transform(feats[i], feats[j], min_inliers)
        if found is None:
            continue
        m, n_in = found
        reg = Registration.from_matrix(m, feats[i].size, feats[j].size)
        if reg.overlap >= min_overlap:
            out.append(CandidatePair(Path(paths[i]), Path(paths[j]), n_in, reg.overlap))
    return sorted(out, key=lambda c: (str(c.before), str(c.after)))
