"""BigQuery through google-cloud-bigquery (a dataset is the catalogue)."""

from __future__ import annotations

from app.connectors.base import Connector, Failed, Probe, TableInfo, first_line
from app.connectors.google_auth import google_credentials


def make_client(params: dict):
    """A BigQuery client for a saved connection (also used by the engine's destination)."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    endpoint = params.get("endpoint")
    # An emulator behind `endpoint` takes no credentials; Google itself always does.
    credentials = (AnonymousCredentials() if endpoint and not params.get("key_file")
                   else google_credentials(params))
    options = {"api_endpoint": endpoint} if endpoint else None
    return bigquery.Client(project=params["project"], credentials=credentials,
                           location=params.get("location") or None, client_options=options)


class BigQueryConnector(Connector):
    def _client(self, probe: Probe):
        probe.stage("authenticate")
        return make_client(self.params)

    def _call(self, fn, *args, **kwargs):
        from google.api_core import exceptions
        from google.auth.exceptions import GoogleAuthError
        from requests.exceptions import RequestException

        try:
            return fn(*args, **kwargs)
        except exceptions.NotFound as exc:
            raise Failed(f"Dataset {self.params['project']}.{self.params['dataset']} "
                         "was not found.") from exc
        except exceptions.Forbidden as exc:
            raise Failed(f"Access denied to {self.params['project']}.{self.params['dataset']}: "
                         f"{exc.message}") from exc
        except exceptions.GoogleAPICallError as exc:
            raise Failed(f"BigQuery refused: {exc.message}") from exc
        except (GoogleAuthError, RequestException) as exc:
            raise Failed(f"BigQuery unreachable: {first_line(exc)}") from exc

    def check(self, probe: Probe) -> tuple[str, str]:
        client = self._client(probe)
        probe.stage("connect")
        ref = f"{self.params['project']}.{self.params['dataset']}"
        dataset = self._call(client.get_dataset, ref, timeout=probe.remaining())
        probe.stage("catalogue")
        tables = list(self._call(client.list_tables, dataset, timeout=probe.remaining()))
        where = f" in {dataset.location}" if dataset.location else ""
        return "BigQuery", f"Connected to BigQuery dataset {ref}{where}: {len(tables)} tables."

    def tables(self, probe: Probe) -> list[TableInfo]:
        client = self._client(probe)
        probe.stage("catalogue")
        ref = f"{self.params['project']}.{self.params['dataset']}"
        out = []
        for item in self._call(client.list_tables, ref, timeout=probe.remaining()):
            probe.stage("catalogue")
            table = self._call(client.get_table, item.reference, timeout=probe.remaining())
            kind = "view" if table.table_type == "VIEW" else "table"
            rows = int(table.num_rows) if table.num_rows is not None else None
            out.append(TableInfo(table.table_id, table.dataset_id, rows, rows is not None,
                                 table.modified, kind))
        return out
