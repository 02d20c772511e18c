"""Routes over the assessment stage: cases, hypotheses, indicators, the ACH matrix, snapshots.

Assessment is organised by *case* (a question with competing hypotheses over some sites).
The matrix, scores, indicators and judgment are computed by the assessment engine as of a
date; ratings are edited through the same repository call the CLI uses. While the stage is
missing, or no case is loaded, the list routes answer ``[]`` and ``/api/ach`` says why.
"""

from __future__ import annotations

import threading
import time as _time
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from sitewatch.errors import InputError, NotFoundError
from sitewatch.store import evidence_repo, sites_repo
from sitewatch.web._context import AppContext, actor, get_ctx
from sitewatch.web._json import to_jsonable
from sitewatch.web._sources import call_optional, capabilities

__all__ = ["AchRating", "SnapshotRequest", "latest_assessment", "router"]

router = APIRouter(prefix="/api", tags=["assessment"])
Ctx = Annotated[AppContext, Depends(get_ctx)]
User = Annotated[str, Depends(actor)]
SiteQ = Annotated[str | None, Query(max_length=200, description="Site slug or name.")]
CaseQ = Annotated[str | None, Query(max_length=100, description="Case slug (default: the first).")]
AsOfQ = Annotated[str | None, Query(max_length=40, description="YYYY-MM-DD (default: today)")]

_LOAD_HINT = "no case is loaded in this workspace (load one with sitewatch.assess.load_case)"
_CACHE_S = 5.0
_cache: dict[tuple[str, str, str], tuple[float, Any]] = {}
_cache_lock = threading.Lock()


def _reason(stage: str) -> str | None:
    return next((c.reason for c in capabilities() if c.stage == stage), None)


def _unavailable(response: Response, why: str | None) -> list[Any]:
    response.headers["X-Sitewatch-Stage"] = "unavailable"
    if why:
        response.headers["X-Sitewatch-Reason"] = why.encode("ascii", "replace").decode()[:300]
    return []


def _as_of(text: str | None) -> datetime:
    if not text:
        return datetime.now(UTC)
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(12), tzinfo=UTC)
        value = datetime.fromisoformat(text)
    except ValueError:
        raise HTTPException(422, f"as_of: unreadable date {text!r} (expected YYYY-MM-DD)") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _slug(ctx: AppContext, site: str | None) -> str | None:
    if site is None:
        return None
    found = sites_repo.find_site(ctx.workspace, site)
    if found is None:
        raise HTTPException(404, f"unknown site {site!r}")
    return found.slug


def cases(ctx: AppContext) -> list[Any] | None:
    """Every loaded case (``CaseData``), or ``None`` while the stage is missing."""
    ok, slugs = call_optional("assess", "list_cases", ctx.workspace)
    if not ok:
        return None
    out = []
    for slug in slugs:
        found, case = call_optional("assess", "get_case", ctx.workspace, slug)
        if found:
            out.append(case)
    return out


def _pick(
    ctx: AppContext, case: str | None, site: str | None, loaded: list[Any] | None = None
) -> list[Any]:
    """Cases matching ``case`` (by slug) and covering ``site`` (``loaded``: cases read already)."""
    all_ = loaded if loaded is not None else (cases(ctx) or [])
    if case is not None:
        all_ = [c for c in all_ if c.slug == case]
        if not all_:
            raise HTTPException(404, f"no case {case!r} in the workspace")
    if site is not None:
        all_ = [c for c in all_ if site in tuple(getattr(c, "sites", ()))]
    return all_


def _assessment(ctx: AppContext, slug: str, when: datetime) -> dict[str, Any] | None:
    """The engine's assessment of a case as of a day (cached a few seconds), or ``None``."""
    key = (ctx.workspace.url, slug, when.date().isoformat())
    now = _time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and now - hit[0] < _CACHE_S:
            cached: dict[str, Any] | None = hit[1]
            return cached
    try:
        ok, result = call_optional("assess_engine", "assess", ctx.workspace, slug, when)
    except InputError:  # e.g. no rated evidence yet on that date
        ok, result = True, None
    out = to_jsonable(result) if ok and result is not None else None
    with _cache_lock:
        _cache[key] = (now, out)
        if len(_cache) > 256:
            _cache.clear()
    return out


def _forget(ctx: AppContext) -> None:
    with _cache_lock:
        for k in [k for k in _cache if k[0] == ctx.workspace.url]:
            _cache.pop(k, None)


