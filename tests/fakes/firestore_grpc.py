"""A Firestore stand-in on loopback that speaks Firestore's gRPC API (google.firestore.v1),
so the real google-cloud-firestore client talks to it through FIRESTORE_EMULATOR_HOST, the
client's own switch for an emulator: Commit (set, delete), ListCollectionIds, RunQuery
(collections and collection groups; field, composite and unary filters; order_by with the
implicit orders; start_at/start_after/end_at cursors; offset, limit) and
RunAggregationQuery (count). Values are ordered as Firestore orders them (null < booleans <
numbers < timestamps < text < bytes < references < geo points < arrays < maps), and a
filter matches values of the filter value's kind only.

No Firestore server can run on our machines (its emulator ships with the gcloud CLI, which
is not in Debian or PyPI)."""

from __future__ import annotations

import math
import threading
from concurrent import futures

import grpc
from google.cloud.firestore_v1.types import document as document_types
from google.cloud.firestore_v1.types import firestore as api
from google.cloud.firestore_v1.types import query as query_types
from google.cloud.firestore_v1.types import write as write_types
from google.protobuf import timestamp_pb2

Document = document_types.Document.pb()
Value = document_types.Value.pb()
StructuredQuery = query_types.StructuredQuery.pb()
Op = StructuredQuery.FieldFilter.Operator
Unary = StructuredQuery.UnaryFilter.Operator
Composite = StructuredQuery.CompositeFilter.Operator
ASCENDING = StructuredQuery.Direction.Value("ASCENDING")
DESCENDING = StructuredQuery.Direction.Value("DESCENDING")

RANK = {"null_value": 0, "boolean_value": 1, "integer_value": 2, "double_value": 2,
        "timestamp_value": 3, "string_value": 4, "bytes_value": 5, "reference_value": 6,
        "geo_point_value": 7, "array_value": 8, "map_value": 9}


def _key(value) -> tuple:
    """A value's place in Firestore's order."""
    kind = value.WhichOneof("value_type")
    rank = RANK[kind]
    if kind == "null_value":
        return (rank,)
    if kind in ("integer_value", "double_value"):
        number = getattr(value, kind)
        return (rank, -math.inf, 0) if number != number else (rank, number, 0)  # NaN first
    if kind == "timestamp_value":
        return (rank, value.timestamp_value.seconds, value.timestamp_value.nanos)
    if kind == "reference_value":
        return (rank, tuple(value.reference_value.split("/")))
    if kind == "geo_point_value":
        return (rank, value.geo_point_value.latitude, value.geo_point_value.longitude)
    if kind == "array_value":
        return (rank, tuple(_key(v) for v in value.array_value.values))
    if kind == "map_value":
        return (rank, tuple((k, _key(v)) for k, v in sorted(value.map_value.fields.items())))
    return (rank, getattr(value, kind))


def _field(doc, path: str):
    """The value at a field path of a document (None where it has none)."""
    if path == "__name__":
        return Value(reference_value=doc.name)
    fields = doc.fields
    parts = [p.strip("`") for p in path.split(".")]
    for i, part in enumerate(parts):
        if part not in fields:
            return None
        value = fields[part]
        if i == len(parts) - 1:
            return value
        if value.WhichOneof("value_type") != "map_value":
            return None
        fields = value.map_value.fields
    return None


def _compare(op: int, left, right) -> bool:
    if op in (Op.Value("ARRAY_CONTAINS"), Op.Value("ARRAY_CONTAINS_ANY")):
        if left.WhichOneof("value_type") != "array_value":
            return False
        wanted = right.array_value.values if op == Op.Value("ARRAY_CONTAINS_ANY") else [right]
        held = {_key(v) for v in left.array_value.values}
        return any(_key(w) in held for w in wanted)
    if op in (Op.Value("IN"), Op.Value("NOT_IN")):
        found = _key(left) in {_key(v) for v in right.array_value.values}
        return found if op == Op.Value("IN") else not found
    a, b = _key(left), _key(right)
    if op == Op.Value("EQUAL"):
        return a == b
    if op == Op.Value("NOT_EQUAL"):
        return a != b and a[0] != 0
    if a[0] != b[0]:
        return False  # an inequality matches values of its own kind only
    return {Op.Value("LESS_THAN"): a < b, Op.Value("LESS_THAN_OR_EQUAL"): a <= b,
            Op.Value("GREATER_THAN"): a > b, Op.Value("GREATER_THAN_OR_EQUAL"): a >= b}[op]


