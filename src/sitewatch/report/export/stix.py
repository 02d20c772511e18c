"""Evidence, hypotheses and assessments as a STIX 2.1 bundle (built with ``stix2``).

Mapping (what OpenCTI imports and how it reads it):

===========================  ================================================================
sitewatch                    STIX 2.1
===========================  ================================================================
the workspace / analyst      ``identity`` (class ``organization``): ``created_by_ref`` of the
                             report, opinions and assessments
a source (outlet, account)   ``identity`` (class ``unknown``) with ``x_opencti_reliability``
                             set to OpenCTI's reliability strings, e.g. ``"B - Usually
                             reliable"``: the source's Admiralty *reliability* letter (the most
                             frequent letter among its items; ties go to the worse letter)
evidence item                ``note``: ``abstract`` = ``E<id> kind (grade)``, ``content`` =
                             the claim, grade and rationale; ``created_by_ref`` = its source;
                             ``confidence`` = the Admiralty *credibility* digit on the STIX 2.1
                             Appendix A "Admiralty Credibility" scale (1→90, 2→70, 3→50,
                             4→30, 5→10, 6 → no confidence: "cannot be judged" is not a
                             number), which is the scale OpenCTI offers for confidence; the
                             full grade in label ``admiralty:B2`` and ``x_sitewatch_grade``
a dated item with a URL      ``observed-data`` over a ``url`` SCO, first/last observed = the
                             item's time span; the note refers to it
the analyst's reading        ``opinion`` on the note from the credibility digit (1
                             strongly-agree … 5 strongly-disagree; 6 → no opinion)
a site with coordinates      ``location`` (lat/lon, ``x_opencti_location_type`` ``Position``)
a dated imagery pass         ``observed-data`` over a ``file`` SCO (name, SHA-256)
an assessment (assess)       ``note`` labelled ``sitewatch:assessment``: BLUF, estimative
                             word, probability band; ``confidence`` low/moderate/high → 15/50/85
                             (Appendix A "None/Low/Med/High"); refers to the cited notes
a hypothesis (assess)        ``note`` labelled ``sitewatch:hypothesis`` with its ACH marks
the whole export             one ``report`` referring to every object above
===========================  ================================================================

Ids are version-4-shaped UUIDs hashed from the workspace's own keys, so the same workspace
gives the same ids; only ``created``/``modified``/``published`` carry the export stamp.

>>> CREDIBILITY_CONFIDENCE[2], OPENCTI_RELIABILITY["B"]
(70, 'B - Usually reliable')
>>> stable_id("note", "evidence", 7) == stable_id("note", "evidence", 7)
True
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sitewatch.evidence.model import EvidenceItem
from sitewatch.report import providers
from sitewatch.store import Workspace, evidence_repo, passes_repo, sites_repo

__all__ = [
    "CONFIDENCE_WORDS",
    "CREDIBILITY_CONFIDENCE",
    "CREDIBILITY_OPINION",
    "OPENCTI_RELIABILITY",
    "build_bundle",
    "stable_id",
    "write_stix",
]

#: OpenCTI's ``x_opencti_reliability`` values, by Admiralty reliability letter.
OPENCTI_RELIABILITY = {
    "A": "A - Completely reliable",
    "B": "B - Usually reliable",
    "C": "C - Fairly reliable",
    "D": "D - Not usually reliable",
    "E": "E - Unreliable",
    "F": "F - Reliability cannot be judged",
}
#: STIX 2.1 Appendix A, Admiralty Credibility scale (6 "cannot be judged" has no value).
CREDIBILITY_CONFIDENCE = {1: 90, 2: 70, 3: 50, 4: 30, 5: 10}
#: The analyst's opinion of a claim from its credibility digit.
CREDIBILITY_OPINION = {
    1: "strongly-agree",
    2: "agree",
    3: "neutral",
    4: "disagree",
    5: "strongly-disagree",
}
#: STIX 2.1 Appendix A, None/Low/Med/High scale, for assessment confidence words.
CONFIDENCE_WORDS = {"low": 15, "moderate": 50, "medium": 50, "high": 85}


def stable_id(stix_type: str, *key: object) -> str:
    """A STIX id that depends only on the type and the given key.

    STIX 2.1 asks for UUIDv4 on domain objects; the bits of a hash of the key are shaped as
    a version-4 UUID, so ids stay well-formed *and* the same workspace exports the same ids.

    >>> stable_id("note", 1)[len("note--"):][14]
    '4'
    """
    name = "sitewatch/" + "/".join(str(k) for k in (stix_type, *key))
    digest = hashlib.sha256(name.encode()).digest()
    return f"{stix_type}--{uuid.UUID(bytes=digest[:16], version=4)}"


def _worse_mode(letters: Sequence[str]) -> str:
    counts = Counter(letters)
    top = max(counts.values())
    return max(letter for letter, n in counts.items() if n == top)


def _stamp(when: datetime | None) -> datetime:
    now = when or datetime.now(UTC)
    return now.astimezone(UTC).replace(microsecond=(now.microsecond // 1000) * 1000)


def _note_for(
    stix2: Any,
    e: EvidenceItem,
    *,
    source_ref: str,
    refs: list[str],
    common: dict[str, Any],
) -> Any:
    lines = [
        e.claim,
        "",
        f"Admiralty grade {e.grade}: {e.grade.describe()}.",
    ]
    if e.grade_rationale:
        lines.append(f"Why: {e.grade_rationale}")
    if e.time_start:
        span = e.time_start.date().isoformat()
        if e.time_end:
            span += f" – {e.time_end.date().isoformat()}"
        lines.append(f"When: {span}")
    if e.place:
        lines.append(f"Where: {e.place}")
    extra: dict[str, Any] = {}
    if e.grade.credibility in CREDIBILITY_CONFIDENCE:
        extra["confidence"] = CREDIBILITY_CONFIDENCE[e.grade.credibility]
    if e.url:
        extra["external_references"] = [
            {"source_name": e.source or "source", "url": e.url, "external_id": f"E{e.id}"}
        ]
    return stix2.Note(
        id=stable_id("note", "evidence", e.id),
        abstract=f"E{e.id} {e.kind.value.replace('_', ' ')} ({e.grade})",
        content="\n".join(lines),
        authors=[e.source] if e.source else None,
        object_refs=refs,
        created_by_ref=source_ref,
        labels=["sitewatch:evidence", f"admiralty:{e.grade}", e.kind.value],
        x_sitewatch_evidence_id=e.id,
        x_sitewatch_grade=str(e.grade),
        allow_custom=True,
        **extra,
        **common,
    )


def build_bundle(
    ws: Workspace, *, title: str = "sitewatch case export", stamp: datetime | None = None
) -> Any:
    """A ``stix2.Bundle`` of the workspace's evidence, sites, dated passes and assessments."""
    import stix2

    when = _stamp(stamp)
    common = {"created": when, "modified": when}
    me = stix2.Identity(
        id=stable_id("identity", "sitewatch-analyst"),
        name="sitewatch analyst workspace",
        identity_class="organization",
        description="The analyst who graded the evidence and wrote the assessments.",
        **common,
    )
    objects: list[Any] = [me]

    items = evidence_repo.list_evidence(ws)
    by_source: dict[str, list[str]] = {}
    for e in items:
        by_source.setdefault(e.source or "unattributed source", []).append(e.grade.reliability)
    source_ids: dict[str, str] = {}
    for name in sorted(by_source):
        letter = _worse_mode(by_source[name])
        ident = stix2.Identity(
            id=stable_id("identity", "source", name),
            name=name,
            identity_class="unknown",
            x_opencti_reliability=OPENCTI_RELIABILITY[letter],
            allow_custom=True,
            **common,
        )
        source_ids[name] = ident.id
        objects.append(ident)

    locations: dict[str, str] = {}
    for s in sites_repo.list_sites(ws):
        if s.geometry is None:
            continue
        c = s.geometry.centroid
        loc = stix2.Location(
            id=stable_id("location", "site", s.slug),
            name=s.name,
            latitude=round(c.y, 6),
            longitude=round(c.x, 6),
            description=f"sitewatch site {s.slug} ({s.kind.value})"
            + ("; approximate coordinates" if s.approximate else ""),
            x_opencti_location_type="Position",
            allow_custom=True,
            **common,
        )
        locations[s.slug] = loc.id
        objects.append(loc)

    for p in passes_repo.list_passes(ws):
        if p.acquired_at is None:
            continue  # observed-data needs a time; an undated pass cannot say when it saw
        f = stix2.File(name=Path(p.path).name, hashes={"SHA-256": p.sha256})
        od = stix2.ObservedData(
            id=stable_id("observed-data", "pass", p.id),
            first_observed=p.acquired_at,
            last_observed=p.acquired_at,
            number_observed=1,
            object_refs=[f.id],
            created_by_ref=me.id,
            labels=["sitewatch:pass", f"site:{p.site_slug}"],
            **common,
        )
        objects += [f, od]

    note_ids: dict[int, str] = {}
    for e in items:
        refs: list[str] = []
        if e.site_slug in locations:
            refs.append(locations[e.site_slug or ""])
        if e.url and e.time_start:
            url = stix2.URL(value=e.url)
            od = stix2.ObservedData(
                id=stable_id("observed-data", "evidence", e.id),
                first_observed=e.time_start,
                last_observed=e.time_end or e.time_start,
                number_observed=1,
                object_refs=[url.id],
                created_by_ref=source_ids[e.source or "unattributed source"],
                **common,
            )
            if url.id not in {o.id for o in objects}:
                objects.append(url)
            objects.append(od)
            refs.append(od.id)
        src = source_ids[e.source or "unattributed source"]
        note = _note_for(stix2, e, source_ref=src, refs=refs or [src], common=common)
        note_ids[e.id or 0] = note.id
        objects.append(note)
        if e.grade.credibility in CREDIBILITY_OPINION:
            objects.append(
                stix2.Opinion(
                    id=stable_id("opinion", "evidence", e.id),
                    opinion=CREDIBILITY_OPINION[e.grade.credibility],
                    explanation=f"Admiralty credibility {e.grade.credibility}: "
                    f"{e.grade.describe().split('; ')[1]}",
                    object_refs=[note.id],
                    created_by_ref=me.id,
                    **common,
                )
            )

    ran, assessments = providers.call_hook(providers.ASSESS_EXPORT_HOOK, ws)
    for n, a in enumerate(assessments or [] if ran else []):
        cited = sorted({i for j in a.judgments for i in j.evidence_ids} | set(a.ach))
        refs = [note_ids[i] for i in cited if i in note_ids] or [me.id]
        hyp_ids = []
        for h in a.hypotheses:
            marks = {str(eid): str(m.get(h.key, "")) for eid, m in sorted(a.ach.items())}
            hn = stix2.Note(
                id=stable_id("note", "hypothesis", n, h.key),
                abstract=f"Hypothesis {h.key}: {h.text}",
                content=f"{h.text}\n\nACH marks by evidence id: {json.dumps(marks)}",
                object_refs=refs,
                created_by_ref=me.id,
                labels=["sitewatch:hypothesis"],
                x_sitewatch_ach=marks,
                allow_custom=True,
                **common,
            )
            hyp_ids.append(hn.id)
            objects.append(hn)
        lo, hi = a.probability_band
        text = [
            a.bluf,
            "",
            f"Estimative word: {a.estimative_word} ({round(lo * 100)}–{round(hi * 100)} %), "
            f"{a.confidence} confidence.",
            *[f"- {j.text} [{', '.join(f'E{i}' for i in j.evidence_ids)}]" for j in a.judgments],
            *([""] + ["Would change this judgment:"] + [f"- {w}" for w in a.would_change]),
        ]
        extra = {}
        if a.confidence.lower() in CONFIDENCE_WORDS:
            extra["confidence"] = CONFIDENCE_WORDS[a.confidence.lower()]
        objects.append(
            stix2.Note(
                id=stable_id("note", "assessment", n),
                abstract=f"Assessment: {a.question}",
                content="\n".join(text),
                object_refs=refs + hyp_ids,
                created_by_ref=me.id,
                labels=["sitewatch:assessment", f"estimative:{a.estimative_word}"],
                x_sitewatch_probability_band=[lo, hi],
                allow_custom=True,
                **extra,
                **common,
            )
        )

    report = stix2.Report(
        id=stable_id("report", "case", title),
        name=title,
        description=(
            "Evidence with Admiralty grades, sites, dated imagery passes and assessments "
            "exported by sitewatch."
            + ("" if ran else " No assessment: the assess stage has not been run.")
        ),
        published=when,
        report_types=["threat-report"],
        object_refs=[o.id for o in objects],
        created_by_ref=me.id,
        **common,
    )
    objects.append(report)
    return stix2.Bundle(objects=objects, id=stable_id("bundle", "case", title), allow_custom=True)


def write_stix(
    ws: Workspace, out: Path, *, title: str = "sitewatch case export", stamp: datetime | None = None
) -> Path:
    """Write :func:`build_bundle` as pretty JSON to ``out``."""
    bundle = build_bundle(ws, title=title, stamp=stamp)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(bundle.serialize(pretty=True) + "\n", encoding="utf-8")
    return out
