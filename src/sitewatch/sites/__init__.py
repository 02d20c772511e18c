"""Site registry: named places with a polygon or point + radius, kind, aliases, baseline."""

from sitewatch.sites.builtin import builtin_sites
from sitewatch.sites.geojson import read_sites_geojson, site_from_feature
from sitewatch.sites.model import Site, SiteKind, slugify

__all__ = [
    "Site",
    "SiteKind",
    "builtin_sites",
    "read_sites_geojson",
    "site_from_feature",
    "slugify",
]