def _matches(doc, where) -> bool:
    kind = where.WhichOneof("filter_type")
    if kind is None:
        return True
    if kind == "composite_filter":
        results = (_matches(doc, f) for f in where.composite_filter.filters)
        return any(results) if where.composite_filter.op == Composite.Value("OR") \
            else all(results)
    if kind == "unary_filter":
        value = _field(doc, where.unary_filter.field.field_path)
        if value is None:
            return False
        op = Unary.Name(where.unary_filter.op)
        is_null = value.WhichOneof("value_type") == "null_value"
        is_nan = value.WhichOneof("value_type") == "double_value" and \
            value.double_value != value.double_value
        return {"IS_NULL": is_null, "IS_NOT_NULL": not is_null, "IS_NAN": is_nan,
                "IS_NOT_NAN": not is_nan and not is_null}[op]
    f = where.field_filter
    value = _field(doc, f.field.field_path)
    return value is not None and _compare(f.op, value, f.value)


def _inequality_fields(where) -> list[str]:
    kind = where.WhichOneof("filter_type")
    if kind == "composite_filter":
        return [p for f in where.composite_filter.filters for p in _inequality_fields(f)]
    if kind == "field_filter" and Op.Name(where.field_filter.op) not in (
            "EQUAL", "ARRAY_CONTAINS", "ARRAY_CONTAINS_ANY", "IN"):
        return [where.field_filter.field.field_path]
    return []


