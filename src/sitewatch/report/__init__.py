"""Briefings (HTML, PDF) and exports (GeoJSON, KML, GeoPackage, CSV, STIX 2.1).

Later stages feed both through the hooks documented in :mod:`sitewatch.report.providers`.
"""

from sitewatch.report.briefing import (
    BriefingData,
    Section,
    collect_briefing,
    render_briefing,
    render_html,
    render_pdf,
)
from sitewatch.report.providers import register_section

__all__ = [
    "BriefingData",
    "Section",
    "collect_briefing",
    "register_section",
    "render_briefing",
    "render_html",
    "render_pdf",
]
