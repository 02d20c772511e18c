"""How later stages feed the briefing and the exports: a few named hook functions.

Data flows one way (``assess``/``change``/``tracks`` → ``report``), so the upstream packages
never import :mod:`sitewatch.report`. Instead each may expose one plain function that the
report looks up by name; what it returns only has to *look like* the protocols below
(structural typing — any dataclass with these attributes will do). A package or function that
does not exist yet is simply "not run": the briefing says so and never invents content.

- ``sitewatch.assess.briefing_assessments`` → ``Sequence[AssessmentLike]``: the BLUF, key
  judgments, ACH matrix and "what would change this judgment";
- ``sitewatch.change.briefing_change`` → ``ChangeLike | None``: change events on the imagery
  panels (with the model version) and the time-series plot;
- ``sitewatch.tracks.briefing_activity`` → ``Sequence[SeriesLike]``: the activity plots;
- ``sitewatch.change.export_features`` → ``Sequence[FeatureLike]`` for ``"objects"`` or
  ``"events"``: the object and event exports;
- ``sitewatch.assess.export_assessments`` → ``Sequence[AssessmentLike]``: hypotheses and
  assessments in the STIX bundle.

Every ``briefing_*`` hook is called as ``hook(ws, sites=[slug, ...], as_of=datetime | None)``;
``export_features(ws, kind)`` and ``export_assessments(ws)`` take the workspace only.
Anything else (a detector summary, a measure table) can add a section of its own with
:func:`register_section`.

>>> find_hook("sitewatch.nothing_here", "briefing_x") is None
True
>>> def hello(ctx: object) -> str:
...     return "<p>hi</p>"
>>> register_section("Hello", hello, order=99)
>>> [s.title for s in registered_sections()][-1]
'Hello'
>>> unregister_section("Hello")
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

__all__ = [
    "ACTIVITY_HOOK",
    "ASSESS_EXPORT_HOOK",
    "ASSESS_HOOK",
    "CHANGE_HOOK",
    "FEATURES_HOOK",
    "AssessmentLike",
    "ChangeLike",
    "EventLike",
    "FeatureLike",
    "HypothesisLike",
    "JudgmentLike",
    "PairLike",
    "RegisteredSection",
    "SeriesLike",
    "call_hook",
    "find_hook",
    "register_section",
    "registered_sections",
    "unregister_section",
]

#: (module, function) of each hook, so tests and documentation name them in one place.
ASSESS_HOOK = ("sitewatch.assess", "briefing_assessments")
CHANGE_HOOK = ("sitewatch.change", "briefing_change")
ACTIVITY_HOOK = ("sitewatch.tracks", "briefing_activity")
FEATURES_HOOK = ("sitewatch.change", "export_features")
ASSESS_EXPORT_HOOK = ("sitewatch.assess", "export_assessments")


class JudgmentLike(Protocol):
    """A key judgment: one sentence and the evidence ids it rests on."""

    @property
    def text(self) -> str: ...
    @property
    def evidence_ids(self) -> Sequence[int]: ...


class HypothesisLike(Protocol):
    """One ACH hypothesis (``key`` is short, e.g. ``H1``)."""

    @property
    def key(self) -> str: ...
    @property
    def text(self) -> str: ...


class AssessmentLike(Protocol):
    """An assessment snapshot as the briefing needs it.

    ``probability_band`` is (low, high) in 0–1, matching ``estimative_word`` (ICD 203 style);
    ``confidence`` is ``low`` / ``moderate`` / ``high``. ``ach`` maps an evidence id to
    hypothesis key → mark (``CC``, ``C``, ``N``, ``I``, ``II``; ``NA`` when not applicable).
    """

    @property
    def question(self) -> str: ...
    @property
    def bluf(self) -> str: ...
    @property
    def estimative_word(self) -> str: ...
    @property
    def probability_band(self) -> tuple[float, float]: ...
    @property
    def confidence(self) -> str: ...
    @property
    def judgments(self) -> Sequence[JudgmentLike]: ...
    @property
    def hypotheses(self) -> Sequence[HypothesisLike]: ...
    @property
    def ach(self) -> Mapping[int, Mapping[str, str]]: ...
    @property
    def would_change(self) -> Sequence[str]: ...
    @property
    def as_of(self) -> datetime | None: ...


class EventLike(Protocol):
    """A change event located in the *after* pass's pixel frame."""

    @property
    def kind(self) -> str: ...
    @property
    def class_name(self) -> str: ...
    @property
    def cx(self) -> float: ...
    @property
    def cy(self) -> float: ...


