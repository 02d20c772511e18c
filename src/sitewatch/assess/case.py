"""Case files: the built-in case (and any other) as data — grades, links, hypotheses, ratings.

A case file is YAML (see ``cases/syria-2024.yaml``). It never copies the timeline: it names
the CSV under :func:`sitewatch.config.data_dir` and refers to rows by a stable reference
``"<date text> | <piece of the event text>"``, resolved when the case is loaded.

Loading checks the whole file first — hypotheses, ratings, grades, link cycles, references —
and only then writes, so a bad file leaves the workspace as it was.

>>> spec = read_case("syria-2024")
>>> [h.key for h in spec.hypotheses], spec.default_as_of.date().isoformat()
(['H1', 'H2', 'H3', 'H4'], '2024-12-13')
>>> parse_ref("2024-12-13 | Two An-124")
('2024-12-13', 'Two An-124')
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from sitewatch.assess.ach import Hypothesis, Rating
from sitewatch.assess.indicators import Indicator, IndicatorRule
from sitewatch.config import data_dir
from sitewatch.errors import InputError
from sitewatch.evidence.importer import parse_evidence_file
from sitewatch.evidence.links import EvidenceLink, LinkKind, check_link
from sitewatch.evidence.model import EvidenceItem, Grade

__all__ = [
    "CaseEntry",
    "CaseLink",
    "CaseSpec",
    "LoadReport",
    "builtin_cases",
    "case_path",
    "load_case",
    "parse_ref",
    "read_case",
    "resolve_refs",
]


@dataclass(frozen=True)
class CaseEntry:
    """One timeline row of the case: its grade (optional override) and its ratings."""

    ref: str
    grade: Grade | None
    why: str | None
    ach: Mapping[str, Rating]


@dataclass(frozen=True)
class CaseLink:
    """A link between two rows, by reference."""

    source: str
    kind: LinkKind
    target: str
    note: str | None = None


@dataclass(frozen=True)
class CaseSpec:
    """A parsed, validated case file."""

    slug: str
    title: str
    question: str
    timeline: str
    sites: tuple[str, ...]
    hypotheses: tuple[Hypothesis, ...]
    entries: tuple[CaseEntry, ...]
    links: tuple[CaseLink, ...]
    indicators: tuple[Indicator, ...]
    default_as_of: datetime
    evolution: tuple[datetime, ...]
    path: str
    sha256: str = field(default="", compare=False)


def builtin_cases() -> list[str]:
    """Slugs of the case files shipped with sitewatch.

    >>> "syria-2024" in builtin_cases()
    True
    """
    folder = resources.files("sitewatch.assess") / "cases"
    return sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )


def case_path(slug_or_path: str | Path) -> Path:
    """The file of a built-in case by slug, or the path given when it is a file."""
    p = Path(slug_or_path)
    if p.suffix in (".yaml", ".yml") and p.is_file():
        return p
    ref = resources.files("sitewatch.assess") / "cases" / f"{slug_or_path}.yaml"
    if not ref.is_file():
        raise InputError(
            f"no case {str(slug_or_path)!r}",
            field="CASE",
            expected=f"one of {', '.join(builtin_cases())} or a .yaml file",
        )
    return Path(str(ref))


def parse_ref(ref: str) -> tuple[str, str]:
    """Split ``"<date text> | <text>"`` into its two parts (``ValueError`` when malformed)."""
    date, sep, text = ref.partition("|")
    if not sep or not date.strip() or not text.strip():
        raise ValueError(f"bad reference {ref!r} (expected '<date> | <piece of the event text>')")
    return date.strip(), text.strip()


def _day(text: Any, where: str, path: Path) -> datetime:
    try:
        return datetime.fromisoformat(str(text)).replace(tzinfo=UTC)
    except ValueError:
        raise InputError(
            f"unreadable date {text!r}", path=path, field=where, expected="YYYY-MM-DD"
        ) from None


def _req(doc: Mapping[str, Any], key: str, path: Path, where: str = "") -> Any:
    if key not in doc or doc[key] in (None, "", []):
        raise InputError("missing", path=path, field=f"{where}{key}")
    return doc[key]


def read_case(slug_or_path: str | Path) -> CaseSpec:
    """Read and validate a case file; every problem is an :class:`InputError` naming its field."""
    path = case_path(slug_or_path)
    raw = path.read_bytes()
    try:
        doc = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise InputError(f"unreadable YAML ({exc})", path=path) from None
    if not isinstance(doc, dict):
        raise InputError("expected a mapping at the top", path=path)
    hyps: list[Hypothesis] = []
    for i, h in enumerate(_req(doc, "hypotheses", path)):
        where = f"hypotheses[{i}]."
        hyps.append(
            Hypothesis(
                str(_req(h, "key", path, where)),
                str(_req(h, "text", path, where)),
                str(h.get("description") or "").strip(),
            )
        )
    keys = [h.key for h in hyps]
    if len(set(keys)) != len(keys):
        raise InputError("duplicate hypothesis key", path=path, field="hypotheses")
    entries: list[CaseEntry] = []
    for i, e in enumerate(doc.get("evidence") or []):
        where = f"evidence[{i}]"
        ref = str(_req(e, "ref", path, f"{where}."))
        try:
            parse_ref(ref)
        except ValueError as exc:
            raise InputError(str(exc), path=path, field=f"{where}.ref") from None
        grade = None
        if e.get("grade") is not None:
            try:
                grade = Grade.parse(str(e["grade"]))
            except ValueError as exc:
                raise InputError(str(exc), path=path, field=f"{where}.grade ({ref})") from None
            if not str(e.get("why") or "").strip():
                raise InputError(
                    "a grade needs its reason", path=path, field=f"{where}.why ({ref})"
                )
        ach: dict[str, Rating] = {}
        for key, value in (e.get("ach") or {}).items():
            if str(key) not in keys:
                raise InputError(
                    f"rating for unknown hypothesis {key!r}",
                    path=path,
                    field=f"{where}.ach ({ref})",
                    expected=", ".join(keys),
                )
            try:
                ach[str(key)] = Rating.parse(str(value))
            except ValueError as exc:
                raise InputError(str(exc), path=path, field=f"{where}.ach.{key} ({ref})") from None
        entries.append(CaseEntry(ref, grade, str(e.get("why") or "").strip() or None, ach))
    links: list[CaseLink] = []
    for i, lk in enumerate(doc.get("links") or []):
        where = f"links[{i}]."
        try:
            kind = LinkKind.parse(str(_req(lk, "kind", path, where)))
        except ValueError as exc:
            raise InputError(str(exc), path=path, field=f"{where}kind") from None
        links.append(
            CaseLink(
                str(_req(lk, "from", path, where)),
                kind,
                str(_req(lk, "to", path, where)),
                lk.get("note"),
            )
        )
    indicators: list[Indicator] = []
    for i, ind in enumerate(doc.get("indicators") or []):
        where = f"indicators[{i}]."
        try:
            rule = IndicatorRule.from_dict(_req(ind, "rule", path, where))
        except ValueError as exc:
            raise InputError(str(exc), path=path, field=f"{where}rule") from None
        indicators.append(
            Indicator(
                str(_req(ind, "key", path, where)),
                str(_req(ind, "name", path, where)),
                ind.get("site"),
                rule,
            )
        )
    return CaseSpec(
        slug=str(_req(doc, "slug", path)),
        title=str(_req(doc, "title", path)),
        question=" ".join(str(_req(doc, "question", path)).split()),
        timeline=str(_req(doc, "timeline", path)),
        sites=tuple(str(s) for s in doc.get("sites") or ()),
        hypotheses=tuple(hyps),
        entries=tuple(entries),
        links=tuple(links),
        indicators=tuple(indicators),
        default_as_of=_day(_req(doc, "default_as_of", path), "default_as_of", path),
        evolution=tuple(_day(d, "evolution", path) for d in doc.get("evolution") or ()),
        path=str(path),
        sha256=hashlib.sha256(raw).hexdigest(),
    )


def resolve_refs(
    refs: Sequence[str], items: Sequence[EvidenceItem], *, path: str
) -> dict[str, EvidenceItem]:
    """Map each reference to exactly one item (same date text, event text contains the piece)."""
    out: dict[str, EvidenceItem] = {}
    for ref in refs:
        if ref in out:
            continue
        date, text = parse_ref(ref)
        hits = [
            i
            for i in items
            if str(i.meta.get("date_text", "")) == date and text.casefold() in i.claim.casefold()
        ]
        if len(hits) != 1:
            what = "matches no timeline row" if not hits else f"matches {len(hits)} timeline rows"
            raise InputError(
                f"reference {ref!r} {what}",
                path=path,
                field="ref",
                expected="the row's exact date text and a piece of its event text, "
                "unique on that date",
            )
        out[ref] = hits[0]
    return out


@dataclass(frozen=True)
class LoadReport:
    """What ``case load`` did."""

    slug: str
    timeline_rows: int
    evidence_added: int
    evidence_present: int
    graded: int
    links_added: int
    links_present: int
    hypotheses: int
    ratings: int
    indicators: int


def load_case(
    ws: Any, slug_or_path: str | Path, *, user: str, data: Path | None = None
) -> LoadReport:
    """Load a case into a workspace: sites, timeline evidence, grades, links, hypotheses,
    ratings, indicators. Idempotent: loading twice changes nothing the second time.

    Everything is checked before the first write (references, grades, ratings, links).
    """
    from sitewatch.sites.builtin import seed_builtin_sites
    from sitewatch.store import assess_repo, evidence_repo, sites_repo
    from sitewatch.store.assess_repo import RatingInput

    spec = read_case(slug_or_path)
    timeline = (data or data_dir()) / spec.timeline
    if not timeline.is_file():
        raise InputError(
            "timeline not found",
            path=timeline,
            expected="the shared data folder (set SITEWATCH_DATA)",
        )
    seed_builtin_sites(ws)
    sites = sites_repo.list_sites(ws)
    known = {s.slug for s in sites}
    for slug in spec.sites:
        if slug not in known:
            raise InputError(f"unknown site {slug!r}", path=spec.path, field="sites")
    parsed = parse_evidence_file(timeline, sites=sites)
    if parsed.errors:
        raise parsed.errors[0]
    refs = [e.ref for e in spec.entries] + [r for lk in spec.links for r in (lk.source, lk.target)]
    by_ref = resolve_refs(refs, parsed.items, path=spec.path)
    # Validate the links among themselves before anything is written (keys stand in for ids).
    key_of = {it.origin_key: n for n, it in enumerate(parsed.items)}
    trial: list[EvidenceLink] = []
    for lk in spec.links:
        cand = EvidenceLink(
            key_of[by_ref[lk.source].origin_key], key_of[by_ref[lk.target].origin_key], lk.kind
        )
        try:
            check_link(trial, cand)
        except InputError as exc:
            raise InputError(
                f"{exc.message} ({lk.source} {lk.kind.value} {lk.target})",
                path=spec.path,
                field="links",
                expected=exc.expected,
            ) from None
        trial.append(cand)

    added = evidence_repo.add_evidence(ws, parsed.items)
    # add_evidence reports added and skipped ids apart; look ids up by origin key instead.
    ids: dict[str | None, int] = {
        i.origin_key: i.id
        for i in evidence_repo.list_evidence(ws)
        if i.origin_key in key_of and i.id is not None
    }
    existing = set(evidence_repo.list_links(ws))
    existing_keys = {(lk.source_id, lk.target_id, lk.kind) for lk in existing}
    for lk in spec.links:
        a, b = ids[by_ref[lk.source].origin_key], ids[by_ref[lk.target].origin_key]
        probe = [(a, b, lk.kind)] + ([(b, a, lk.kind)] if lk.kind is LinkKind.CONTRADICTS else [])
        if any(p in existing_keys for p in probe):
            continue
        check_link(existing, EvidenceLink(a, b, lk.kind))
    graded = 0
    for e in spec.entries:
        if e.grade is None:
            continue
        eid = ids[by_ref[e.ref].origin_key]
        cur = evidence_repo.get_evidence(ws, eid)
        if cur.grade != e.grade or cur.grade_rationale != e.why:
            evidence_repo.grade_evidence(ws, eid, e.grade, rationale=e.why or "", user=user)
            graded += 1
    links_added = links_present = 0
    for lk in spec.links:
        a, b = ids[by_ref[lk.source].origin_key], ids[by_ref[lk.target].origin_key]
        probe = [(a, b, lk.kind)] + ([(b, a, lk.kind)] if lk.kind is LinkKind.CONTRADICTS else [])
        if any(p in existing_keys for p in probe):
            links_present += 1
            continue
        evidence_repo.add_link(ws, a, b, lk.kind, user=user, note=lk.note)
        existing_keys.add((a, b, lk.kind))
        links_added += 1
    ratings = [
        RatingInput(ids[by_ref[e.ref].origin_key], key, rating, None)
        for e in spec.entries
        for key, rating in sorted(e.ach.items())
    ]
    assess_repo.save_case(
        ws,
        slug=spec.slug,
        title=spec.title,
        question=spec.question,
        sites=spec.sites,
        hypotheses=spec.hypotheses,
        ratings=ratings,
        indicators=spec.indicators,
        user=user,
        source_sha256=spec.sha256,
    )
    return LoadReport(
        slug=spec.slug,
        timeline_rows=parsed.rows,
        evidence_added=len(added.added),
        evidence_present=len(added.skipped),
        graded=graded,
        links_added=links_added,
        links_present=links_present,
        hypotheses=len(spec.hypotheses),
        ratings=len(ratings),
        indicators=len(spec.indicators),
    )
