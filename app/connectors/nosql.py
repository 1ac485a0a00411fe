"""NoSQL sources: Redis, MongoDB, Cassandra, Firestore and DynamoDB."""

from __future__ import annotations

import logging

from app.connectors.base import Connector, Failed, Probe, TableInfo, TimedOut, first_line
from app.connectors.google_auth import firestore_client

REDIS_SCAN_LIMIT = 100_000  # keys examined per listing before counts become estimates
GROUP = "**/"  # a Firestore table named **/orders is the collection group orders
NO_PREFIX = "(no prefix)"  # the group of keys without a ':' (app.etl.readers.redis reads it)


class RedisConnector(Connector):
    """Key patterns are the "tables": `user:*` holds every key that starts with user:."""

    def _client(self, probe: Probe):
        import redis

        p = self.params
        probe.reach(p["host"], p["port"])
        probe.stage("authenticate")
        client = redis.Redis(
            host=p["host"], port=p["port"], db=p.get("database", 0),
            username=p.get("user") or None, password=self.secrets.get("password"),
            ssl=bool(p.get("tls")), socket_connect_timeout=probe.remaining(),
            socket_timeout=probe.remaining(), decode_responses=False,
        )
        try:
            client.ping()
        except redis.AuthenticationError as exc:
            raise Failed(f"Redis refused the login: {first_line(exc)}") from exc
        except redis.TimeoutError as exc:
            raise TimedOut() from exc
        except redis.ConnectionError as exc:
            raise Failed(f"Redis connection failed: {first_line(exc)}") from exc
        except redis.ResponseError as exc:
            raise Failed(f"Redis refused: {first_line(exc)}") from exc
        return client

    def check(self, probe: Probe) -> tuple[str, str]:
        client = self._client(probe)
        try:
            probe.stage("catalogue")
            version = client.info("server")["redis_version"]
            keys = client.dbsize()
        finally:
            client.close()
        return f"Redis {version}", (f"Connected to Redis {version}, database "
                                    f"{self.params.get('database', 0)}: {keys} keys.")

    def tables(self, probe: Probe) -> list[TableInfo]:
        client = self._client(probe)
        try:
            probe.stage("catalogue")
            patterns = [p.strip() for p in str(self.params.get("pattern") or "").split(",")
                        if p.strip()]
            if patterns:
                return [self._count(client, pattern, probe) for pattern in patterns]
            return self._group_by_prefix(client, probe)
        finally:
            client.close()

    def _count(self, client, pattern: str, probe: Probe) -> TableInfo:
        seen = 0
        cursor = 0
        while True:
            probe.stage("catalogue")
            cursor, keys = client.scan(cursor=cursor, match=pattern, count=1000)
            seen += len(keys)
            if cursor == 0:
                return TableInfo(pattern, None, seen, True, None, "keys")
            if seen >= REDIS_SCAN_LIMIT:
                return TableInfo(pattern, None, seen, False, None, "keys")

    def _group_by_prefix(self, client, probe: Probe) -> list[TableInfo]:
        groups: dict[str, int] = {}
        scanned = 0
        cursor = 0
        complete = False
        while scanned < REDIS_SCAN_LIMIT:
            probe.stage("catalogue")
            cursor, keys = client.scan(cursor=cursor, count=1000)
            for key in keys:
                prefix = key.decode(errors="replace").split(":", 1)
                name = f"{prefix[0]}:*" if len(prefix) == 2 else NO_PREFIX
                groups[name] = groups.get(name, 0) + 1
            scanned += len(keys)
            if cursor == 0:
                complete = True
                break
        scale = 1.0 if complete else client.dbsize() / max(1, scanned)
        return [TableInfo(name, None, round(count * scale), complete, None, "keys")
                for name, count in sorted(groups.items())]


