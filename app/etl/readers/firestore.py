"""Firestore as a source: a collection (`users`, or a nested one, `users/u1/orders`) or a
collection group (`**/orders`: every collection of that id at any depth) is a table of
typed top-level columns plus JSON (app.etl.readers.documents).

Columns: `_id`, the document's id, and for a collection group `_parent`, the path of the
document that holds its collection (the two are the key there; `_id` alone elsewhere);
then the fields of a sample (the first SAMPLE documents), a field first seen later in
`_extra`. Values: timestamps in UTC, references as their path (`users/u1`), geo points as
JSON `{"latitude": .., "longitude": ..}`, maps and arrays as JSON.

Read in pages of PAGE documents in a fixed order (document name; for an incremental read
the cursor field, then name), each page a query that starts after the last document of the
page before: no single query runs for long, and memory holds one batch.

Incremental: documents whose cursor field is >= the mark (Firestore compares values of one
kind only: a time mark finds times, a number mark numbers); a later run also reads those
whose field is null (counted, not synced, as for the other sources). A document that lacks
the field altogether cannot be found by a Firestore query: only a full read sees it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pyarrow as pa

from app.connectors.nosql import GROUP
from app.etl.errors import RunError
from app.etl.readers import BaseReader, ReadRequest
from app.etl.readers.documents import Documents

SAMPLE = 1000
PAGE = 10_000  # documents a query returns before the next one resumes after the last
TIMEOUT = 300.0  # seconds a page may take


def _plain(value):
    """A Firestore value as the documents module takes it (references as paths, geo points
    as latitude/longitude, vectors as lists)."""
    name = type(value).__name__
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if name in ("DocumentReference", "AsyncDocumentReference"):
        return value.path
    if name == "GeoPoint":
        return {"latitude": value.latitude, "longitude": value.longitude}
    if name == "Vector":
        return list(value)
    return value


class FirestoreReader(BaseReader):
    def __init__(self, params: dict, request: ReadRequest, cancel: threading.Event) -> None:
        from google.api_core import exceptions

        from app.connectors.base import Failed
        from app.connectors.google_auth import firestore_client

        super().__init__()
        self.request, self.cancel = request, cancel
        self.group = request.table.startswith(GROUP)
        self.primary_key = ["_parent", "_id"] if self.group else ["_id"]
        kind = "collection group" if self.group else "collection"
        try:
            self.client = firestore_client(params)
        except Failed as exc:
            raise RunError(f"Firestore: {exc}") from exc
        try:
            self._check_exists()
            sample = [self._row(s) for s in self._query().limit(
                int(params.get("sample") or SAMPLE)).stream(timeout=TIMEOUT)]
        except exceptions.GoogleAPICallError as exc:
            self.client.close()
            raise RunError(f"Firestore: {exc.message}") from exc
        except RunError:
            self.client.close()
            raise
        self.documents = Documents(sample, self.primary_key, request,
                                   f"{kind} {request.table}", safe=request.safe)
        self.schema = self.documents.schema

    def _collection(self):
        table = self.request.table
        if self.group:
            return self.client.collection_group(table[len(GROUP):])
        return self.client.collection(table)

    def _check_exists(self) -> None:
        """A collection exists while it holds documents: one that is gone is an error,
        not an empty table."""
        table = self.request.table
        if self.group:
            found = any(True for _ in self._collection().limit(1).stream(timeout=TIMEOUT))
        else:
            parent, _, name = table.rpartition("/")
            under = self.client.document(parent).collections(timeout=TIMEOUT) if parent \
                else self.client.collections(timeout=TIMEOUT)
            found = name in {c.id for c in under}
        if not found:
            raise RunError(f"Firestore holds no collection {table!r} (any more): no document "
                           "is in it.")

    def _query(self, nulls: bool = False):
        from google.cloud.firestore_v1.base_query import FieldFilter
        from google.cloud.firestore_v1.field_path import FieldPath

        r, query = self.request, self._collection()
        if nulls:
            query = query.where(filter=FieldFilter(r.cursor, "==", None))
        elif r.cursor and r.since is not None:
            query = query.where(filter=FieldFilter(r.cursor, ">=", r.since)).order_by(r.cursor)
        return query.order_by(FieldPath.document_id())

    def _row(self, snapshot) -> dict:
        row = {k: _plain(v) for k, v in (snapshot.to_dict() or {}).items()}
        row["_id"] = snapshot.id
        if self.group:
            holder = snapshot.reference.parent.parent
            row["_parent"] = holder.path if holder is not None else ""
        return row

    def _snapshots(self) -> Iterator:
        r = self.request
        queries = [self._query()]
        if r.cursor and r.since is not None and r.with_nulls:
            queries.append(self._query(nulls=True))
        for query in queries:
            last = None
            while True:
                page = query.limit(PAGE) if last is None else \
                    query.start_after(last).limit(PAGE)
                count = 0
                for snapshot in page.stream(timeout=TIMEOUT):
                    count += 1
                    last = snapshot
                    yield snapshot
                if count < PAGE:
                    break

    def batches(self) -> Iterator[pa.RecordBatch]:
        from google.api_core import exceptions

        try:
            yield from self.documents.batches(map(self._row, self._snapshots()), self.cancel)
        except exceptions.GoogleAPICallError as exc:
            raise RunError(f"Firestore stopped mid-read: {exc.message}") from exc

    def interrupt(self) -> None:
        self.client.close()

    def close(self) -> None:
        self.client.close()


def open_firestore_reader(type_key: str, params: dict, secrets: dict, request: ReadRequest,
                          cancel: threading.Event) -> FirestoreReader:
    return FirestoreReader(params, request, cancel)
