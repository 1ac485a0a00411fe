"""Sluice's log file (data dir / logs / sluice.log), shared by the GUI and the CLI."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from app import paths

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def log_path() -> Path:
    return paths.data_dir() / "logs" / "sluice.log"


def setup_logging(level: int = logging.INFO) -> Path:
    """Send the `sluice` loggers to a rotating file; idempotent. Returns the file's path."""
    path = log_path()
    logger = logging.getLogger("sluice")
    for old in [h for h in logger.handlers if isinstance(h, logging.FileHandler)]:
        if old.baseFilename != str(path):  # the data dir moved (SLUICE_HOME changed)
            logger.removeHandler(old)
            old.close()
    if not any(getattr(h, "baseFilename", None) == str(path) for h in logger.handlers):
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=3,
                                                       encoding="utf-8")
        handler.setFormatter(logging.Formatter(FORMAT))
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
