"""Import evidence items from CSV or JSON, row by row: a bad row is reported, never fatal.

CSV columns (header names, case-insensitive): ``date`` (required: a day, a range
``A/B``, a month, "week of ~18"…), ``event`` or ``claim`` (required), ``place``,
``source_type``, ``source``, ``url`` and optionally ``kind``, ``reliability``,
``credibility``, ``grade_rationale``, ``tags`` (``;``-separated), ``reported_at``.
JSON: a list of objects with the same keys.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sitewatch.errors import InputError
from sitewatch.evidence.dates import parse_date_span
from sitewatch.evidence.grading import default_grade, kind_for_source_type
from sitewatch.evidence.model import EvidenceItem, EvidenceKind, Grade
from sitewatch.sites.model import Site

__all__ = ["EvidenceImportResult", "match_sites", "parse_evidence_file", "row_to_item"]

_REQUIRED = ("date", "claim")


@dataclass
class EvidenceImportResult:
    """Items parsed from a file and the rows rejected (each error names its line)."""

    items: list[EvidenceItem] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    rows: int = 0


def _site_terms(sites: Iterable[Site]) -> list[tuple[str, str]]:
    terms: list[tuple[str, str]] = []
    for s in sites:
        for name in (s.slug.replace("-", " "), s.name, *s.aliases):
            norm = re.sub(r"[\s\-]+", " ", name.lower()).strip()
            if len(norm) >= 4:
                terms.append((norm, s.slug))
    return terms


def match_sites(place: str, sites: Sequence[Site]) -> list[str]:
    """Slugs of the sites a free-text place names, in the order they appear.

    Longer names win where they overlap ("Tartus offshore" over "Tartus").

    >>> from sitewatch.sites import builtin_sites
    >>> match_sites("Tartus offshore (~13 km NW)", builtin_sites())
    ['tartus-offshore']
    >>> match_sites("Hmeimim -> Chkalovsky (Moscow)", builtin_sites())
    ['hmeimim']
    >>> match_sites("Kobani / Sarrin / Ayn Issa", builtin_sites())
    ['kobani', 'sarrin', 'ayn-issa']
    >>> match_sites("Moscow", builtin_sites())
    []
    """
    text = re.sub(r"[\s\-]+", " ", place.lower())
    hits: list[tuple[int, int, str]] = []
    for term, slug in _site_terms(sites):
        for m in re.finditer(rf"\b{re.escape(term)}\b", text):
            hits.append((m.start(), -(m.end() - m.start()), slug))
    hits.sort()
    taken_until = -1
    out: list[str] = []
    for start, neg_len, slug in hits:
        if start < taken_until:
            continue
        taken_until = start - neg_len
        if slug not in out:
            out.append(slug)
    return out


def _key(row: Mapping[str, str]) -> str:
    basis = "|".join(row.get(k, "").strip() for k in ("date", "place", "claim", "source", "url"))
    return hashlib.sha256(basis.encode()).hexdigest()


def row_to_item(
    row: Mapping[str, str],
    *,
    sites: Sequence[Site] = (),
    path: str = "<input>",
    line: int | None = None,
    grade_overrides: Mapping[str, Grade] | None = None,
) -> EvidenceItem:
    """Turn one normalised row (``claim`` already mapped from ``event``) into an item."""
    for col in _REQUIRED:
        if not (row.get(col) or "").strip():
            raise InputError("empty", path=path, line=line, field=col, expected=f"a {col}")
    try:
        span = parse_date_span(row["date"])
    except ValueError as exc:
        raise InputError(
            str(exc),
            path=path,
            line=line,
            field="date",
            expected="YYYY-MM-DD, YYYY-MM-DD/YYYY-MM-DD or YYYY-MM",
        ) from None
    source_type = (row.get("source_type") or "").strip()
    if (row.get("kind") or "").strip():
        try:
            kind = EvidenceKind.parse(row["kind"])
        except ValueError as exc:
            raise InputError(str(exc), path=path, line=line, field="kind") from None
    else:
        kind = kind_for_source_type(source_type or "note")
    grade, rationale = default_grade(source_type or kind.value)
    rationale = f"default for {rationale}"
    overrides = grade_overrides or {}
    if source_type.lower() in overrides:
        grade = overrides[source_type.lower()]
        rationale = f"import override for source type {source_type!r}"
    rel, cred = (row.get("reliability") or "").strip(), (row.get("credibility") or "").strip()
    if rel or cred:
        try:
            grade = Grade.parse(f"{rel or grade.reliability}{cred or grade.credibility}")
        except ValueError as exc:
            raise InputError(
                str(exc), path=path, line=line, field="reliability/credibility"
            ) from None
        rationale = (row.get("grade_rationale") or "").strip() or "graded in the source file"
    reported = None
    if (row.get("reported_at") or "").strip():
        try:
            reported = parse_date_span(row["reported_at"]).start
        except ValueError as exc:
            raise InputError(str(exc), path=path, line=line, field="reported_at") from None
    place = (row.get("place") or "").strip() or None
    slugs = match_sites(place, sites) if place else []
    tags = [t.strip() for t in (row.get("tags") or "").split(";") if t.strip()]
    tags += [f"site:{s}" for s in slugs]
    where = f"{Path(path).name} line {line}" if line is not None else Path(path).name
    return EvidenceItem(
        kind=kind,
        claim=row["claim"].strip(),
        grade=grade,
        grade_rationale=rationale,
        time_start=span.start,
        time_end=span.end if span.end != span.start else None,
        reported_at=reported,
        place=place,
        site_slug=slugs[0] if slugs else None,
        source=(row.get("source") or "").strip() or None,
        source_type=source_type or None,
        url=(row.get("url") or "").strip() or None,
        tags=tuple(tags),
        origin=where,
        origin_key=_key(row),
        meta={"date_text": row["date"].strip(), "date_precision": span.precision},
    )


def _normalise(raw: Mapping[str, object]) -> dict[str, str]:
    row = {str(k).strip().lower(): ("" if v is None else str(v)) for k, v in raw.items() if k}
    if "claim" not in row and "event" in row:
        row["claim"] = row.pop("event")
    return row


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or "date" not in [f.strip().lower() for f in reader.fieldnames]:
            raise InputError(
                f"header {reader.fieldnames!r} has no 'date' column",
                path=path,
                line=1,
                expected="columns date,place,event,source_type,source,url",
            )
        start = reader.line_num + 1
        for raw in reader:
            extra = raw.get(None)
            row = _normalise({k: v for k, v in raw.items() if k is not None})
            if extra:
                row["__extra__"] = str(extra)
            yield start, row
            start = reader.line_num + 1


def parse_evidence_file(
    path: str | Path,
    *,
    sites: Sequence[Site] = (),
    grade_overrides: Mapping[str, Grade] | None = None,
) -> EvidenceImportResult:
    """Read a CSV or JSON evidence file. Every bad row is kept in ``errors`` with its line."""
    p = Path(path)
    if not p.is_file():
        raise InputError("file not found", path=p)
    result = EvidenceImportResult()
    rows: Iterable[tuple[int | None, dict[str, str]]]
    try:
        if p.suffix.lower() == ".json":
            doc = json.loads(p.read_text(encoding="utf-8"))
            if not isinstance(doc, list):
                raise InputError("expected a JSON list of evidence objects", path=p)
            rows = [(None, _normalise(o)) if isinstance(o, dict) else (None, {}) for o in doc]
        else:
            rows = list(_csv_rows(p))
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason})", path=p) from None
    except (json.JSONDecodeError, csv.Error) as exc:
        raise InputError(f"unreadable ({exc})", path=p) from None
    for i, (line, row) in enumerate(rows):
        result.rows += 1
        label_line = line if line is not None else i + 1
        if "__extra__" in row:
            result.errors.append(
                InputError(
                    "more fields than the header has (an unquoted comma?)",
                    path=p,
                    line=label_line,
                    expected="quote fields that contain commas",
                )
            )
            continue
        try:
            result.items.append(
                row_to_item(
                    row, sites=sites, path=str(p), line=label_line, grade_overrides=grade_overrides
                )
            )
        except InputError as exc:
            result.errors.append(exc)
    return result
