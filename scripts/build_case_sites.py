"""Write sitewatch's own case-site file from the sourced facts in ../shared/data.

Run once by a maintainer when the fact base changes:
``python scripts/build_case_sites.py ../shared/data/case-syria-2024/sites.geojson``.
The output keeps each site's coordinates *with* their source and the approximate flags; the
radius is always an analyst-chosen buffer, never a surveyed perimeter.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SLUGS = {
    "Hmeimim": "hmeimim",
    "Tartus naval": "tartus",
    "Tartus offshore": "tartus-offshore",
    "Qamishli": "qamishli",
    "Tiyas": "tiyas",
    "Palmyra": "palmyra",
    "Shayrat": "shayrat",
    "Kuweires": "kuweires",
    "Kobani": "kobani",
    "Sarrin": "sarrin",
    "Ayn Issa": "ayn-issa",
    "Al-Khadim": "al-khadim",
    "Al-Jufra": "al-jufra",
    "Brak": "brak-al-shati",
    "Maaten": "maaten-al-sarra",
    "Tobruk": "tobruk",
}
KINDS = [
    ("anchorage", "anchorage"),
    ("naval base", "naval_base"),
    ("air base", "air_base"),
    ("outpost", "outpost"),
    ("port", "port"),
]


def main(src: Path, dst: Path) -> None:
    data = json.loads(src.read_text())
    out = []
    for feat in data["features"]:
        p = feat["properties"]
        slug = next(v for k, v in SLUGS.items() if p["name"].startswith(k))
        kind = next(v for k, v in KINDS if k in p["kind"])
        notes = " ".join(str(p.get(k, "")) for k in ("coord_source", "geometry_note"))
        reasons = []
        if feat["geometry"] is None:
            reasons.append("no sourced coordinates")
        if "approximate" in notes.lower():
            reasons.append("coordinates are an approximate reference point")
        if p.get("derived"):
            reasons.append("derived area, not a facility")
        props = {
            "slug": slug,
            "name": p["name"],
            "aliases": p.get("aliases", []),
            "kind": kind,
            "kind_note": p["kind"],
            "country": p.get("country"),
            "operator": p.get("operator"),
            "radius_m": p.get("radius_m"),
            "approximate": bool(reasons),
            "radius_note": "analyst-chosen buffer, not a surveyed perimeter"
            if p.get("radius_m")
            else None,
            "approximate_reasons": reasons,
            "coord_source": p.get("coord_source"),
            "geometry_note": p.get("geometry_note"),
            "status_2024_12": p.get("status_2024_12"),
            "status_2025_2026": p.get("status_2025_2026"),
            "facts": p.get("facts", []),
        }
        out.append({"type": "Feature", "geometry": feat["geometry"], "properties": props})
    doc = {
        "type": "FeatureCollection",
        "name": "syria-2024",
        "description": (
            "Russian sites in Syria and Libya, December 2024 case. Every coordinate and fact "
            "carries its public source; radius_m values are analyst-chosen buffers."
        ),
        "features": out,
    }
    dst.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path("src/sitewatch/sites/data/syria-2024-sites.geojson"))
