"""Redis as a source: a job's "table" is a key pattern (`session:*`), read with SCAN (never
KEYS, which blocks the server), a batch of keys at a time, each batch's types, TTLs and
values fetched in one pipeline. Rows: key, type, value, ttl.

- value: a string as its text; a hash, list, set or sorted set as JSON (an object, an
  array, a sorted array, an array of [member, score]); a stream as an array of
  [id, fields]. Bytes that are not UTF-8 keep their bytes as \\xNN escapes.
- ttl: seconds left, NULL for a key that never expires.
- key is the primary key: merge mode keeps a table of the keys as they are now.

A key deleted between SCAN and the fetch is left out; SCAN may return a key twice while the
keyspace is rehashed, so each batch is deduplicated against the keys already seen, kept in
a temporary SQLite file rather than in memory (a million keys would hold ~120 MB there).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pyarrow as pa

from app.connectors.nosql import NO_PREFIX
from app.etl.errors import RunCancelled, RunError
from app.etl.readers import BaseReader, ReadRequest, check_columns

SCHEMA = pa.schema([pa.field("key", pa.string(), nullable=False), pa.field("type", pa.string()),
                    pa.field("value", pa.string()), pa.field("ttl", pa.int64())])
SCAN_COUNT = 1000


def _text(raw: bytes | str) -> str:
    return raw if isinstance(raw, str) else raw.decode("utf-8", errors="backslashreplace")


def _value(kind: str, raw) -> str | None:
    if raw is None:
        return None
    if kind == "string":
        return _text(raw)
    if kind == "hash":
        return json.dumps({_text(k): _text(v) for k, v in sorted(raw.items())},
                          ensure_ascii=False)
    if kind == "list":
        return json.dumps([_text(v) for v in raw], ensure_ascii=False)
    if kind == "set":
        return json.dumps(sorted(_text(v) for v in raw), ensure_ascii=False)
    if kind == "zset":
        return json.dumps([[_text(m), s] for m, s in raw], ensure_ascii=False)
    if kind == "stream":
        return json.dumps([[_text(i), {_text(k): _text(v) for k, v in f.items()}]
                           for i, f in raw], ensure_ascii=False)
    return None


class SeenKeys:
    """The keys a read has returned so far, on disk: memory stays flat however many there
    are (SQLite's page cache is bounded), and the file goes when the read ends."""

    def __init__(self) -> None:
        import sqlite3
        import tempfile

        self._dir = tempfile.TemporaryDirectory(prefix="sluice-redis-")
        self.db = sqlite3.connect(f"{self._dir.name}/seen.db", check_same_thread=False)
        self.db.executescript("pragma journal_mode = off; pragma synchronous = off; "
                              "pragma cache_size = -16000; "
                              "create table seen (k blob primary key) without rowid;")

    def fresh(self, keys: list[bytes]) -> list[bytes]:
        """The keys not returned before (in their order), now remembered."""
        import sqlite3

        out = []
        try:
            with self.db:
                for key in dict.fromkeys(keys):
                    if self.db.execute("insert or ignore into seen values (?)",
                                       (key,)).rowcount:
                        out.append(key)
        except sqlite3.Error as exc:
            raise RunError(f"Cannot keep the keys read so far in {self._dir.name}: {exc}") \
                from exc
        return out

    def close(self) -> None:
        self.db.close()
        self._dir.cleanup()


class RedisReader(BaseReader):
    def __init__(self, params: dict, secrets: dict, request: ReadRequest,
                 cancel: threading.Event) -> None:
        import redis

        super().__init__()
        self.request, self.cancel = request, cancel
        # The listing's "(no prefix)": every key without a ':' (SCAN cannot say "no ':'").
        self.match = "*" if request.table == NO_PREFIX else request.table
        self.primary_key = ["key"]
        self.kept = check_columns(request, SCHEMA.names, request.table)
        self.schema = pa.schema([SCHEMA.field(n) for n in self.kept])
        self.client = redis.Redis(
            host=params["host"], port=params["port"], db=params.get("database", 0),
            username=params.get("user") or None, password=secrets.get("password"),
            ssl=bool(params.get("tls")), socket_connect_timeout=10, socket_timeout=60,
            decode_responses=False)
        try:
            self.client.ping()
        except redis.RedisError as exc:
            raise RunError(f"Redis: {exc}") from exc

    def batches(self) -> Iterator[pa.RecordBatch]:
        import redis

        seen = SeenKeys()
        cursor = 0
        try:
            while True:
                if self.cancel.is_set():
                    raise RunCancelled()
                cursor, keys = self.client.scan(cursor=cursor, match=self.match,
                                                count=SCAN_COUNT)
                fresh = seen.fresh([k for k in keys if self.match != "*" or
                                    self.request.table != NO_PREFIX or b":" not in k])
                for start in range(0, len(fresh), self.request.batch_rows):
                    batch = self._rows(fresh[start:start + self.request.batch_rows])
                    if batch.num_rows:
                        yield batch
                if cursor == 0:
                    return
        except redis.RedisError as exc:
            raise RunError(f"Redis stopped mid-read: {exc}") from exc
        finally:
            seen.close()

    def _rows(self, keys: list[bytes]) -> pa.RecordBatch:
        pipe = self.client.pipeline(transaction=False)
        for key in keys:
            pipe.type(key)
            pipe.ttl(key)
        answers = pipe.execute()
        kinds = [_text(k) for k in answers[0::2]]
        ttls = answers[1::2]
        pipe = self.client.pipeline(transaction=False)
        fetch = {"string": lambda k: pipe.get(k), "hash": lambda k: pipe.hgetall(k),
                 "list": lambda k: pipe.lrange(k, 0, -1), "set": lambda k: pipe.smembers(k),
                 "zset": lambda k: pipe.zrange(k, 0, -1, withscores=True),
                 "stream": lambda k: pipe.xrange(k)}
        wanted = [(key, kind, ttl) for key, kind, ttl in zip(keys, kinds, ttls, strict=True)
                  if kind in fetch]  # "none": deleted since the SCAN
        for key, kind, _ in wanted:
            fetch[kind](key)
        values = pipe.execute() if wanted else []
        columns = {
            "key": [_text(key) for key, _, _ in wanted],
            "type": [kind for _, kind, _ in wanted],
            "value": [_value(kind, raw) for (_, kind, _), raw in zip(wanted, values,
                                                                   strict=True)],
            "ttl": [ttl if ttl is not None and ttl >= 0 else None for _, _, ttl in wanted],
        }
        return pa.RecordBatch.from_pydict({n: columns[n] for n in self.kept},
                                          schema=self.schema)

    def interrupt(self) -> None:
        self.client.close()

    def close(self) -> None:
        self.client.close()


def open_redis_reader(type_key: str, params: dict, secrets: dict, request: ReadRequest,
                      cancel: threading.Event) -> RedisReader:
    return RedisReader(params, secrets, request, cancel)

