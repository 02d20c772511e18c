"""Time series per site: counts by class and type in each pass, against a baseline pass.

>>> rows = count_series([("10 Dec", [Box(0, 0, 9, 9, 0, "aircraft", type_name="Su-24")]),
...                      ("13 Dec", [])], baseline=0)
>>> [(r.label, r.key, r.count, r.delta) for r in rows]
[('10 Dec', 'aircraft/Su-24', 1, 0), ('13 Dec', 'aircraft/Su-24', 0, -1)]
>>> png = plot_series(rows)
>>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
True
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sitewatch.change.boxes import Box

__all__ = ["SeriesRow", "count_series", "plot_series", "series_table"]


@dataclass(frozen=True)
class SeriesRow:
    """Count of one class/type in one pass, and its difference from the baseline pass."""

    label: str
    key: str
    count: int
    baseline: int
    delta: int


def _key(b: Box, by_type: bool) -> str:
    if by_type and b.type_name:
        return f"{b.canonical}/{b.type_name}"
    return b.canonical


def count_series(
    passes: Sequence[tuple[str, Sequence[Box]]],
    *,
    baseline: int = 0,
    by_type: bool = True,
) -> list[SeriesRow]:
    """Counts per pass (in the given, time order) by class (and type when known).

    ``baseline`` is the index of the reference pass; every key seen in any pass gets a row
    in every pass, so a type that disappears shows as 0. Truncated (edge-cut) boxes count:
    they are objects in view.
    """
    if not passes:
        return []
    if not 0 <= baseline < len(passes):
        raise ValueError(f"baseline {baseline} is not a pass index (0…{len(passes) - 1})")
    counts = [Counter(_key(b, by_type) for b in boxes) for _, boxes in passes]
    keys = sorted(set().union(*counts))
    base = counts[baseline]
    return [
        SeriesRow(label, k, c.get(k, 0), base.get(k, 0), c.get(k, 0) - base.get(k, 0))
        for (label, _), c in zip(passes, counts, strict=True)
        for k in keys
    ]


def series_table(rows: Sequence[SeriesRow]) -> tuple[list[str], list[list[str | int]]]:
    """Wide table: one row per pass, one column per class/type (``count (±delta)``).

    >>> cols, body = series_table(count_series([("a", [Box(0, 0, 1, 1, 0, "ship")]), ("b", [])]))
    >>> cols, body
    (['pass', 'ship'], [['a', '1'], ['b', '0 (-1)']])
    """
    keys = sorted({r.key for r in rows})
    labels = list(dict.fromkeys(r.label for r in rows))
    cell = {(r.label, r.key): r for r in rows}
    body: list[list[str | int]] = []
    for lab in labels:
        line: list[str | int] = [lab]
        for k in keys:
            r = cell[(lab, k)]
            line.append(f"{r.count}" if r.delta == 0 else f"{r.count} ({r.delta:+d})")
        body.append(line)
    return ["pass", *keys], body


def plot_series(rows: Sequence[SeriesRow], title: str = "Objects per pass") -> bytes:
    """A line plot of counts per pass and class/type, as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = list(dict.fromkeys(r.label for r in rows))
    keys = sorted({r.key for r in rows})
    cell = {(r.label, r.key): r.count for r in rows}
    fig, ax = plt.subplots(figsize=(6.4, 3.2), dpi=100)
    try:
        for k in keys:
            ax.plot(labels, [cell[(lab, k)] for lab in labels], marker="o", label=k)
        ax.set_ylabel("count")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        if keys:
            ax.legend(fontsize=8, loc="best")
        fig.tight_layout()
        buf = io.BytesIO()
        # No timestamps in the file: the same counts always give the same bytes.
        fig.savefig(buf, format="png", metadata={"Software": None})
    finally:
        plt.close(fig)
    return buf.getvalue()
