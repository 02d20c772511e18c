"""Assessments from a workspace: as of a date, over dates (momentum), and for the briefing.

>>> import tempfile, os
>>> from sitewatch.store import Workspace
>>> ws = Workspace.open(os.path.join(tempfile.mkdtemp(), "ws.db"))
>>> briefing_assessments(ws, sites=["hmeimim"], as_of=None)   # no case loaded: nothing to say
[]
>>> ws.close()
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sitewatch.assess.engine import Assessment, build_assessment, utc_day_end
from sitewatch.assess.indicators import IndicatorState, indicator_history

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from sitewatch.store.workspace import Workspace

__all__ = [
    "assess",
    "briefing_assessments",
    "briefing_data",
    "evolution",
    "export_assessments",
    "indicator_histories",
    "plot_evolution",
]


def _inputs(ws: Workspace, slug: str) -> tuple[Any, list[Any], list[Any]]:
    from sitewatch.store import assess_repo, evidence_repo

    case = assess_repo.get_case(ws, slug)
    return case, evidence_repo.list_evidence(ws), evidence_repo.list_links(ws)


def assess(ws: Workspace, slug: str, as_of: datetime) -> Assessment:
    """The assessment of a loaded case as of the end of the UTC day ``as_of``."""
    case, items, links = _inputs(ws, slug)
    return build_assessment(case, items, links, utc_day_end(as_of))


def evolution(ws: Workspace, slug: str, dates: Sequence[datetime]) -> list[dict[str, Any]]:
    """How the picture moved: one plain record per date (dates with no rated evidence skipped).

    Each record has ``as_of`` (ISO date), ``leader``, ``estimative_word``,
    ``probability_band``, ``confidence``, ``probabilities`` and ``inconsistency`` by
    hypothesis, ``n_items`` and ``momentum`` (change in probability since the previous record).
    """
    case, items, links = _inputs(ws, slug)
    out: list[dict[str, Any]] = []
    prev: dict[str, float] | None = None
    for d in sorted(dates):
        try:
            a = build_assessment(case, items, links, utc_day_end(d))
        except Exception as exc:  # a date before any rated evidence: nothing to plot there
            from sitewatch.errors import InputError

            if isinstance(exc, InputError):
                continue
            raise
        out.append(
            {
                "as_of": a.as_of.date().isoformat(),
                "leader": a.leader,
                "estimative_word": a.estimative_word,
                "probability_band": list(a.probability_band),
                "confidence": a.confidence,
                "probabilities": dict(a.probabilities),
                "inconsistency": dict(a.matrix.inconsistency),
                "n_items": len(a.matrix.rows),
                "sensitive_to": [s.evidence_id for s in a.matrix.sensitivity],
                "momentum": (
                    {k: round(v - prev[k], 4) for k, v in a.probabilities.items()} if prev else {}
                ),
            }
        )
        prev = dict(a.probabilities)
    return out


def briefing_data(
    ws: Workspace,
    slug: str,
    as_of: datetime | None = None,
    dates: Sequence[datetime] | None = None,
) -> dict[str, Any]:
    """What a briefing shows, as plain data: the assessment as of a date and its evolution.

    ``as_of`` defaults to the case file's date (13 Dec 2024 for ``syria-2024``) and ``dates``
    to the case file's evolution dates (to late January 2025). Returns
    ``{"assessment": Assessment.to_dict(), "evolution": [records of evolution()]}``; draw the
    evolution with :func:`plot_evolution`.
    """
    from sitewatch.assess.case import read_case

    when, over = as_of, list(dates) if dates is not None else None
    if when is None or over is None:
        spec = read_case(slug)
        when = when if when is not None else spec.default_as_of
        over = over if over is not None else list(spec.evolution)
    return {
        "assessment": assess(ws, slug, when).to_dict(),
        "evolution": evolution(ws, slug, over),
    }


def indicator_histories(
    ws: Workspace, slug: str, until: datetime | None = None
) -> dict[str, list[IndicatorState]]:
    """Each indicator's changes of level over the whole log (or up to ``until``)."""
    case, items, _ = _inputs(ws, slug)
    end = utc_day_end(until) if until is not None else None
    return {ind.key: indicator_history(ind, items, end) for ind in case.indicators}


def plot_evolution(
    records: Sequence[dict[str, Any]],
    path: str | Path | None = None,
    *,
    ax: Axes | None = None,
    title: str = "Competing hypotheses over time",
    labels: Mapping[str, str] | None = None,
) -> Figure:
    """Plot each hypothesis's share over the dates of :func:`evolution`; save to ``path``.

    The shaded band is the ICD 203 range of the leader at each date; the y axis is the
    scores' share, not a measured frequency (see docs/assessment.md). ``labels`` maps a
    hypothesis key to the text shown in the legend (e.g. ``{"H2": "partial withdrawal"}``).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 4), dpi=100)
    else:
        fig = ax.figure  # type: ignore[assignment]
    # matplotlib plots datetimes through its converters; its stubs only admit numbers
    dates: Any = [datetime.fromisoformat(r["as_of"]).replace(tzinfo=UTC) for r in records]
    keys = sorted({k for r in records for k in r["probabilities"]})
    for k in keys:
        ax.plot(
            dates,
            [r["probabilities"].get(k, 0.0) for r in records],
            marker="o",
            label=f"{k}: {labels[k]}" if labels and k in labels else k,
        )
    if records:
        ax.fill_between(
            dates,
            [r["probability_band"][0] for r in records],
            [r["probability_band"][1] for r in records],
            color="grey",
            alpha=0.15,
            step="mid",
            label="leader's band",
        )
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of the scores")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize="small")
    fig.autofmt_xdate()
    if path is not None:
        fig.savefig(path, bbox_inches="tight")
    return fig


def briefing_assessments(
    ws: Workspace, *, sites: Sequence[str] = (), as_of: datetime | None = None
) -> list[Assessment]:
    """The report's hook: one assessment per loaded case touching ``sites`` (all if empty).

    ``as_of`` ``None`` means "with everything in the log".
    """
    from sitewatch.store import assess_repo

    out = []
    when = as_of or datetime.now(UTC)
    for slug in assess_repo.list_cases(ws):
        case, items, links = _inputs(ws, slug)
        if sites and case.sites and not set(sites) & set(case.sites):
            continue
        try:
            out.append(build_assessment(case, items, links, utc_day_end(when)))
        except Exception as exc:
            from sitewatch.errors import InputError

            if not isinstance(exc, InputError):
                raise
    return out


def export_assessments(ws: Workspace) -> list[Assessment]:
    """The export hook: each loaded case assessed with everything in the log."""
    return briefing_assessments(ws)
