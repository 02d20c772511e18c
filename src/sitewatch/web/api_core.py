"""Routes over sites, passes and their tiles, plus health and what the server can read."""

from __future__ import annotations

import time
from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response
from starlette.concurrency import run_in_threadpool

from sitewatch.errors import NotFoundError
from sitewatch.imagery import Frame, Pass
from sitewatch.sites import Site
from sitewatch.store import evidence_repo, passes_repo, sites_repo
from sitewatch.web._context import AppContext, get_ctx
from sitewatch.web._json import to_jsonable
from sitewatch.web._sources import call_optional, capabilities, find_function

__all__ = ["pass_json", "router", "site_json"]

router = APIRouter(prefix="/api")
Ctx = Annotated[AppContext, Depends(get_ctx)]
PassId = Annotated[int, Path(ge=1, description="Pass id.")]
SiteName = Annotated[str, Path(max_length=200, description="Site slug, name, alias or id.")]


def _redact(url: str) -> str:
    """A database URL without its password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


def site_json(site: Site) -> dict[str, Any]:
    """A site as JSON: GeoJSON geometry, a centre point and the fields of :class:`Site`."""
    out: dict[str, Any] = to_jsonable(site)
    centre = site.geometry.centroid if site.geometry is not None else None
    out["center"] = [centre.x, centre.y] if centre is not None else None
    return out


def pass_json(p: Pass) -> dict[str, Any]:
    """A pass as JSON, with its described time and the URLs the front-end uses."""
    out: dict[str, Any] = to_jsonable(p)
    out["time_text"] = p.describe_time()
    out["area_km2"] = p.area_km2
    out["file_name"] = p.path.replace("\\", "/").rsplit("/", 1)[-1]
    out.pop("path", None)  # the server's file layout is not the client's business
    out["tiles"] = f"/api/passes/{p.id}/tiles/{{z}}/{{x}}/{{y}}.png"
    out["thumbnail"] = f"/api/passes/{p.id}/thumbnail.png"
    return out


def _site(ctx: AppContext, name: str) -> Site:
    try:
        return sites_repo.get_site(ctx.workspace, name)
    except NotFoundError:
        raise HTTPException(404, f"unknown site {name!r}") from None


_PASS_TTL_S = 10.0
_passes: dict[tuple[str, int], tuple[float, Pass]] = {}


def _pass(ctx: AppContext, pass_id: int) -> Pass:
    try:
        p = passes_repo.get_pass(ctx.workspace, pass_id)
    except NotFoundError:
        raise HTTPException(404, f"no pass {pass_id}") from None
    if len(_passes) > 1024:
        _passes.clear()
    _passes[(ctx.workspace.url, pass_id)] = (time.monotonic(), p)
    return p


def _pass_cached(ctx: AppContext, pass_id: int) -> Pass | None:
    """A pass read in the last few seconds (tiles come in bursts of dozens), or ``None``."""
    hit = _passes.get((ctx.workspace.url, pass_id))
    if hit is None or time.monotonic() - hit[0] > _PASS_TTL_S:
        return None
    return hit[1]


def detection_counts(ctx: AppContext, pass_id: int) -> dict[str, int] | None:
    """Current counts by class for a pass, or ``None`` while detections are not available."""
    ok, counts = call_optional("detections", "counts_by_class", ctx.workspace, pass_id)
    return dict(counts) if ok else None


def latest_assessment(ctx: AppContext, slug: str, loaded: list[Any] | None = None) -> Any:
    """Today's judgment on a site's case, or ``None`` (also while assessment does not exist)."""
    from sitewatch.web.api_assess import latest_assessment as latest

    return latest(ctx, slug, loaded)


@router.get("/health", tags=["server"])
def health(ctx: Ctx) -> dict[str, Any]:
    """Liveness, the workspace (password hidden) and its schema revision."""
    return {
        "ok": True,
        "workspace": _redact(ctx.workspace.url),
        "schema_revision": ctx.workspace.schema_revision(),
        "token_required": ctx.token_required,
    }


@router.get("/capabilities", tags=["server"])
def get_capabilities() -> list[dict[str, Any]]:
    """Which optional stages (detections, change, assess) the server can read now, and why not."""
    out: list[dict[str, Any]] = to_jsonable(capabilities())
    return out


@router.get("/sites", tags=["sites"])
def list_sites(ctx: Ctx) -> list[dict[str, Any]]:
    """Every site with counts (passes, evidence, current detections) and latest assessment."""
    ws = ctx.workspace
    sites = sites_repo.list_sites(ws)
    passes = passes_repo.list_passes(ws)
    evidence = Counter(e.site_slug for e in evidence_repo.list_evidence(ws))
    from sitewatch.web.api_assess import cases

    loaded = cases(ctx)
    by_site: dict[str, list[Pass]] = {}
    for p in passes:
        by_site.setdefault(p.site_slug, []).append(p)
    out = []
    for s in sites:
        own = by_site.get(s.slug, [])
        row = site_json(s)
        latest = own[-1] if own else None
        counts = detection_counts(ctx, latest.id) if latest is not None and latest.id else None
        row["counts"] = {
            "passes": len(own),
            "evidence": evidence.get(s.slug, 0),
            "detections_latest_pass": sum(counts.values()) if counts is not None else None,
            "by_class_latest_pass": counts,
        }
        row["latest_pass"] = pass_json(latest) if latest is not None else None
        row["latest_assessment"] = latest_assessment(ctx, s.slug, loaded)
        out.append(row)
    return out


@router.get("/sites/{site}", tags=["sites"])
def get_site(site: SiteName, ctx: Ctx) -> dict[str, Any]:
    """One site with its passes (oldest first) and its latest assessment."""
    s = _site(ctx, site)
    row = site_json(s)
    row["passes"] = [pass_json(p) for p in passes_repo.list_passes(ctx.workspace, s.slug)]
    row["latest_assessment"] = latest_assessment(ctx, s.slug)
    return row


@router.get("/sites/{site}/timeline", tags=["sites"])
def site_timeline(site: SiteName, ctx: Ctx) -> dict[str, Any]:
    """Passes and evidence of a site in time order; undated passes are listed apart."""
    s = _site(ctx, site)
    passes = passes_repo.list_passes(ctx.workspace, s.slug)
    evidence = evidence_repo.list_evidence(ctx.workspace, site=s.slug)
    return {
        "site": s.slug,
        "passes": [pass_json(p) for p in passes if p.acquired_at is not None],
        "undated_passes": [pass_json(p) for p in passes if p.acquired_at is None],
        "evidence": [
            {
                "id": e.id,
                "kind": e.kind.value,
                "claim": e.claim,
                "grade": str(e.grade),
                "time_start": to_jsonable(e.time_start),
                "time_end": to_jsonable(e.time_end),
            }
            for e in evidence
        ],
    }


@router.get("/sites/{site}/series", tags=["sites"])
def site_series(site: SiteName, ctx: Ctx) -> dict[str, Any]:
    """Counts per class and per type in every pass of a site, with the baseline pass.

    ``points`` is empty while no detections exist (``available`` says whether the detection
    stage can be read at all).
    """
    s = _site(ctx, site)
    passes = passes_repo.list_passes(ctx.workspace, s.slug)
    points = []
    available = find_function("detections", "list_detections") is not None
    for p in passes if available else []:
        _, dets = call_optional("detections", "list_detections", ctx.workspace, p.id)
        dets = list(dets)
        if not dets:
            continue
        by_class = Counter(str(getattr(d, "effective_class", d.class_name)) for d in dets)
        by_type = Counter(str(d.type_name) for d in dets if getattr(d, "type_name", None))
        points.append(
            {
                "pass_id": p.id,
                "acquired_at": to_jsonable(p.acquired_at),
                "label": p.label,
                "time_text": p.describe_time(),
                "total": sum(by_class.values()),
                "by_class": dict(sorted(by_class.items())),
                "by_type": dict(sorted(by_type.items())),
            }
        )
    return {
        "site": s.slug,
        "available": available,
        "baseline_pass_id": s.baseline_pass_id,
        "points": points,
    }


@router.get("/passes", tags=["passes"])
def list_passes(
    ctx: Ctx, site: Annotated[str | None, Query(max_length=200)] = None
) -> list[dict[str, Any]]:
    """Passes, by acquisition time (undated last); ``site`` limits to one site."""
    slug = _site(ctx, site).slug if site is not None else None
    return [pass_json(p) for p in passes_repo.list_passes(ctx.workspace, slug)]


@router.get("/passes/{pass_id}", tags=["passes"])
def get_pass(pass_id: PassId, ctx: Ctx) -> dict[str, Any]:
    """One pass, with its tile layout."""
    p = _pass(ctx, pass_id)
    out = pass_json(p)
    out["tileinfo"] = _tileinfo(ctx, p)
    return out


def _tileinfo(ctx: AppContext, p: Pass) -> dict[str, Any] | None:
    try:
        return ctx.tiler.info(p)
    except NotFoundError:
        return None


@router.get("/passes/{pass_id}/tileinfo", tags=["tiles"])
def tileinfo(pass_id: PassId, ctx: Ctx) -> dict[str, Any]:
    """How the pass is tiled: ``pixel`` frame (Leaflet ``CRS.Simple``) or ``map`` (Web Mercator)."""
    p = _pass(ctx, pass_id)
    try:
        return ctx.tiler.info(p)
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from None


def registration_between(ctx: AppContext, a: int, b: int) -> tuple[int, Any] | None:
    """The newest stored registration mapping pass ``a`` pixels to pass ``b`` pixels.

    Returns ``(registration id, 3×3 matrix)``; a registration stored the other way round is
    inverted. ``None`` when there is none (or the change stage is missing).
    """
    import numpy as np

    ok, regs = call_optional("change", "list_registrations", ctx.workspace, a, b)
    if ok and regs:
        return int(regs[-1].id), [list(r) for r in regs[-1].matrix]
    ok, regs = call_optional("change", "list_registrations", ctx.workspace, b, a)
    if ok and regs:
        m = np.asarray(regs[-1].matrix, np.float64)
        if m.shape == (2, 3):
            m = np.vstack([m, [0.0, 0.0, 1.0]])
        return -int(regs[-1].id), np.linalg.inv(m).tolist()
    return None


def _warped_tile(ctx: AppContext, b: Pass, a_id: int, z: int, x: int, y: int) -> Response:
    a = _pass(ctx, a_id)
    if a.frame is not Frame.PIXEL or b.frame is not Frame.PIXEL:
        raise HTTPException(
            422, "in_frame_of: only pixel-frame passes are warped (map passes share a CRS)"
        )
    reg = registration_between(ctx, a_id, b.id or 0)
    if reg is None:
        raise HTTPException(
            404, f"no registration between passes {a_id} and {b.id}: run sitewatch compare"
        )
    try:
        data = ctx.tiler.tile_in_frame(b, a, reg[1], reg[0], z, x, y)
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from None
    return Response(data, media_type="image/png", headers={"Cache-Control": "no-cache"})


_PNG = {200: {"content": {"image/png": {}}, "description": "A 256×256 PNG tile."}}


@router.get(
    "/passes/{pass_id}/tiles/{z}/{x}/{y}.png",
    tags=["tiles"],
    response_class=Response,
    responses=_PNG,  # type: ignore[arg-type]
)
async def tile(
    pass_id: PassId,
    ctx: Ctx,
    z: Annotated[int, Path(ge=0, le=30)],
    x: Annotated[int, Path(ge=0)],
    y: Annotated[int, Path(ge=0)],
    in_frame_of: Annotated[
        int | None,
        Query(ge=1, description="Warp into this pass's pixel frame (needs a registration)."),
    ] = None,
) -> Response:
    """One tile of a pass; pixel-frame passes use the pass's own pyramid, map passes XYZ.

    With ``in_frame_of=A``, the tile is of pass A's pyramid, filled with this pass warped by
    the newest stored registration between the two (for the before/after swipe).
    """
    p = _pass_cached(ctx, pass_id)
    if p is None:
        p = await run_in_threadpool(_pass, ctx, pass_id)
    if in_frame_of is not None and in_frame_of != pass_id:
        return await run_in_threadpool(_warped_tile, ctx, p, in_frame_of, z, x, y)
    data = ctx.tiler.cache.get((p.id, p.sha256, z, x, y))
    if data is None:  # render off the event loop; cached tiles never leave it
        try:
            data = await run_in_threadpool(ctx.tiler.tile, p, z, x, y)
        except NotFoundError as exc:
            raise HTTPException(404, str(exc)) from None
    return Response(
        data, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"}
    )


@router.get(
    "/passes/{pass_id}/thumbnail.png",
    tags=["tiles"],
    response_class=Response,
    responses=_PNG,  # type: ignore[arg-type]
)
def thumbnail(
    pass_id: PassId, ctx: Ctx, size: Annotated[int, Query(ge=16, le=1024)] = 256
) -> Response:
    """A small PNG of the whole pass (decimated read)."""
    p = _pass(ctx, pass_id)
    try:
        data = ctx.tiler.thumbnail(p, size)
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from None
    return Response(
        data, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"}
    )