def latest_assessment(
    ctx: AppContext, site: str, loaded: list[Any] | None = None
) -> dict[str, Any] | None:
    """The judgment today on the first case covering ``site`` (``None`` without one).

    ``loaded`` is the list from :func:`cases` when the caller read it already.
    """
    all_ = loaded if loaded is not None else cases(ctx)
    picked = _pick(ctx, None, site, all_) if all_ else []
    if not picked:
        return None
    a = _assessment(ctx, picked[0].slug, datetime.now(UTC))
    if a is None:
        return None
    texts = {h["key"]: h["text"] for h in a.get("hypotheses", [])}
    return {
        "case": a.get("case"),
        "as_of": a.get("as_of"),
        "leader": a.get("leader"),
        "leader_text": texts.get(a.get("leader", "")),
        "estimative_word": a.get("estimative_word"),
        "confidence": a.get("confidence"),
        "judgment": a.get("bluf"),
    }


@router.get("/cases")
def list_cases(ctx: Ctx, response: Response, site: SiteQ = None) -> list[dict[str, Any]]:
    """Loaded cases: question, sites, hypotheses, how many items are rated."""
    if cases(ctx) is None:
        return _unavailable(response, _reason("assess"))
    return [
        {
            "slug": c.slug,
            "title": c.title,
            "question": c.question,
            "sites": list(c.sites),
            "hypotheses": to_jsonable(c.hypotheses),
            "rated_items": len(c.ratings),
            "indicators": len(c.indicators),
        }
        for c in _pick(ctx, None, _slug(ctx, site))
    ]


@router.get("/hypotheses")
def list_hypotheses(
    ctx: Ctx, response: Response, site: SiteQ = None, case: CaseQ = None
) -> list[dict[str, Any]]:
    """Competing hypotheses of the loaded cases (``case`` / ``site`` narrow them)."""
    if cases(ctx) is None:
        return _unavailable(response, _reason("assess"))
    return [
        {"case": c.slug, **to_jsonable(h)}
        for c in _pick(ctx, case, _slug(ctx, site))
        for h in c.hypotheses
    ]


@router.get("/indicators")
def list_indicators(
    ctx: Ctx, response: Response, site: SiteQ = None, case: CaseQ = None, as_of: AsOfQ = None
) -> list[dict[str, Any]]:
    """Indicators of the loaded cases and their level as of a date."""
    if cases(ctx) is None:
        return _unavailable(response, _reason("assess"))
    slug = _slug(ctx, site)
    when = _as_of(as_of)
    out = []
    for c in _pick(ctx, case, None):
        a = _assessment(ctx, c.slug, when) or {}
        states = {s["key"]: s for s in a.get("indicators", [])}
        for ind in c.indicators:
            if slug is not None and getattr(ind, "site_slug", None) not in (None, slug):
                continue
            row = {"case": c.slug, "key": ind.key, "name": ind.name, "site": ind.site_slug}
            row.update({k: v for k, v in states.get(ind.key, {}).items() if k not in row})
            out.append(row)
    return out


@router.get("/assessments")
def list_assessments(
    ctx: Ctx, response: Response, site: SiteQ = None, case: CaseQ = None
) -> list[dict[str, Any]]:
    """Saved assessment snapshots, by as-of date (see ``POST /api/assessments/snapshot``)."""
    if cases(ctx) is None:
        return _unavailable(response, _reason("assess"))
    out = []
    for c in _pick(ctx, case, _slug(ctx, site)):
        ok, snaps = call_optional("assess", "list_snapshots", ctx.workspace, c.slug)
        if ok:
            out += [{"case": c.slug, **to_jsonable(s)} for s in snaps]
    return out


@router.get("/assessments/current")
def current_assessment(ctx: Ctx, case: CaseQ = None, as_of: AsOfQ = None) -> dict[str, Any]:
    """The engine's assessment of a case as of a date: BLUF, judgments with citations."""
    picked = _pick(ctx, case, None)
    if not picked:
        raise HTTPException(404, _reason("assess") or _LOAD_HINT)
    a = _assessment(ctx, picked[0].slug, _as_of(as_of))
    if a is None:
        raise HTTPException(404, f"no rated evidence in case {picked[0].slug!r} by that date")
    return a


