"""A MongoDB stand-in on loopback that speaks MongoDB's wire protocol (OP_QUERY for the
handshake, OP_MSG after), so the real pymongo client reads from it: hello, ping, buildInfo,
listCollections, count, find (filter with $gte/$gt/$lte/$lt/$eq, $or, null meaning missing
or null, sort, batchSize), getMore, killCursors, endSessions. No MongoDB server can run on
our machines (it is not in Debian or PyPI); documents are put straight into `collections`.
"""

from __future__ import annotations

import itertools
import operator
import socketserver
import struct
import threading
from datetime import UTC, datetime
from typing import Any

import bson

OP_REPLY, OP_QUERY, OP_MSG = 1, 2004, 2013
# Times come back aware (UTC), as the documents put in `collections` hold them.
CODEC = bson.CodecOptions(tz_aware=True, tzinfo=UTC)


OPERATORS = {"$gte": operator.ge, "$gt": operator.gt, "$lte": operator.le, "$lt": operator.lt,
             "$eq": operator.eq, "$ne": operator.ne}


def _get(doc: dict, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(doc, dict) or part not in doc:
            return None
        doc = doc[part]
    return doc


def _matches(doc: dict, query: dict) -> bool:
    for key, cond in query.items():
        if key == "$or":
            if not any(_matches(doc, q) for q in cond):
                return False
            continue
        if key == "$and":
            if not all(_matches(doc, q) for q in cond):
                return False
            continue
        value = _get(doc, key)
        if isinstance(cond, dict) and any(k.startswith("$") for k in cond):
            for op, arg in cond.items():
                try:
                    if op == "$exists":
                        ok = (value is not None) == bool(arg)
                    else:
                        ok = OPERATORS[op](value, arg)
                except TypeError:
                    ok = False  # MongoDB compares across types by type order; never here
                if not ok:
                    return False
        elif value != cond:
            return False
    return True


class FakeMongo:
    def __init__(self, database: str = "shop") -> None:
        self.database = database
        self.collections: dict[str, list[dict]] = {}
        self.commands: list[str] = []
        self._cursors: dict[int, tuple[str, list[dict]]] = {}
        self._ids = itertools.count(1)
        fake = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                while True:
                    header = self._read(16)
                    if header is None:
                        return
                    length, request_id, _, opcode = struct.unpack("<iiii", header)
                    body = self._read(length - 16)
                    if body is None:
                        return
                    if opcode == OP_QUERY:
                        flags = body[:4]
                        del flags
                        end = body.index(b"\x00", 4)
                        rest = body[end + 1 + 8:]
                        query = bson.decode(rest[:struct.unpack("<i", rest[:4])[0]], CODEC)
                        reply = fake.command(query)
                        data = struct.pack("<iqii", 0, 0, 0, 1) + bson.encode(reply)
                        self._send(request_id, OP_REPLY, data)
                    elif opcode == OP_MSG:
                        command = fake.sections(body)
                        reply = fake.command(command)
                        self._send(request_id, OP_MSG,
                                   struct.pack("<I", 0) + b"\x00" + bson.encode(reply))
                    else:
                        return

            def _read(self, size: int) -> bytes | None:
                data = b""
                while len(data) < size:
                    chunk = self.request.recv(size - len(data))
                    if not chunk:
                        return None
                    data += chunk
                return data

            def _send(self, reply_to: int, opcode: int, data: bytes) -> None:
                header = struct.pack("<iiii", 16 + len(data), next(fake._ids), reply_to,
                                     opcode)
                self.request.sendall(header + data)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeMongo:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    @staticmethod
    def sections(body: bytes) -> dict:
        """The command of an OP_MSG: its body section, with document sequences merged."""
        position, command, sequences = 4, {}, {}
        while position < len(body):
            kind = body[position]
            position += 1
            if kind == 0:
                size = struct.unpack("<i", body[position:position + 4])[0]
                command = bson.decode(body[position:position + size], CODEC)
                position += size
            else:
                size = struct.unpack("<i", body[position:position + 4])[0]
                block = body[position + 4:position + size]
                name, _, docs = block.partition(b"\x00")
                sequences[name.decode()] = bson.decode_all(docs, CODEC)
                position += size
        command.update(sequences)
        return command

    def command(self, cmd: dict) -> dict:
        name = next(iter(cmd))
        self.commands.append(name)
        lowered = name.lower()
        if lowered in ("hello", "ismaster"):
            return {"ismaster": True, "isWritablePrimary": True, "helloOk": True,
                    "maxBsonObjectSize": 16 * 1024 * 1024, "maxMessageSizeBytes": 48000000,
                    "maxWriteBatchSize": 100000, "localTime": datetime.now(UTC),
                    "logicalSessionTimeoutMinutes": 30, "connectionId": 1,
                    "minWireVersion": 0, "maxWireVersion": 21, "readOnly": False, "ok": 1.0}
        if lowered in ("ping", "endsessions"):
            return {"ok": 1.0}
        if lowered == "buildinfo":
            return {"version": "7.0.0", "versionArray": [7, 0, 0, 0], "ok": 1.0}
        if name == "listCollections":
            batch = [{"name": n, "type": "collection", "options": {},
                      "info": {"readOnly": False}} for n in sorted(self.collections)]
            return {"cursor": {"id": 0, "ns": f"{self.database}.$cmd.listCollections",
                               "firstBatch": batch}, "ok": 1.0}
        if name == "count":
            return {"n": len(self.collections.get(cmd["count"], [])), "ok": 1.0}
        if name == "find":
            return self._find(cmd)
        if name == "getMore":
            return self._more(cmd)
        if name == "killCursors":
            for cid in cmd.get("cursors", []):
                self._cursors.pop(cid, None)
            return {"cursorsKilled": cmd.get("cursors", []), "ok": 1.0}
        return {"ok": 0.0, "errmsg": f"no such command: '{name}'", "code": 59,
                "codeName": "CommandNotFound"}

    def _find(self, cmd: dict) -> dict:
        coll = cmd["find"]
        docs = [d for d in self.collections.get(coll, []) if _matches(d, cmd.get("filter", {}))]
        for field, direction in reversed(list((cmd.get("sort") or {}).items())):
            docs.sort(key=lambda d, f=field: (_get(d, f) is not None, _get(d, f)),
                      reverse=direction < 0)
        if cmd.get("limit"):
            docs = docs[:abs(int(cmd["limit"]))]
        size = int(cmd.get("batchSize") or 101)
        return {"cursor": self._page(f"{self.database}.{coll}", docs, size, "firstBatch"),
                "ok": 1.0}

    def _more(self, cmd: dict) -> dict:
        ns, docs = self._cursors.pop(cmd["getMore"], (None, []))
        size = int(cmd.get("batchSize") or 1000)
        return {"cursor": self._page(ns or "", docs, size, "nextBatch"), "ok": 1.0}

    def _page(self, ns: str, docs: list[dict], size: int, key: str) -> dict:
        batch, rest = docs[:size], docs[size:]
        cid = 0
        if rest:
            cid = next(self._ids) + 10_000
            self._cursors[cid] = (ns, rest)
        return {"id": bson.int64.Int64(cid), "ns": ns, key: batch}
