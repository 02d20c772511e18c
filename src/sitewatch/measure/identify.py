"""Type candidates: which catalogue types fit a measured object, with probabilities.

Never a single forced label: the answer is a ranked list that always includes the alternative
``unknown / not in catalogue``.

How the probability is computed
-------------------------------
For a detected class ``c`` and measured length ``l ± σ_l`` (and optionally span/width
``s ± σ_s``), each catalogue type ``t`` with length ``L_t`` and span ``S_t`` scores

``lik(t) = N(l; L_t, σ_l² + τ_L²) · N(s; S_t, σ_s² + τ_S²) · P(c | class_t)``

* ``N`` is the normal density; ``τ`` is the spread of the type's variants and of published
  figures (the row's ``variant_sd_m``, else 1.5 % of the dimension, at least 0.3 m);
* a dimension the type lacks (or that was not measured) contributes the broad density below,
  so a row is neither rewarded nor punished for a missing figure;
* ``P(c | class_t)`` is the chance the detector calls a ``class_t`` object ``c``
  (:data:`CLASS_CONFUSION`: 0.9 for the same class, a few % between aircraft and helicopters);
* for aircraft whose fore-aft axis is unknown (``ordered=False``) the box's long side may be the
  wingspan, so the two assignments are averaged: ``½[N(l;L)N(s;S) + N(l;S)N(s;L)]``.

The alternative *unknown* scores a broad density: uniform over the class's plausible range of
each dimension (:data:`UNKNOWN_RANGES`), e.g. aircraft 5–85 m long. Priors: ``p_unknown`` (default
0.1) for *unknown*, the rest shared equally among catalogue rows (optionally re-weighted by
``priors``, e.g. an analyst's base rates at a site). Posterior = prior × likelihood, normalised.

>>> top = rank_types("aircraft", 69.0, 2.0)[0]
>>> top.name, top.probability > 0.15
('Antonov An-124-100 Ruslan', True)
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from sitewatch.measure.catalogue import Catalogue, EquipmentType, load_catalogue
from sitewatch.measure.mensuration import Measurement

__all__ = [
    "CLASS_CONFUSION",
    "UNKNOWN",
    "UNKNOWN_RANGES",
    "Candidate",
    "FamilyCandidate",
    "candidates_for",
    "rank_families",
    "rank_types",
]

UNKNOWN = "unknown / not in catalogue"

#: Plausible (min, max) metres of length and span per class, for the *unknown* density.
UNKNOWN_RANGES: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {
    "aircraft": ((5.0, 85.0), (5.0, 90.0)),
    "helicopter": ((5.0, 45.0), (5.0, 35.0)),
    "ship": ((5.0, 400.0), (2.0, 70.0)),
    "vehicle": ((2.0, 25.0), (1.5, 5.0)),
}

#: P(detected class | true class); pairs absent here get 0.01.
CLASS_CONFUSION: dict[tuple[str, str], float] = {
    ("aircraft", "aircraft"): 0.9,
    ("helicopter", "helicopter"): 0.9,
    ("ship", "ship"): 0.9,
    ("vehicle", "vehicle"): 0.9,
    ("aircraft", "helicopter"): 0.04,
    ("helicopter", "aircraft"): 0.04,
    ("vehicle", "ship"): 0.02,
    ("ship", "vehicle"): 0.02,
}


@dataclass(frozen=True)
class Candidate:
    """One ranked alternative (a catalogue type, or *unknown* when ``type`` is ``None``)."""

    name: str
    family: str
    class_name: str
    probability: float
    log_likelihood: float
    z_length: float | None
    z_span: float | None
    type: EquipmentType | None

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return {
            "name": self.name,
            "family": self.family,
            "class": self.class_name,
            "probability": round(self.probability, 4),
            "z_length": None if self.z_length is None else round(self.z_length, 2),
            "z_span": None if self.z_span is None else round(self.z_span, 2),
            "length_m": None if self.type is None else self.type.length_m,
            "span_m": None if self.type is None else self.type.span_m,
        }


@dataclass(frozen=True)
class FamilyCandidate:
    """Candidates summed over a family (airframes imagery cannot tell apart)."""

    family: str
    probability: float
    members: tuple[str, ...]


def _tau(t: EquipmentType, value: float) -> float:
    return t.variant_sd_m if t.variant_sd_m is not None else max(0.3, 0.015 * value)


def _log_norm(x: float, mu: float, var: float) -> float:
    return -0.5 * ((x - mu) ** 2 / var + math.log(2.0 * math.pi * var))


def _log_broad(rng: tuple[float, float]) -> float:
    return -math.log(rng[1] - rng[0])


def _dim_terms(
    t: EquipmentType,
    ml: float,
    sl: float,
    s: float | None,
    ss: float | None,
    swap: bool,
    ranges: tuple[tuple[float, float], tuple[float, float]],
) -> tuple[float, float | None, float | None]:
    mu_l, mu_s = (t.span_m, t.length_m) if swap else (t.length_m, t.span_m)
    rl, rs = (ranges[1], ranges[0]) if swap else ranges
    logp = 0.0
    zl = zs = None
    if mu_l is not None:
        var = sl * sl + _tau(t, mu_l) ** 2
        logp += _log_norm(ml, mu_l, var)
        zl = (ml - mu_l) / math.sqrt(var)
    else:
        logp += _log_broad(rl)
    if s is not None and ss is not None:
        if mu_s is not None:
            var = ss * ss + _tau(t, mu_s) ** 2
            logp += _log_norm(s, mu_s, var)
            zs = (s - mu_s) / math.sqrt(var)
        else:
            logp += _log_broad(rs)
    return logp, zl, zs


def _logsumexp(vals: list[float]) -> float:
    m = max(vals)
    return m + math.log(sum(math.exp(v - m) for v in vals))


def rank_types(
    class_name: str,
    length_m: float,
    length_sd_m: float,
    span_m: float | None = None,
    span_sd_m: float | None = None,
    *,
    ordered: bool = True,
    p_unknown: float = 0.1,
    priors: Mapping[str, float] | None = None,
    catalogue: Catalogue | None = None,
    top: int | None = None,
) -> list[Candidate]:
    """Rank catalogue types for a measured object (see the module docstring for the model).

    Parameters
    ----------
    class_name
        Detected class (``aircraft``, ``helicopter``, ``ship``, ``vehicle``).
    length_m, length_sd_m
        Measured length and its one-sigma uncertainty.
    span_m, span_sd_m
        Measured span / beam / width and its uncertainty, if any.
    ordered
        ``False`` when an aircraft's long box side may be its wingspan (fore-aft axis unknown).
    p_unknown
        Prior probability of *not in catalogue*.
    priors
        Optional relative prior weights by type name (default 1 each).
    catalogue
        Catalogue to rank (default: the bundled one).
    top
        Return only this many (the *unknown* entry is kept even when it falls below).

    Examples
    --------
    >>> [c.name for c in rank_types("ship", 125.0, 3.0, top=3)][:1]
    ['Admiral Grigorovich-class frigate']
    >>> u = rank_types("aircraft", 300.0, 5.0)[0]   # nothing is 300 m long
    >>> u.name
    'unknown / not in catalogue'
    """
    if length_sd_m <= 0 or (span_sd_m is not None and span_sd_m <= 0):
        raise ValueError("uncertainties must be positive")
    if span_m is not None and span_sd_m is None:
        span_sd_m = length_sd_m
    cat = catalogue or load_catalogue()
    ranges = UNKNOWN_RANGES.get(class_name, ((1.0, 400.0), (1.0, 90.0)))
    types = [t for t in cat if t.length_m is not None or t.span_m is not None]
    n = max(1, len(types))
    rows: list[tuple[float, Candidate]] = []
    for t in types:
        conf = CLASS_CONFUSION.get((class_name, t.class_name), 0.01)
        p_t = (1.0 - p_unknown) / n * (priors.get(t.name, 1.0) if priors else 1.0)
        a, zl, zs = _dim_terms(t, length_m, length_sd_m, span_m, span_sd_m, False, ranges)
        logp = a
        if not ordered and t.class_name == "aircraft":
            b, _, _ = _dim_terms(t, length_m, length_sd_m, span_m, span_sd_m, True, ranges)
            logp = _logsumexp([a, b]) - math.log(2.0)
        cand = Candidate(t.name, t.family, t.class_name, 0.0, logp, zl, zs, t)
        rows.append((math.log(max(p_t, 1e-300)) + math.log(conf) + logp, cand))
    lu = _log_broad(ranges[0]) + (_log_broad(ranges[1]) if span_m is not None else 0.0)
    unknown = Candidate(UNKNOWN, UNKNOWN, class_name, 0.0, lu, None, None, None)
    rows.append((math.log(p_unknown) + lu, unknown))
    norm = _logsumexp([r[0] for r in rows])
    out = [
        Candidate(
            c.name,
            c.family,
            c.class_name,
            math.exp(lp - norm),
            c.log_likelihood,
            c.z_length,
            c.z_span,
            c.type,
        )
        for lp, c in rows
    ]
    out.sort(key=lambda c: -c.probability)
    if top is not None:
        head = out[:top]
        if all(c.type is not None for c in head):
            head.append(next(c for c in out if c.type is None))
        return head
    return out


def rank_families(candidates: list[Candidate], top: int | None = None) -> list[FamilyCandidate]:
    """Sum candidate probabilities by family (e.g. Il-76MD, Il-78M and A-50 share an airframe).

    >>> fams = rank_families(rank_types("aircraft", 46.0, 2.0, 50.5, 2.0))
    >>> fams[0].family
    'Il-76'
    """
    acc: dict[str, float] = defaultdict(float)
    members: dict[str, list[str]] = defaultdict(list)
    for c in candidates:
        acc[c.family] += c.probability
        members[c.family].append(c.name)
    fams = [FamilyCandidate(f, p, tuple(members[f])) for f, p in acc.items()]
    fams.sort(key=lambda f: -f.probability)
    return fams[:top] if top is not None else fams


def candidates_for(m: Measurement, **kwargs: object) -> list[Candidate]:
    """Rank types for a :class:`~sitewatch.measure.mensuration.Measurement`.

    An aircraft's dimensions are compared both ways round unless its nose cue fixed the
    fore-aft axis.

    >>> from sitewatch.measure.box import OrientedBox
    >>> from sitewatch.measure.mensuration import measure
    >>> m = measure(OrientedBox(0, 0, 500, 60, 0.0, "ship"), gsd_m=0.25)
    >>> candidates_for(m, top=1)[0].name
    'Admiral Grigorovich-class frigate'
    """
    ordered = m.axes_known or m.class_name != "aircraft"
    return rank_types(
        m.class_name,
        m.length.value,
        m.length.sd,
        m.width.value,
        m.width.sd,
        ordered=ordered,
        **kwargs,  # type: ignore[arg-type]
    )
