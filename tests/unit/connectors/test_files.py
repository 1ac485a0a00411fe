"""File and embedded-database sources, on real files made by the tests."""

from __future__ import annotations

import json
import sqlite3

import pytest

from app.connectors import base, registry


def _run(type_key: str, **values):
    params, secrets, errors = registry.validate(type_key, values)
    assert not errors
    return base.test_connection(type_key, params, secrets), params


def _tables(type_key: str, params: dict) -> dict:
    return {t.name: t for t in base.list_tables(type_key, params, {})}


def test_csv_folder(tmp_path):
    (tmp_path / "orders.csv").write_text("id,amount\n1,9.5\n2,3.25\n3,1\n")
    (tmp_path / "people.tsv").write_text("id\tname\n1\tZoë\n")
    (tmp_path / "notes.md").write_text("not a table")
    result, params = _run("csv", path=str(tmp_path))
    assert result.status == base.OK, result.message
    assert result.message == "Found 2 CSV files: orders.csv, people.tsv."
    tables = _tables("csv", params)
    assert set(tables) == {"orders", "people"}
    assert (tables["orders"].rows, tables["orders"].rows_exact) == (3, True)
    assert tables["orders"].last_updated is not None


def test_csv_without_header_counts_every_line(tmp_path):
    (tmp_path / "raw.csv").write_text("1,a\n2,b\n")
    _, params = _run("csv", path=str(tmp_path / "raw.csv"), header="false")
    assert _tables("csv", params)["raw"].rows == 2


def test_json_lines_and_array(tmp_path):
    (tmp_path / "events.jsonl").write_text("\n".join(json.dumps({"i": i}) for i in range(7)))
    (tmp_path / "users.json").write_text(json.dumps([{"id": 1}, {"id": 2}]))
    result, params = _run("json", path=str(tmp_path))
    assert result.status == base.OK, result.message
    tables = _tables("json", params)
    assert tables["events"].rows == 7 and tables["users"].rows == 2


def test_parquet_and_avro(tmp_path):
    import fastavro
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"id": list(range(42))}), tmp_path / "facts.parquet")
    result, params = _run("parquet", path=str(tmp_path))
    assert result.status == base.OK
    assert _tables("parquet", params)["facts"].rows == 42

    schema = {"type": "record", "name": "R", "fields": [{"name": "id", "type": "int"}]}
    with (tmp_path / "log.avro").open("wb") as fh:
        fastavro.writer(fh, schema, [{"id": i} for i in range(13)], sync_interval=16)
    result, params = _run("avro", path=str(tmp_path / "log.avro"))
    assert result.status == base.OK and result.server_version.startswith("fastavro")
    assert (_tables("avro", params)["log"].rows, _tables("avro", params)["log"].rows_exact) \
        == (13, True)


def test_excel_sheets_are_tables(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Q1"
    for row in [("id", "v"), (1, "a"), (2, "b")]:
        book.active.append(row)
    book.create_sheet("Q2").append(("id",))
    book.save(tmp_path / "sales.xlsx")
    result, params = _run("excel", path=str(tmp_path / "sales.xlsx"))
    assert result.status == base.OK, result.message
    tables = _tables("excel", params)
    assert tables["Q1"].rows == 2 and tables["Q2"].rows == 0
    assert tables["Q1"].kind == "sheet" and not tables["Q1"].rows_exact


def test_text_file_lines(tmp_path):
    (tmp_path / "app.log").write_text("one\ntwo\nthree")
    result, params = _run("text", path=str(tmp_path / "app.log"))
    assert result.status == base.OK
    assert _tables("text", params)["app"].rows == 3


def test_sqlite_and_duckdb(tmp_path):
    import duckdb

    db = tmp_path / "local.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute('create table "weird ""name""" (id int)')
        conn.executemany('insert into "weird ""name""" values (?)', [(i,) for i in range(5)])
        conn.execute("create view v as select 1")
    result, params = _run("sqlite", path=str(db))
    assert result.status == base.OK and result.server_version.startswith("SQLite")
    tables = _tables("sqlite", params)
    assert tables['weird "name"'].rows == 5 and tables["v"].kind == "view"

    ddb = tmp_path / "w.duckdb"
    with duckdb.connect(str(ddb)) as conn:
        conn.execute("create schema s; create table s.t as select range as i from range(99)")
    result, params = _run("duckdb", path=str(ddb))
    assert result.status == base.OK, result.message
    assert _tables("duckdb", params)["t"].rows == 99


@pytest.mark.parametrize("type_key", ["csv", "json", "parquet", "avro", "excel", "text",
                                      "sqlite", "duckdb"])
def test_path_that_does_not_exist_is_failed(tmp_path, type_key):
    result, _ = _run(type_key, path=str(tmp_path / "missing"))
    assert result.status == base.FAILED
    assert result.message == f"Path not found: {tmp_path / 'missing'}"


@pytest.mark.parametrize("type_key,name", [("parquet", "x.parquet"), ("sqlite", "x.db"),
                                           ("json", "x.json"), ("avro", "x.avro"),
                                           ("excel", "x.xlsx"), ("duckdb", "x.duckdb")])
def test_wrong_format_is_failed_with_the_file_named(tmp_path, type_key, name):
    (tmp_path / name).write_text("this is not that format {")
    result, _ = _run(type_key, path=str(tmp_path / name))
    assert result.status == base.FAILED
    assert name in result.message


def test_folder_without_matching_files_is_an_empty_source(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    result, params = _run("parquet", path=str(tmp_path))
    assert result.status == base.OK  # usable as a destination folder
    assert result.message == "Empty folder: no Parquet files (.parquet, .pq) yet."
    assert _tables("parquet", params) == {}
