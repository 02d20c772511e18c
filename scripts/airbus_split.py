"""Split the Airbus sample by airport, not by image, and write the committed split file.

The same airports recur on several dates (and as neighbouring tiles); an image-level split
would put one date in training and another in validation. Images are linked when ORB
features match under a RANSAC similarity transform (``find_airbus_pairs.find_pairs``);
linked components are airports. Whole airports go to validation, chosen with a fixed seed
until about 20 % of the images are held out.

Usage: ``python scripts/airbus_split.py [DATA_DIR]`` → ``src/sitewatch/detect/splits/airbus.csv``
"""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from find_airbus_pairs import find_pairs

from sitewatch.config import data_dir

OUT = Path(__file__).resolve().parents[1] / "src" / "sitewatch" / "detect" / "splits" / "airbus.csv"


def main(root: Path) -> None:
    images = sorted(p.name for p in (root / "airbus-aircraft" / "images").glob("*.jpg"))
    parent = {i: i for i in images}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for _inliers, a, b, _dx, _dy in find_pairs(root):
        parent[find(a)] = find(b)
    groups: dict[str, list[str]] = {}
    for img in images:
        groups.setdefault(find(img), []).append(img)
    ordered = sorted(groups.values(), key=lambda g: sorted(g)[0])
    random.Random(2024).shuffle(ordered)
    val: set[str] = set()
    for g in ordered:
        if len(val) + len(g) > 0.22 * len(images):
            continue
        val.update(g)
        if len(val) >= 0.18 * len(images):
            break
    OUT.parent.mkdir(parents=True, exist_ok=True)
    names = {
        sorted(g)[0]: f"airport-{k:02d}"
        for k, g in enumerate(sorted(ordered, key=lambda g: sorted(g)[0]))
    }
    with OUT.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["image_id", "airport_group", "split"])
        for g in sorted(ordered, key=lambda g: sorted(g)[0]):
            gid = names[sorted(g)[0]]
            for img in sorted(g):
                w.writerow([img, gid, "val" if img in val else "train"])
    print(f"{len(groups)} airport groups; {len(val)} of {len(images)} images held out")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else data_dir())
