"""UTC helpers: every time in :mod:`sitewatch.tracks` is timezone-aware UTC.

A naive input is taken as UTC with a :class:`NaiveTimeWarning`, because a silent guess of a
local zone shifts a whole day of flights by hours without anyone noticing.
"""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd

__all__ = ["NaiveTimeWarning", "from_epoch", "to_utc"]


class NaiveTimeWarning(UserWarning):
    """Times without a zone were read as UTC."""


def to_utc(values: pd.Series, *, what: str = "times", fmt: str | None = None) -> pd.Series:
    """Parse a column of times to ``datetime64[ns, UTC]``; naive values warn and become UTC.

    Parameters
    ----------
    values : pandas.Series
        Strings or datetimes.
    what : str
        Named in the warning (for example the file).
    fmt : str, optional
        ``strftime`` format when the layout is known (faster, unambiguous).

    Examples
    --------
    >>> import warnings
    >>> s = pd.Series(["2021-03-20T00:22:00Z"])
    >>> to_utc(s).iloc[0]
    Timestamp('2021-03-20 00:22:00+0000', tz='UTC')
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     t = to_utc(pd.Series(["2021-03-20 00:22"]), what="x.csv")
    >>> str(t.iloc[0]), w[0].category.__name__
    ('2021-03-20 00:22:00+00:00', 'NaiveTimeWarning')
    """
    parsed = pd.to_datetime(values, format=fmt, errors="coerce")
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        return parsed.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
    if parsed.notna().any():
        warnings.warn(f"{what}: times carry no zone; read as UTC", NaiveTimeWarning, stacklevel=2)
    return parsed.dt.tz_localize("UTC").astype("datetime64[ns, UTC]")


def from_epoch(values: pd.Series, unit: str = "s") -> pd.Series:
    """UNIX epoch numbers to ``datetime64[ns, UTC]`` (epochs are UTC by definition).

    Examples
    --------
    >>> from_epoch(pd.Series([1600120071000]), unit="ms").iloc[0]
    Timestamp('2020-09-14 21:47:51+0000', tz='UTC')
    """
    num = pd.to_numeric(values, errors="coerce").astype("float64")
    u: Any = unit
    out: pd.Series = pd.to_datetime(num, unit=u, utc=True, errors="coerce")
    return out.astype("datetime64[ns, UTC]")
