"""The built-in December 2024 case sites, from the project's own sourced data file."""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

from sitewatch.sites.geojson import read_sites_geojson
from sitewatch.sites.model import Site

if TYPE_CHECKING:
    from sitewatch.store.workspace import Workspace

__all__ = ["CASE_SITES_FILE", "builtin_sites", "seed_builtin_sites"]

CASE_SITES_FILE = "syria-2024-sites.geojson"


def builtin_sites() -> list[Site]:
    """The 16 case sites (Hmeimim, Tartus, …) with their sources and approximate flags.

    >>> sites = builtin_sites()
    >>> [s.slug for s in sites][:2]
    ['hmeimim', 'tartus']
    >>> next(s for s in sites if s.slug == "hmeimim").approximate
    True
    """
    ref = resources.files("sitewatch.sites") / "data" / CASE_SITES_FILE
    with resources.as_file(ref) as path:
        result = read_sites_geojson(path)
    if result.errors:  # a packaging error, not a user error
        raise RuntimeError(f"built-in site file is broken: {result.errors[0]}")
    return result.sites


def seed_builtin_sites(ws: Workspace) -> int:
    """Add the case sites that the workspace does not have yet; return how many were added."""
    from sitewatch.store import sites_repo

    added = 0
    for site in builtin_sites():
        if sites_repo.find_site(ws, site.slug) is None:
            sites_repo.add_site(ws, site)
            added += 1
    return added