class FakeFirestore:
    """`with FakeFirestore() as fake:` serves on `fake.host`; `fake.calls` counts the
    methods called."""

    def __init__(self) -> None:
        self.documents: dict[str, object] = {}  # full name → Document
        self.calls: dict[str, int] = {}
        self._lock = threading.Lock()
        self._clock = 1_000_000

    # --- the store -------------------------------------------------------------------

    def _now(self) -> timestamp_pb2.Timestamp:
        self._clock += 1
        return timestamp_pb2.Timestamp(seconds=1_700_000_000, nanos=self._clock)

    def commit(self, request, context):
        now = self._now()
        results = []
        with self._lock:
            for w in request.writes:
                if w.WhichOneof("operation") == "delete":
                    self.documents.pop(w.delete, None)
                elif w.WhichOneof("operation") == "update":
                    old = self.documents.get(w.update.name)
                    doc = Document()
                    doc.CopyFrom(w.update)
                    if old is not None and w.HasField("update_mask"):
                        merged = Document()
                        merged.CopyFrom(old)
                        for path in w.update_mask.field_paths:
                            merged.fields.pop(path, None)
                            if path in w.update.fields:
                                merged.fields[path].CopyFrom(w.update.fields[path])
                        doc = merged
                    for transform in w.update_transforms:
                        doc.fields[transform.field_path].CopyFrom(
                            Value(timestamp_value=now))
                    doc.create_time.CopyFrom(old.create_time if old is not None else now)
                    doc.update_time.CopyFrom(now)
                    self.documents[doc.name] = doc
                results.append(write_types.WriteResult.pb()(update_time=now))
        return api.CommitResponse.pb()(write_results=results, commit_time=now)

    def list_collection_ids(self, request, context):
        prefix = request.parent + "/"
        with self._lock:
            ids = sorted({name[len(prefix):].split("/", 1)[0] for name in self.documents
                          if name.startswith(prefix)})
        start = ids.index(request.page_token) if request.page_token in ids else 0
        size = request.page_size or 100
        page = ids[start:start + size]
        after = ids[start + size] if start + size < len(ids) else ""
        return api.ListCollectionIdsResponse.pb()(collection_ids=page, next_page_token=after)

    def _run(self, parent: str, query) -> list:
        (source,) = query.from_
        prefix = parent + "/"
        with self._lock:
            docs = []
            for name, doc in self.documents.items():
                if not name.startswith(prefix):
                    continue
                parts = name[len(prefix):].split("/")
                if parts[-2] != source.collection_id:
                    continue
                if len(parts) != 2 and not source.all_descendants:
                    continue
                if _matches(doc, query.where):
                    docs.append(doc)
        orders = [(o.field.field_path, o.direction) for o in query.order_by]
        named = {path for path, _ in orders}
        for path in _inequality_fields(query.where):
            if path not in named:
                orders.append((path, ASCENDING))
                named.add(path)
        if "__name__" not in named:
            orders.append(("__name__", orders[-1][1] if orders else ASCENDING))
        docs = [d for d in docs if all(_field(d, p) is not None for p, _ in orders)]

        for path, direction in reversed(orders):
            docs.sort(key=lambda d, p=path: _key(_field(d, p)),
                      reverse=direction == DESCENDING)

        def position(doc, cursor) -> int:  # <0: before the cursor, 0: at it, >0: after
            for (path, direction), value in zip(orders, cursor.values, strict=False):
                a, b = _key(_field(doc, path)), _key(value)
                if a != b:
                    return (1 if a > b else -1) * (-1 if direction == DESCENDING else 1)
            return 0

        if query.HasField("start_at"):
            c = query.start_at
            docs = [d for d in docs if position(d, c) > 0 or (c.before and
                                                              position(d, c) == 0)]
        if query.HasField("end_at"):
            c = query.end_at
            docs = [d for d in docs if position(d, c) < 0 or (not c.before and
                                                              position(d, c) == 0)]
        docs = docs[query.offset:]
        if query.HasField("limit"):
            docs = docs[:query.limit.value]
        return docs

    def run_query(self, request, context):
        now = self._now()
        docs = self._run(request.parent, request.structured_query)
        if not docs:
            yield api.RunQueryResponse.pb()(read_time=now)
        for doc in docs:
            yield api.RunQueryResponse.pb()(document=doc, read_time=now)

    def run_aggregation_query(self, request, context):
        aggregation = request.structured_aggregation_query
        docs = self._run(request.parent, aggregation.structured_query)
        result = api.RunAggregationQueryResponse.pb()(read_time=self._now())
        for a in aggregation.aggregations:
            result.result.aggregate_fields[a.alias or "field_1"].CopyFrom(
                Value(integer_value=len(docs)))
        yield result

    # --- serving ---------------------------------------------------------------------

    def _handler(self, name: str, fn, request_type, response_type, stream: bool):
        def counted(request, context):
            self.calls[name] = self.calls.get(name, 0) + 1
            return fn(request, context)

        make = grpc.unary_stream_rpc_method_handler if stream \
            else grpc.unary_unary_rpc_method_handler
        return make(counted, request_deserializer=request_type.pb().FromString,
                    response_serializer=response_type.pb().SerializeToString)

    def __enter__(self) -> FakeFirestore:
        handlers = {
            "Commit": self._handler("Commit", self.commit, api.CommitRequest,
                                    api.CommitResponse, False),
            "ListCollectionIds": self._handler(
                "ListCollectionIds", self.list_collection_ids, api.ListCollectionIdsRequest,
                api.ListCollectionIdsResponse, False),
            "RunQuery": self._handler("RunQuery", self.run_query, api.RunQueryRequest,
                                      api.RunQueryResponse, True),
            "RunAggregationQuery": self._handler(
                "RunAggregationQuery", self.run_aggregation_query,
                api.RunAggregationQueryRequest, api.RunAggregationQueryResponse, True),
        }
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        self.server.add_generic_rpc_handlers(
            [grpc.method_handlers_generic_handler("google.firestore.v1.Firestore", handlers)])
        port = self.server.add_insecure_port("127.0.0.1:0")
        self.host = f"127.0.0.1:{port}"
        self.server.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.stop(grace=None)
