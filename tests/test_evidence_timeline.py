"""All 73 timeline rows import, with ranges, imprecise dates and missing fields."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sitewatch.evidence import parse_evidence_file
from sitewatch.sites import builtin_sites


def test_all_rows_with_ranges_and_imprecise_dates(data_root: Path) -> None:
    result = parse_evidence_file(
        data_root / "case-syria-2024" / "timeline.csv", sites=builtin_sites()
    )
    assert result.errors == [] and len(result.items) == 73
    precision = Counter(i.meta["date_precision"] for i in result.items)
    assert precision == {"day": 61, "range": 9, "week": 1, "month": 1, "part-month": 1}
    week = next(i for i in result.items if i.meta["date_precision"] == "week")
    assert (week.time_start.day, week.time_end.day) == (15, 21)  # type: ignore[union-attr]
    assert len({i.origin_key for i in result.items}) == 73  # stable, unique keys


def test_missing_optional_fields_import_as_none(tmp_path: Path) -> None:
    f = tmp_path / "t.csv"
    f.write_text("date,event\n2024-12-13,Two An-124 at Hmeimim.\n2025-10,Flights resume.\n")
    result = parse_evidence_file(f, sites=builtin_sites())
    assert result.errors == []
    a, b = result.items
    assert (a.place, a.source, a.url, a.site_slug) == (None, None, None, None)
    assert str(a.grade) == "F6" and a.kind.value == "note"
    assert b.meta["date_precision"] == "month" and b.time_end is not None
