"""Routes over the evidence log: filter, read with history, grade, edit, import a file."""

from __future__ import annotations

import re
import tempfile
from dataclasses import replace
from datetime import UTC, date, datetime, time
from pathlib import Path as FsPath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, HTTPException, Path, Query, UploadFile
from pydantic import BaseModel, ConfigDict, Field, field_validator

from sitewatch.errors import NotFoundError, SitewatchError
from sitewatch.evidence import EvidenceItem, EvidenceKind, Grade, parse_evidence_file
from sitewatch.store import evidence_repo, sites_repo
from sitewatch.web._context import AppContext, actor, get_ctx
from sitewatch.web._json import to_jsonable
from sitewatch.web._sources import call_optional

__all__ = ["EvidenceEdit", "GradeChange", "LinkRequest", "evidence_json", "link_index", "router"]

router = APIRouter(prefix="/api/evidence", tags=["evidence"])
Ctx = Annotated[AppContext, Depends(get_ctx)]
User = Annotated[str, Depends(actor)]
EvidenceId = Annotated[int, Path(ge=1, description="Evidence item id.")]

_LINK_KINDS = ("corroborates", "corroborated_by", "contradicts")


def _open_url(url: str | None) -> str | None:
    """The item's URL when it is safe to open from the browser (http or https only)."""
    if url and re.match(r"^https?://", url.strip(), re.IGNORECASE):
        return url.strip()
    return None


def link_index(ctx: AppContext, evidence_id: int | None = None) -> dict[int, list[Any]]:
    """Every link (or those touching one item) by the ids it touches, read in one query."""
    ok, links = call_optional("links", "list_links", ctx.workspace, evidence_id)
    index: dict[int, list[Any]] = {}
    for lk in links if ok else []:
        index.setdefault(lk.source_id, []).append(lk)
        if lk.target_id != lk.source_id:
            index.setdefault(lk.target_id, []).append(lk)
    return index


