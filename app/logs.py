"""Sluice's log file (data dir / logs / sluice.log), shared by the GUI and the CLI."""

from __future__ import annotations

import logging
import logging.handlers
from datetime import datetime
from pathlib import Path

from app import paths

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class IsoFormatter(logging.Formatter):
    """Times as ISO-8601 with the local offset: 2026-11-30T06:00:01.123+01:00."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return datetime.fromtimestamp(record.created).astimezone().isoformat(
            timespec="milliseconds")


def log_path() -> Path:
    return paths.data_dir() / "logs" / "sluice.log"


def setup_logging(level: int = logging.INFO) -> Path | None:
    """Send the `sluice` loggers to a rotating file; idempotent. Returns the file's path
    (None when there is no data folder to keep it in: the store says why)."""
    logger = logging.getLogger("sluice")
    logger.setLevel(level)
    try:
        path = log_path()
    except OSError:
        return None
    for old in [h for h in logger.handlers if isinstance(h, logging.FileHandler)]:
        if old.baseFilename != str(path):  # the data dir moved (SLUICE_HOME changed)
            logger.removeHandler(old)
            old.close()
    if not any(getattr(h, "baseFilename", None) == str(path) for h in logger.handlers):
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            handler = logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000,
                                                           backupCount=3, encoding="utf-8")
            path.chmod(0o600)
        except OSError:  # a read-only or full data folder: the store's message says so
            return None
        handler.setFormatter(IsoFormatter(FORMAT))
        logger.addHandler(handler)
    logger.setLevel(level)
    return path


def tail(lines: int = 500) -> str:
    """The last `lines` lines of the log, for the "Show logs" window."""
    path = log_path()
    if not path.exists():
        return ""
    with path.open(encoding="utf-8", errors="replace") as fh:
        return "".join(fh.readlines()[-lines:])
