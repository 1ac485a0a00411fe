"""A query on the local warehouse, read-only (the SQL tab): DuckDB opened read-only, the
first rows of the result, and a cancel that interrupts the query where it is."""

from __future__ import annotations

import threading

from app.services.errors import ServiceError

MAX_ROWS = 1000  # rows of a result shown; the rest are counted as "more"


class WarehouseQuery:
    def __init__(self, path: str) -> None:
        self.path = path
        self._db = None
        self._lock = threading.Lock()
        self.cancelled = False

    def run(self, sql: str, limit: int = MAX_ROWS) -> tuple[list[str], list[str], list[list],
                                                           bool]:
        """(columns, types, rows, whether more rows follow). ServiceError with DuckDB's
        message when the query fails, is cancelled, or would write."""
        import duckdb

        try:
            db = duckdb.connect(self.path, read_only=True)
        except duckdb.Error as exc:
            raise ServiceError(f"The warehouse cannot be opened: {exc}") from exc
        with self._lock:
            self._db = db
        try:
            if self.cancelled:
                raise ServiceError("Cancelled.")
            cursor = db.execute(sql)
            if cursor.description is None:
                return [], [], [], False
            columns = [d[0] for d in cursor.description]
            types = [str(d[1]) for d in cursor.description]
            rows = [list(r) for r in cursor.fetchmany(limit + 1)]
            return columns, types, rows[:limit], len(rows) > limit
        except duckdb.InterruptException as exc:
            raise ServiceError("Cancelled.") from exc
        except duckdb.Error as exc:
            if self.cancelled:
                raise ServiceError("Cancelled.") from exc
            raise ServiceError(str(exc)) from exc
        finally:
            with self._lock:
                self._db = None
            db.close()

    def cancel(self) -> None:
        """Interrupt the running query (from any thread)."""
        self.cancelled = True
        with self._lock:
            if self._db is not None:
                self._db.interrupt()