def _links(
    ctx: AppContext, item: EvidenceItem, index: dict[int, list[Any]] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Links touching an item, from its point of view.

    ``corroborates``: items this one supports; ``corroborated_by``: items that support it;
    ``contradicts``: items it cannot agree with (either direction). Empty while the store
    has no links.
    """
    out: dict[str, list[dict[str, Any]]] = {k: [] for k in _LINK_KINDS}
    if index is None:
        index = link_index(ctx, item.id)
    for lk in index.get(item.id or 0, []):
        kind = str(to_jsonable(lk.kind))
        other = lk.target_id if lk.source_id == item.id else lk.source_id
        entry = {"id": other, "note": lk.note}
        if kind == "corroborates":
            out["corroborates" if lk.source_id == item.id else "corroborated_by"].append(entry)
        elif kind == "contradicts":
            out["contradicts"].append(entry)
    return out


def evidence_json(
    ctx: AppContext, item: EvidenceItem, index: dict[int, list[Any]] | None = None
) -> dict[str, Any]:
    """An item as JSON with its grade words, a safe URL to open and its links.

    ``index`` is :func:`link_index` when serialising many items (one query for all).
    """
    out: dict[str, Any] = to_jsonable(item)
    out["grade_text"] = item.grade.describe()
    out["open_url"] = _open_url(item.url)
    out["has_archive"] = bool(item.archive_path)
    out.pop("archive_path", None)
    out["links"] = _links(ctx, item, index)
    return out


def _day(text: str | None, name: str, end: bool = False) -> datetime | None:
    if text is None or text == "":
        return None
    try:
        if len(text) == 10:
            d = date.fromisoformat(text)
            return datetime.combine(d, time.max if end else time.min, tzinfo=UTC)
        value = datetime.fromisoformat(text)
    except ValueError:
        raise HTTPException(
            422, f"{name}: unreadable date {text!r} (expected YYYY-MM-DD)"
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@router.get("")
def list_evidence(
    ctx: Ctx,
    kind: Annotated[str | None, Query(max_length=60, description="Evidence kind.")] = None,
    site: Annotated[str | None, Query(max_length=200, description="Site slug or name.")] = None,
    min_grade: Annotated[
        str | None, Query(max_length=4, description="Keep items at least this good, e.g. B3.")
    ] = None,
    since: Annotated[str | None, Query(max_length=40, description="YYYY-MM-DD")] = None,
    until: Annotated[str | None, Query(max_length=40, description="YYYY-MM-DD")] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Text in claim/source/place.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """The evidence log, by time, filtered by kind, site, grade, date window and text."""
    try:
        kind_ = EvidenceKind.parse(kind) if kind else None
        grade = Grade.parse(min_grade) if min_grade else None
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    slug = None
    if site:
        found = sites_repo.find_site(ctx.workspace, site)
        if found is None:
            raise HTTPException(404, f"unknown site {site!r}")
        slug = found.slug
    items = evidence_repo.list_evidence(
        ctx.workspace,
        kind=kind_,
        site=slug,
        since=_day(since, "since"),
        until=_day(until, "until", end=True),
        min_grade=grade,
    )
    if q:
        needle = q.lower()
        items = [
            i
            for i in items
            if any(needle in (v or "").lower() for v in (i.claim, i.source, i.place))
        ]
    index = link_index(ctx)
    return {
        "total": len(items),
        "offset": offset,
        "items": [evidence_json(ctx, i, index) for i in items[offset : offset + limit]],
    }


@router.get("/kinds")
def evidence_kinds() -> list[str]:
    """The evidence kinds, for filters."""
    return [k.value for k in EvidenceKind]


def _get(ctx: AppContext, evidence_id: int) -> EvidenceItem:
    try:
        return evidence_repo.get_evidence(ctx.workspace, evidence_id)
    except NotFoundError:
        raise HTTPException(404, f"no evidence item {evidence_id}") from None


@router.get("/{evidence_id}")
def get_evidence(evidence_id: EvidenceId, ctx: Ctx) -> dict[str, Any]:
    """One item with its grade, links and full edit history."""
    out = evidence_json(ctx, _get(ctx, evidence_id))
    out["history"] = to_jsonable(evidence_repo.history(ctx.workspace, evidence_id))
    return out


@router.get("/{evidence_id}/history")
def get_history(evidence_id: EvidenceId, ctx: Ctx) -> list[dict[str, Any]]:
    """Every recorded edit of an item, oldest first."""
    _get(ctx, evidence_id)
    out: list[dict[str, Any]] = to_jsonable(evidence_repo.history(ctx.workspace, evidence_id))
    return out


class GradeChange(BaseModel):
    """A new Admiralty grade and why."""

    model_config = ConfigDict(extra="forbid")
    grade: str = Field(max_length=4, examples=["B2"])
    rationale: str = Field(min_length=1, max_length=2000)

    @field_validator("grade")
    @classmethod
    def _grade(cls, v: str) -> str:
        return str(Grade.parse(v))

    @field_validator("rationale")
    @classmethod
    def _text(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("a rationale is needed")
        return v.strip()


@router.post("/{evidence_id}/grade")
def grade_evidence(
    evidence_id: EvidenceId, body: GradeChange, ctx: Ctx, user: User
) -> dict[str, Any]:
    """Set an item's grade with a rationale; the old grade stays in the history."""
    _get(ctx, evidence_id)
    item = evidence_repo.grade_evidence(
        ctx.workspace, evidence_id, Grade.parse(body.grade), rationale=body.rationale, user=user
    )
    return evidence_json(ctx, item)


class EvidenceEdit(BaseModel):
    """Fields to change on an evidence item (only those sent are changed) and why.

    File paths (``archive_path``) cannot be set from the web.
    """

    model_config = ConfigDict(extra="forbid")
    claim: str | None = Field(None, min_length=1, max_length=5000)
    kind: str | None = Field(None, max_length=60)
    place: str | None = Field(None, max_length=500)
    source: str | None = Field(None, max_length=1000)
    source_type: str | None = Field(None, max_length=100)
    url: str | None = Field(None, max_length=2000)
    grade_rationale: str | None = Field(None, max_length=2000)
    tags: list[Annotated[str, Field(max_length=60)]] | None = Field(None, max_length=50)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    reported_at: datetime | None = None
    time_start: datetime | None = None
    time_end: datetime | None = None
    reason: str | None = Field(None, max_length=2000)

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str | None) -> str | None:
        return None if v is None else EvidenceKind.parse(v).value

    @field_validator("url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is not None and v and not re.match(r"^https?://", v, re.IGNORECASE):
            raise ValueError("url must start with http:// or https://")
        return v

    @field_validator("reported_at", "time_start", "time_end")
    @classmethod
    def _utc(cls, v: datetime | None) -> datetime | None:
        if v is None:
            return None
        return v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)