@router.get("/ach")
def ach_matrix(
    ctx: Ctx, case: CaseQ = None, site: SiteQ = None, as_of: AsOfQ = None
) -> dict[str, Any]:
    """The ACH matrix of a case as of a date: ratings, scores, probabilities, judgment.

    ``evidence`` lists the items in the matrix with their claims. While no case (or no
    assessment stage) exists, ``available`` is false, ``reason`` says why and ``evidence``
    lists the graded items up to ``as_of`` so the page shows what would be rated.
    """
    when = _as_of(as_of)
    slug = _slug(ctx, site)
    all_cases = cases(ctx)
    picked = _pick(ctx, case, slug, all_cases) if all_cases else []
    base: dict[str, Any] = {
        "cases": [c.slug for c in all_cases or []],
        "case": None,
        "as_of": when.date().isoformat(),
        "hypotheses": [],
        "matrix": [],
        "rationales": {},
        "judgment": None,
        "available": False,
    }
    if picked:
        c = picked[0]
        a = _assessment(ctx, c.slug, when)
        base.update({"case": c.slug, "title": c.title, "question": c.question})
        base["hypotheses"] = to_jsonable(c.hypotheses)
        base["rationales"] = {str(k): dict(v) for k, v in c.rationales.items()}
        if a is not None:
            base.update(a)
            base["case"] = c.slug
            base["judgment"] = a.get("bluf")
            base["available"] = True
        else:
            base["reason"] = f"no rated evidence in case {c.slug!r} by {when.date()}"
    else:
        base["reason"] = _reason("assess") or (
            f"no case covers site {slug!r}" if slug and all_cases else _LOAD_HINT
        )
    ids = [r["evidence_id"] for r in base.get("matrix", [])]
    items = {e.id: e for e in evidence_repo.list_evidence(ctx.workspace)}
    if not ids:
        ids = [
            e.id
            for e in evidence_repo.list_evidence(ctx.workspace, site=slug, until=when)
            if e.id is not None
        ]
    base["evidence"] = [
        {
            "id": i,
            "claim": items[i].claim,
            "grade": str(items[i].grade),
            "time_start": to_jsonable(items[i].time_start),
            "site_slug": items[i].site_slug,
        }
        for i in ids
        if i in items
    ]
    return base


class AchRating(BaseModel):
    """One rating: evidence item × hypothesis key in a case (CC, C, N, I, II or NA)."""

    model_config = ConfigDict(extra="forbid")
    case: str = Field(min_length=1, max_length=100, examples=["syria-2024"])
    evidence_id: int = Field(ge=1)
    hypothesis: str = Field(min_length=1, max_length=40, examples=["H2"])
    rating: str = Field(pattern=r"^(CC|C|N|I|II|NA|cc|c|n|i|ii|na)$", examples=["I"])
    rationale: str | None = Field(None, max_length=2000)


@router.put("/ach/ratings")
def set_rating(body: AchRating, ctx: Ctx, user: User) -> dict[str, Any]:
    """Set one ACH rating (who and when are kept); answers the updated rating."""
    if cases(ctx) is None:
        raise HTTPException(501, f"ACH ratings are not available yet: {_reason('assess')}")
    from sitewatch.assess.ach import Rating

    try:
        ok, _ = call_optional(
            "assess",
            "set_rating",
            ctx.workspace,
            body.case,
            body.evidence_id,
            body.hypothesis,
            Rating.parse(body.rating),
            user=user,
            rationale=body.rationale,
        )
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from None
    except (InputError, ValueError) as exc:
        raise HTTPException(422, str(exc)) from None
    if not ok:
        raise HTTPException(501, "this assessment stage has no set_rating")
    _forget(ctx)
    return {
        "case": body.case,
        "evidence_id": body.evidence_id,
        "hypothesis": body.hypothesis,
        "rating": body.rating.upper(),
        "user": user,
    }


class SnapshotRequest(BaseModel):
    """Keep the assessment of a case as of a date."""

    model_config = ConfigDict(extra="forbid")
    case: str = Field(min_length=1, max_length=100)
    as_of: date


@router.post("/assessments/snapshot")
def save_snapshot(body: SnapshotRequest, ctx: Ctx, user: User) -> dict[str, Any]:
    """Save the engine's assessment as of a date as a snapshot (the judgment then)."""
    if cases(ctx) is None:
        raise HTTPException(501, f"snapshots are not available yet: {_reason('assess')}")
    _pick(ctx, body.case, None)
    when = datetime.combine(body.as_of, time(12), tzinfo=UTC)
    a = _assessment(ctx, body.case, when)
    if a is None:
        raise HTTPException(422, f"no rated evidence in case {body.case!r} by {body.as_of}")
    ok, sid = call_optional("assess", "save_snapshot", ctx.workspace, body.case, when, a, user=user)
    if not ok:
        raise HTTPException(501, "this assessment stage has no save_snapshot")
    return {"id": sid, "case": body.case, "as_of": body.as_of.isoformat(), "user": user}
