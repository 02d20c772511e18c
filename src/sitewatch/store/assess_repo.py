"""Cases, hypotheses, ACH ratings, indicators and assessment snapshots in the workspace."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sitewatch.assess.ach import Hypothesis, Rating
from sitewatch.assess.indicators import Indicator, IndicatorRule
from sitewatch.assess.model import CaseData
from sitewatch.errors import InputError, NotFoundError
from sitewatch.store.tables.assess import (
    AchRatingRow,
    AssessmentSnapshotRow,
    CaseRow,
    HypothesisRow,
    IndicatorRow,
)
from sitewatch.store.tables.core import EvidenceRow
from sitewatch.store.workspace import Workspace

__all__ = [
    "RatingInput",
    "SnapshotInfo",
    "get_case",
    "list_cases",
    "list_snapshots",
    "save_case",
    "save_snapshot",
    "set_rating",
]


@dataclass(frozen=True)
class RatingInput:
    """One rating to store: evidence id × hypothesis key."""

    evidence_id: int
    key: str
    rating: Rating
    rationale: str | None = None


@dataclass(frozen=True)
class SnapshotInfo:
    """A saved snapshot."""

    id: int
    as_of: datetime
    created_at: datetime
    created_by: str
    payload: dict[str, Any]


def _case_row(s: Session, slug: str) -> CaseRow:
    row = s.scalars(select(CaseRow).where(CaseRow.slug == slug)).first()
    if row is None:
        known = sorted(s.scalars(select(CaseRow.slug)))
        hint = f" (loaded: {', '.join(known)})" if known else " (run `sitewatch case load` first)"
        raise NotFoundError(f"no case {slug!r} in the workspace{hint}")
    return row


def save_case(
    ws: Workspace,
    *,
    slug: str,
    title: str,
    question: str,
    sites: Sequence[str],
    hypotheses: Sequence[Hypothesis],
    ratings: Sequence[RatingInput],
    indicators: Sequence[Indicator],
    user: str,
    source_sha256: str | None = None,
) -> None:
    """Create or update a case in one transaction: hypotheses, ratings, indicators.

    Every rating must name a hypothesis given here (or already stored) and an existing
    evidence item; otherwise nothing is written.
    """
    now = datetime.now(UTC)
    with ws.session() as s:
        row = s.scalars(select(CaseRow).where(CaseRow.slug == slug)).first()
        if row is None:
            row = CaseRow(slug=slug, title=title, question=question, sites=[], loaded_at=now)
            s.add(row)
        row.title, row.question, row.sites = title, question, list(sites)
        row.source_sha256, row.loaded_at = source_sha256, now
        s.flush()
        hyp_rows = {
            h.key: h
            for h in s.scalars(select(HypothesisRow).where(HypothesisRow.case_id == row.id))
        }
        for h in hypotheses:
            hr = hyp_rows.get(h.key)
            if hr is None:
                hr = HypothesisRow(case_id=row.id, key=h.key, text=h.text)
                s.add(hr)
                hyp_rows[h.key] = hr
            hr.text, hr.description = h.text, h.description or None
        s.flush()
        _write_ratings(s, hyp_rows, ratings, user, now)
        ind_rows = {
            i.key: i for i in s.scalars(select(IndicatorRow).where(IndicatorRow.case_id == row.id))
        }
        for ind in indicators:
            ir = ind_rows.get(ind.key)
            if ir is None:
                ir = IndicatorRow(case_id=row.id, key=ind.key, name=ind.name, rule={})
                s.add(ir)
            ir.name, ir.site_slug, ir.rule = ind.name, ind.site_slug, ind.rule.to_dict()


def _write_ratings(
    s: Session,
    hyp_rows: dict[str, HypothesisRow],
    ratings: Sequence[RatingInput],
    user: str,
    now: datetime,
) -> None:
    for r in ratings:
        if r.key not in hyp_rows:
            raise InputError(
                f"rating for unknown hypothesis {r.key!r} (evidence {r.evidence_id})",
                field="hypothesis",
                expected=", ".join(sorted(hyp_rows)) or "a hypothesis defined in the case",
            )
        if s.get(EvidenceRow, r.evidence_id) is None:
            raise NotFoundError(f"no evidence item {r.evidence_id}")
    existing = {
        (a.hypothesis_id, a.evidence_id): a
        for a in s.scalars(
            select(AchRatingRow).where(
                AchRatingRow.hypothesis_id.in_([h.id for h in hyp_rows.values()])
            )
        )
    }
    for r in ratings:
        hid = hyp_rows[r.key].id
        a = existing.get((hid, r.evidence_id))
        if a is None:
            a = AchRatingRow(
                hypothesis_id=hid, evidence_id=r.evidence_id, rating="", updated_by=user
            )
            s.add(a)
            existing[(hid, r.evidence_id)] = a
        if a.rating != r.rating.value or a.rationale != r.rationale:
            a.rating, a.rationale, a.updated_by, a.updated_at = (
                r.rating.value,
                r.rationale,
                user,
                now,
            )


def set_rating(
    ws: Workspace,
    slug: str,
    evidence_id: int,
    key: str,
    rating: Rating,
    *,
    user: str,
    rationale: str | None = None,
) -> None:
    """Rate one item against one hypothesis of a loaded case (unknown hypothesis: error)."""
    with ws.session() as s:
        case = _case_row(s, slug)
        hyp_rows = {
            h.key: h
            for h in s.scalars(select(HypothesisRow).where(HypothesisRow.case_id == case.id))
        }
        _write_ratings(
            s, hyp_rows, [RatingInput(evidence_id, key, rating, rationale)], user, datetime.now(UTC)
        )


def get_case(ws: Workspace, slug: str) -> CaseData:
    """A loaded case, ordered by key / evidence id so every run reads it the same way."""
    with ws.session() as s:
        case = _case_row(s, slug)
        hyps = list(
            s.scalars(
                select(HypothesisRow)
                .where(HypothesisRow.case_id == case.id)
                .order_by(HypothesisRow.key)
            )
        )
        by_id = {h.id: h.key for h in hyps}
        ratings: dict[int, dict[str, Rating]] = {}
        why: dict[int, dict[str, str]] = {}
        q = (
            select(AchRatingRow)
            .where(AchRatingRow.hypothesis_id.in_(list(by_id)))
            .order_by(AchRatingRow.evidence_id, AchRatingRow.id)
        )
        for a in s.scalars(q):
            ratings.setdefault(a.evidence_id, {})[by_id[a.hypothesis_id]] = Rating(a.rating)
            if a.rationale:
                why.setdefault(a.evidence_id, {})[by_id[a.hypothesis_id]] = a.rationale
        inds = [
            Indicator(i.key, i.name, i.site_slug, IndicatorRule.from_dict(i.rule))
            for i in s.scalars(
                select(IndicatorRow)
                .where(IndicatorRow.case_id == case.id)
                .order_by(IndicatorRow.key)
            )
        ]
        return CaseData(
            slug=case.slug,
            title=case.title,
            question=case.question,
            sites=tuple(case.sites or ()),
            hypotheses=tuple(Hypothesis(h.key, h.text, h.description or "") for h in hyps),
            ratings=ratings,
            rationales=why,
            indicators=tuple(inds),
        )


def list_cases(ws: Workspace) -> list[str]:
    """Slugs of the loaded cases, sorted."""
    with ws.session() as s:
        return sorted(s.scalars(select(CaseRow.slug)))


def save_snapshot(
    ws: Workspace, slug: str, as_of: datetime, payload: dict[str, Any], *, user: str
) -> int:
    """Keep an assessment's JSON as of a date; returns the snapshot id."""
    with ws.session() as s:
        case = _case_row(s, slug)
        row = AssessmentSnapshotRow(
            case_id=case.id,
            as_of=as_of,
            created_at=datetime.now(UTC),
            created_by=user,
            payload=payload,
        )
        s.add(row)
        s.flush()
        return row.id


def list_snapshots(ws: Workspace, slug: str) -> list[SnapshotInfo]:
    """Saved snapshots of a case, by as-of date then id."""
    with ws.session() as s:
        case = _case_row(s, slug)
        rows = s.scalars(
            select(AssessmentSnapshotRow)
            .where(AssessmentSnapshotRow.case_id == case.id)
            .order_by(AssessmentSnapshotRow.as_of, AssessmentSnapshotRow.id)
        )
        return [SnapshotInfo(r.id, r.as_of, r.created_at, r.created_by, r.payload) for r in rows]
