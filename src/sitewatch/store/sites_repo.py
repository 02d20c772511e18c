"""Sites in the workspace: add, find by any name, list, set baseline."""

from __future__ import annotations

from datetime import UTC, datetime

import shapely
from sqlalchemy import select

from sitewatch.errors import NotFoundError, SitewatchError
from sitewatch.sites.model import Site, SiteKind
from sitewatch.store.tables.core import PassRow, SiteRow
from sitewatch.store.workspace import Workspace

__all__ = ["add_site", "find_site", "get_site", "list_sites", "set_baseline", "update_site"]


def _to_site(row: SiteRow) -> Site:
    return Site(
        id=row.id,
        slug=row.slug,
        name=row.name,
        kind=SiteKind(row.kind),
        geometry=shapely.from_wkt(row.geometry_wkt) if row.geometry_wkt else None,
        radius_m=row.radius_m,
        aliases=tuple(row.aliases or ()),
        country=row.country,
        approximate=row.approximate,
        source=row.source,
        properties=dict(row.properties or {}),
        baseline_pass_id=row.baseline_pass_id,
    )


def _fill(row: SiteRow, site: Site) -> None:
    row.slug = site.slug
    row.name = site.name
    row.kind = site.kind.value
    row.country = site.country
    row.geometry_wkt = site.geometry.wkt if site.geometry is not None else None
    row.radius_m = site.radius_m
    row.approximate = site.approximate
    row.aliases = list(site.aliases)
    row.properties = dict(site.properties)
    row.source = site.source


def add_site(ws: Workspace, site: Site) -> Site:
    """Insert a site; its slug and every alias must not name another site already."""
    with ws.session() as s:
        for name in site.names():
            other = _lookup(s, name)
            if other is not None:
                raise SitewatchError(
                    f"site name {name!r} is already used by site {other.slug!r}; "
                    "choose another slug or update that site"
                )
        row = SiteRow(created_at=datetime.now(UTC))
        _fill(row, site)
        s.add(row)
        s.flush()
        return _to_site(row)


def update_site(ws: Workspace, site: Site) -> Site:
    """Replace the stored fields of the site with the same slug."""
    with ws.session() as s:
        row = s.scalars(select(SiteRow).where(SiteRow.slug == site.slug)).one_or_none()
        if row is None:
            raise NotFoundError(f"no site {site.slug!r}")
        _fill(row, site)
        s.flush()
        return _to_site(row)


def _lookup(s: object, name: str) -> SiteRow | None:
    from sqlalchemy.orm import Session

    assert isinstance(s, Session)
    key = name.strip().lower()
    row = s.scalars(select(SiteRow).where(SiteRow.slug == key)).one_or_none()
    if row is not None:
        return row
    for cand in s.scalars(select(SiteRow)):
        if key == cand.name.lower() or key in (a.lower() for a in cand.aliases or ()):
            return cand
    return None


def find_site(ws: Workspace, name: str | int) -> Site | None:
    """The site called ``name`` (slug, name, alias, case-insensitive, or numeric id), or None."""
    with ws.session() as s:
        if isinstance(name, int) or (isinstance(name, str) and name.isdigit()):
            row = s.get(SiteRow, int(name))
        else:
            row = _lookup(s, name)
        return _to_site(row) if row is not None else None


def get_site(ws: Workspace, name: str | int) -> Site:
    """Like :func:`find_site` but raises a clear error naming the known sites."""
    site = find_site(ws, name)
    if site is None:
        known = ", ".join(x.slug for x in list_sites(ws))
        raise NotFoundError(f"unknown site {name!r}; known sites: {known}")
    return site


def list_sites(ws: Workspace) -> list[Site]:
    """All sites, in the order they were added."""
    with ws.session() as s:
        return [_to_site(r) for r in s.scalars(select(SiteRow).order_by(SiteRow.id))]


def set_baseline(ws: Workspace, site: str | int, pass_id: int) -> Site:
    """Make ``pass_id`` (a pass of that site) the site's baseline pass."""
    target = get_site(ws, site)
    with ws.session() as s:
        p = s.get(PassRow, pass_id)
        if p is None or p.site_id != target.id:
            raise NotFoundError(f"pass {pass_id} is not a pass of site {target.slug!r}")
        row = s.get(SiteRow, target.id)
        assert row is not None
        row.baseline_pass_id = pass_id
        s.flush()
        return _to_site(row)
