"""BigQuery's REST API on loopback with the data in DuckDB: load jobs put the uploaded
Parquet into tables, query jobs run the SQL (translated from BigQuery's dialect by sqlglot,
statement by statement, transactions included), tables are described from DuckDB's catalogue.
The real client library talks to it; what lands is checked by reading DuckDB, so a test
checks the rows the generated SQL produced, not the request's text.

`fail_when`: a substring; the first statement containing it fails (as BigQuery would fail
it), which ends the script and rolls its transaction back."""

from __future__ import annotations

import json
import tempfile
import threading
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp

from tests.fakes.google_rest import FakeGoogle, _multipart, error

TYPES = {"BIGINT": "INTEGER", "INTEGER": "INTEGER", "SMALLINT": "INTEGER", "HUGEINT": "INTEGER",
         "DOUBLE": "FLOAT", "FLOAT": "FLOAT", "VARCHAR": "STRING", "BOOLEAN": "BOOLEAN",
         "DATE": "DATE", "TIMESTAMP WITH TIME ZONE": "TIMESTAMP", "TIMESTAMP": "DATETIME",
         "BLOB": "BYTES", "TIME": "TIME", "JSON": "JSON"}


def bigquery_type(duck: str) -> tuple[str, str]:
    """(type, mode) of a DuckDB column type."""
    if duck.endswith("[]"):
        return bigquery_type(duck[:-2])[0], "REPEATED"
    if duck.startswith("DECIMAL"):
        return "NUMERIC", "NULLABLE"
    return TYPES.get(duck, "STRING"), "NULLABLE"


def translate(sql: str) -> list[str]:
    """BigQuery SQL as DuckDB statements (a `project.dataset.table` loses its project)."""
    out = []
    for statement in sqlglot.parse(sql, read="bigquery"):
        if statement is None:
            continue
        for table in statement.find_all(exp.Table):
            table.set("catalog", None)
        out.append(statement.sql(dialect="duckdb"))
    return out


