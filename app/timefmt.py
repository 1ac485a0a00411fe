"""Human times: "just now", "5m ago", "3h ago", "2d ago"."""

from __future__ import annotations

from datetime import UTC, datetime


def ago(when: datetime | None, now: datetime | None = None) -> str:
    if when is None:
        return "never"
    seconds = int(((now or datetime.now(UTC)) - when).total_seconds())
    if seconds < 45:
        return "just now"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{round(seconds / size) if size == 60 else seconds // size}{unit} ago"
    return "just now"  # pragma: no cover - unreachable, seconds >= 45 hits minutes
