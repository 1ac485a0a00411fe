"""Small in-memory stand-ins for Google's REST APIs, served over real HTTP on loopback.

Google is unreachable from here, so the real client libraries are pointed at these
servers through their `api_endpoint` option: everything above the HTTP boundary (the
client, its request building, its error mapping) is the real code.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeGoogle:
    """Routes (method, regex) -> handler(match, body, query) -> (status, json)."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern, Any]] = []
        self.requests: list[tuple[str, str]] = []
        self.calls: list[tuple[str, str, str, Any]] = []  # (method, path, query, body)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                path, _, query = self.path.partition("?")
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                is_json = "json" in (self.headers.get("Content-Type") or "")
                body = json.loads(raw or b"{}") if is_json else raw
                fake.requests.append((self.command, path))
                fake.calls.append((self.command, path, query, body))
                for method, pattern, handler in fake.routes:
                    match = pattern.fullmatch(path)
                    if method == self.command and match:
                        status, payload = handler(match, body, query)
                        break
                else:
                    status, payload = 404, error(404, "NOT_FOUND", f"no route {path}")
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = do_PATCH = _serve

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def route(self, method: str, pattern: str):
        def register(handler):
            self.routes.append((method, re.compile(pattern), handler))
            return handler
        return register

    def __enter__(self) -> FakeGoogle:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


def error(code: int, status: str, message: str) -> dict:
    return {"error": {"code": code, "status": status, "message": message}}


def secret_manager() -> FakeGoogle:
    """Secret Manager v1: create secret, add version, access latest, delete."""
    fake = FakeGoogle()
    fake.secrets: dict[str, list[bytes]] = {}  # type: ignore[attr-defined]
    store = fake.secrets  # type: ignore[attr-defined]

    @fake.route("POST", r"/v1/projects/([^/]+)/secrets")
    def create(match, body, query):
        secret_id = re.search(r"secretId=([^&]+)", query).group(1)
        name = f"projects/{match.group(1)}/secrets/{secret_id}"
        if name in store:
            return 409, error(409, "ALREADY_EXISTS", f"Secret [{name}] already exists.")
        store[name] = []
        return 200, {"name": name, "replication": body.get("replication", {})}

    @fake.route("POST", r"/v1/(projects/[^/]+/secrets/[^/:]+):addVersion")
    def add_version(match, body, query):
        name = match.group(1)
        if name not in store:
            return 404, error(404, "NOT_FOUND", f"Secret [{name}] not found.")
        store[name].append(base64.b64decode(body["payload"]["data"]))
        return 200, {"name": f"{name}/versions/{len(store[name])}", "state": "ENABLED"}

    @fake.route("GET", r"/v1/(projects/[^/]+/secrets/[^/]+)/versions/latest:access")
    def access(match, body, query):
        name = match.group(1)
        if not store.get(name):
            return 404, error(404, "NOT_FOUND", f"Secret [{name}] not found or has no versions.")
        data = store[name][-1]
        return 200, {"name": f"{name}/versions/{len(store[name])}",
                     "payload": {"data": base64.b64encode(data).decode()}}

    @fake.route("DELETE", r"/v1/(projects/[^/]+/secrets/[^/]+)")
    def delete(match, body, query):
        if store.pop(match.group(1), None) is None:
            return 404, error(404, "NOT_FOUND", "Secret not found.")
        return 200, {}

    return fake


def _multipart(body: bytes) -> list[bytes]:
    """The parts of a multipart/related body (the job resource, then the file)."""
    boundary = body.split(b"\r\n", 1)[0]
    parts = []
    for chunk in body.split(boundary)[1:-1]:
        _, _, payload = chunk.partition(b"\r\n\r\n")
        parts.append(payload[:-2] if payload.endswith(b"\r\n") else payload)
    return parts


def bigquery(project: str, dataset: str, tables: dict[str, dict],
             fail_loads: str | None = None) -> FakeGoogle:
    """BigQuery v2: get dataset, list tables, get table, and load jobs from an upload.

    `tables`: id -> {rows, modified_ms}. Uploaded files land in `fake.loads` as
    (job configuration, file bytes). With `fail_loads`, every load job ends with that error.
    """
    fake = FakeGoogle()
    fake.loads = []  # type: ignore[attr-defined]
    jobs: dict[str, dict] = {}
    base = rf"/bigquery/v2/projects/{project}/datasets/{dataset}"

    @fake.route("GET", base + r"/tables/([^/]+)/data")
    def list_rows(match, body, query):
        data = tables[match.group(1)].get("data", [])
        return 200, {"kind": "bigquery#tableDataList", "totalRows": str(len(data)),
                     "rows": [{"f": [{"v": v} for v in row]} for row in data]}

    @fake.route("POST", rf"/upload/bigquery/v2/projects/{project}/jobs")
    def upload(match, body, query):
        assert "uploadType=multipart" in query
        resource_part, media = _multipart(body)
        resource = json.loads(resource_part)
        fake.loads.append((resource["configuration"]["load"], media))
        job_id = resource["jobReference"]["jobId"]
        status = {"state": "DONE"}
        if fail_loads:
            status["errorResult"] = {"reason": "invalid", "message": fail_loads}
            status["errors"] = [status["errorResult"]]
        jobs[job_id] = {**resource, "status": status, "statistics": {}}
        return 200, jobs[job_id]

    @fake.route("GET", rf"/bigquery/v2/projects/{project}/jobs/([^/]+)")
    def get_job(match, body, query):
        return 200, jobs[match.group(1)]


    def table_ref(table_id: str) -> dict:
        return {"projectId": project, "datasetId": dataset, "tableId": table_id}

    @fake.route("GET", base)
    def get_dataset(match, body, query):
        return 200, {"kind": "bigquery#dataset", "id": f"{project}:{dataset}",
                     "datasetReference": {"projectId": project, "datasetId": dataset},
                     "location": "EU"}

    @fake.route("GET", base + "/tables")
    def list_tables(match, body, query):
        return 200, {"kind": "bigquery#tableList", "totalItems": len(tables),
                     "tables": [{"kind": "bigquery#table", "id": f"{project}:{dataset}.{t}",
                                 "tableReference": table_ref(t), "type": info.get("type",
                                                                                    "TABLE")}
                                for t, info in tables.items()]}

    @fake.route("GET", base + r"/tables/([^/]+)")
    def get_table(match, body, query):
        table_id = match.group(1)
        if table_id not in tables:
            return 404, error(404, "NOT_FOUND", f"Not found: Table {table_id}")
        info = tables[table_id]
        fields = info.get("schema", [{"name": "id", "type": "INTEGER"}])
        resource = {"kind": "bigquery#table", "tableReference": table_ref(table_id),
                    "type": info.get("type", "TABLE"),
                    "lastModifiedTime": str(info["modified_ms"]),
                    "schema": {"fields": fields}}
        if info.get("rows") is not None:
            resource["numRows"] = str(info["rows"])
        return 200, resource

    return fake
