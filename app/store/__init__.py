"""The metadata store: a SQLite file in WAL mode, migrated with Alembic at start-up."""

from app.store.db import Store, open_store

__all__ = ["Store", "open_store"]
