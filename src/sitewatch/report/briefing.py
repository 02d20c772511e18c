"""The briefing: what a reader needs to check a judgment, collected from the workspace.

:func:`collect_briefing` reads one *scope* — a site, or the whole case — as of a date:
sites, passes with imagery panels (detections from the store, change events when the change
stage provides them), the graded evidence, and whatever the later stages provide through the
hooks in :mod:`sitewatch.report.providers`. A part whose stage has not run is *said* not to
have run; nothing is invented. :func:`render_briefing` writes HTML and :func:`render_pdf` the
same document as PDF (WeasyPrint). The output is deterministic for the same workspace: only
the generation stamp differs.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from sitewatch.errors import NotFoundError
from sitewatch.evidence.model import EvidenceItem
from sitewatch.imagery.model import Frame, Pass
from sitewatch.imagery.reader import RasterReader
from sitewatch.report import providers
from sitewatch.report.figures import (
    evidence_timeline_png,
    imagery_panel_png,
    north_is_up,
    png_bytes,
    series_png,
    sites_map_png,
)
from sitewatch.report.licences import imagery_licence_for
from sitewatch.report.scope import Scope, resolve_scope
from sitewatch.sites.model import Site
from sitewatch.store import Workspace, detections_repo, evidence_repo, passes_repo, sites_repo

__all__ = [
    "AchView",
    "AssessmentView",
    "BriefingData",
    "ImageryPanel",
    "ImagerySource",
    "JudgmentView",
    "PassView",
    "Section",
    "StageStatus",
    "cited_ids",
    "collect_briefing",
    "data_uri",
    "render_briefing",
    "render_html",
    "render_pdf",
]


def data_uri(png: bytes) -> str:
    """A PNG as an inline ``data:`` URI so the briefing is one self-contained file.

    >>> data_uri(b"x")
    'data:image/png;base64,eA=='
    """
    return "data:image/png;base64," + base64.b64encode(png).decode()


@dataclass
class Section:
    """A titled block of trusted HTML that a later stage adds to the briefing."""

    title: str
    html: str
    anchor: str


@dataclass(frozen=True)
class StageStatus:
    """Whether a stage has fed this part of the briefing, and the sentence that says so."""

    ran: bool
    note: str


@dataclass
class PassView:
    """A pass and its thumbnail for the briefing."""

    pass_: Pass
    thumbnail: str


@dataclass(frozen=True)
class JudgmentView:
    """A key judgment and the evidence it cites."""

    text: str
    evidence_ids: tuple[int, ...]


@dataclass(frozen=True)
class AchView:
    """The ACH matrix: hypotheses as columns, evidence ids as rows, marks in cells."""

    hypotheses: tuple[tuple[str, str], ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]


@dataclass(frozen=True)
class AssessmentView:
    """An assessment as the template prints it."""

    question: str
    bluf: str
    estimative_word: str
    band: str
    confidence: str
    judgments: tuple[JudgmentView, ...]
    ach: AchView
    would_change: tuple[str, ...]
    as_of: str


@dataclass(frozen=True)
class ImageryPanel:
    """One rendered imagery panel and the facts printed under it."""

    pass_id: int
    role: str
    image: str
    site_slug: str
    when: str
    sensor: str
    gsd: str
    frame_note: str
    detections_note: str
    events_note: str


@dataclass(frozen=True)
class ImagerySource:
    """The provenance and licence of one image shown."""

    pass_id: int
    file: str
    sha256: str
    provider: str
    licence: str
    licence_file: str


@dataclass
class BriefingData:
    """Everything the template shows."""

    title: str
    subtitle: str
    sites: list[Site]
    passes: list[PassView]
    evidence: list[EvidenceItem]
    sites_map: str
    timeline: str
    sections: list[Section] = field(default_factory=list)
    generated_at: str = ""
    scope: Scope | None = None
    as_of: datetime | None = None
    assessments: list[AssessmentView] = field(default_factory=list)
    assess_status: StageStatus = StageStatus(False, "")
    panels: list[ImageryPanel] = field(default_factory=list)
    change_status: StageStatus = StageStatus(False, "")
    series: str = ""
    activity: str = ""
    activity_status: StageStatus = StageStatus(False, "")
    imagery_sources: list[ImagerySource] = field(default_factory=list)
    missing_citations: list[int] = field(default_factory=list)

    @property
    def evidence_by_id(self) -> dict[int, EvidenceItem]:
        """The appendix's items by id (the ACH table prints their grade and claim)."""
        return {e.id: e for e in self.evidence if e.id is not None}

    @property
    def licence_note(self) -> str:
        """A plain sentence on the terms the shown imagery imposes ("" when none apply)."""
        names = " ".join(s.licence for s in self.imagery_sources)
        if "NC" not in names:
            return ""
        note = "Some imagery shown is licensed for non-commercial use only"
        if "SA" in names:
            note += (
                "; share-alike: this briefing, as a work derived from it, carries the same terms"
            )
        return note + "."


