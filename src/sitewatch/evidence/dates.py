"""Dates as sources write them: days, ranges, months, "week of ~18", "mid" a month."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = ["DateSpan", "parse_date_span"]


@dataclass(frozen=True)
class DateSpan:
    """An inclusive UTC day range and how precise the source was."""

    start: datetime
    end: datetime
    precision: str  # "day", "range", "week", "month", "part-month"


def _day(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)


def parse_date_span(text: str) -> DateSpan:
    """Parse a source's date text into an inclusive UTC day span.

    >>> parse_date_span("2024-12-08").precision
    'day'
    >>> s = parse_date_span("2024-12-01/2024-12-03"); (s.start.day, s.end.day, s.precision)
    (1, 3, 'range')
    >>> s = parse_date_span("2024-12 (week of ~18)"); (s.start.day, s.end.day, s.precision)
    (15, 21, 'week')
    >>> s = parse_date_span("2025-10"); (s.start.day, s.end.day)
    (1, 31)
    >>> s = parse_date_span("2025-10 (mid)"); (s.start.day, s.end.day, s.precision)
    (11, 20, 'part-month')
    >>> parse_date_span("13 Dec")
    Traceback (most recent call last):
    ...
    ValueError: unreadable date '13 Dec'
    """
    t = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", t):
            d = _day(t)
            return DateSpan(d, d, "day")
        m = re.fullmatch(r"(\d{4}-\d{2}-\d{2})\s*/\s*(\d{4}-\d{2}-\d{2})", t)
        if m:
            a, b = _day(m.group(1)), _day(m.group(2))
            if b < a:
                raise ValueError(f"date range {t!r} ends before it starts")
            return DateSpan(a, b, "range")
        m = re.fullmatch(r"(\d{4})-(\d{2})(?:\s*\((.*)\))?", t)
        if m:
            year, month, note = int(m.group(1)), int(m.group(2)), (m.group(3) or "").lower()
            last = calendar.monthrange(year, month)[1]
            first = datetime(year, month, 1, tzinfo=UTC)
            wk = re.search(r"week of\s*~?\s*(\d{1,2})", note)
            if wk:
                mid = first + timedelta(days=int(wk.group(1)) - 1)
                return DateSpan(mid - timedelta(days=3), mid + timedelta(days=3), "week")
            parts = {"early": (1, 10), "mid": (11, 20), "late": (21, last)}
            for word, (lo, hi) in parts.items():
                if word in note:
                    return DateSpan(first.replace(day=lo), first.replace(day=hi), "part-month")
            if note:
                raise ValueError(f"unreadable date {text!r}")
            return DateSpan(first, first.replace(day=last), "month")
    except ValueError as exc:
        if "unreadable" in str(exc) or "ends before" in str(exc):
            raise
        raise ValueError(f"unreadable date {text!r}") from None
    raise ValueError(f"unreadable date {text!r}")
