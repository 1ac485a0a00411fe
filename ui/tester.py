"""Live tests of saved connections, in the background, with results handed to the window
in batches.

Two hundred connections tested at start-up finish in bursts; one queued signal per result
made the GUI thread take each in turn (each competing for the GIL with the tests still
running) and froze the window for seconds. Here a few threads take ids from a queue (asking
for 200 tests costs the GUI thread a list append each), and the GUI thread collects what
has finished on a timer, in one go.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

POOL_SIZE = 8  # tests at once (each waits on a server, mostly)
BATCH_MS = 100  # how often finished tests are collected
THREAD_PREFIX = "sluice-test"
SHUTDOWN_WAIT = 5.0  # seconds a closing window waits for each test thread at most
_STOP = None


class Tester(QObject):
    """`test(ids)` runs `probe(conn_id, cancel)` for each id on a few threads; what it
    returns (or raises) comes back through `tested`, a batch at a time. Testing an id again
    while its test waits or runs supersedes it (the older result is dropped).

    Signals:
        started(list): ids whose tests were asked for.
        tested(list): [(conn_id, value, error)] of tests that finished (error None when
            the probe returned `value`).
    """

    started = Signal(list)
    tested = Signal(list)

    def __init__(self, probe: Callable[[str, threading.Event], Any],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._probe = probe
        self._cancel = threading.Event()
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._asked: dict[str, int] = {}  # conn id -> the number of its newest request
        self._asks = 0
        self._lock = threading.Lock()
        self._finished: list[tuple[str, int, Any, BaseException | None]] = []
        self._timer = QTimer(self)
        self._timer.setInterval(BATCH_MS)
        self._timer.timeout.connect(self._collect)

    @property
    def busy(self) -> bool:
        return bool(self._asked)

    def test(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        if not ids or self._cancel.is_set():
            return
        for conn_id in ids:
            self._asks += 1
            self._asked[conn_id] = self._asks
            self._queue.put((conn_id, self._asks))
        if not self._threads:
            self._grow()  # the others are started by the test threads (off the GUI thread)
        self.started.emit(ids)
        self._timer.start()

    def _grow(self) -> None:
        with self._lock:
            if len(self._threads) >= POOL_SIZE or self._cancel.is_set():
                return
            thread = threading.Thread(target=self._work, daemon=True,
                                      name=f"{THREAD_PREFIX}-{len(self._threads)}")
            self._threads.append(thread)
        thread.start()

    def _work(self) -> None:
        """(a test thread) Test what is asked until told to stop; another thread joins
        while tests wait."""
        while (item := self._queue.get()) is not _STOP:
            if not self._queue.empty():
                self._grow()
            conn_id, ask = item
            if self._cancel.is_set():
                continue
            try:
                value, error = self._probe(conn_id, self._cancel), None
            except Exception as exc:  # handed to the window, which says it
                value, error = None, exc
            with self._lock:
                self._finished.append((conn_id, ask, value, error))

    def _collect(self) -> None:
        with self._lock:
            finished, self._finished = self._finished, []
        batch = [(cid, value, error) for cid, ask, value, error in finished
                 if self._asked.get(cid) == ask]  # the newest request of each id
        for conn_id, _, _ in batch:
            del self._asked[conn_id]
        if not self._asked:
            self._timer.stop()
        if batch:
            self.tested.emit(batch)

    def shutdown(self) -> None:
        """Cancel the tests (a cancelled test records nothing) and wait for their threads,
        which a cancel lets go at once (see app.connectors.base.bounded)."""
        self._cancel.set()
        self._timer.stop()
        self._asked.clear()
        with self._lock:
            threads = list(self._threads)
        for _ in range(POOL_SIZE):
            self._queue.put(_STOP)
        for thread in threads:
            thread.join(timeout=SHUTDOWN_WAIT)  # daemon threads: never hold the quit up