def cited_ids(assessments: Sequence[AssessmentView]) -> list[int]:
    """Every evidence id a judgment or an ACH row cites, sorted and unique.

    >>> a = AssessmentView("q", "b", "likely", "55–80 %", "moderate",
    ...     (JudgmentView("t", (3, 1)),), AchView((), ((2, ()),)), (), "")
    >>> cited_ids([a])
    [1, 2, 3]
    """
    ids: set[int] = set()
    for a in assessments:
        for j in a.judgments:
            ids.update(j.evidence_ids)
        ids.update(i for i, _ in a.ach.rows)
    return sorted(ids)


def _thumb(p: Pass, max_side: int = 420) -> str:
    with RasterReader(p.path) as r:
        return data_uri(png_bytes(r.thumbnail(max_side)))


def _not_run(stage: str, module: str, parts: str) -> StageStatus:
    return StageStatus(
        False,
        f"Not run: the {stage} stage ({module}) has not produced {parts} for this scope, so "
        "this briefing makes no such statement.",
    )


def _band(band: tuple[float, float]) -> str:
    lo, hi = band
    return f"{round(lo * 100)}–{round(hi * 100)} %"


def _assessment_view(a: providers.AssessmentLike) -> AssessmentView:
    keys = tuple((h.key, h.text) for h in a.hypotheses)
    rows = tuple(
        (int(eid), tuple(str(marks.get(k, "")) for k, _ in keys))
        for eid, marks in sorted(a.ach.items())
    )
    return AssessmentView(
        question=a.question,
        bluf=a.bluf,
        estimative_word=a.estimative_word,
        band=_band(a.probability_band),
        confidence=a.confidence,
        judgments=tuple(
            JudgmentView(j.text, tuple(int(i) for i in j.evidence_ids)) for j in a.judgments
        ),
        ach=AchView(keys, rows),
        would_change=tuple(a.would_change),
        as_of=a.as_of.strftime("%Y-%m-%d") if a.as_of else "",
    )


def _pass_sort_key(p: Pass) -> tuple[datetime, int]:
    return (p.acquired_at or datetime.min.replace(tzinfo=UTC), p.id or 0)


def _default_pairs(sites: Sequence[Site], passes: Sequence[Pass]) -> list[tuple[Pass, Pass | None]]:
    """Per site: the baseline (or earliest) pass and the latest one, when they differ."""
    out: list[tuple[Pass, Pass | None]] = []
    for s in sites:
        mine = sorted((p for p in passes if p.site_slug == s.slug), key=_pass_sort_key)
        if not mine:
            continue
        before = next((p for p in mine if p.id == s.baseline_pass_id), mine[0])
        after = mine[-1] if mine[-1].id != before.id else None
        out.append((before, after))
    return out


