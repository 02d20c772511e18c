"""Routes over the stages that land after the foundation: detections and change.

Each route reads its stage through :mod:`sitewatch.web._sources`. While a stage does not
exist yet, its list routes answer ``[]`` with the header ``X-Sitewatch-Stage: unavailable``
and its write routes answer 501, naming what is missing — never invented records.
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from sitewatch.errors import InputError, NotFoundError
from sitewatch.imagery import Pass
from sitewatch.store import passes_repo, sites_repo
from sitewatch.web._context import AppContext, actor, get_ctx
from sitewatch.web._json import to_jsonable
from sitewatch.web._sources import call_optional, capabilities
from sitewatch.web.tiles import pixel_to_lonlat

__all__ = ["ReviewBody", "detection_json", "router"]

router = APIRouter(prefix="/api")
Ctx = Annotated[AppContext, Depends(get_ctx)]
User = Annotated[str, Depends(actor)]
PassId = Annotated[int, Path(ge=1, description="Pass id.")]
SiteQ = Annotated[str | None, Query(max_length=200, description="Site slug or name.")]


def _unavailable(response: Response, stage: str) -> list[Any]:
    response.headers["X-Sitewatch-Stage"] = "unavailable"
    reason = next((c.reason for c in capabilities() if c.stage == stage), None)
    if reason:
        response.headers["X-Sitewatch-Reason"] = reason.encode("ascii", "replace").decode()[:300]
    return []


def _missing(stage: str, what: str) -> HTTPException:
    reason = next((c.reason for c in capabilities() if c.stage == stage), None)
    return HTTPException(
        501, f"{what} is not available yet: {reason or f'the {stage} stage lacks it'}"
    )


def _pass(ctx: AppContext, pass_id: int) -> Pass:
    try:
        return passes_repo.get_pass(ctx.workspace, pass_id)
    except NotFoundError:
        raise HTTPException(404, f"no pass {pass_id}") from None


def _slug(ctx: AppContext, site: str | None) -> str | None:
    if site is None:
        return None
    found = sites_repo.find_site(ctx.workspace, site)
    if found is None:
        raise HTTPException(404, f"unknown site {site!r}")
    return found.slug


def _as_list(value: Any) -> list[Any]:
    out: list[Any] = to_jsonable(list(value or []))
    return out


# ---------------------------------------------------------------- detections


def detection_json(d: Any, p: Pass | None = None) -> dict[str, Any]:
    """A reviewed detection as JSON; map passes also get the box in WGS84 (``polygon_lonlat``)."""
    out: dict[str, Any] = to_jsonable(d)
    out["effective_class"] = str(getattr(d, "effective_class", out.get("class_name")))
    out["counts"] = bool(getattr(d, "counts", True))
    out["polygon_lonlat"] = None
    if p is not None and out.get("polygon_px"):
        pts = [(float(x), float(y)) for x, y in out["polygon_px"]]
        lonlat = pixel_to_lonlat(p, pts)
        out["polygon_lonlat"] = [list(v) for v in lonlat] if lonlat else None
    m = out.get("measurement") or {}
    out["type_candidates"] = m.get("type_candidates") or m.get("candidates") or []
    return out


@router.get("/passes/{pass_id}/detections", tags=["detections"])
def list_detections(
    pass_id: PassId,
    ctx: Ctx,
    response: Response,
    include_rejected: bool = False,
    min_score: Annotated[float, Query(ge=0, le=1)] = 0.0,
) -> list[dict[str, Any]]:
    """Current detections of a pass with reviews applied (rejected ones on request)."""
    p = _pass(ctx, pass_id)
    ok, dets = call_optional(
        "detections",
        "list_detections",
        ctx.workspace,
        pass_id,
        include_rejected=include_rejected,
        min_score=min_score,
    )
    if not ok:
        return _unavailable(response, "detections")
    return [detection_json(d, p) for d in dets]


@router.get("/passes/{pass_id}/counts", tags=["detections"])
def pass_counts(pass_id: PassId, ctx: Ctx) -> dict[str, Any]:
    """Counts of current, non-rejected detections by class and by type."""
    _pass(ctx, pass_id)
    ok, dets = call_optional("detections", "list_detections", ctx.workspace, pass_id)
    if not ok:
        return {"available": False, "total": 0, "by_class": {}, "by_type": {}}
    dets = list(dets)
    by_class = Counter(str(getattr(d, "effective_class", d.class_name)) for d in dets)
    by_type = Counter(str(d.type_name) for d in dets if getattr(d, "type_name", None))
    by_status = Counter(str(to_jsonable(getattr(d, "status", "unreviewed"))) for d in dets)
    return {
        "available": True,
        "total": sum(by_class.values()),
        "by_class": dict(sorted(by_class.items())),
        "by_type": dict(sorted(by_type.items())),
        "by_status": dict(sorted(by_status.items())),
    }


@router.get("/passes/{pass_id}/runs", tags=["detections"])
def pass_runs(pass_id: PassId, ctx: Ctx, response: Response) -> list[Any]:
    """Model runs over a pass (model, version, status, count), oldest first."""
    _pass(ctx, pass_id)
    ok, runs = call_optional("detections", "list_runs", ctx.workspace, pass_id)
    return _as_list(runs) if ok else _unavailable(response, "detections")


def _detection(ctx: AppContext, detection_id: int) -> Any:
    try:
        ok, d = call_optional("detections", "get_detection", ctx.workspace, detection_id)
    except NotFoundError:
        raise HTTPException(404, f"no detection {detection_id}") from None
    if not ok:
        raise HTTPException(404, f"no detection {detection_id} (detections not available)")
    return d


@router.get("/detections/{detection_id}", tags=["detections"])
def get_detection(detection_id: Annotated[int, Path(ge=1)], ctx: Ctx) -> dict[str, Any]:
    """One detection: measurements, type candidates, review status and the full trail."""
    d = _detection(ctx, detection_id)
    return detection_json(d, _pass(ctx, int(d.pass_id)))


class ReviewBody(BaseModel):
    """One review action: confirm, reject, reopen, relabel_class, set_type, set_state, note."""

    model_config = ConfigDict(extra="forbid")
    action: str = Field(max_length=30, examples=["confirm"])
    value: str | None = Field(None, max_length=200)
    note: str | None = Field(None, max_length=2000)


@router.post("/detections/{detection_id}/review", tags=["detections"])
def review_detection(
    detection_id: Annotated[int, Path(ge=1)], body: ReviewBody, ctx: Ctx, user: User
) -> dict[str, Any]:
    """Record a review action with who and when (the same call as ``sitewatch review``)."""
    d = _detection(ctx, detection_id)
    try:
        ok, reviewed = call_optional(
            "detections",
            "review",
            ctx.workspace,
            detection_id,
            body.action,
            body.value,
            user=user,
            note=body.note,
        )
    except InputError as exc:
        raise HTTPException(422, str(exc)) from None
    if not ok:
        raise _missing("detections", "review")
    return detection_json(reviewed, _pass(ctx, int(d.pass_id)))


# ---------------------------------------------------------------- change


@router.get("/change/registrations", tags=["change"])
def list_registrations(
    ctx: Ctx,
    response: Response,
    pass_a: Annotated[int | None, Query(ge=1)] = None,
    pass_b: Annotated[int | None, Query(ge=1)] = None,
) -> list[Any]:
    """Saved co-registrations between passes (pixel transform A→B and its quality)."""
    ok, regs = call_optional(
        "change", "list_registrations", ctx.workspace, pass_a_id=pass_a, pass_b_id=pass_b
    )
    return _as_list(regs) if ok else _unavailable(response, "change")


@router.get("/change/events", tags=["change"])
def list_events(
    ctx: Ctx,
    response: Response,
    pass_a: Annotated[int | None, Query(ge=1)] = None,
    pass_b: Annotated[int | None, Query(ge=1)] = None,
    kind: Annotated[str | None, Query(max_length=30)] = None,
    site: SiteQ = None,
) -> list[Any]:
    """Change events between two passes (positions in each pass's pixel frame)."""
    slug = _slug(ctx, site)
    ok, events = call_optional(
        "change", "list_events", ctx.workspace, pass_a_id=pass_a, pass_b_id=pass_b, kind=kind
    )
    if not ok:
        return _unavailable(response, "change")
    out = _as_list(events)
    if slug is not None:
        own = {p.id for p in passes_repo.list_passes(ctx.workspace, slug)}
        out = [e for e in out if e.get("pass_a_id") in own or e.get("pass_b_id") in own]
    return out


@router.get("/objects", tags=["change"])
def list_objects(ctx: Ctx, response: Response, site: SiteQ = None) -> list[Any]:
    """Objects tracked across the passes of a site."""
    slug = _slug(ctx, site)
    ok, objects = call_optional("change", "list_objects", ctx.workspace, site=slug)
    return _as_list(objects) if ok else _unavailable(response, "change")


@router.get("/objects/{object_id}/history", tags=["change"])
def object_history(
    object_id: Annotated[int, Path(ge=1)], ctx: Ctx, response: Response
) -> list[Any]:
    """One tracked object in every pass it was followed through."""
    try:
        ok, hist = call_optional("change", "object_history", ctx.workspace, object_id)
    except NotFoundError:
        raise HTTPException(404, f"no tracked object {object_id}") from None
    return _as_list(hist) if ok else _unavailable(response, "change")
