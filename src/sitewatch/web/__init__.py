"""The web workbench: a FastAPI app over a workspace and its static front-end.

``sitewatch serve`` runs it; :func:`create_app` builds it for tests and embedding.
"""

from sitewatch.web.app import BUILD_HINT, STATIC_DIR, create_app, static_ready
from sitewatch.web.security import is_loopback, resolve_token

__all__ = ["BUILD_HINT", "STATIC_DIR", "create_app", "is_loopback", "resolve_token", "static_ready"]
