"""Passes in the workspace: add (idempotent by sha256), get, list per site."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import shapely
from sqlalchemy import select

from sitewatch.errors import NotFoundError
from sitewatch.imagery.model import Frame, Pass
from sitewatch.store.tables.core import PassRow, SiteRow
from sitewatch.store.workspace import Workspace

__all__ = ["AddPassResult", "add_pass", "get_pass", "list_passes"]


@dataclass(frozen=True)
class AddPassResult:
    """The stored pass and whether it was new (False: the same file was already there)."""

    pass_: Pass
    created: bool


def _to_pass(row: PassRow, slug: str) -> Pass:
    return Pass(
        id=row.id,
        site_slug=slug,
        path=row.path,
        sha256=row.sha256,
        file_size=row.file_size,
        width=row.width,
        height=row.height,
        band_count=row.band_count,
        frame=Frame(row.frame),
        gsd_m=row.gsd_m,
        acquired_at=row.acquired_at,
        sensor=row.sensor,
        crs=row.crs,
        transform=tuple(row.transform) if row.transform else None,
        footprint=shapely.from_wkt(row.footprint_wkt) if row.footprint_wkt else None,
        label=row.label,
        meta=dict(row.meta or {}),
    )


def add_pass(ws: Workspace, p: Pass) -> AddPassResult:
    """Store a pass; the same file (sha256) for the same site is a no-op."""
    with ws.session() as s:
        site = s.scalars(select(SiteRow).where(SiteRow.slug == p.site_slug)).one_or_none()
        if site is None:
            raise NotFoundError(f"unknown site {p.site_slug!r}")
        existing = s.scalars(
            select(PassRow).where(PassRow.sha256 == p.sha256, PassRow.site_id == site.id)
        ).one_or_none()
        if existing is not None:
            return AddPassResult(_to_pass(existing, site.slug), created=False)
        row = PassRow(
            site_id=site.id,
            path=p.path,
            sha256=p.sha256,
            file_size=p.file_size,
            acquired_at=p.acquired_at,
            sensor=p.sensor,
            gsd_m=p.gsd_m,
            width=p.width,
            height=p.height,
            band_count=p.band_count,
            frame=p.frame.value,
            crs=p.crs,
            transform=list(p.transform) if p.transform else None,
            footprint_wkt=p.footprint.wkt if p.footprint is not None else None,
            label=p.label,
            meta=dict(p.meta),
            created_at=datetime.now(UTC),
        )
        s.add(row)
        s.flush()
        return AddPassResult(_to_pass(row, site.slug), created=True)


def get_pass(ws: Workspace, pass_id: int) -> Pass:
    """One pass by id, or a clear error."""
    with ws.session() as s:
        row = s.get(PassRow, pass_id)
        if row is None:
            raise NotFoundError(f"no pass {pass_id}")
        site = s.get(SiteRow, row.site_id)
        assert site is not None
        return _to_pass(row, site.slug)


def list_passes(ws: Workspace, site_slug: str | None = None) -> list[Pass]:
    """Passes ordered by acquisition time (unknown dates last, then by id)."""
    with ws.session() as s:
        slugs = {r.id: r.slug for r in s.scalars(select(SiteRow))}
        q = select(PassRow)
        if site_slug is not None:
            ids = [i for i, sl in slugs.items() if sl == site_slug]
            q = q.where(PassRow.site_id.in_(ids))
        rows = list(s.scalars(q))
    far = datetime.max.replace(tzinfo=UTC)
    rows.sort(key=lambda r: (r.acquired_at or far, r.id))
    return [_to_pass(r, slugs[r.site_id]) for r in rows]
