"""The window's first look: its saved connections and jobs (each with its newest run) as
the views the services give, read straight from the store file, so the lists show while
SQLAlchemy, the services and the engine load behind them (start-up time)."""

from __future__ import annotations

from pathlib import Path

from app import paths
from app.services.views import (
    ConnectionView,
    JobView,
    RunView,
    connection_view,
    job_view,
    run_view,
    used_by,
)
from app.store import snapshot

Lists = tuple[list[ConnectionView], list[tuple[JobView, RunView | None]]]


def lists(path: Path | None = None) -> Lists | None:
    """What the window lists, as stored at `path` (the default store when None); None
    when the store cannot be read this way (the services will say why, or create it)."""
    try:
        found = snapshot.read(path or paths.store_path())
    except OSError:  # the data folder cannot be made: the services report it
        return None
    if found is None:
        return None
    users = used_by(found.users)
    connections = {row.id: row for row in found.connections}
    last = {row.job_id: run_view(row) for row in found.last_runs}
    return ([connection_view(row, users.get(row.id, [])) for row in found.connections],
            [(job_view(row, connections[row.source_connection_id],
                       connections.get(row.destination_connection_id)), last.get(row.id))
             for row in found.jobs])
