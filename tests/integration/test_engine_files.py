"""Every file type as a source, into the local warehouse, every row compared."""

from __future__ import annotations

import json
from datetime import date

import pytest

from app.services.jobs import TableSpec
from tests.integration.engine_helpers import make_job, run, save_connection, warehouse_rows

ROWS = [{"id": 1, "name": "Zoë", "qty": 3, "day": "2024-02-29"},
        {"id": 2, "name": "", "qty": None, "day": "2024-03-01"},
        {"id": 3, "name": "日本語, with comma", "qty": -1, "day": None}]


def _write(kind: str, folder) -> None:
    if kind == "json":
        (folder / "items.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False)
                                                      for r in ROWS), encoding="utf-8")
    elif kind == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(ROWS), folder / "items.parquet")
    elif kind == "avro":
        import fastavro

        schema = {"type": "record", "name": "Item", "fields": [
            {"name": "id", "type": "long"}, {"name": "name", "type": "string"},
            {"name": "qty", "type": ["null", "long"]}, {"name": "day", "type": ["null",
                                                                              "string"]}]}
        with (folder / "items.avro").open("wb") as fh:
            fastavro.writer(fh, schema, ROWS)
    elif kind == "excel":
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "items"
        sheet.append(["id", "name", "qty", "day"])
        for r in ROWS:
            sheet.append([r["id"], r["name"] or None, r["qty"], r["day"]])
        book.save(folder / "book.xlsx")


@pytest.mark.parametrize("kind", ["json", "parquet", "avro", "excel"])
def test_file_types_to_local_warehouse(ctx, tmp_path, kind):
    _write(kind, tmp_path)
    save_connection(ctx, kind, f"{kind} files", {"path": str(tmp_path)})
    table = "book.items" if kind == "excel" else "items"
    make_job(ctx, kind, f"{kind} files", [TableSpec(table, dest_table="items")])
    result = run(ctx, kind)
    assert result.status == "succeeded", result.error
    got = warehouse_rows("select id, name, qty, day from items")
    expected = [(r["id"], r["name"], r["qty"], r["day"]) for r in ROWS]
    if kind == "excel":  # an empty cell is empty: Excel has no empty string
        expected[1] = (2, None, None, "2024-03-01")
    assert [tuple(str(v) if isinstance(v, date) else v for v in row) for row in got] == expected


def test_text_lines(ctx, tmp_path):
    (tmp_path / "app.log").write_text("first line\n\nthird, with ünïcode\n", encoding="utf-8")
    save_connection(ctx, "text", "logs", {"path": str(tmp_path)})
    make_job(ctx, "logs", "logs", [TableSpec("app")])
    assert run(ctx, "logs").status == "succeeded"
    import duckdb

    from app import paths

    with duckdb.connect(str(paths.warehouse_path()), read_only=True) as conn:
        assert conn.execute("select line from app").fetchall() == [
            ("first line",), ("",), ("third, with ünïcode",)]


def test_a_vanished_file_fails_clearly(ctx, tmp_path):
    (tmp_path / "gone.csv").write_text("a\n1\n")
    save_connection(ctx, "csv", "files", {"path": str(tmp_path)})
    make_job(ctx, "gone", "files", [TableSpec("gone")])
    (tmp_path / "gone.csv").unlink()
    result = run(ctx, "gone")
    assert result.status == "failed"
    assert result.error == f"File for table 'gone' not found in {tmp_path} (any more)."
