"""Where the imagery in a briefing comes from and under what terms it may be shown.

A briefing that shows pixels must say whose they are. The licence is found, in order, in the
pass's own metadata (``meta["licence"]``), else in a ``LICENSE*`` file in the image's folder
or up to two folders above it (the shared data keeps a licence beside each set), else it is
reported as not recorded — never guessed.

>>> spdx_from_title("Attribution-NonCommercial-ShareAlike 4.0 International")
'CC BY-NC-SA 4.0'
>>> spdx_from_title("Some custom terms") is None
True
>>> imagery_licence_for("/nowhere/x.jpg").licence
'licence not recorded — check the terms before publishing'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["ImageryLicence", "imagery_licence_for", "spdx_from_title"]

_NOT_RECORDED = "licence not recorded — check the terms before publishing"

# Creative Commons licence titles as their legal code opens, to the short names people cite.
_CC_PARTS = {
    "Attribution": "BY",
    "NonCommercial": "NC",
    "NoDerivatives": "ND",
    "NoDerivs": "ND",
    "ShareAlike": "SA",
}


def spdx_from_title(title: str) -> str | None:
    """The short name of a Creative Commons licence from its title line, else ``None``."""
    m = re.fullmatch(r"\s*((?:[A-Za-z]+-?)+)\s+(\d\.\d)\s+International\s*", title)
    if not m:
        return None
    parts = m.group(1).split("-")
    if not parts or any(p not in _CC_PARTS for p in parts):
        return None
    return "CC " + "-".join(_CC_PARTS[p] for p in parts) + " " + m.group(2)


@dataclass(frozen=True)
class ImageryLicence:
    """The licence and provider of one image, and the file the licence was read from."""

    licence: str
    provider: str | None
    licence_file: str | None


def _first_line(path: Path) -> str:
    with path.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.strip():
                return line.strip()
    return ""


def _provider(folder: Path) -> str | None:
    for readme in sorted(folder.glob("README*.md")):
        title = _first_line(readme).lstrip("#").strip()
        if title:
            return title
    return None


def imagery_licence_for(path: str | Path, meta: dict[str, Any] | None = None) -> ImageryLicence:
    """The licence of the image at ``path`` (see the module docstring for the search order)."""
    if meta and meta.get("licence"):
        return ImageryLicence(str(meta["licence"]), meta.get("provider"), None)
    folder = Path(path).parent
    for candidate in (folder, folder.parent, folder.parent.parent):
        files = sorted(candidate.glob("LICEN[CS]E*")) if candidate.is_dir() else []
        for lic in files:
            title = _first_line(lic)
            return ImageryLicence(
                spdx_from_title(title) or title or _NOT_RECORDED, _provider(candidate), lic.name
            )
    return ImageryLicence(_NOT_RECORDED, None, None)
