"""DynamoDB as a source: a table is read with Scan, in parallel segments, into typed
columns.

Columns come from the key schema (first, and the primary key) and from a sample of items
(the first Scan page, up to SAMPLE items): one type per attribute, unified over what the
sampled items hold: N as a 64-bit integer when every sampled value is a whole number that
fits, else as a decimal (38 digits, the sample's largest scale); S as text; BOOL as
boolean; B as binary; sets, lists and maps (SS, NS, BS, L, M) as JSON text; an attribute
holding different kinds in different items as JSON text. Nothing is dropped silently: an
attribute that first appears after the sample lands in the `_extra` column, a JSON object
of every such attribute of the item. A number that does not fit its column's type makes the
table be read again with every number as text (the run log says so).

Incremental: rows whose cursor attribute is >= the saved mark (a FilterExpression; numbers
compared as numbers, text as text, ISO timestamps as text), with the boundary rules of the
other sources.
"""

from __future__ import annotations

import base64
import json
import queue
import threading
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal

import pyarrow as pa

from app.etl.errors import RunCancelled, RunError
from app.etl.readers import BaseReader, ReadAgain, ReadRequest, check_columns

SAMPLE = 1000
SEGMENTS = 4  # parallel Scan segments
EXTRA = "_extra"
_DONE = object()


def _plain(value: dict):
    """A DynamoDB attribute value ({"S": "x"}) as plain JSON-able data."""
    (kind, raw), = value.items()
    if kind in ("S", "BOOL"):
        return raw
    if kind == "N":
        number = Decimal(raw)
        return int(number) if number == number.to_integral_value() and "." not in raw \
            and "e" not in raw.lower() else float(number)
    if kind == "NULL":
        return None
    if kind == "B":
        return base64.b64encode(raw if isinstance(raw, bytes) else raw.encode()).decode()
    if kind == "SS":
        return sorted(raw)
    if kind == "NS":
        return sorted(_plain({"N": n}) for n in raw)
    if kind == "BS":
        return sorted(_plain({"B": b}) for b in raw)
    if kind == "L":
        return [_plain(v) for v in raw]
    if kind == "M":
        return {k: _plain(v) for k, v in raw.items()}
    return raw


def _infer(values: list[dict]) -> pa.DataType:
    """One Arrow type for an attribute, from the values the sample holds."""
    kinds = {kind for v in values for kind in v if kind != "NULL"}
    if not kinds:
        return pa.string()
    if len(kinds) > 1 or kinds & {"SS", "NS", "BS", "L", "M"}:
        return pa.string()  # JSON text
    kind = kinds.pop()
    if kind == "S":
        return pa.string()
    if kind == "BOOL":
        return pa.bool_()
    if kind == "B":
        return pa.binary()
    numbers = [Decimal(v["N"]) for v in values if "N" in v]
    if all(n == n.to_integral_value() and abs(n) < 2 ** 63 for n in numbers):
        return pa.int64()
    scale = max((-n.as_tuple().exponent for n in numbers), default=0)
    return pa.decimal128(38, min(max(scale, 0), 18))


def _convert(value: dict | None, arrow_type: pa.DataType):
    if value is None or "NULL" in value:
        return None
    (kind, raw), = value.items()
    if pa.types.is_string(arrow_type):
        return raw if kind == "S" else json.dumps(_plain(value), ensure_ascii=False)
    if kind == "N":
        number = Decimal(raw)
        return int(number) if pa.types.is_integer(arrow_type) else number
    if kind == "B":
        return raw if isinstance(raw, bytes) else base64.b64decode(raw)
    return raw


