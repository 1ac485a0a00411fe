"""The metadata store: a SQLite file in WAL mode, migrated with Alembic at start-up."""

from app.store.db import Store, open_store
from app.store.health import StoreError

__all__ = ["Store", "StoreError", "open_store"]