@router.patch("/{evidence_id}")
def edit_evidence(
    evidence_id: EvidenceId, body: EvidenceEdit, ctx: Ctx, user: User
) -> dict[str, Any]:
    """Edit fields of an item; every changed field is kept in its history with who and why."""
    current = _get(ctx, evidence_id)
    changes = body.model_dump(exclude_unset=True)
    reason = changes.pop("reason", None)
    if not changes:
        raise HTTPException(422, "nothing to change: send at least one field")
    start = changes.get("time_start", current.time_start)
    end = changes.get("time_end", current.time_end)
    if start is not None and end is not None and end < start:
        raise HTTPException(422, "time_end is before time_start")
    if "claim" in changes and changes["claim"] is None:
        raise HTTPException(422, "claim cannot be empty")
    try:
        item = evidence_repo.update_evidence(
            ctx.workspace, evidence_id, user=user, reason=reason, **changes
        )
    except (ValueError, SitewatchError) as exc:
        raise HTTPException(422, str(exc)) from None
    return evidence_json(ctx, item)


_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@router.post("/import")
async def import_evidence(
    ctx: Ctx,
    user: User,
    file: Annotated[UploadFile, File(description="A CSV or JSON evidence file.")],
) -> dict[str, Any]:
    """Import an uploaded CSV/JSON evidence file (size-limited); bad rows are reported.

    Rows already imported (same origin key) are skipped, so an upload can be repeated.
    """
    name = _SAFE_NAME.sub("_", FsPath(file.filename or "upload.csv").name)[-100:] or "upload.csv"
    suffix = FsPath(name).suffix.lower()
    if suffix not in (".csv", ".json"):
        raise HTTPException(422, f"file: {name!r} is not a .csv or .json evidence file")
    with tempfile.TemporaryDirectory(prefix="sitewatch-upload-") as tmp:
        target = FsPath(tmp) / name  # a sanitised base name in a fresh private folder
        size = 0
        with target.open("wb") as fh:
            while chunk := await file.read(1 << 16):
                size += len(chunk)
                if size > ctx.max_upload_bytes:
                    raise HTTPException(413, f"file over the {ctx.max_upload_bytes} byte limit")
                fh.write(chunk)
        try:
            parsed = parse_evidence_file(target, sites=sites_repo.list_sites(ctx.workspace))
        except SitewatchError as exc:
            raise HTTPException(422, str(exc).replace(str(target), name)) from None
        items = [
            replace(i, origin="upload:" + (i.origin or name).replace(str(target), name))
            for i in parsed.items
        ]
        errors = [str(e).replace(str(target), name) for e in parsed.errors]
    if not items and errors:
        raise HTTPException(422, {"message": "no row could be imported", "errors": errors})
    result = evidence_repo.add_evidence(ctx.workspace, items)
    return {
        "file": name,
        "user": user,
        "rows": parsed.rows,
        "added": result.added,
        "skipped": result.skipped,
        "errors": errors,
    }


class LinkRequest(BaseModel):
    """``source_id`` corroborates or contradicts ``target_id``."""

    model_config = ConfigDict(extra="forbid")
    source_id: int = Field(ge=1)
    target_id: int = Field(ge=1)
    kind: str = Field(pattern=r"^(corroborates|contradicts)$")
    note: str | None = Field(None, max_length=2000)


@router.post("/links")
def add_link(body: LinkRequest, ctx: Ctx, user: User) -> dict[str, Any]:
    """Link two items; self-links, duplicates and circular corroboration are refused (422)."""
    try:
        from sitewatch.evidence.links import LinkKind
    except ImportError:
        raise HTTPException(501, "evidence links are not available yet") from None
    try:
        ok, link = call_optional(
            "links",
            "add_link",
            ctx.workspace,
            body.source_id,
            body.target_id,
            LinkKind(body.kind),
            user=user,
            note=body.note,
        )
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from None
    except SitewatchError as exc:
        raise HTTPException(422, str(exc)) from None
    if not ok:
        raise HTTPException(501, "evidence links are not available yet")
    out: dict[str, Any] = to_jsonable(link)
    return out