class DynamoReader(BaseReader):
    def __init__(self, params: dict, secrets: dict, request: ReadRequest,
                 cancel: threading.Event) -> None:
        import boto3
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError

        super().__init__()
        self.request, self.cancel = request, cancel
        self._stop = threading.Event()
        self.client = boto3.client(
            "dynamodb", region_name=params["region"], endpoint_url=params.get("endpoint") or None,
            aws_access_key_id=params.get("user") or None,
            aws_secret_access_key=secrets.get("password"),
            config=Config(connect_timeout=10, read_timeout=120,
                          retries={"max_attempts": 5, "mode": "standard"}))
        try:
            table = self.client.describe_table(TableName=request.table)["Table"]
            first = self.client.scan(TableName=request.table, Limit=SAMPLE,
                                     **self._filter())
        except ClientError as exc:
            message = exc.response["Error"].get("Message", str(exc))
            if exc.response["Error"].get("Code") == "ResourceNotFoundException":
                message = f"Table {request.table} does not exist (any more)."
            raise RunError(f"DynamoDB: {message}") from exc
        except BotoCoreError as exc:
            raise RunError(f"DynamoDB unreachable: {exc}") from exc
        self.primary_key = [k["AttributeName"] for k in sorted(
            table["KeySchema"], key=lambda k: k["KeyType"] != "HASH")]
        self.sample = first.get("Items", [])
        names = list(self.primary_key) + sorted({a for item in self.sample for a in item}
                                                - set(self.primary_key))
        types = {}
        for name in names:
            inferred = _infer([item[name] for item in self.sample if name in item])
            if request.safe and (pa.types.is_integer(inferred) or
                                 pa.types.is_decimal(inferred)):
                inferred = pa.string()  # read again: every number as its text
            types[name] = inferred
        if request.cursor and request.cursor not in types:
            types[request.cursor] = pa.string()  # named, but not in the sampled items
            names.append(request.cursor)
        names.append(EXTRA)
        types[EXTRA] = pa.string()
        self.kept = check_columns(request, names, request.table)
        self.schema = pa.schema([pa.field(n, types[n], nullable=n not in self.primary_key)
                                 for n in self.kept])
        self._first = first

    def _filter(self) -> dict:
        """The Scan's FilterExpression for an incremental read."""
        r = self.request
        if not r.cursor or r.since is None:
            return {}
        since = r.since
        value = {"N": str(since)} if isinstance(since, int | float | Decimal) and \
            not isinstance(since, bool) else {"S": since.isoformat() if hasattr(
                since, "isoformat") else str(since)}
        expression = "#c >= :since"
        if r.with_nulls:
            expression += " OR attribute_not_exists(#c)"
        return {"FilterExpression": expression, "ExpressionAttributeNames": {"#c": r.cursor},
                "ExpressionAttributeValues": {":since": value}}

    def _segment(self, segment: int, total: int, out: queue.Queue) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        kwargs = {"TableName": self.request.table, "Segment": segment,
                  "TotalSegments": total, **self._filter()}
        try:
            while not self.cancel.is_set() and not self._stop.is_set():
                page = self.client.scan(**kwargs)
                out.put(page.get("Items", []))
                if "LastEvaluatedKey" not in page:
                    break
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        except (ClientError, BotoCoreError) as exc:
            out.put(RunError(f"DynamoDB stopped mid-read: {exc}"))
        finally:
            out.put(_DONE)

    def _pages(self) -> Iterator[list[dict]]:
        """Every item, a page at a time: the sample's page when it was all, else every
        segment of a parallel Scan (the queue bounds what waits in memory)."""
        if "LastEvaluatedKey" not in self._first:
            yield self.sample
            return
        out: queue.Queue = queue.Queue(maxsize=SEGMENTS * 2)
        threads = [threading.Thread(target=self._segment, args=(i, SEGMENTS, out),
                                    daemon=True, name=f"sluice-dynamo-{i}")
                   for i in range(SEGMENTS)]
        for thread in threads:
            thread.start()
        running = len(threads)
        try:
            while running:
                item = out.get()
                if item is _DONE:
                    running -= 1
                elif isinstance(item, Exception):
                    raise item
                else:
                    yield item
        finally:
            self._stop.set()  # the run stopped reading: the segments stop too
            while running:  # let the segment threads finish their put
                if out.get() is _DONE:
                    running -= 1

    def batches(self) -> Iterator[pa.RecordBatch]:
        known = set(self.schema.names) | set(self.request.exclude)
        for page in self._pages():
            if self.cancel.is_set():
                raise RunCancelled()
            for start in range(0, len(page), self.request.batch_rows):
                items = page[start:start + self.request.batch_rows]
                columns = {}
                try:
                    for field in self.schema:
                        if field.name == EXTRA:
                            continue
                        columns[field.name] = pa.array(
                            [_convert(item.get(field.name), field.type) for item in items],
                            type=field.type)
                except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError) as exc:
                    raise ReadAgain(f"{self.request.table}: a number did not fit its "
                                    f"column ({exc}); read again with numbers as text.",
                                    replace(self.request, safe=True)) from exc
                if EXTRA in self.schema.names:
                    columns[EXTRA] = pa.array(
                        [json.dumps({k: _plain(v) for k, v in sorted(item.items())
                                     if k not in known}, ensure_ascii=False)
                         if set(item) - known else None for item in items], pa.string())
                yield pa.RecordBatch.from_arrays([columns[n] for n in self.schema.names],
                                                 schema=self.schema)

    def close(self) -> None:
        self.client.close()


def open_dynamo_reader(type_key: str, params: dict, secrets: dict, request: ReadRequest,
                       cancel: threading.Event) -> DynamoReader:
    return DynamoReader(params, secrets, request, cancel)
