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
import itertools
import queue
import threading
from collections.abc import Iterator
from decimal import Decimal

import pyarrow as pa

from app.etl.errors import RunError
from app.etl.readers import BaseReader, ReadRequest
from app.etl.readers.documents import Documents

SAMPLE = 1000
SEGMENTS = 4  # parallel Scan segments
_DONE = object()


def _python(value: dict):
    """A DynamoDB attribute value ({"N": "9.99"}) as Python: N as int or Decimal, B as bytes,
    sets as sorted lists, lists and maps as lists and dicts."""
    (kind, raw), = value.items()
    if kind == "N":
        number = Decimal(raw)
        return int(number) if number == number.to_integral_value() and \
            not any(c in raw for c in ".eE") else number
    if kind == "B":
        return raw if isinstance(raw, bytes) else base64.b64decode(raw)
    if kind == "NULL":
        return None
    if kind in ("SS", "NS", "BS"):
        return sorted(_python({kind[0]: v}) for v in raw)
    if kind == "L":
        return [_python(v) for v in raw]
    if kind == "M":
        return {k: _python(v) for k, v in raw.items()}
    return raw  # S, BOOL


def _item(item: dict) -> dict:
    return {k: _python(v) for k, v in item.items()}


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
        self.sample = [_item(i) for i in first.get("Items", [])]
        self.documents = Documents(self.sample, self.primary_key, request, request.table,
                                   safe=request.safe)
        self.schema = self.documents.schema
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
                out.put([_item(i) for i in page.get("Items", [])])
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
        yield from self.documents.batches(itertools.chain.from_iterable(self._pages()),
                                          self.cancel)

    def close(self) -> None:
        self.client.close()


def open_dynamo_reader(type_key: str, params: dict, secrets: dict, request: ReadRequest,
                       cancel: threading.Event) -> DynamoReader:
    return DynamoReader(params, secrets, request, cancel)
