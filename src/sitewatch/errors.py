"""Errors that carry enough context for a person to fix their input.

Every user-facing failure in sitewatch is a :class:`SitewatchError`. The CLI prints
``str(error)`` on one line and exits non-zero; the web API maps it to a 4xx.

>>> str(InputError("bad date", path="t.csv", line=4, field="date", expected="YYYY-MM-DD"))
"t.csv, line 4, field 'date': bad date (expected YYYY-MM-DD)"
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["InputError", "NotFoundError", "SitewatchError"]


class SitewatchError(Exception):
    """Base class of every error sitewatch reports to a user."""


class NotFoundError(SitewatchError):
    """A named thing (site, pass, evidence item…) is not in the workspace."""


class InputError(SitewatchError):
    """Bad input: names the file, the line or field, and what was expected."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
        expected: str | None = None,
    ) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.field = field
        self.expected = expected
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.path:
            where.append(self.path)
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field:
            where.append(f"field {self.field!r}")
        text = ", ".join(where)
        text = f"{text}: {self.message}" if text else self.message
        if self.expected:
            text += f" (expected {self.expected})"
        return text
