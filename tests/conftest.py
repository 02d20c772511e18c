"""Shared fixtures: the real data folder, and workspaces on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from sitewatch.config import data_dir
from sitewatch.store import Workspace

PG_URL = os.environ.get("SITEWATCH_TEST_PG_URL")


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The shared real data; tests that need it skip with the reason when it is absent."""
    root = data_dir()
    if not (root / "case-syria-2024").is_dir():
        pytest.skip(
            f"real data not found at {root} (set SITEWATCH_DATA or put it at ../shared/data)"
        )
    return root


@pytest.fixture()
def ws(tmp_path: Path) -> Iterator[Workspace]:
    """A fresh SQLite workspace (seeded with the case sites)."""
    w = Workspace.open(tmp_path / "ws.db")
    yield w
    w.close()


def _reset_pg(url: str) -> None:
    eng = create_engine(url)
    with eng.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    eng.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_ws(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Workspace]:
    """The same test on SQLite and on the real PostgreSQL server started by ``.ci/run``."""
    if request.param == "sqlite":
        w = Workspace.open(tmp_path / "ws.db")
    else:
        if not PG_URL:
            if os.environ.get("CI"):
                pytest.fail("SITEWATCH_TEST_PG_URL is not set: .ci/run must start PostgreSQL")
            pytest.skip('no PostgreSQL: run `eval "$(.ci/start-postgres.sh)"` to test it')
        _reset_pg(PG_URL)
        w = Workspace.open(PG_URL)
    yield w
    w.close()
