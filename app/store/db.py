"""Open the SQLite metadata store, apply migrations, hand out short-lived sessions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc, select
from sqlalchemy.orm import Session, sessionmaker

from app import paths
from app.store import HEAD_REVISION, health
from app.store.health import StoreError
from app.store.models import Setting

BUSY_TIMEOUT_MS = 5000
MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(path: Path) -> Engine:
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
    )
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the store's schema to `revision` (an older store upgrades in place)."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


class Store:
    """One metadata store. Each thread opens its own session through `session()`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.engine = make_engine(path)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A short transaction: commit on success, roll back on any exception. A fault of
        the store itself (damaged, read-only, disk full) comes out as StoreError."""
        try:
            with self._sessions() as session, session.begin():
                yield session
        except (exc.OperationalError, exc.DatabaseError) as error:
            raise health.fault(error, self.path) or error from error

    def get_setting(self, key: str, default: Any = None) -> Any:
        with self.session() as s:
            value = s.scalar(select(Setting.value).where(Setting.key == key))
        return default if value is None else value

    def set_setting(self, key: str, value: Any) -> None:
        with self.session() as s:
            s.merge(Setting(key=key, value=value))

    def close(self) -> None:
        self.engine.dispose()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        has_table = conn.exec_driver_sql(
            "select 1 from sqlite_master where type = 'table' and name = 'alembic_version'"
        ).first()
        if not has_table:
            return None
        return conn.exec_driver_sql("select version_num from alembic_version").scalar()


def open_store(path: Path | None = None) -> Store:
    """Open (creating or upgrading as needed) the store at `path` or the default location.

    Raises StoreError, naming the file, the fault and what to do, when it cannot be used;
    a healthy store is backed up (see app.store.health)."""
    if path is None:
        try:
            path = paths.store_path()
        except OSError as error:
            folder = Path(getattr(error, "filename", None) or "the data folder")
            raise StoreError(f"Cannot create Sluice's data folder {folder} "
                             f"({error.strerror or error}): make its parent writable, or set "
                             "SLUICE_HOME to a folder you can write.", folder,
                             "readonly") from error
    health.check(path)
    store = Store(path)
    try:
        if current_revision(store.engine) != HEAD_REVISION:
            migrate(store.engine)
    except (exc.DBAPIError, OSError) as error:
        store.close()
        raise health.fault(error, path) or error from error
    paths.make_private(path, path.with_name(path.name + "-wal"),
                       path.with_name(path.name + "-shm"))
    health.backup(path)
    return store
