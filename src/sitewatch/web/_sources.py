"""Stages the web reads only when they exist: detections, change, assessment.

The workbench is built while other stages land. Each optional stage is looked up by module
name at request time; when a module (or the function the web needs from it) is not there
yet, its routes answer an empty list and :func:`capabilities` says why. Nothing here invents
records.

What the web looks for (the contract for the stages that have not landed):

``sitewatch.store.detections_repo``
    ``list_detections``, ``get_detection``, ``review``, ``counts_by_class``, ``list_runs``.
``sitewatch.store.change_repo``
    ``list_events``, ``list_registrations``, ``object_history`` and, when it exists,
    ``list_objects(ws, site=...)``.
``sitewatch.store.assess_repo``
    ``list_cases``, ``get_case``, ``set_rating(ws, case, evidence_id, key, rating, user=...,
    rationale=...)``, ``list_snapshots``, ``save_snapshot``.
``sitewatch.assess.service``
    ``assess(ws, case, as_of)`` → an ``Assessment`` with ``to_dict()``.
``sitewatch.store.evidence_repo``
    ``list_links(ws, evidence_id)`` and ``add_link`` (corroborates / contradicts).

Keyword arguments a function does not take are dropped, so ``site=`` or ``as_of=`` can be
passed to every candidate.

>>> find_function("detections", "list_detections") is not None
True
>>> find_function("nothing-such", "list_x")
Traceback (most recent call last):
...
KeyError: 'nothing-such'
"""

from __future__ import annotations

import importlib
import inspect
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

__all__ = [
    "STAGES",
    "Capability",
    "call_optional",
    "capabilities",
    "find_function",
]

#: Optional stage → the modules that may provide it, first found wins.
STAGES: dict[str, tuple[str, ...]] = {
    "detections": ("sitewatch.store.detections_repo",),
    "change": ("sitewatch.store.change_repo",),
    "assess": ("sitewatch.store.assess_repo",),
    "assess_engine": ("sitewatch.assess.service",),
    "links": ("sitewatch.store.evidence_repo",),
}

_RETRY_S = 30.0
_lock = threading.Lock()
_found: dict[str, ModuleType] = {}
_failed: dict[str, tuple[float, str]] = {}


@dataclass(frozen=True)
class Capability:
    """Whether an optional stage can be read, and if not, why."""

    stage: str
    available: bool
    module: str | None
    reason: str | None


def _load(stage: str) -> tuple[ModuleType | None, str | None]:
    names = STAGES[stage]
    with _lock:
        if stage in _found:
            return _found[stage], None
        failed = _failed.get(stage)
        if failed is not None and time.monotonic() - failed[0] < _RETRY_S:
            return None, failed[1]
    reasons = []
    for name in names:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            reasons.append(f"{name} does not exist yet ({exc.name} missing)")
            continue
        except Exception as exc:  # a stage mid-development that does not import cleanly
            reasons.append(f"{name} cannot be imported ({type(exc).__name__}: {exc})")
            continue
        with _lock:
            _found[stage] = module
            _failed.pop(stage, None)
        return module, None
    reason = "; ".join(reasons)
    with _lock:
        _failed[stage] = (time.monotonic(), reason)
    return None, reason


def find_function(stage: str, name: str) -> Callable[..., Any] | None:
    """The function ``name`` of an optional stage, or ``None`` when it is not there yet."""
    module, _ = _load(stage)
    if module is None:
        return None
    fn = getattr(module, name, None)
    return fn if callable(fn) else None


def call_optional(stage: str, name: str, *args: Any, **kwargs: Any) -> tuple[bool, Any]:
    """Call ``name`` of an optional stage: ``(True, result)``, or ``(False, None)`` when absent.

    Keyword arguments the function does not accept are dropped.
    """
    fn = find_function(stage, name)
    if fn is None:
        return False, None
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return True, fn(*args, **kwargs)
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        kwargs = {k: v for k, v in kwargs.items() if k in params}
    return True, fn(*args, **kwargs)


def capabilities() -> list[Capability]:
    """Every optional stage and whether the web can read it now."""
    out = []
    for stage in STAGES:
        module, reason = _load(stage)
        out.append(
            Capability(stage, module is not None, module.__name__ if module else None, reason)
        )
    return out
