"""Briefings (HTML) and, later, PDF and exports."""

from sitewatch.report.briefing import BriefingData, Section, collect_briefing, render_briefing

__all__ = ["BriefingData", "Section", "collect_briefing", "render_briefing"]
