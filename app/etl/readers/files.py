"""File sources: one file (or one Excel sheet) is one table."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from app.connectors.files import EXTENSIONS
from app.etl.errors import RunCancelled, RunError
from app.etl.readers import BaseReader, ReadRequest, check_columns


def locate(type_key: str, params: dict, table: str) -> tuple[Path, str | None]:
    """(file, sheet) holding `table` in the connection's file or folder."""
    root = Path(str(params["path"])).expanduser()
    if not root.exists():
        raise RunError(f"Path not found: {root}")
    if type_key == "excel":
        stem, _, sheet = table.partition(".") if root.is_dir() else ("", "", table)
        candidates = [root] if root.is_file() else [
            p for p in root.iterdir()
            if p.stem == stem and p.suffix.lower() in EXTENSIONS["excel"]]
        if not candidates:
            raise RunError(f"No workbook for table {table!r} in {root}.")
        return candidates[0], sheet
    if root.is_file():
        if root.stem != table:
            raise RunError(f"{root.name} holds table {root.stem!r}, not {table!r}.")
        return root, None
    for candidate in sorted(root.iterdir()):
        if candidate.stem == table and candidate.suffix.lower() in EXTENSIONS[type_key]:
            return candidate, None
    raise RunError(f"File for table {table!r} not found in {root} (any more).")


class FileReader(BaseReader):
    """Batches from a generator; incremental requests are filtered here, after reading."""

    def __init__(self, schema: pa.Schema, source: Iterator[pa.RecordBatch],
                 request: ReadRequest, cancel: threading.Event) -> None:
        super().__init__()
        self._source, self.request, self.cancel = source, request, cancel
        self.kept = check_columns(request, schema.names, request.table)
        self.schema = pa.schema([schema.field(name) for name in self.kept])

    def batches(self) -> Iterator[pa.RecordBatch]:
        for batch in self._source:
            if self.cancel.is_set():
                raise RunCancelled()
            if self.request.cursor and self.request.since is not None:
                column = batch.column(self.request.cursor)
                since = pa.scalar(self.request.since).cast(column.type)
                keep = pc.fill_null(pc.greater_equal(column, since), False)
                if self.request.with_nulls:
                    keep = pc.or_(keep, pc.is_null(column))
                batch = batch.filter(keep)
            if self.request.exclude:
                batch = batch.select(self.kept)
            yield batch.cast(self.schema) if batch.schema != self.schema else batch

def _peek(batches: Iterator[pa.RecordBatch], empty: pa.Schema) -> tuple[pa.Schema, Iterator]:
    first = next(batches, None)
    if first is None:
        return empty, iter(())

    def chain() -> Iterator[pa.RecordBatch]:
        yield first
        yield from batches

    return first.schema, chain()


def _csv(path: Path, params: dict, rows: int) -> tuple[pa.Schema, Iterator]:
    from pyarrow import csv

    delimiter = params.get("delimiter") or ","
    delimiter = "\t" if delimiter in ("\\t", "tab") or path.suffix == ".tsv" else delimiter
    reader = csv.open_csv(
        path,
        read_options=csv.ReadOptions(encoding=params.get("encoding") or "utf-8",
                                     autogenerate_column_names=not params.get("header", True),
                                     block_size=8 << 20),
        parse_options=csv.ParseOptions(delimiter=delimiter),
    )
    return reader.schema, iter(reader)


def _records(records: Iterator[dict], rows: int) -> Iterator[pa.RecordBatch]:
    """Batches of `rows` records; the first batch fixes the columns and their types."""
    chunk: list[dict] = []
    schema = None

    def batch() -> Iterator[pa.RecordBatch]:
        nonlocal schema
        if schema is not None:
            extra = set().union(*chunk) - set(schema.names)
            if extra:  # never drop a value silently
                raise RunError(f"Field(s) {', '.join(sorted(extra))} first appear after "
                               f"row {rows}; the columns are fixed by the first rows.")
        table = pa.Table.from_pylist(chunk, schema=schema)
        schema = schema or table.schema
        yield from table.to_batches()

    for record in records:
        chunk.append(record)
        if len(chunk) >= rows:
            yield from batch()
            chunk = []
    if chunk:
        yield from batch()


def _json(path: Path, params: dict, rows: int) -> tuple[pa.Schema, Iterator]:
    """Objects, one per line or in one array. Parsed with the json module: Arrow's JSON
    reader would turn strings that look like dates into timestamps, and JSON has none."""
    with path.open("rb") as fh:
        head = fh.read(4096).lstrip()
    layout = params.get("layout", "auto")
    if layout == "array" or (layout == "auto" and head.startswith(b"[")):
        with path.open("rb") as fh:
            data = json.load(fh)
        return _peek(_records(iter(data), rows), pa.schema([]))

    def objects() -> Iterator[dict]:
        with path.open("rb") as fh:
            for line in fh:
                if line.strip():
                    yield json.loads(line)

    return _peek(_records(objects(), rows), pa.schema([]))


def _parquet(path: Path, params: dict, rows: int) -> tuple[pa.Schema, Iterator]:
    import pyarrow.parquet as pq

    source = pq.ParquetFile(path)
    return source.schema_arrow, source.iter_batches(batch_size=rows)


def _avro(path: Path, params: dict, rows: int) -> tuple[pa.Schema, Iterator]:
    import fastavro

    def records() -> Iterator[dict]:
        with path.open("rb") as fh:
            yield from fastavro.reader(fh)

    return _peek(_records(records(), rows), pa.schema([]))


def _excel(path: Path, sheet: str, rows: int) -> tuple[pa.Schema, Iterator]:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    if sheet not in book.sheetnames:
        book.close()
        raise RunError(f"Sheet {sheet!r} not found in {path.name} (any more).")
    values = book[sheet].iter_rows(values_only=True)
    header = [str(h) if h is not None else f"column_{i + 1}"
              for i, h in enumerate(next(values, ()))]

    def records() -> Iterator[dict]:
        try:
            for row in values:
                if any(v is not None for v in row):
                    yield dict(zip(header, row, strict=False))
        finally:
            book.close()

    return _peek(_records(records(), rows), pa.schema([(h, pa.string()) for h in header]))


def _text(path: Path, params: dict, rows: int) -> tuple[pa.Schema, Iterator]:
    schema = pa.schema([("line", pa.string())])

    def lines() -> Iterator[pa.RecordBatch]:
        with path.open(encoding=params.get("encoding") or "utf-8") as fh:
            chunk = []
            for line in fh:
                chunk.append(line.rstrip("\r\n"))
                if len(chunk) >= rows:
                    yield pa.RecordBatch.from_arrays([pa.array(chunk, pa.string())], schema=schema)
                    chunk = []
            if chunk:
                yield pa.RecordBatch.from_arrays([pa.array(chunk, pa.string())], schema=schema)

    return schema, lines()


def open_file_reader(type_key: str, params: dict, secrets: dict, request: ReadRequest,
                     cancel: threading.Event) -> FileReader:
    path, sheet = locate(type_key, params, request.table)
    try:
        if type_key == "excel":
            schema, source = _excel(path, sheet or "", request.batch_rows)
        else:
            opener = {"csv": _csv, "json": _json, "parquet": _parquet, "avro": _avro,
                      "text": _text}[type_key]
            schema, source = opener(path, params, request.batch_rows)
    except RunError:
        raise
    except Exception as exc:
        raise RunError(f"Cannot read {path.name}: {exc}") from exc
    return FileReader(schema, source, request, cancel)