class MongoConnector(Connector):
    def _client(self, probe: Probe):
        import pymongo
        from pymongo import errors

        p = self.params
        probe.reach(p["host"], p["port"])
        probe.stage("authenticate")
        ms = int(probe.remaining() * 1000)
        client = pymongo.MongoClient(
            host=p["host"], port=p["port"], username=p.get("user") or None,
            password=self.secrets.get("password"), authSource=p.get("auth_source", "admin"),
            serverSelectionTimeoutMS=ms, connectTimeoutMS=ms, socketTimeoutMS=ms,
            appname="Sluice",
        )
        try:
            info = client.server_info()
        except errors.OperationFailure as exc:
            client.close()
            raise Failed(f"MongoDB refused the login: {exc.details.get('errmsg', exc)}") from exc
        except errors.ServerSelectionTimeoutError as exc:
            client.close()
            raise TimedOut() from exc
        return client, info

    def check(self, probe: Probe) -> tuple[str, str]:
        client, info = self._client(probe)
        try:
            probe.stage("catalogue")
            names = client[self.params["database"]].list_collection_names()
        finally:
            client.close()
        return (f"MongoDB {info['version']}",
                f"Connected to MongoDB {info['version']}, database {self.params['database']}: "
                f"{len(names)} collections.")

    def tables(self, probe: Probe) -> list[TableInfo]:
        client, _ = self._client(probe)
        try:
            probe.stage("catalogue")
            db = client[self.params["database"]]
            return [TableInfo(name, self.params["database"],
                              db[name].estimated_document_count(), False, None, "collection")
                    for name in sorted(db.list_collection_names())]
        finally:
            client.close()


def _quiet_downgrade(record: logging.LogRecord) -> bool:
    """The driver asks for its newest protocol first and warns as it steps down to what the
    node speaks: expected with every Cassandra, not worth a line on each test or run."""
    return "Downgrading core protocol version" not in record.getMessage()


def cassandra_session(params: dict, secrets: dict, timeout: float):
    """(cluster, session) of a Cassandra connection: rows as tuples, and no schema or token
    metadata kept (Sluice reads system_schema itself; a large cluster connects faster).
    Raises the driver's NoHostAvailable when no node takes the connection."""
    from cassandra.auth import PlainTextAuthProvider
    from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
    from cassandra.policies import DCAwareRoundRobinPolicy
    from cassandra.query import tuple_factory

    logging.getLogger("cassandra.cluster").addFilter(_quiet_downgrade)
    auth = None
    if params.get("user"):
        auth = PlainTextAuthProvider(params["user"], secrets.get("password", ""))
    profile = ExecutionProfile(load_balancing_policy=DCAwareRoundRobinPolicy(),
                               row_factory=tuple_factory, request_timeout=timeout)
    cluster = Cluster([params["host"]], port=params["port"], auth_provider=auth,
                      execution_profiles={EXEC_PROFILE_DEFAULT: profile},
                      connect_timeout=timeout, control_connection_timeout=timeout,
                      schema_metadata_enabled=False, token_metadata_enabled=False)
    try:
        return cluster, cluster.connect()
    except Exception:
        cluster.shutdown()
        raise


class CassandraConnector(Connector):
    def _session(self, probe: Probe):
        from cassandra.cluster import NoHostAvailable

        p = self.params
        probe.reach(p["host"], p["port"])
        probe.stage("authenticate")
        try:
            return cassandra_session(p, self.secrets, probe.remaining())
        except NoHostAvailable as exc:
            from cassandra import OperationTimedOut

            errors = list(exc.errors.values())
            if errors and all(isinstance(e, OperationTimedOut) for e in errors):
                raise TimedOut() from exc  # the node took the connection and never answered
            raise Failed(f"Cassandra refused the connection: {first_line(exc)[:300]}") from exc

    def check(self, probe: Probe) -> tuple[str, str]:
        cluster, session = self._session(probe)
        try:
            probe.stage("catalogue")
            version = session.execute("select release_version from system.local").one()[0]
            if not session.execute("select keyspace_name from system_schema.keyspaces where "
                                   "keyspace_name = %s", (self.params["database"],)).all():
                raise Failed(f"Cassandra {version} has no keyspace "
                             f"{self.params['database']!r}.")
            tables = session.execute(
                "select table_name from system_schema.tables where keyspace_name = %s",
                (self.params["database"],)).all()
        finally:
            cluster.shutdown()
        return f"Cassandra {version}", (f"Connected to Cassandra {version}, keyspace "
                                        f"{self.params['database']}: {len(tables)} tables.")

    def tables(self, probe: Probe) -> list[TableInfo]:
        cluster, session = self._session(probe)
        try:
            probe.stage("catalogue")
            rows = session.execute(
                "select table_name from system_schema.tables where keyspace_name = %s",
                (self.params["database"],)).all()
            # Cassandra keeps no row count that is cheap to read; say unknown, not zero.
            return [TableInfo(r[0], self.params["database"]) for r in rows]
        finally:
            cluster.shutdown()


