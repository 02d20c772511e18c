"""One configuration object, read from flags, then ``SITEWATCH_*`` variables, then defaults.

>>> s = Settings.load(workspace="ws.db", environ={})
>>> s.workspace_url
'sqlite:///ws.db'
>>> Settings.load(environ={"SITEWATCH_WORKSPACE": "postgresql+psycopg://u@h/db"}).workspace_url
'postgresql+psycopg://u@h/db'
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DEFAULT_WORKSPACE", "Settings", "data_dir", "to_url"]

DEFAULT_WORKSPACE = "sitewatch.db"
_PACKAGE_DIR = Path(__file__).resolve().parent


def to_url(workspace: str | Path) -> str:
    """Turn a workspace given as a path or a database URL into an SQLAlchemy URL.

    >>> to_url("a/b.db")
    'sqlite:///a/b.db'
    >>> to_url("sqlite:///x.db")
    'sqlite:///x.db'
    """
    text = str(workspace)
    if "://" in text:
        return text
    return f"sqlite:///{text}"


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where the shared real data lives: ``SITEWATCH_DATA`` or ``../shared/data``.

    The default is found relative to the working directory first, then relative to the
    source checkout, so tests and ``make demo`` work from the repository root.
    """
    env = os.environ if environ is None else environ
    if env.get("SITEWATCH_DATA"):
        return Path(env["SITEWATCH_DATA"])
    for base in (Path.cwd(), _PACKAGE_DIR.parents[1]):
        candidate = (base / ".." / "shared" / "data").resolve()
        if candidate.is_dir():
            return candidate
    return (Path.cwd() / ".." / "shared" / "data").resolve()


@dataclass(frozen=True)
class Settings:
    """Workspace, model and data locations for one run."""

    workspace_url: str
    model_path: Path
    data_path: Path
    user: str

    @classmethod
    def load(
        cls,
        *,
        workspace: str | Path | None = None,
        model: str | Path | None = None,
        data: str | Path | None = None,
        user: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Settings:
        """Resolve settings: explicit argument, then environment, then default."""
        env = os.environ if environ is None else environ
        ws = workspace or env.get("SITEWATCH_WORKSPACE") or DEFAULT_WORKSPACE
        mdl = (
            model or env.get("SITEWATCH_MODEL") or (_PACKAGE_DIR / "models" / "sitewatch-det.onnx")
        )
        dat = data or env.get("SITEWATCH_DATA") or data_dir(env)
        who = user or env.get("SITEWATCH_USER") or env.get("USER") or "analyst"
        return cls(workspace_url=to_url(ws), model_path=Path(mdl), data_path=Path(dat), user=who)
