"""Documents as tables (MongoDB, DynamoDB): typed top-level columns from a sample of the
documents, nested values as JSON, and nothing dropped silently.

Columns: the key first (the primary key), then every top-level field the sample holds, in
name order, one type each after unifying what the documents hold: whole numbers → int64
(wider than 64 bits: decimal), whole and fractional → float64 (decimals stay decimals),
text and ObjectIds → text (an ObjectId as its hex string), booleans, times (UTC), bytes;
a field holding different kinds in different documents, or a nested document or array →
JSON text that parses back to the value. A field that first appears after the sample lands
in the `_extra` column: a JSON object of every such field of the document. `safe` (a read
again after a value did not fit its column): every number as text.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa

from app.etl.errors import RunCancelled
from app.etl.plain import plain
from app.etl.readers import ReadAgain, ReadRequest, check_columns

EXTRA = "_extra"


def kind(value: Any) -> str | None:
    """The kind of a value, for typing a column (None: a null)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int" if -2 ** 63 <= value < 2 ** 63 else "decimal"
    if isinstance(value, float):
        return "float"
    if isinstance(value, Decimal) or type(value).__name__ == "Decimal128":
        return "decimal"
    if isinstance(value, str):
        return "str"
    if isinstance(value, datetime):
        return "time"
    if isinstance(value, bytes | bytearray):
        return "bytes"
    if type(value).__name__ == "ObjectId":
        return "str"
    return "json"  # dicts, lists, anything else


def is_json(values: list[Any]) -> bool:
    """Whether a field's values are kept as JSON text (mixed kinds, nested values)."""
    kinds = {k for k in map(kind, values) if k is not None}
    return "json" in kinds or (len(kinds) > 1 and not kinds <= {"int", "float", "decimal"})


def infer(values: list[Any], safe: bool = False) -> pa.DataType:
    kinds = {k for k in map(kind, values) if k is not None}
    if safe and kinds & {"int", "float", "decimal"}:
        return pa.string()
    if not kinds or kinds == {"str"}:
        return pa.string()
    if kinds == {"int"}:
        return pa.int64()
    if kinds <= {"int", "decimal"}:
        scale = max((-Decimal(str(v)).as_tuple().exponent for v in values
                     if kind(v) == "decimal"), default=0)
        return pa.decimal128(38, min(max(scale, 0), 18))
    if kinds <= {"int", "float"}:
        return pa.float64()
    single = {"bool": pa.bool_(), "time": pa.timestamp("us", tz="UTC"), "bytes": pa.binary()}
    if len(kinds) == 1 and next(iter(kinds)) in single:
        return single[next(iter(kinds))]
    return pa.string()  # JSON text: mixed kinds, nested documents, arrays


def convert(value: Any, arrow_type: pa.DataType, as_json: bool = False) -> Any:
    if value is None:
        return None
    if as_json:
        return json.dumps(plain(value, naive_utc=True), ensure_ascii=False)
    if pa.types.is_string(arrow_type):
        if isinstance(value, str):
            return value
        if kind(value) == "str" or (kind(value) in ("int", "float", "decimal")
                                    and not isinstance(value, bool)):
            return str(value)  # an ObjectId's hex; a number read as text
        return json.dumps(plain(value, naive_utc=True), ensure_ascii=False)
    if pa.types.is_timestamp(arrow_type):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if pa.types.is_decimal(arrow_type):
        return Decimal(str(value))
    if pa.types.is_binary(arrow_type):
        return bytes(value)
    return value


class Documents:
    """The table a sample of documents makes, and its rows."""

    def __init__(self, sample: list[dict], key: list[str], request: ReadRequest,
                 where: str, safe: bool = False) -> None:
        self.request = request
        names = list(key) + sorted({f for doc in sample for f in doc} - set(key))
        types = {n: infer([doc.get(n) for doc in sample], safe) for n in names}
        self.json = {n for n in names if is_json([doc.get(n) for doc in sample])}
        if request.cursor and request.cursor not in types:
            names.append(request.cursor)  # named by the job, in no sampled document
            types[request.cursor] = pa.string()
        names.append(EXTRA)
        types[EXTRA] = pa.string()
        self.known = set(names) | set(request.exclude)
        self.kept = check_columns(request, names, where)
        self.schema = pa.schema([pa.field(n, types[n], nullable=n not in key)
                                 for n in self.kept])

    def batch(self, docs: list[dict]) -> pa.RecordBatch:
        """The rows of `docs` (ValueError, ArrowInvalid or TypeError: a value that does not
        fit its column; the reader reads the table again with numbers as text)."""
        columns = []
        for field in self.schema:
            if field.name == EXTRA:
                columns.append(pa.array(
                    [json.dumps({k: plain(v, naive_utc=True) for k, v in sorted(doc.items())
                                 if k not in self.known}, ensure_ascii=False)
                     if set(doc) - self.known else None for doc in docs], pa.string()))
            else:
                as_json = field.name in self.json
                columns.append(pa.array([convert(doc.get(field.name), field.type, as_json)
                                         for doc in docs], type=field.type))
        return pa.RecordBatch.from_arrays(columns, schema=self.schema)

    def batches(self, docs: Iterable[dict], cancel: threading.Event
                ) -> Iterator[pa.RecordBatch]:
        """`docs` as batches of the request's size (cancel checked between them); a value
        that does not fit its column makes the table be read again with numbers as text."""
        size, chunk = self.request.batch_rows, []
        for doc in docs:
            chunk.append(doc)
            if len(chunk) >= size:
                yield self._fitted(chunk)
                chunk = []
                if cancel.is_set():
                    raise RunCancelled()
        if chunk:
            yield self._fitted(chunk)

    def _fitted(self, docs: list[dict]) -> pa.RecordBatch:
        try:
            return self.batch(docs)
        except UNFIT as exc:
            raise ReadAgain(f"{self.request.table}: a value did not fit its column ({exc}); "
                            "read again with numbers as text.",
                            replace(self.request, safe=True)) from exc


UNFIT = (pa.ArrowInvalid, pa.ArrowTypeError, ValueError, TypeError, ArithmeticError)
