"""Who may change the workspace: loopback binding, tokens, body limits, same-origin writes.

The rules, in one place:

* The server binds 127.0.0.1 unless told otherwise. Binding any other address needs a token
  (:func:`resolve_token` makes one when none is given; ``sitewatch serve`` prints it).
* When a token is configured — on any address — every mutating route checks it
  (``Authorization: Bearer TOKEN`` or ``X-Sitewatch-Token: TOKEN``); reads stay open.
* A request body larger than the limit is refused with 413 before it is read in full.
* A write must be JSON or a multipart upload, and a browser ``Origin`` must be the server's
  own (or one allowed by CORS, which is closed by default): a page on another site cannot
  post forms to a workbench running on the analyst's machine.

>>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
(True, True, False)
>>> resolve_token("127.0.0.1", None)
(None, False)
>>> tok, made = resolve_token("0.0.0.0", None); made and len(tok) >= 32
True
>>> resolve_token("0.0.0.0", "given-token-1234")
('given-token-1234', False)
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

from fastapi import HTTPException, Request, status

__all__ = [
    "DEFAULT_MAX_BODY",
    "MIN_TOKEN_LENGTH",
    "BodyLimitMiddleware",
    "WriteGuardMiddleware",
    "is_loopback",
    "make_token_check",
    "resolve_token",
]

#: Largest request body accepted (an evidence file upload), in bytes.
DEFAULT_MAX_BODY = 5 * 1024 * 1024
#: Shortest token accepted from the command line.
MIN_TOKEN_LENGTH = 12

_MUTATING = {"POST", "PUT", "PATCH", "DELETE"}

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def resolve_token(host: str, token: str | None) -> tuple[str | None, bool]:
    """The token to enforce for a bind address: ``(token, generated)``.

    A given token is kept (on any address); a non-loopback address without one gets a fresh
    random token.
    """
    if token:
        if len(token) < MIN_TOKEN_LENGTH:
            raise ValueError(f"--token must be at least {MIN_TOKEN_LENGTH} characters")
        return token, False
    if is_loopback(host):
        return None, False
    return secrets.token_urlsafe(32), True


def _presented(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.headers.get("x-sitewatch-token")


def make_token_check(token: str | None) -> Callable[[Request], None]:
    """A FastAPI dependency that refuses a request without the configured token (401/403)."""

    def check(request: Request) -> None:
        if token is None:
            return
        given = _presented(request)
        if not given:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "this server needs a token for changes: send 'Authorization: Bearer TOKEN' "
                "(the token sitewatch serve printed at start)",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if not secrets.compare_digest(given.encode(), token.encode()):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "wrong token")

    return check


async def _reply(send: Send, code: int, detail: str) -> None:
    import json

    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": code,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """Refuse request bodies over ``max_bytes`` (413), by header and while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        too_big = f"request body over the {self.max_bytes} byte limit"
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await _reply(send, 400, "bad Content-Length")
                return
            if declared > self.max_bytes:
                await _reply(send, 413, too_big)
                return
        seen = 0
        started = False

        async def limited() -> Message:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.max_bytes:
                    raise _BodyTooLarge
            return msg

        async def tracking_send(msg: Message) -> None:
            nonlocal started
            if msg["type"] == "http.response.start":
                started = True
            await send(msg)

        try:
            await self.app(scope, limited, tracking_send)
        except _BodyTooLarge:
            if not started:
                await _reply(send, 413, too_big)


class _BodyTooLarge(Exception):
    pass


class WriteGuardMiddleware:
    """Writes must carry the token (when one is set), be JSON or multipart, and come from
    the server's own origin — checked before the body is read.

    ``allowed_origins`` are extra origins (those CORS was opened to). ``allowed_hosts``, when
    given, is the set of ``Host`` names accepted at all (DNS-rebinding protection for a
    loopback server).
    """

    def __init__(
        self,
        app: ASGIApp,
        allowed_origins: Sequence[str] = (),
        allowed_hosts: Sequence[str] | None = None,
        token: str | None = None,
    ) -> None:
        self.app = app
        self.token = token
        self.allowed_origins = {o.rstrip("/") for o in allowed_origins}
        self.allowed_hosts = {h.lower() for h in allowed_hosts} if allowed_hosts else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")
        if self.allowed_hosts is not None:
            name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            name = name.strip("[]").lower()
            if name not in self.allowed_hosts:
                await _reply(send, 400, f"unexpected Host header {host!r}")
                return
        if scope["method"] in _MUTATING:
            if self.token is not None:
                auth = headers.get("authorization", "")
                given = (
                    auth[7:].strip()
                    if auth.lower().startswith("bearer ")
                    else headers.get("x-sitewatch-token")
                )
                if not given:
                    await _reply(
                        send,
                        401,
                        "this server needs a token for changes: send "
                        "'Authorization: Bearer TOKEN' (sitewatch serve printed it at start)",
                    )
                    return
                if not secrets.compare_digest(given.encode(), self.token.encode()):
                    await _reply(send, 403, "wrong token")
                    return
            ctype = headers.get("content-type", "").split(";")[0].strip().lower()
            has_body = headers.get("content-length", "0") not in ("", "0") or (
                "transfer-encoding" in headers
            )
            if has_body and ctype not in ("application/json", "multipart/form-data"):
                await _reply(send, 415, "send changes as application/json (or multipart/form-data)")
                return
            origin = headers.get("origin")
            if origin and origin != "null":
                own = {f"http://{host}", f"https://{host}"}
                if origin.rstrip("/") not in own | self.allowed_origins:
                    await _reply(send, 403, f"cross-origin write from {origin} refused")
                    return
            elif origin == "null":
                await _reply(send, 403, "cross-origin write from an opaque origin refused")
                return
        await self.app(scope, receive, send)
