"""A daily activity chart (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["plot_daily"]


def plot_daily(daily: pd.DataFrame, out: Path, *, title: str = "activity per day") -> Path:
    """Write grouped bars of each daily count column to a PNG.

    Examples
    --------
    >>> import tempfile
    >>> d = pd.DataFrame({"arrivals": [3, 1]}, index=pd.Index(["2024-12-01", "2024-12-02"]))
    >>> plot_daily(d, Path(tempfile.mkdtemp()) / "a.png").stat().st_size > 0
    True
    """
    import matplotlib

    matplotlib.use("Agg")  # files only: never open a window from the CLI or tests
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(6, len(daily) * 0.6), 3.5))
    if len(daily):
        daily.plot.bar(ax=ax)
    ax.set_title(title)
    ax.set_xlabel("day (UTC)")
    ax.set_ylabel("count")
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
