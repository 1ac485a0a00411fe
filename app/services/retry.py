"""Which failures a run tries again, and how long it waits first.

Tried again: what is likely transient (a server that refused or dropped the connection, a
timeout, a server going away or shutting down, a deadlock or a lock wait, too many
connections). Never: what another try cannot fix (a wrong password, a missing table, a
type the destination cannot take, a cancel, a stalled run: its own bound already waited).

The drivers' errors are found on the chain behind the run's error (`raise RunError(...)
from exc`): SQLSTATEs for PostgreSQL (psycopg2's `pgcode`, ADBC's and psycopg's
`sqlstate`), error numbers for MySQL and MariaDB (PyMySQL's first argument), Python's own
connection and timeout errors; where a driver says it only in words, the words.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

BACKOFF_SECONDS = 10.0  # before the first retry; doubled before each next one
MAX_BACKOFF_SECONDS = 300.0

# PostgreSQL: connection exceptions (class 08), serialization failure, deadlock, lock not
# available, too many connections, operator intervention (admin shutdown, crash shutdown,
# cannot connect now), statement timeout.
TRANSIENT_SQLSTATES = frozenset({
    "08000", "08001", "08003", "08004", "08006", "08007", "08P01", "40001", "40P01",
    "55P03", "53300", "57P01", "57P02", "57P03", "57014"})
# MySQL / MariaDB: can't connect (socket, TCP), server gone away, lost connection, too many
# connections, lock wait timeout, deadlock, server shutdown, statement time exceeded,
# disconnected for inactivity, connection killed.
TRANSIENT_ERRNOS = frozenset({2002, 2003, 2006, 2013, 1040, 1205, 1213, 1053, 3024, 4031,
                              1927})
_TRANSIENT_WORDS = re.compile(
    r"connection refused|connection reset|broken pipe|server closed the connection"
    r"|terminating connection due to administrator command|server has gone away"
    r"|lost connection|timed out|timeout expired|deadlock|could not serialize"
    r"|too many connections|the database system is (starting up|shutting down)"
    # libpq when the connection drops in the middle of a COPY: no error from the server
    r"|no message from the libpq",
    re.IGNORECASE)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen and len(seen) < 20:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def transient(exc: BaseException) -> bool:
    """Whether another try of the run may well succeed where this one failed."""
    from app.etl.errors import RunCancelled

    chain = list(_chain(exc))
    if any(isinstance(e, RunCancelled) for e in chain):
        return False
    for error in chain:
        state = getattr(error, "pgcode", None) or getattr(error, "sqlstate", None)
        if isinstance(state, str) and state:
            return state in TRANSIENT_SQLSTATES
        if type(error).__module__.startswith("pymysql") and error.args and \
                isinstance(error.args[0], int):
            return error.args[0] in TRANSIENT_ERRNOS
        if isinstance(error, ConnectionError | TimeoutError):
            return True
    return any(_TRANSIENT_WORDS.search(str(e)) for e in chain)


def backoff(attempt: int, base: float = BACKOFF_SECONDS) -> float:
    """Seconds to wait after failed attempt number `attempt` (1, 2, ...)."""
    return min(base * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS)