class FirestoreConnector(Connector):
    """Collections are the tables; so are collection groups (every collection of one id at
    any depth), named `**/id` and found under the first document of each top-level
    collection when tables are listed."""

    def _collections(self, probe: Probe, count: bool) -> list[TableInfo]:
        from google.api_core import exceptions

        probe.stage("authenticate")
        client = firestore_client(self.params)
        probe.stage("catalogue")

        def rows(query) -> int | None:
            return int(query.count().get(timeout=probe.remaining())[0][0].value) \
                if count else None

        try:
            out, groups = [], set()
            for coll in client.collections(timeout=probe.remaining()):
                n = rows(coll)
                out.append(TableInfo(coll.id, None, n, n is not None, None, "collection"))
                if count:  # a listing for a job (not a test) looks for collection groups
                    for doc in coll.limit(1).stream(timeout=probe.remaining()):
                        groups |= {sub.id for sub in doc.reference.collections(
                            timeout=probe.remaining())}
            for group in sorted(groups):
                n = rows(client.collection_group(group))
                out.append(TableInfo(f"{GROUP}{group}", None, n, n is not None, None,
                                     "collection group"))
            return out
        except exceptions.GoogleAPICallError as exc:
            raise Failed(f"Firestore refused: {first_line(exc)}") from exc
        finally:
            client.close()

    def check(self, probe: Probe) -> tuple[str, str]:
        names = self._collections(probe, count=False)
        return "Firestore", f"Connected to Firestore {self.params['project']}: " \
                            f"{len(names)} collections."

    def tables(self, probe: Probe) -> list[TableInfo]:
        return self._collections(probe, count=True)


class DynamoConnector(Connector):
    def _client(self, probe: Probe):
        import boto3
        from botocore.config import Config

        p = self.params
        probe.stage("authenticate")
        seconds = max(1.0, probe.remaining())
        return boto3.client(
            "dynamodb", region_name=p["region"], endpoint_url=p.get("endpoint") or None,
            aws_access_key_id=p.get("user") or None,
            aws_secret_access_key=self.secrets.get("password"),
            config=Config(connect_timeout=seconds, read_timeout=seconds,
                          retries={"max_attempts": 1}),
        )

    def _call(self, fn, **kwargs):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return fn(**kwargs)
        except ClientError as exc:
            raise Failed(f"DynamoDB refused: {exc.response['Error'].get('Message', exc)}") \
                from exc
        except BotoCoreError as exc:
            raise Failed(f"DynamoDB unreachable: {first_line(exc)}") from exc

    def check(self, probe: Probe) -> tuple[str, str]:
        client = self._client(probe)
        probe.stage("catalogue")
        names = self._call(client.list_tables, Limit=100)["TableNames"]
        return "DynamoDB 2012-08-10", f"Connected to DynamoDB in {self.params['region']}: " \
                                      f"{len(names)} tables."

    def tables(self, probe: Probe) -> list[TableInfo]:
        client = self._client(probe)
        probe.stage("catalogue")
        out = []
        pages = self._call(lambda: list(client.get_paginator("list_tables").paginate()))
        for page in pages:
            for name in page["TableNames"]:
                desc = self._call(client.describe_table, TableName=name)["Table"]
                # ItemCount is refreshed by AWS about every six hours: an estimate.
                out.append(TableInfo(name, None, desc.get("ItemCount"), False, None))
        return out