class BigQueryOnDuck:
    def __init__(self, project: str, dataset: str, fail_when: str | None = None) -> None:
        self.project, self.dataset, self.fail_when = project, dataset, fail_when
        self.db = duckdb.connect()
        self.db.execute(f'CREATE SCHEMA "{dataset}"')
        self.lock = threading.Lock()
        self.scripts: list[str] = []  # every query job's SQL, as sent
        self.jobs: dict[str, dict] = {}
        self.results: dict[str, tuple[list[dict], list[list]]] = {}
        self.fake = FakeGoogle()
        self._routes()

    def __enter__(self) -> BigQueryOnDuck:
        self.fake.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.fake.__exit__(*exc)
        self.db.close()

    @property
    def endpoint(self) -> str:
        return self.fake.endpoint

    def rows(self, sql: str) -> list[tuple]:
        with self.lock:
            return self.db.execute(sql).fetchall()

    def columns(self, table: str) -> dict[str, str]:
        with self.lock:
            found = self.db.execute(
                "select column_name, data_type from information_schema.columns where "
                "table_schema = ? and table_name = ? order by ordinal_position",
                [self.dataset, table]).fetchall()
        return dict(found)

    # --- what BigQuery does --------------------------------------------------------------

    def _query(self, sql: str) -> tuple[list[dict], list[list]]:
        self.scripts.append(sql)
        statements = translate(sql)
        schema: list[dict] = []
        rows: list[list] = []
        in_transaction = False
        with self.lock:
            try:
                for statement in statements:
                    if self.fail_when and self.fail_when in statement:
                        self.fail_when = None
                        raise duckdb.Error(f"Injected failure at: {statement[:60]}")
                    cursor = self.db.execute(statement)
                    upper = statement.upper()
                    in_transaction = (in_transaction or upper.startswith("BEGIN")) and \
                        not upper.startswith("COMMIT")
                    if cursor.description and upper.startswith(("SELECT", "WITH")):
                        schema = [{"name": d[0], "type": bigquery_type(str(d[1]).upper())[0]}
                                  for d in cursor.description]
                        rows = [list(r) for r in cursor.fetchall()]
            except duckdb.Error:
                if in_transaction:
                    self.db.execute("ROLLBACK")
                raise
        return schema, rows

    def _load(self, config: dict, media: bytes) -> None:
        table = config["destinationTable"]["tableId"]
        relation = f'"{self.dataset}"."{table}"'
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "load.parquet"
            path.write_bytes(media)
            source = f"read_parquet('{path}')"
            with self.lock:
                exists = self.db.execute(
                    "select count(*) from information_schema.tables where table_schema = ? "
                    "and table_name = ?", [self.dataset, table]).fetchone()[0]
                if config.get("writeDisposition") == "WRITE_TRUNCATE" or not exists:
                    self.db.execute(f"CREATE OR REPLACE TABLE {relation} AS SELECT * FROM "
                                    f"{source}")
                    return
                have = {r[0] for r in self.db.execute(
                    "select column_name from information_schema.columns where "
                    "table_schema = ? and table_name = ?", [self.dataset, table]).fetchall()}
                for name, kind in self.db.execute(f"DESCRIBE SELECT * FROM {source}"
                                                  ).fetchall()[:None]:
                    if name not in have:
                        self.db.execute(f'ALTER TABLE {relation} ADD COLUMN "{name}" {kind}')
                self.db.execute(f"INSERT INTO {relation} BY NAME SELECT * FROM {source}")

    # --- the REST API --------------------------------------------------------------------

    def _routes(self) -> None:
        fake, project, dataset = self.fake, self.project, self.dataset
        base = rf"/bigquery/v2/projects/{project}/datasets/{dataset}"

        def done(job_id: str, resource: dict, failure: str | None = None) -> dict:
            status = {"state": "DONE"}
            if failure:
                status["errorResult"] = {"reason": "invalidQuery", "message": failure}
                status["errors"] = [status["errorResult"]]
            self.jobs[job_id] = {**resource, "status": status, "statistics": {},
                                 "jobReference": resource["jobReference"]}
            return self.jobs[job_id]

        @fake.route("POST", rf"/upload/bigquery/v2/projects/{project}/jobs")
        def upload(match, body, query):
            resource_part, media = _multipart(body)
            resource = json.loads(resource_part)
            try:
                self._load(resource["configuration"]["load"], media)
            except duckdb.Error as exc:
                return 200, done(resource["jobReference"]["jobId"], resource, str(exc))
            return 200, done(resource["jobReference"]["jobId"], resource)

        @fake.route("POST", rf"/bigquery/v2/projects/{project}/jobs")
        def insert_job(match, body, query):
            job_id = body["jobReference"]["jobId"]
            try:
                self.results[job_id] = self._query(body["configuration"]["query"]["query"])
            except duckdb.Error as exc:
                return 200, done(job_id, body, str(exc))
            return 200, done(job_id, body)

        @fake.route("GET", rf"/bigquery/v2/projects/{project}/jobs/([^/]+)")
        def get_job(match, body, query):
            return 200, self.jobs[match.group(1)]

        @fake.route("GET", rf"/bigquery/v2/projects/{project}/queries/([^/]+)")
        def results(match, body, query):
            job = self.jobs[match.group(1)]
            schema, rows = self.results.get(match.group(1), ([], []))
            return 200, {"kind": "bigquery#getQueryResultsResponse", "jobComplete": True,
                         "jobReference": job["jobReference"], "totalRows": str(len(rows)),
                         "schema": {"fields": schema},
                         "rows": [{"f": [{"v": None if v is None else str(v)} for v in row]}
                                  for row in rows]}

        @fake.route("GET", base)
        def get_dataset(match, body, query):
            return 200, {"kind": "bigquery#dataset", "id": f"{project}:{dataset}",
                         "datasetReference": {"projectId": project, "datasetId": dataset},
                         "location": "EU"}

        @fake.route("GET", base + "/tables")
        def list_tables(match, body, query):
            with self.lock:
                names = [r[0] for r in self.db.execute(
                    "select table_name from information_schema.tables where table_schema = ? "
                    "order by 1", [dataset]).fetchall()]
            return 200, {"kind": "bigquery#tableList", "totalItems": len(names), "tables": [
                {"kind": "bigquery#table", "id": f"{project}:{dataset}.{n}", "type": "TABLE",
                 "tableReference": {"projectId": project, "datasetId": dataset,
                                    "tableId": n}} for n in names]}

        @fake.route("GET", base + r"/tables/([^/]+)")
        def get_table(match, body, query):
            columns = self.columns(match.group(1))
            if not columns:
                return 404, error(404, "NOT_FOUND", f"Not found: Table {match.group(1)}")
            fields = []
            for name, duck in columns.items():
                kind, mode = bigquery_type(duck.upper())
                fields.append({"name": name, "type": kind, "mode": mode})
            return 200, {"kind": "bigquery#table", "tableReference": {
                "projectId": project, "datasetId": dataset, "tableId": match.group(1)},
                "type": "TABLE", "schema": {"fields": fields}}

        @fake.route("DELETE", base + r"/tables/([^/]+)")
        def delete_table(match, body, query):
            if not self.columns(match.group(1)):
                return 404, error(404, "NOT_FOUND", f"Not found: Table {match.group(1)}")
            with self.lock:
                self.db.execute(f'DROP TABLE "{dataset}"."{match.group(1)}"')
            return 200, {}
