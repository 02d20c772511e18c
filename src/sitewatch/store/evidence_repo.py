"""Evidence items in the workspace: add (idempotent), read, filter, grade and edit with history."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sitewatch.errors import InputError, NotFoundError
from sitewatch.evidence.archive import archive_record
from sitewatch.evidence.links import EvidenceLink, LinkKind, check_link
from sitewatch.evidence.model import EvidenceItem, EvidenceKind, Grade
from sitewatch.store.tables.assess import EvidenceLinkRow
from sitewatch.store.tables.core import EvidenceHistoryRow, EvidenceRow, SiteRow
from sitewatch.store.workspace import Workspace

__all__ = [
    "AddResult",
    "HistoryEntry",
    "add_evidence",
    "add_link",
    "attach_archive",
    "get_evidence",
    "grade_evidence",
    "history",
    "list_evidence",
    "list_links",
    "remove_link",
    "update_evidence",
]


@dataclass(frozen=True)
class AddResult:
    """Ids of items inserted and of items skipped because the same origin was imported before."""

    added: list[int]
    skipped: list[int]


@dataclass(frozen=True)
class HistoryEntry:
    """One recorded edit."""

    changed_at: datetime
    changed_by: str
    field: str
    old_value: Any
    new_value: Any
    reason: str | None


def _slug_map(s: Session) -> dict[int, str]:
    return {r.id: r.slug for r in s.scalars(select(SiteRow))}


def _to_item(row: EvidenceRow, slugs: dict[int, str]) -> EvidenceItem:
    return EvidenceItem(
        id=row.id,
        kind=EvidenceKind(row.kind),
        claim=row.claim,
        grade=Grade(row.reliability, row.credibility),
        grade_rationale=row.grade_rationale,
        time_start=row.time_start,
        time_end=row.time_end,
        reported_at=row.reported_at,
        place=row.place,
        site_slug=slugs.get(row.site_id) if row.site_id is not None else None,
        lon=row.lon,
        lat=row.lat,
        source=row.source,
        source_type=row.source_type,
        url=row.url,
        tags=tuple(row.tags or ()),
        archive_sha256=row.archive_sha256,
        archive_path=row.archive_path,
        origin=row.origin,
        origin_key=row.origin_key,
        meta=dict(row.meta or {}),
    )


def add_evidence(ws: Workspace, items: Iterable[EvidenceItem]) -> AddResult:
    """Insert items in one transaction; an item whose ``origin_key`` exists is skipped."""
    added: list[int] = []
    skipped: list[int] = []
    now = datetime.now(UTC)
    with ws.session() as s:
        ids = {slug: i for i, slug in _slug_map(s).items()}
        for item in items:
            if item.origin_key:
                existing = s.scalars(
                    select(EvidenceRow.id).where(EvidenceRow.origin_key == item.origin_key)
                ).first()
                if existing is not None:
                    skipped.append(existing)
                    continue
            site_id = None
            if item.site_slug is not None:
                if item.site_slug not in ids:
                    raise NotFoundError(f"evidence names unknown site {item.site_slug!r}")
                site_id = ids[item.site_slug]
            row = EvidenceRow(
                kind=item.kind.value,
                claim=item.claim,
                time_start=item.time_start,
                time_end=item.time_end,
                reported_at=item.reported_at,
                place=item.place,
                site_id=site_id,
                lon=item.lon,
                lat=item.lat,
                source=item.source,
                source_type=item.source_type,
                url=item.url,
                reliability=item.grade.reliability,
                credibility=item.grade.credibility,
                grade_rationale=item.grade_rationale,
                tags=list(item.tags),
                archive_sha256=item.archive_sha256,
                archive_path=item.archive_path,
                origin=item.origin,
                origin_key=item.origin_key,
                meta=dict(item.meta),
                created_at=now,
                updated_at=now,
            )
            s.add(row)
            s.flush()
            added.append(row.id)
    return AddResult(added, skipped)


def get_evidence(ws: Workspace, evidence_id: int) -> EvidenceItem:
    """One item by id, or a clear error."""
    with ws.session() as s:
        row = s.get(EvidenceRow, evidence_id)
        if row is None:
            raise NotFoundError(f"no evidence item {evidence_id}")
        return _to_item(row, _slug_map(s))


def list_evidence(
    ws: Workspace,
    *,
    kind: EvidenceKind | None = None,
    site: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    min_grade: Grade | None = None,
) -> list[EvidenceItem]:
    """Items ordered by time then id, filtered by kind, site slug, time window and grade.

    ``min_grade`` keeps items at least that good on both axes (B2 keeps A1…B2).
    """
    with ws.session() as s:
        slugs = _slug_map(s)
        q = select(EvidenceRow)
        if kind is not None:
            q = q.where(EvidenceRow.kind == kind.value)
        if site is not None:
            ids = [i for i, sl in slugs.items() if sl == site]
            q = q.where(EvidenceRow.site_id.in_(ids))
        if until is not None:
            q = q.where(EvidenceRow.time_start <= until)
        if min_grade is not None:
            q = q.where(EvidenceRow.reliability <= min_grade.reliability)
            q = q.where(EvidenceRow.credibility <= min_grade.credibility)
        rows = list(s.scalars(q))
        if since is not None:
            rows = [r for r in rows if (r.time_end or r.time_start or since) >= since]
        far = datetime.max.replace(tzinfo=UTC)
        rows.sort(key=lambda r: (r.time_start or far, r.id))
        return [_to_item(r, slugs) for r in rows]


_EDITABLE = {
    "claim",
    "place",
    "source",
    "source_type",
    "url",
    "grade_rationale",
    "tags",
    "lon",
    "lat",
    "reported_at",
    "time_start",
    "time_end",
    "archive_sha256",
    "archive_path",
    "kind",
}


def _record(s: Session, row: EvidenceRow, field: str, new: Any, who: str, why: str | None) -> None:
    old = getattr(row, field)
    if old == new:
        return

    def js(v: Any) -> Any:
        return v.isoformat() if isinstance(v, datetime) else v

    s.add(
        EvidenceHistoryRow(
            evidence_id=row.id,
            changed_at=datetime.now(UTC),
            changed_by=who,
            field=field,
            old_value=js(old),
            new_value=js(new),
            reason=why,
        )
    )
    setattr(row, field, new)


def update_evidence(
    ws: Workspace, evidence_id: int, *, user: str, reason: str | None = None, **changes: Any
) -> EvidenceItem:
    """Edit fields of an item; each changed field is written to the history first."""
    unknown = set(changes) - _EDITABLE
    if unknown:
        raise InputError(
            f"cannot edit {', '.join(sorted(unknown))}",
            field="field",
            expected=", ".join(sorted(_EDITABLE)),
        )
    with ws.session() as s:
        row = s.get(EvidenceRow, evidence_id)
        if row is None:
            raise NotFoundError(f"no evidence item {evidence_id}")
        for name, value in changes.items():
            if name == "kind" and isinstance(value, EvidenceKind):
                value = value.value
            if name == "tags":
                value = list(value)
            _record(s, row, name, value, user, reason)
        row.updated_at = datetime.now(UTC)
        s.flush()
        return _to_item(row, _slug_map(s))


def grade_evidence(
    ws: Workspace, evidence_id: int, grade: Grade, *, rationale: str, user: str
) -> EvidenceItem:
    """Set an item's Admiralty grade with a rationale; the previous grade stays in history."""
    with ws.session() as s:
        row = s.get(EvidenceRow, evidence_id)
        if row is None:
            raise NotFoundError(f"no evidence item {evidence_id}")
        _record(s, row, "reliability", grade.reliability, user, rationale)
        _record(s, row, "credibility", grade.credibility, user, rationale)
        _record(s, row, "grade_rationale", rationale, user, rationale)
        row.updated_at = datetime.now(UTC)
        s.flush()
        return _to_item(row, _slug_map(s))


