"""MongoDB as a source: a collection is a table of typed top-level columns plus JSON for
nested values (app.etl.readers.documents), `_id` its primary key (an ObjectId as its hex
string). The columns come from a sample (the first SAMPLE documents the read would return);
a field first seen after it lands in `_extra`. Read with one cursor in batches, so memory
stays flat. Incremental on any sortable field: documents whose field is >= the mark (and,
for a full read, those without it), with the boundary rules of the SQL sources.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pyarrow as pa

from app.etl.errors import RunError
from app.etl.readers import BaseReader, ReadRequest
from app.etl.readers.documents import Documents

SAMPLE = 1000  # documents the columns are inferred from (the connection can say otherwise)


class MongoReader(BaseReader):
    def __init__(self, params: dict, secrets: dict, request: ReadRequest,
                 cancel: threading.Event) -> None:
        import pymongo
        from pymongo import errors

        super().__init__()
        self.request, self.cancel = request, cancel
        self.primary_key = ["_id"]
        self.client = pymongo.MongoClient(
            host=params["host"], port=params["port"], username=params.get("user") or None,
            password=secrets.get("password"), authSource=params.get("auth_source", "admin"),
            serverSelectionTimeoutMS=10_000, connectTimeoutMS=10_000,
            socketTimeoutMS=300_000, appname="Sluice")
        database = request.schema or params["database"]
        self.collection = self.client[database][request.table]
        sample_size = int(params.get("sample") or SAMPLE)
        try:
            if request.table not in self.client[database].list_collection_names():
                raise RunError(f"Collection {database}.{request.table} does not exist "
                               "(any more).")
            sample = list(self.collection.find(self._filter(), limit=sample_size))
        except errors.PyMongoError as exc:
            self.client.close()
            raise RunError(f"MongoDB: {exc}") from exc
        except RunError:
            self.client.close()
            raise
        self.documents = Documents(sample, self.primary_key, request,
                                   f"collection {database}.{request.table}",
                                   safe=request.safe)
        self.schema = self.documents.schema

    def _filter(self) -> dict:
        r = self.request
        if not r.cursor or r.since is None:
            return {}
        after = {r.cursor: {"$gte": r.since}}
        return {"$or": [after, {r.cursor: None}]} if r.with_nulls else after

    def batches(self) -> Iterator[pa.RecordBatch]:
        from pymongo import errors

        size = self.request.batch_rows
        try:
            yield from self.documents.batches(
                self.collection.find(self._filter(), batch_size=min(size, 10_000)), self.cancel)
        except errors.PyMongoError as exc:
            raise RunError(f"MongoDB stopped mid-read: {exc}") from exc

    def interrupt(self) -> None:
        self.client.close()

    def close(self) -> None:
        self.client.close()


def open_mongo_reader(type_key: str, params: dict, secrets: dict, request: ReadRequest,
                      cancel: threading.Event) -> MongoReader:
    return MongoReader(params, secrets, request, cancel)
