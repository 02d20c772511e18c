"""A workspace: one database (SQLite file or PostgreSQL URL), always migrated to head.

>>> import tempfile, os
>>> d = tempfile.mkdtemp()
>>> ws = Workspace.open(os.path.join(d, "ws.db"))
>>> ws.schema_revision() == HEAD_REVISION
True
>>> ws.close()
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from sitewatch.config import to_url
from sitewatch.errors import SitewatchError

__all__ = ["HEAD_REVISION", "Workspace"]

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


HEAD_REVISION: str = (
    ScriptDirectory.from_config(_alembic_config("sqlite://")).get_current_head() or ""
)


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    # WAL lets the web server read while a CLI import writes; FKs are off by default in SQLite.
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Workspace:
    """Handle on one workspace database.

    Use :meth:`open` (creates and migrates) and :meth:`session` (a transaction that commits
    on success and rolls back on error).
    """

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, workspace: str | Path, *, seed: bool = True) -> Workspace:
        """Open (creating and migrating if needed) the workspace at a path or URL.

        A brand-new workspace is seeded with the built-in December 2024 case sites unless
        ``seed`` is false.
        """
        url = to_url(workspace)
        if url.startswith("sqlite:///"):
            path = Path(url.removeprefix("sqlite:///"))
            if path.parent and not path.parent.exists():
                raise SitewatchError(f"workspace folder {path.parent} does not exist")
        try:
            engine = create_engine(url, future=True)
        except Exception as exc:  # bad URL, missing driver
            raise SitewatchError(f"cannot open workspace {url!r}: {exc}") from exc
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        ws = cls(engine, url)
        fresh = ws.schema_revision() is None
        ws.migrate()
        if fresh and seed:
            from sitewatch.sites.builtin import seed_builtin_sites

            seed_builtin_sites(ws)
        return ws

    def migrate(self) -> None:
        """Bring the schema to the newest revision (Alembic ``upgrade head``)."""
        cfg = _alembic_config(self.url)
        try:
            with self.engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except Exception as exc:
            raise SitewatchError(f"cannot migrate workspace {self.url!r}: {exc}") from exc

    def schema_revision(self) -> str | None:
        """The Alembic revision the database is at, or ``None`` for an empty database."""
        try:
            with self.engine.connect() as conn:
                return MigrationContext.configure(conn).get_current_revision()
        except Exception as exc:
            raise SitewatchError(f"cannot read workspace {self.url!r}: {exc}") from exc

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits when the block ends, rolls back if it raises."""
        with self._sessions() as sess, sess.begin():
            yield sess

    def close(self) -> None:
        """Release the connection pool."""
        self.engine.dispose()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
