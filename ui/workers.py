"""The one bridge between Qt and background work.

A plain function runs on a QThreadPool worker; its result or exception comes back to the
GUI thread through a queued signal and is handed to the callback, but only while the
callback's owner widget still exists. Workers get plain values, never widgets.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class Task:
    """A submitted call; `cancel` is the event the function may watch."""

    def __init__(self, cancel: threading.Event) -> None:
        self.cancel = cancel
        self.done = False


class _Runnable(QRunnable):
    def __init__(self, bridge: Bridge, key: int, fn: Callable[[], Any]) -> None:
        super().__init__()
        # Python owns the runnable (the bridge keeps it until its result is delivered):
        # letting the pool delete a Python-made QRunnable has crashed PySide at exit.
        self.setAutoDelete(False)
        self.bridge, self.key, self.fn = bridge, key, fn

    def run(self) -> None:
        try:
            outcome = (True, self.fn())
        except BaseException as exc:  # noqa: BLE001 - delivered to the GUI thread
            outcome = (False, exc)
        # A RuntimeError here: the bridge was deleted with its window; nobody waits.
        with contextlib.suppress(RuntimeError):
            self.bridge.finished.emit(self.key, outcome)


class Bridge(QObject):
    """Owns a thread pool; `submit` runs a function there and calls back on the GUI thread.

    Signals:
        finished(int, object): internal, queued from the worker to the GUI thread.
        busy_changed(bool): whether any task is running.
    """

    finished = Signal(int, object)
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, max_threads: int = 8) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self._pending: dict[int, tuple[Task, QObject, Callable, Callable | None]] = {}
        self._runnables: dict[int, _Runnable] = {}
        self._next = 0
        self.finished.connect(self._deliver)

    def submit(self, owner: QObject, fn: Callable[..., Any], *args: Any,
               on_done: Callable[[Any], None],
               on_error: Callable[[BaseException], None] | None = None,
               cancellable: bool = False) -> Task:
        """Run fn(*args) in the pool (with cancel=<event> when `cancellable`)."""
        task = Task(threading.Event())
        kwargs = {"cancel": task.cancel} if cancellable else {}
        self._next += 1
        key = self._next
        self._pending[key] = (task, owner, on_done, on_error)
        self._runnables[key] = _Runnable(self, key, lambda: fn(*args, **kwargs))
        self.pool.start(self._runnables[key])
        if len(self._pending) == 1:
            self.busy_changed.emit(True)
        return task

    def _deliver(self, key: int, outcome: tuple[bool, Any]) -> None:
        task, owner, on_done, on_error = self._pending.pop(key)
        self._runnables.pop(key, None)
        task.done = True
        if not self._pending:
            self.busy_changed.emit(False)
        if task.cancel.is_set() or not shiboken6.isValid(owner):
            return
        ok, value = outcome
        if ok:
            on_done(value)
        elif on_error is not None:
            on_error(value)
        else:
            raise value

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def shutdown(self, wait_ms: int = 3000) -> bool:
        """Cancel everything and wait (bounded) for the workers; True if all have stopped."""
        for task, *_ in self._pending.values():
            task.cancel.set()
        self.pool.clear()
        return self.pool.waitForDone(wait_ms)
