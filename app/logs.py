"""Sluice's log file (data dir / logs / sluice.log), shared by the GUI and the CLI."""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import sys
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


_hooked: dict = {}


def record_crashes() -> None:
    """Uncaught exceptions (any thread) and fatal errors (faulthandler: a segfault, an
    abort in a native library) go to the log file too, not only to a terminal that may not
    exist (the app started from a menu). Called once by each entry point (CLI, app)."""
    import faulthandler
    import threading

    path = setup_logging()
    if path is None:
        return
    log = logging.getLogger("sluice.crash")
    previous = _hooked.setdefault("sys", sys.excepthook)
    previous_thread = _hooked.setdefault("thread", threading.excepthook)

    def hook(kind, value, tb) -> None:
        if _driver_noise(value):
            log.warning("the database driver reported an internal error as its connection "
                        "was lost: %s", value)
            return
        log.critical("uncaught %s", kind.__name__, exc_info=(kind, value, tb))
        previous(kind, value, tb)

    def thread_hook(args) -> None:
        log.critical("uncaught %s in thread %s", args.exc_type.__name__,
                     args.thread.name if args.thread else "?",
                     exc_info=(args.exc_type, args.exc_value, args.exc_traceback))
        previous_thread(args)

    sys.excepthook, threading.excepthook = hook, thread_hook
    old = _hooked.pop("fault", None)
    if old is not None:
        old.close()
    with contextlib.suppress(OSError):
        _hooked["fault"] = path.open("a", encoding="utf-8")
        faulthandler.enable(file=_hooked["fault"], all_threads=True)


def _driver_noise(value: BaseException) -> bool:
    """psycopg2 prints a SystemError through sys.excepthook when a COPY's connection is ended
    under it; the run itself fails with a proper message (app.etl.pg_pipe)."""
    cause = value.__cause__
    return isinstance(value, SystemError) and cause is not None and \
        type(cause).__module__.startswith("psycopg2")


def tail(lines: int = 500) -> str:
    """The last `lines` lines of the log, for the "Show logs" window."""
    path = log_path()
    if not path.exists():
        return ""
    with path.open(encoding="utf-8", errors="replace") as fh:
        return "".join(fh.readlines()[-lines:])


def log_to_stdout(level: int = logging.INFO) -> None:
    """Also send the `sluice` loggers to standard output (the background scheduler: a
    service manager or a container collects it)."""
    logger = logging.getLogger("sluice")
    if not any(getattr(h, "stream", None) is sys.stdout for h in logger.handlers):
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(IsoFormatter(FORMAT))
        logger.addHandler(handler)
    logger.setLevel(level)