class PairLike(Protocol):
    """Two co-registered passes and the events found between them."""

    @property
    def before_pass_id(self) -> int: ...
    @property
    def after_pass_id(self) -> int: ...
    @property
    def events(self) -> Sequence[EventLike]: ...
    @property
    def model_version(self) -> str | None: ...


class SeriesLike(Protocol):
    """A dated series (counts of aircraft on the apron, flights per day…)."""

    @property
    def name(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def points(self) -> Sequence[tuple[datetime, float]]: ...


class ChangeLike(Protocol):
    """What the change stage gives the briefing."""

    @property
    def pairs(self) -> Sequence[PairLike]: ...
    @property
    def series(self) -> Sequence[SeriesLike]: ...


class FeatureLike(Protocol):
    """One exportable feature (object or event).

    ``geometry`` is a shapely geometry: WGS84 lon/lat when ``frame`` is ``"map"``, the pass's
    pixel frame (x right, y down) when ``"pixel"``.
    """

    @property
    def id(self) -> int: ...
    @property
    def class_name(self) -> str: ...
    @property
    def frame(self) -> str: ...
    @property
    def geometry(self) -> Any: ...
    @property
    def properties(self) -> Mapping[str, Any]: ...


def find_hook(module: str, name: str) -> Callable[..., Any] | None:
    """The hook function if its package is installed and defines it, else ``None``.

    ``find_spec`` is checked first so a package that does not exist yet costs nothing;
    an import error inside a package that *does* exist is not hidden.
    """
    mod = sys.modules.get(module)
    if mod is None:
        try:
            if importlib.util.find_spec(module) is None:
                return None
        except (ModuleNotFoundError, ValueError):  # the parent package itself is missing
            return None
        mod = importlib.import_module(module)
    fn = getattr(mod, name, None)
    return fn if callable(fn) else None


def call_hook(hook: tuple[str, str], *args: Any, **kwargs: Any) -> tuple[bool, Any]:
    """Call a hook; ``(False, None)`` when it does not exist, else ``(True, result)``."""
    fn = find_hook(*hook)
    if fn is None:
        return False, None
    return True, fn(*args, **kwargs)


@dataclass(frozen=True)
class RegisteredSection:
    """An extra briefing section: ``builder(context) -> HTML`` (trusted) or ``None`` to skip."""

    title: str
    builder: Callable[[Any], str | None]
    order: int


_SECTIONS: dict[str, RegisteredSection] = {}


def register_section(title: str, builder: Callable[[Any], str | None], *, order: int = 50) -> None:
    """Add (or replace) a briefing section built from the briefing context.

    The builder gets the :class:`~sitewatch.report.briefing.BriefingData` collected so far
    and returns trusted HTML; sections appear after the imagery, sorted by ``order`` then
    title so the output does not depend on import order.
    """
    _SECTIONS[title] = RegisteredSection(title, builder, order)


def unregister_section(title: str) -> None:
    """Remove a section added with :func:`register_section` (no error when absent)."""
    _SECTIONS.pop(title, None)


def registered_sections() -> list[RegisteredSection]:
    """Registered sections in a stable order."""
    return sorted(_SECTIONS.values(), key=lambda s: (s.order, s.title))