def history(ws: Workspace, evidence_id: int) -> list[HistoryEntry]:
    """Every recorded edit of an item, oldest first."""
    with ws.session() as s:
        if s.get(EvidenceRow, evidence_id) is None:
            raise NotFoundError(f"no evidence item {evidence_id}")
        rows = s.scalars(
            select(EvidenceHistoryRow)
            .where(EvidenceHistoryRow.evidence_id == evidence_id)
            .order_by(EvidenceHistoryRow.id)
        )
        return [
            HistoryEntry(r.changed_at, r.changed_by, r.field, r.old_value, r.new_value, r.reason)
            for r in rows
        ]


def _links(s: Session) -> list[EvidenceLink]:
    rows = s.scalars(select(EvidenceLinkRow).order_by(EvidenceLinkRow.id))
    return [EvidenceLink(r.source_id, r.target_id, LinkKind(r.kind), r.note) for r in rows]


def add_link(
    ws: Workspace,
    source_id: int,
    target_id: int,
    kind: LinkKind,
    *,
    user: str,
    note: str | None = None,
) -> EvidenceLink:
    """Record that ``source_id`` corroborates / contradicts ``target_id``.

    Both items must exist; a self-link, a duplicate, a pair that would both corroborate and
    contradict, or a corroboration cycle is refused with an :class:`InputError` and nothing is
    written (see :mod:`sitewatch.evidence.links`). The link is also written to both items'
    history, so ``evidence history`` shows when it was made and by whom.
    """
    link = EvidenceLink(source_id, target_id, kind, note)
    with ws.session() as s:
        for eid in (source_id, target_id):
            if s.get(EvidenceRow, eid) is None:
                raise NotFoundError(f"no evidence item {eid}")
        check_link(_links(s), link)
        now = datetime.now(UTC)
        s.add(
            EvidenceLinkRow(
                source_id=source_id,
                target_id=target_id,
                kind=kind.value,
                note=note,
                created_at=now,
                created_by=user,
            )
        )
        for eid in (source_id, target_id):
            s.add(
                EvidenceHistoryRow(
                    evidence_id=eid,
                    changed_at=now,
                    changed_by=user,
                    field="link",
                    old_value=None,
                    new_value=f"{source_id} {kind.value} {target_id}",
                    reason=note,
                )
            )
        s.flush()
    return link