def _panel(
    ws: Workspace,
    p: Pass,
    role: str,
    events: Sequence[providers.EventLike],
    change_model: str | None,
    change_ran: bool,
    max_side: int = 560,
) -> ImageryPanel:
    pass_id = p.id or 0
    dets = detections_repo.list_detections(ws, pass_id)
    run = detections_repo.latest_run(ws, pass_id)
    with RasterReader(p.path) as r:
        thumb = r.thumbnail(max_side)
        scale = max(r.width, r.height) / max(thumb.shape[:2])
    boxes = [(d.effective_class, d.polygon_px) for d in dets]
    marks = [(f"{e.kind} {e.class_name}", float(e.cx), float(e.cy)) for e in events]
    up = p.frame is Frame.MAP and north_is_up(p.transform)
    png = imagery_panel_png(
        thumb,
        scale=scale,
        gsd_m=p.gsd_m,
        north_up=up,
        title=f"pass {pass_id} ({role}) · {p.describe_time()}",
        boxes=boxes,
        events=marks,
    )
    if run is not None:
        det_note = (
            f"{len(dets)} detections shown (reviewed; rejected left out) from model "
            f"{run.model_name} {run.model_version}, run {run.id}"
        )
    elif dets:
        versions = sorted({d.model_version or "unstated" for d in dets})
        det_note = f"{len(dets)} detections shown; model version {', '.join(versions)}"
    else:
        det_note = "detector not run on this pass"
    if not change_ran:
        ev_note = "change detection not run"
    else:
        ev_note = f"{len(events)} change events marked" + (
            f" (change model {change_model})" if change_model else ""
        )
    frame_note = f"{p.crs}, north up" if up else "pixel frame — north unknown (no georeference)"
    return ImageryPanel(
        pass_id=pass_id,
        role=role,
        image=data_uri(png),
        site_slug=p.site_slug,
        when=p.describe_time(),
        sensor=p.sensor or "sensor not stated",
        gsd=f"{p.gsd_m:.2f} m" if p.gsd_m else "GSD not known",
        frame_note=frame_note,
        detections_note=det_note,
        events_note=ev_note,
    )


def _imagery_source(p: Pass) -> ImagerySource:
    lic = imagery_licence_for(p.path, p.meta)
    return ImagerySource(
        pass_id=p.id or 0,
        file=Path(p.path).name,
        sha256=p.sha256,
        provider=lic.provider or "provider not recorded",
        licence=lic.licence,
        licence_file=lic.licence_file or "",
    )


def _series_triples(
    series: Sequence[providers.SeriesLike],
) -> list[tuple[str, str, Sequence[tuple[datetime, float]]]]:
    return [(s.name, s.unit, list(s.points)) for s in series if list(s.points)]


