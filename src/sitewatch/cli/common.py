"""Helpers the command modules share: opening the workspace, parsing common values."""

from __future__ import annotations

from datetime import UTC, datetime

from sitewatch.config import Settings
from sitewatch.errors import InputError
from sitewatch.store import Workspace

__all__ = ["open_workspace", "parse_day", "settings"]


def settings(workspace: str | None = None) -> Settings:
    """Settings from the flag, then the environment, then defaults."""
    return Settings.load(workspace=workspace)


def open_workspace(workspace: str | None = None) -> Workspace:
    """Open the workspace named by ``--workspace`` / ``SITEWATCH_WORKSPACE`` / default."""
    return Workspace.open(settings(workspace).workspace_url)


def parse_day(text: str | None, option: str) -> datetime | None:
    """Parse ``YYYY-MM-DD`` (or a full ISO time) as UTC; the error names the option."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"unreadable date {text!r}", field=option, expected="YYYY-MM-DD") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
