"""Estimative language (ICD 203) and analytic confidence, kept apart as the directive asks.

>>> band_for(0.62).word, band_for(0.62).low, band_for(0.62).high
('likely', 0.55, 0.8)
>>> band_for(0.5).word, band_for(0.999).word, band_for(0.0).word
('roughly even chance', 'almost certain', 'almost no chance')
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["BANDS", "Band", "Confidence", "band_for"]


@dataclass(frozen=True)
class Band:
    """One ICD 203 likelihood term and its probability range (0–1)."""

    word: str
    low: float
    high: float

    def percent(self) -> str:
        """The range as the directive prints it.

        >>> BANDS[4].percent()
        '55–80 %'
        """
        return f"{round(self.low * 100)}–{round(self.high * 100)} %"


#: ICD 203's seven terms; the directive gives 1–99 % as the outer ends.
BANDS: tuple[Band, ...] = (
    Band("almost no chance", 0.01, 0.05),
    Band("very unlikely", 0.05, 0.20),
    Band("unlikely", 0.20, 0.45),
    Band("roughly even chance", 0.45, 0.55),
    Band("likely", 0.55, 0.80),
    Band("very likely", 0.80, 0.95),
    Band("almost certain", 0.95, 0.99),
)


def band_for(p: float) -> Band:
    """The band a probability falls in (edges go to the band nearer even chance)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"probability {p} is outside 0–1")
    if 0.45 <= p <= 0.55:
        return BANDS[3]
    if p < 0.45:
        for band in BANDS[:3]:
            if p < band.high:
                return band
        return BANDS[2]
    for band in BANDS[4:]:
        if p <= band.high:
            return band
    return BANDS[-1]


class Confidence(enum.StrEnum):
    """Analytic confidence: how sound the basis of the judgment is, not how likely it is."""

    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"

    def lower(self) -> Confidence:
        """One level down (low stays low).

        >>> Confidence.HIGH.lower().lower().lower()
        <Confidence.LOW: 'low'>
        """
        order = [Confidence.LOW, Confidence.MODERATE, Confidence.HIGH]
        return order[max(0, order.index(self) - 1)]