def collect_briefing(
    ws: Workspace,
    *,
    title: str,
    subtitle: str = "",
    site_slugs: Sequence[str] | None = None,
    scope: str | None = None,
    as_of: datetime | None = None,
) -> BriefingData:
    """Read one scope of the workspace as of a date into a :class:`BriefingData`.

    Parameters
    ----------
    ws
        The workspace.
    title, subtitle
        Printed at the top.
    site_slugs
        Restrict passes to these sites (kept for older callers; prefer ``scope``).
    scope
        A site (slug, name or alias) or a case name (``case``, ``syria-2024``); default: the
        whole case.
    as_of
        Leave out evidence and dated passes after this time (UTC); ``None``: everything.
    """
    sc = resolve_scope(ws, scope or "case")
    all_sites = sites_repo.list_sites(ws)
    sites = [s for s in all_sites if sc.site_slugs is None or s.slug in sc.site_slugs]
    slugs = [s.slug for s in sites]
    passes = [
        p
        for p in passes_repo.list_passes(ws)
        if (site_slugs is None or p.site_slug in site_slugs)
        and p.site_slug in slugs
        and (as_of is None or p.acquired_at is None or p.acquired_at <= as_of)
    ]
    items = [
        i
        for i in evidence_repo.list_evidence(ws, until=as_of)
        if sc.site_slugs is None or i.site_slug in sc.site_slugs
    ]

    ran, result = providers.call_hook(providers.ASSESS_HOOK, ws, sites=slugs, as_of=as_of)
    assessments = [_assessment_view(a) for a in (result or [])] if ran else []
    assess_status = (
        StageStatus(True, "")
        if assessments
        else _not_run(
            "assessment",
            "sitewatch.assess",
            "a bottom line, key judgments, an ACH matrix or indicators",
        )
    )

    # Cited evidence outside the scope's filter still belongs in the appendix: a citation must
    # always resolve, and a missing one is reported rather than dropped.
    known = {i.id for i in items}
    missing: list[int] = []
    for eid in cited_ids(assessments):
        if eid not in known:
            try:
                items.append(evidence_repo.get_evidence(ws, eid))
            except NotFoundError:
                missing.append(eid)
    far = datetime.max.replace(tzinfo=UTC)
    items.sort(key=lambda i: (i.time_start or far, i.id or 0))

    ran_c, change = providers.call_hook(providers.CHANGE_HOOK, ws, sites=slugs, as_of=as_of)
    by_id = {p.id: p for p in passes}
    panels: list[ImageryPanel] = []
    if ran_c and change is not None and list(change.pairs):
        for pair in change.pairs:
            before, after = by_id.get(pair.before_pass_id), by_id.get(pair.after_pass_id)
            if before is None or after is None:
                continue
            panels.append(_panel(ws, before, "before", (), pair.model_version, True))
            panels.append(_panel(ws, after, "after", list(pair.events), pair.model_version, True))
    else:
        for before, after in _default_pairs(sites, passes):
            panels.append(_panel(ws, before, "before" if after else "only", (), None, False))
            if after is not None:
                panels.append(_panel(ws, after, "after", (), None, False))
    change_status = (
        StageStatus(True, "")
        if ran_c and change is not None
        else _not_run("change", "sitewatch.change", "change events or time series")
    )
    series = _series_triples(change.series) if ran_c and change is not None else []

    ran_t, activity = providers.call_hook(providers.ACTIVITY_HOOK, ws, sites=slugs, as_of=as_of)
    act = _series_triples(activity or []) if ran_t else []
    activity_status = (
        StageStatus(True, "")
        if act
        else _not_run("tracks", "sitewatch.tracks", "flight or vessel activity")
    )

    shown = sorted({p.pass_id for p in panels} | {p.id or 0 for p in passes})
    data = BriefingData(
        title=title,
        subtitle=subtitle,
        sites=sites,
        passes=[PassView(p, _thumb(p)) for p in passes],
        evidence=items,
        sites_map=(data_uri(sites_map_png(sites)) if any(s.geometry for s in sites) else ""),
        timeline=data_uri(evidence_timeline_png(items)) if items else "",
        scope=sc,
        as_of=as_of,
        assessments=assessments,
        assess_status=assess_status,
        panels=panels,
        change_status=change_status,
        series=data_uri(series_png(series, title="Time series")) if series else "",
        activity=data_uri(series_png(act, title="Activity near the sites")) if act else "",
        activity_status=activity_status,
        imagery_sources=[_imagery_source(by_id[i]) for i in shown if i in by_id],
        missing_citations=missing,
    )
    for reg in providers.registered_sections():
        html = reg.builder(data)
        if html:
            anchor = "x-" + "".join(c if c.isalnum() else "-" for c in reg.title.lower())
            data.sections.append(Section(reg.title, html, anchor))
    return data


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("sitewatch.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["trusted"] = Markup
    return env


def render_html(data: BriefingData, *, for_print: bool = False) -> str:
    """The briefing as one self-contained HTML string (``for_print`` adds page CSS)."""
    data.generated_at = data.generated_at or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    template = _environment().get_template("briefing.html.j2")
    return template.render(b=data, print=for_print)


def render_briefing(data: BriefingData, out: str | Path) -> Path:
    """Write the briefing HTML to ``out`` and return its path."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(data), encoding="utf-8")
    return path


def render_pdf(data: BriefingData, out: str | Path) -> Path:
    """Write the briefing as PDF with WeasyPrint (the ``pdf`` extra) and return its path.

    Raises
    ------
    SitewatchError
        When WeasyPrint is not installed, with the command that installs it.
    """
    try:
        import weasyprint
    except ImportError:
        from sitewatch.errors import SitewatchError

        raise SitewatchError(
            "PDF output needs WeasyPrint: pip install 'sitewatch[pdf]' (or use --format html)"
        ) from None
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc: Any = weasyprint.HTML(string=render_html(data, for_print=True))
    doc.write_pdf(str(path))
    return path
