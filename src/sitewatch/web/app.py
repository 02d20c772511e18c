"""The FastAPI application: JSON API, pass tiles, and the built front-end.

>>> import tempfile, os
>>> from fastapi.testclient import TestClient
>>> app = create_app(os.path.join(tempfile.mkdtemp(), "ws.db"))
>>> with TestClient(app) as client:
...     client.get("/api/health").json()["ok"], len(client.get("/api/sites").json())
(True, 16)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from sitewatch.config import Settings
from sitewatch.errors import InputError, NotFoundError, SitewatchError
from sitewatch.store import Workspace
from sitewatch.web import api_assess, api_core, api_evidence, api_stages
from sitewatch.web._context import AppContext
from sitewatch.web.security import (
    DEFAULT_MAX_BODY,
    BodyLimitMiddleware,
    WriteGuardMiddleware,
    make_token_check,
)
from sitewatch.web.tiles import Tiler

__all__ = ["BUILD_HINT", "STATIC_DIR", "create_app", "static_ready"]

#: Where ``web/build.sh`` puts the built front-end.
STATIC_DIR = Path(__file__).resolve().parent / "static"
#: What to do when the front-end has not been built.
BUILD_HINT = (
    "the web front-end is not built: run `web/build.sh` from the repository root "
    "(needs Node.js ≥ 18 and npm; it runs `npm ci && npm run build` and writes "
    "src/sitewatch/web/static/). The JSON API works without it: see /docs and /api/sites."
)

_CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; font-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)

_DESCRIPTION = """
The sitewatch workbench API: sites, passes and their tiles, the graded evidence log,
detections and their review, change events and tracked objects, indicators, hypotheses,
the ACH matrix and assessments.

* Reads are open. Changes (POST/PUT/PATCH) need the server's token when it has one:
  `Authorization: Bearer TOKEN`. Who made a change is `X-Sitewatch-User` or the server's user.
* Times are UTC ISO 8601. Pixel positions are in the pass's own pixel frame (x right, y down).
* Stages that do not exist yet in this workspace's code (see `/api/capabilities`) answer
  empty lists with `X-Sitewatch-Stage: unavailable`, and 501 for writes.
"""


def static_ready(static_dir: Path = STATIC_DIR) -> bool:
    """Whether the built front-end is there."""
    return (static_dir / "index.html").is_file()


def create_app(
    workspace_url: str | Path,
    token: str | None = None,
    *,
    user: str | None = None,
    allow_origins: Sequence[str] = (),
    allowed_hosts: Sequence[str] | None = None,
    max_upload_bytes: int = DEFAULT_MAX_BODY,
    static_dir: Path | None = None,
) -> FastAPI:
    """Build the app over one workspace.

    Parameters
    ----------
    workspace_url
        SQLite path or database URL; opened (and migrated) once, when the app is built.
    token
        When set, every mutating route needs it (``Authorization: Bearer TOKEN``), whatever
        the bind address. ``sitewatch serve`` makes one for non-loopback addresses.
    user
        Who changes are recorded as when the request names nobody (default: settings user).
    allow_origins
        Extra origins allowed by CORS and for writes; closed (empty) by default.
    allowed_hosts
        ``Host`` names accepted (DNS-rebinding protection); ``None`` accepts any.
    max_upload_bytes
        Largest request body accepted.
    static_dir
        The built front-end (default: the package's ``static`` folder).
    """
    ws = Workspace.open(workspace_url)
    static = static_dir or STATIC_DIR
    tiler = Tiler()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        tiler.close()
        ws.close()

    app = FastAPI(
        title="sitewatch workbench",
        description=_DESCRIPTION,
        version="1",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.ctx = AppContext(
        workspace=ws,
        tiler=tiler,
        token_check=make_token_check(token),
        user=user or Settings.load().user,
        max_upload_bytes=max_upload_bytes,
        token_required=token is not None,
    )
    app.include_router(api_core.router)
    app.include_router(api_evidence.router)
    app.include_router(api_stages.router)
    app.include_router(api_assess.router)

    @app.exception_handler(NotFoundError)
    async def _not_found(_: Request, exc: NotFoundError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(InputError)
    async def _bad_input(_: Request, exc: InputError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(SitewatchError)
    async def _error(_: Request, exc: SitewatchError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.middleware("http")
    async def _headers(request: Request, call_next: object) -> Response:
        response: Response = await call_next(request)  # type: ignore[operator]
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if not request.url.path.startswith("/docs"):
            response.headers.setdefault("Content-Security-Policy", _CSP)
        if request.url.path.startswith("/api/") and "cache-control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response

    _mount_front_end(app, static)
    app.add_middleware(
        WriteGuardMiddleware,
        allowed_origins=list(allow_origins),
        allowed_hosts=list(allowed_hosts) if allowed_hosts is not None else None,
        token=token,
    )
    if allow_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(allow_origins),
            allow_methods=["GET", "POST", "PUT", "PATCH"],
            allow_headers=["Authorization", "Content-Type", "X-Sitewatch-User"],
        )
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_upload_bytes)
    return app


def _mount_front_end(app: FastAPI, static: Path) -> None:
    swagger = static / "swagger"

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        if (swagger / "swagger-ui-bundle.js").is_file():
            return get_swagger_ui_html(
                openapi_url="/openapi.json",
                title="sitewatch API",
                swagger_js_url="/static/swagger/swagger-ui-bundle.js",
                swagger_css_url="/static/swagger/swagger-ui.css",
                swagger_favicon_url="/static/favicon.svg",
            )
        return HTMLResponse(
            "<!doctype html><title>sitewatch API</title><h1>sitewatch API</h1>"
            f"<p>The interactive docs page ships with the front-end build; {BUILD_HINT}</p>"
            '<p>The OpenAPI document is at <a href="/openapi.json">/openapi.json</a>.</p>'
        )

    if static_ready(static):
        app.mount("/static", StaticFiles(directory=static), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> Response:
        if not static_ready(static):
            return HTMLResponse(
                "<!doctype html><title>sitewatch</title><h1>sitewatch workbench</h1>"
                f"<p>{BUILD_HINT}</p>",
                status_code=503,
            )
        return FileResponse(static / "index.html", headers={"Cache-Control": "no-cache"})
