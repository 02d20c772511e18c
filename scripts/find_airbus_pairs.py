"""List pairs of Airbus sample images that show the same ground (same airport, other date).

ORB features on 640² reductions, ratio-test matches, a RANSAC similarity transform; pairs with
≥ 25 inliers are printed with the shift in full-resolution pixels. Used once to choose the
demo pair; the change stage does the full-resolution registration itself.

Usage: ``python scripts/find_airbus_pairs.py [DATA_DIR]``
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import cv2
import numpy as np

from sitewatch.config import data_dir


def find_pairs(root: Path) -> list[tuple[int, str, str, int, int]]:
    """(inliers, image a, image b, dx, dy) for every pair showing the same ground."""
    files = sorted((root / "airbus-aircraft" / "images").glob("*.jpg"))
    orb = cv2.ORB_create(3000)
    feats = []
    for f in files:
        im = cv2.imread(str(f), cv2.IMREAD_GRAYSCALE)
        im = cv2.resize(im, (640, 640), interpolation=cv2.INTER_AREA)
        feats.append(orb.detectAndCompute(im, None))
    bf = cv2.BFMatcher(cv2.NORM_HAMMING)
    found = []
    for i, j in itertools.combinations(range(len(files)), 2):
        (k1, d1), (k2, d2) = feats[i], feats[j]
        if d1 is None or d2 is None:
            continue
        pairs = [m for m in bf.knnMatch(d1, d2, k=2) if len(m) == 2]
        good = [a for a, b in pairs if a.distance < 0.8 * b.distance]
        if len(good) < 15:
            continue
        src = np.float32([k1[g.queryIdx].pt for g in good])
        dst = np.float32([k2[g.trainIdx].pt for g in good])
        m, mask = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=3)
        if m is None or int(mask.sum()) < 25:
            continue
        scale = 2560 / 640
        found.append(
            (
                int(mask.sum()),
                files[i].name,
                files[j].name,
                round(m[0, 2] * scale),
                round(m[1, 2] * scale),
            )
        )
    return sorted(found, reverse=True)


def main(root: Path) -> None:
    for inliers, a, b, dx, dy in find_pairs(root):
        print(inliers, a, b, dx, dy)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else data_dir())
