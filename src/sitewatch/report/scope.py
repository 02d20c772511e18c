"""What a briefing covers: one site, or the whole case.

``sitewatch report SITE_OR_CASE`` takes either; a case name covers every site in the
workspace (the workspace *is* the case until the assess stage brings named cases).

>>> CASE_NAMES
('case', 'all', 'syria-2024')
>>> Scope("case", "the whole case", None).covers("hmeimim")
True
>>> Scope("site", "Tartus", ("tartus",)).covers("hmeimim")
False
"""

from __future__ import annotations

from dataclasses import dataclass

from sitewatch.errors import NotFoundError
from sitewatch.store import Workspace, sites_repo

__all__ = ["CASE_NAMES", "Scope", "resolve_scope"]

#: Names that mean "the whole case"; ``syria-2024`` is the built-in case's own name.
CASE_NAMES = ("case", "all", "syria-2024")


@dataclass(frozen=True)
class Scope:
    """A briefing's scope: ``kind`` is ``case`` or ``site``; ``site_slugs`` None = all."""

    kind: str
    label: str
    site_slugs: tuple[str, ...] | None

    def covers(self, slug: str | None) -> bool:
        """Whether a record tied to site ``slug`` belongs in this scope."""
        return self.site_slugs is None or slug in self.site_slugs


def resolve_scope(ws: Workspace, name: str) -> Scope:
    """A case name, or a site by slug, name or alias; the error lists what is accepted."""
    if name.strip().lower() in CASE_NAMES:
        return Scope("case", "the whole case", None)
    site = sites_repo.find_site(ws, name)
    if site is None:
        raise NotFoundError(
            f"no site or case called {name!r}: give a site slug, name or alias "
            f"(sitewatch sites list) or one of {', '.join(CASE_NAMES)}"
        )
    return Scope("site", site.name, (site.slug,))
