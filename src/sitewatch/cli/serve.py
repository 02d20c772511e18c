"""``sitewatch serve``: the web workbench over a workspace (FastAPI + uvicorn)."""

from __future__ import annotations

from typing import Annotated

import typer

from sitewatch.cli.common import settings
from sitewatch.cli.options import WorkspaceOpt
from sitewatch.cli.output import console, console_err
from sitewatch.errors import InputError

__all__ = ["register", "serve"]


def serve(
    host: Annotated[
        str,
        typer.Option("--host", help="Address to bind. Anything but loopback needs a token."),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port.")] = 8765,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="SITEWATCH_TOKEN",
            help="Token every change must carry (env SITEWATCH_TOKEN). Made for you when "
            "binding a non-loopback address; enforced on loopback too when given.",
            show_default=False,
        ),
    ] = None,
    cors: Annotated[
        list[str] | None,
        typer.Option(
            "--cors-origin", help="Allow this browser origin (repeatable; none by default)."
        ),
    ] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Open the workspace in the browser: map, passes, detections, swipe, evidence, ACH."""
    import uvicorn

    from sitewatch.web import BUILD_HINT, create_app, is_loopback, resolve_token, static_ready

    try:
        tok, generated = resolve_token(host, token)
    except ValueError as exc:
        raise InputError(str(exc), field="--token") from None
    cfg = settings(workspace)
    loopback = is_loopback(host)
    hosts = ["127.0.0.1", "localhost", "::1"] if loopback else None
    app = create_app(
        cfg.workspace_url, tok, user=cfg.user, allow_origins=tuple(cors or ()), allowed_hosts=hosts
    )
    if not static_ready():
        console_err.print(f"[yellow]warning:[/] {BUILD_HINT}", highlight=False)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{shown}:{port}/"
    console.print(f"sitewatch workbench on {url} (workspace {cfg.workspace_url})", highlight=False)
    if tok is not None:
        console.print(
            ("generated token: " if generated else "token: ")
            + tok
            + f"\nopen {url}#token={tok} — changes need 'Authorization: Bearer TOKEN'",
            highlight=False,
        )
    if not loopback:
        console_err.print(
            f"[yellow]warning:[/] listening on {host}: other machines can read this workspace; "
            "changes need the token. Plain HTTP: put it behind TLS on untrusted networks.",
            highlight=False,
        )
    uvicorn.run(
        app, host=host, port=port, log_level="warning", access_log=False, timeout_keep_alive=10
    )


def register(app: typer.Typer) -> None:
    """Add ``sitewatch serve``."""
    app.command("serve")(serve)
