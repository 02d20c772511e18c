"""Links between evidence items: *corroborates* and *contradicts*, and which links make no sense.

A link is directed: ``A corroborates B`` means A is a separate report that supports B's claim;
``A contradicts B`` means the two cannot both be right as stated. The checks below reject links
that would make the log say something incoherent:

* **self-links** — an item cannot corroborate or contradict itself;
* **duplicates** — the same link twice (contradiction is symmetric, so ``B contradicts A`` is a
  duplicate of ``A contradicts B``);
* **both at once** — a pair cannot both corroborate and contradict each other (either direction);
* **cyclic corroboration** — following *corroborates* links from the new link's target leads
  back to its source (``A → B → C → A``, or simply ``A → B`` then ``B → A``). That is circular
  reporting: each item's support would finally rest on itself, so the corroboration would be
  counted twice. Cycles of *contradicts* links are allowed (three reports can each disagree
  with the other two — the 7, 10 and 15 km ship distances off Tartus do).

>>> links = [EvidenceLink(1, 2, LinkKind.CORROBORATES)]
>>> check_link(links, EvidenceLink(2, 3, LinkKind.CORROBORATES))
>>> check_link(links, EvidenceLink(2, 1, LinkKind.CORROBORATES))  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
sitewatch.errors.InputError: field 'link': cyclic link: 2 corroborates 1 closes the loop ...
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from sitewatch.errors import InputError

__all__ = ["EvidenceLink", "LinkKind", "check_link", "corroboration_path"]


class LinkKind(enum.StrEnum):
    """How one evidence item bears on another."""

    CORROBORATES = "corroborates"
    CONTRADICTS = "contradicts"

    @classmethod
    def parse(cls, text: str) -> LinkKind:
        """Parse a link kind, naming the choices when it is unknown.

        >>> LinkKind.parse("Contradicts").value
        'contradicts'
        >>> LinkKind.parse("supports")
        Traceback (most recent call last):
        ...
        ValueError: unknown link kind 'supports' (one of: corroborates, contradicts)
        """
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise ValueError(
                f"unknown link kind {text!r} (one of: {', '.join(k.value for k in cls)})"
            ) from None


@dataclass(frozen=True, order=True)
class EvidenceLink:
    """``source`` corroborates or contradicts ``target`` (evidence ids), with an optional note."""

    source_id: int
    target_id: int
    kind: LinkKind
    note: str | None = None


def corroboration_path(links: Iterable[EvidenceLink], start: int, goal: int) -> list[int] | None:
    """Ids on a chain of *corroborates* links from ``start`` to ``goal``, or ``None``.

    Breadth-first, neighbours in id order, so the path reported is the same on every run.

    >>> ls = [EvidenceLink(1, 2, LinkKind.CORROBORATES), EvidenceLink(2, 3, LinkKind.CORROBORATES)]
    >>> corroboration_path(ls, 1, 3)
    [1, 2, 3]
    >>> corroboration_path(ls, 3, 1) is None
    True
    """
    nxt: dict[int, list[int]] = {}
    for link in links:
        if link.kind is LinkKind.CORROBORATES:
            nxt.setdefault(link.source_id, []).append(link.target_id)
    prev: dict[int, int] = {}
    frontier = [start]
    seen = {start}
    while frontier:
        new: list[int] = []
        for node in frontier:
            for n in sorted(nxt.get(node, [])):
                if n in seen:
                    continue
                seen.add(n)
                prev[n] = node
                if n == goal:
                    path = [goal]
                    while path[-1] != start:
                        path.append(prev[path[-1]])
                    return path[::-1]
                new.append(n)
        frontier = new
    return None


def check_link(existing: Iterable[EvidenceLink], link: EvidenceLink) -> None:
    """Raise :class:`InputError` when ``link`` cannot be added to ``existing`` (see module doc).

    >>> check_link([], EvidenceLink(4, 4, LinkKind.CONTRADICTS))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sitewatch.errors.InputError: field 'link': evidence 4 cannot contradict itself ...
    """
    links = list(existing)
    a, b, kind = link.source_id, link.target_id, link.kind
    if a == b:
        raise InputError(
            f"evidence {a} cannot {kind.value.removesuffix('s')} itself",
            field="link",
            expected="two different evidence ids",
        )
    for old in links:
        same_pair = {old.source_id, old.target_id} == {a, b}
        if not same_pair:
            continue
        if old.kind is not kind:
            raise InputError(
                f"evidence {old.source_id} already {old.kind.value} {old.target_id}; "
                f"a pair cannot both corroborate and contradict",
                field="link",
                expected="remove the old link first",
            )
        if (old.source_id, old.target_id) == (a, b) or kind is LinkKind.CONTRADICTS:
            raise InputError(
                f"evidence {old.source_id} already {old.kind.value} {old.target_id}",
                field="link",
                expected="a link not yet recorded",
            )
    if kind is LinkKind.CORROBORATES:
        back = corroboration_path(links, b, a)
        if back is not None:
            loop = " → ".join(str(i) for i in [*back, b])
            raise InputError(
                f"cyclic link: {a} corroborates {b} closes the loop {loop} (circular reporting)",
                field="link",
                expected="a link that does not lead back to its source",
            )
