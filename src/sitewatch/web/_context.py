"""What every route needs: the open workspace, the tiler, the token check and the user."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import HTTPException, Request

from sitewatch.store import Workspace
from sitewatch.web.tiles import Tiler

__all__ = ["AppContext", "actor", "get_ctx"]

_USER = re.compile(r"^[\w .@\-]{1,60}$")


@dataclass
class AppContext:
    """State shared by the routes of one app."""

    workspace: Workspace
    tiler: Tiler
    token_check: Callable[[Request], None]
    user: str
    max_upload_bytes: int
    token_required: bool


def get_ctx(request: Request) -> AppContext:
    """The app's context (a FastAPI dependency)."""
    ctx: AppContext = request.app.state.ctx
    return ctx


def actor(request: Request) -> str:
    """Who made a change: the ``X-Sitewatch-User`` header, else the server's user.

    Enforces the token first, so it is the dependency every mutating route takes.
    """
    ctx = get_ctx(request)
    ctx.token_check(request)
    given = request.headers.get("x-sitewatch-user")
    if given is None or not given.strip():
        return ctx.user
    name = given.strip()
    if not _USER.match(name):
        raise HTTPException(422, "X-Sitewatch-User: letters, digits, space . @ _ - only (≤ 60)")
    return name