def remove_link(
    ws: Workspace, source_id: int, target_id: int, kind: LinkKind, *, user: str, reason: str
) -> None:
    """Delete a link (contradiction matches either direction); the removal stays in history."""
    with ws.session() as s:
        q = select(EvidenceLinkRow).where(EvidenceLinkRow.kind == kind.value)
        rows = [
            r
            for r in s.scalars(q)
            if (r.source_id, r.target_id) == (source_id, target_id)
            or (
                kind is LinkKind.CONTRADICTS
                and (r.target_id, r.source_id) == (source_id, target_id)
            )
        ]
        if not rows:
            raise NotFoundError(f"no link {source_id} {kind.value} {target_id}")
        now = datetime.now(UTC)
        for r in rows:
            text = f"{r.source_id} {r.kind} {r.target_id}"
            for eid in (r.source_id, r.target_id):
                s.add(
                    EvidenceHistoryRow(
                        evidence_id=eid,
                        changed_at=now,
                        changed_by=user,
                        field="link",
                        old_value=text,
                        new_value=None,
                        reason=reason,
                    )
                )
            s.delete(r)


def list_links(ws: Workspace, evidence_id: int | None = None) -> list[EvidenceLink]:
    """Links in a stable order (source, target, kind); only those touching an item if given."""
    with ws.session() as s:
        links = _links(s)
    if evidence_id is not None:
        links = [lk for lk in links if evidence_id in (lk.source_id, lk.target_id)]
    return sorted(links, key=lambda lk: (lk.source_id, lk.target_id, lk.kind.value))


def attach_archive(
    ws: Workspace, evidence_id: int, path: str | Path, *, user: str, reason: str | None = None
) -> EvidenceItem:
    """Record a local copy of an item's source: its sha256 and absolute path (with history).

    The file is hashed where it lies, not copied: the archive folder is the analyst's to keep.
    """
    rec = archive_record(path)
    get_evidence(ws, evidence_id)  # a clear NotFoundError before anything is written
    return update_evidence(
        ws,
        evidence_id,
        user=user,
        reason=reason or f"archived local copy ({rec.size} bytes)",
        archive_sha256=rec.sha256,
        archive_path=rec.path,
    )
