"""How the conformance suite feeds each built-in connector and reads back what it did, on the real services.

A source harness writes input rows with integer ids into the system the source reads (a file, a table, a bucket, an
HTTP endpoint, a binlog) and says which id a record on the connector's topic carries. A sink harness reads the ids
present in the sink's target (file lines, rows, objects, items, documents, requests); the suite produces the
records to the sink's topic itself: key = the id (int64), value = struct {n: id, name} through JsonConverter.

Every service is the real one the integration tests already start: embedded Kafka, PostgreSQL and MariaDB
(tests/db_servers.py), a MariaDB with the row binlog, an OpenSearch node, moto's server for S3 and DynamoDB, and
a small HTTP service run here (the far side of the HTTP connectors is any HTTP server, so this one is real too).
"""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import orjson

JSON = "org.apache.kafka.connect.json.JsonConverter"
STRING = "org.apache.kafka.connect.storage.StringConverter"
SCHEMALESS_JSON = {"value.converter": JSON, "value.converter.schemas.enable": "false"}
HTTP_PAGE = 50


@dataclass
class Env:
    """What a harness may use: the broker, a temp dir, a unique lowercase prefix, and service fixtures by name."""

    bootstrap: str
    tmp: Path
    prefix: str
    service: Callable[[str], Any]

    def name(self, suffix: str) -> str:
        return f"{self.prefix}{suffix}"


class Harness:
    """One connector under test. `config()` is a valid connector config (no `name`); `bad_values` maps config keys
    to values that must be refused, each naming its key. Services come from `env.service("<fixture name>")`."""

    bad_values: ClassVar[dict[str, str]] = {}

    def __init__(self, env: Env, connector_class: str) -> None:
        self.env = env
        self.connector_class = connector_class
        self.topic = env.name("topic")

    def config(self) -> dict[str, str]:
        raise NotImplementedError

    def close(self) -> None:
        """Release what the harness created (connections, servers of its own)."""


class SourceHarness(Harness):
    def add_input(self, ids: range) -> None:
        raise NotImplementedError

    def record_id(self, key: bytes | None, value: bytes | None) -> int | None:
        """The input id a record on `topic` carries; None for a record that is not a data row (DDL, tombstone)."""
        raise NotImplementedError


class SinkHarness(Harness):
    def sink_config(self, **extra: str) -> dict[str, str]:
        return {"connector.class": self.connector_class, "topics": self.topic, "key.converter": JSON,
                "value.converter": JSON, **extra}  # fmt: skip

    def written(self) -> list[int] | None:
        """The ids present in the target (repeats included where the target can hold repeats); None when the
        connector keeps nothing that can be read back."""
        raise NotImplementedError


# -- sources ---------------------------------------------------------------------------------------------------
class DatagenHarness(SourceHarness):
    """Datagen generates ids 0..max.records-1 itself: "adding input" raises max.records (so a restart continues)."""

    bad_values: ClassVar[dict[str, str]] = {"max.records": "-5", "quickstart": "nope", "batch.size": "0",
                                            "records.per.second": "fast"}  # fmt: skip

    def __init__(self, env: Env, connector_class: str) -> None:
        super().__init__(env, connector_class)
        self.limit = 0

    def config(self) -> dict[str, str]:
        return {"connector.class": self.connector_class, "kafka.topic": self.topic, "max.records": str(self.limit),
                "batch.size": "10", "value.schema.enabled": "false", **SCHEMALESS_JSON}  # fmt: skip

    def add_input(self, ids: range) -> None:
        self.limit = ids.stop - 1  # ids are 1-based; datagen's are 0-based

    def record_id(self, key: bytes | None, value: bytes | None) -> int | None:
        return int(orjson.loads(value or b"null")["id"]) + 1


class FileSourceHarness(SourceHarness):
    bad_values: ClassVar[dict[str, str]] = {"batch.size": "0", "topic": ""}

    def __init__(self, env: Env, connector_class: str) -> None:
        super().__init__(env, connector_class)
        self.path = env.tmp / f"{env.prefix}-source.txt"
        self.path.touch()

    def config(self) -> dict[str, str]:
        return {"connector.class": self.connector_class, "file": str(self.path), "topic": self.topic,
                "value.converter": STRING}  # fmt: skip

    def add_input(self, ids: range) -> None:
        with self.path.open("a") as out:
            out.writelines(f"{i}\n" for i in ids)

    def record_id(self, key: bytes | None, value: bytes | None) -> int | None:
        return int((value or b"").decode())


class JdbcSourceHarness(SourceHarness):
    """The JDBC source on PostgreSQL, incrementing mode on the table's id."""

    bad_values: ClassVar[dict[str, str]] = {"mode": "sometimes", "poll.interval.ms": "-1", "batch.max.rows": "0",
                                            "connection.url": ""}  # fmt: skip

    def __init__(self, env: Env, connector_class: str) -> None:
        import psycopg

        super().__init__(env, connector_class)
        server = env.service("postgres_server")
        self.database = env.name("db").replace("-", "_")
        with psycopg.connect(server.dsn, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {self.database}")
        self.conn = psycopg.connect(server.dsn.rsplit("/", 1)[0] + f"/{self.database}", autocommit=True)
        self.conn.execute("CREATE TABLE items (id BIGINT PRIMARY KEY, name TEXT NOT NULL)")
        self.url = f"jdbc:postgresql://127.0.0.1:{server.port}/{self.database}?user=postgres"
        self.topic = f"{env.prefix}-items"

    def config(self) -> dict[str, str]:
        return {"connector.class": self.connector_class, "connection.url": self.url, "mode": "incrementing",
                "incrementing.column.name": "id", "table.whitelist": "items", "topic.prefix": f"{self.env.prefix}-",
                "poll.interval.ms": "100", **SCHEMALESS_JSON}  # fmt: skip

    def add_input(self, ids: range) -> None:
        with self.conn.cursor() as cursor:
            cursor.executemany("INSERT INTO items VALUES (%s, %s)", [(i, f"n{i}") for i in ids])

    def record_id(self, key: bytes | None, value: bytes | None) -> int | None:
        return int(orjson.loads(value or b"null")["id"])

    def close(self) -> None:
        self.conn.close()


class S3SourceHarness(SourceHarness):
    """Objects of JSON lines under a prefix on moto's S3 server; each input batch is a new object, keys growing."""

    bad_values: ClassVar[dict[str, str]] = {"format": "xml", "batch.size": "0", "s3.bucket.name": ""}

    def __init__(self, env: Env, connector_class: str) -> None:
        import boto3

        super().__init__(env, connector_class)
        self.endpoint = env.service("moto_endpoint")
        self.bucket = env.name("bucket")
        self.s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=self.endpoint)
        self.s3.create_bucket(Bucket=self.bucket)
        self.objects = 0

    def config(self) -> dict[str, str]:
        return {"connector.class": self.connector_class, "s3.bucket.name": self.bucket, "s3.prefix": "in/",
                "s3.region": "us-east-1", "store.url": self.endpoint, "topic": self.topic,
                "s3.poll.interval.ms": "100", **SCHEMALESS_JSON}  # fmt: skip

    def add_input(self, ids: range) -> None:
        self.objects += 1
        body = b"".join(orjson.dumps({"id": i}) + b"\n" for i in ids)
        self.s3.put_object(Bucket=self.bucket, Key=f"in/{self.objects:06d}.json", Body=body)

    def record_id(self, key: bytes | None, value: bytes | None) -> int | None:
        return int(orjson.loads(value or b"null")["id"])


class HttpSourceHarness(SourceHarness):
    """Pages of items after a cursor (the last id seen), from the suite's HTTP service."""

    bad_values: ClassVar[dict[str, str]] = {"http.method": "DELETE", "http.timeout.ms": "0", "http.url": "",
                                            "http.cursor.path": ""}  # fmt: skip

    def __init__(self, env: Env, connector_class: str) -> None:
        super().__init__(env, connector_class)
        self.service: HttpService = env.service("http_service")
        self.feed = env.name("feed")

    def config(self) -> dict[str, str]:
        return {"connector.class": self.connector_class, "http.url": f"{self.service.url}/feed/{self.feed}",
                "http.records.path": "$.items", "http.cursor.path": "$.next", "http.poll.interval.ms": "100",
                "topic": self.topic, **SCHEMALESS_JSON}  # fmt: skip

    def add_input(self, ids: range) -> None:
        self.service.feeds.setdefault(self.feed, []).extend(ids)

    def record_id(self, key: bytes | None, value: bytes | None) -> int | None:
        return int(orjson.loads(value or b"null")["id"])


class MySqlCdcHarness(SourceHarness):
    """Debezium-style change events from a MariaDB binlog: a snapshot first, then the inserts as they happen."""

    bad_values: ClassVar[dict[str, str]] = {"database.port": "70000", "snapshot.mode": "sometimes",
                                            "database.hostname": "", "max.batch.size": "0"}  # fmt: skip

    def __init__(self, env: Env, connector_class: str) -> None:
        super().__init__(env, connector_class)
        self.db = env.service("mariadb_binlog")
        self.database = env.name("db").replace("-", "_")
        self._sql(f"CREATE DATABASE {self.database}",
                  f"CREATE TABLE {self.database}.items (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL)")  # fmt: skip
        self.topic = f"{env.prefix}.{self.database}.items"

    def _sql(self, *statements: str) -> None:
        import pymysql

        conn = pymysql.connect(**self.db.params, autocommit=True)
        with conn, conn.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    def config(self) -> dict[str, str]:
        return {"connector.class": self.connector_class, "database.hostname": "127.0.0.1",
                "database.port": str(self.db.port), "database.user": self.db.params["user"],
                "database.password": self.db.params["password"], "topic.prefix": self.env.prefix,
                "database.include.list": self.database, "include.schema.changes": "false",
                "poll.interval.ms": "50", **SCHEMALESS_JSON}  # fmt: skip

    def add_input(self, ids: range) -> None:
        rows = ", ".join(f"({i}, 'n{i}')" for i in ids)
        self._sql(f"INSERT INTO {self.database}.items VALUES {rows}")

    def record_id(self, key: bytes | None, value: bytes | None) -> int | None:
        event = orjson.loads(value or b"null")
        after = event.get("after") if isinstance(event, dict) else None
        return int(after["id"]) if after else None


# -- sinks -----------------------------------------------------------------------------------------------------
class FileSinkHarness(SinkHarness):
    bad_values: ClassVar[dict[str, str]] = {"tasks.max": "0", "topics": ""}

    def __init__(self, env: Env, connector_class: str) -> None:
        super().__init__(env, connector_class)
        self.path = env.tmp / f"{env.prefix}-sink.jsonl"

    def config(self) -> dict[str, str]:
        return self.sink_config(file=str(self.path))

    def written(self) -> list[int] | None:
        if not self.path.exists():
            return []
        values = [orjson.loads(line) for line in self.path.read_bytes().splitlines() if line.strip()]
        return [v["n"] for v in values if isinstance(v, dict)]


class NullSinkHarness(SinkHarness):
    bad_values: ClassVar[dict[str, str]] = {"topics": "", "errors.tolerance": "some"}

    def config(self) -> dict[str, str]:
        return self.sink_config()

    def written(self) -> list[int] | None:
        return None


class JdbcSinkHarness(SinkHarness):
    """The JDBC sink on MariaDB: upserts keyed by the record key, tombstones delete, the table auto-created."""

    bad_values: ClassVar[dict[str, str]] = {"insert.mode": "merge", "pk.mode": "guess", "connection.url": "",
                                            "delete.enabled": "perhaps"}  # fmt: skip

    def __init__(self, env: Env, connector_class: str) -> None:
        import pymysql

        super().__init__(env, connector_class)
        self.server = env.service("mariadb_server")
        self.database = env.name("db").replace("-", "_")
        conn = pymysql.connect(**self.server.params, autocommit=True)
        with conn, conn.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {self.database}")
        self.table = self.topic.replace("-", "_")

    def config(self) -> dict[str, str]:
        return self.sink_config(**{"connection.url": self.server.url(self.database), "connection.user": "root",
                                   "insert.mode": "upsert", "pk.mode": "record_key", "pk.fields": "id",
                                   "auto.create": "true", "delete.enabled": "true",
                                   "table.name.format": self.table})  # fmt: skip

    def written(self) -> list[int] | None:
        import pymysql

        conn = pymysql.connect(**self.server.params, database=self.database)
        with conn, conn.cursor() as cursor:
            try:
                cursor.execute(f"SELECT n FROM {self.table}")
            except pymysql.err.ProgrammingError:  # not created yet
                return []
            return [int(row[0]) for row in cursor.fetchall()]


class S3SinkHarness(SinkHarness):
    bad_values: ClassVar[dict[str, str]] = {"flush.size": "0", "timestamp.extractor": "Sundial", "s3.bucket.name": "",
                                            "behavior.on.null.values": "explode"}  # fmt: skip

    def __init__(self, env: Env, connector_class: str) -> None:
        import boto3

        super().__init__(env, connector_class)
        self.endpoint = env.service("moto_endpoint")
        self.bucket = env.name("sinkbucket")
        self.s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=self.endpoint)
        self.s3.create_bucket(Bucket=self.bucket)

    def config(self) -> dict[str, str]:
        return self.sink_config(**{"s3.bucket.name": self.bucket, "s3.region": "us-east-1",
                                   "store.url": self.endpoint, "flush.size": "3"})  # fmt: skip

    def written(self) -> list[int] | None:
        found: list[int] = []
        listed = self.s3.list_objects_v2(Bucket=self.bucket)
        for item in listed.get("Contents", []):
            body = self.s3.get_object(Bucket=self.bucket, Key=item["Key"])["Body"].read()
            found += [orjson.loads(line)["n"] for line in body.splitlines() if line.strip()]
        return found


class DynamoDbSinkHarness(SinkHarness):
    bad_values: ClassVar[dict[str, str]] = {"pk.mode": "none", "max.retries": "-1", "delete.enabled": "maybe"}

    def __init__(self, env: Env, connector_class: str) -> None:
        import boto3

        super().__init__(env, connector_class)
        self.endpoint = env.service("moto_endpoint")
        self.dynamodb = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=self.endpoint)
        self.dynamodb.create_table(TableName=self.topic, BillingMode="PAY_PER_REQUEST",
                                   KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                                   AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "N"}])  # fmt: skip

    def config(self) -> dict[str, str]:
        return self.sink_config(**{"aws.dynamodb.region": "us-east-1", "aws.dynamodb.endpoint": self.endpoint})

    def written(self) -> list[int] | None:
        items = self.dynamodb.scan(TableName=self.topic, ConsistentRead=True)["Items"]
        return [int(item["n"]["N"]) for item in items]


class HttpSinkHarness(SinkHarness):
    bad_values: ClassVar[dict[str, str]] = {"request.method": "DELETE", "batch.max.size": "0", "max.retries": "-2",
                                            "http.api.url": ""}  # fmt: skip

    def __init__(self, env: Env, connector_class: str) -> None:
        super().__init__(env, connector_class)
        self.service: HttpService = env.service("http_service")
        self.inbox = env.name("inbox")

    def config(self) -> dict[str, str]:
        return self.sink_config(**{"http.api.url": f"{self.service.url}/inbox/{self.inbox}"})

    def written(self) -> list[int] | None:
        return [int(v["n"]) for v in list(self.service.inboxes.get(self.inbox, []))]


class OpenSearchSinkHarness(SinkHarness):
    bad_values: ClassVar[dict[str, str]] = {"behavior.on.null.values": "shrug", "batch.size": "0", "connection.url": "",
                                            "write.method": "replace"}  # fmt: skip

    def __init__(self, env: Env, connector_class: str) -> None:
        super().__init__(env, connector_class)
        self.url = env.service("opensearch_url")

    def config(self) -> dict[str, str]:
        return self.sink_config(**{"connection.url": self.url, "key.ignore": "false"})

    def written(self) -> list[int] | None:
        import requests

        if requests.post(f"{self.url}/{self.topic}/_refresh", timeout=10).status_code == 404:
            return []
        found = requests.get(f"{self.url}/{self.topic}/_search", params={"size": 1000}, timeout=10).json()
        return [int(hit["_source"]["n"]) for hit in found["hits"]["hits"]]


# -- the HTTP service the HTTP connectors talk to --------------------------------------------------------------
class HttpService:
    """GET /feed/<name>?cursor=<last id> pages a feed's ids after the cursor; POST|PUT /inbox/<name> keeps every
    JSON array of values it receives, repeats included (so a redelivery shows)."""

    def __init__(self) -> None:
        self.feeds: dict[str, list[int]] = {}
        self.inboxes: dict[str, list[Any]] = {}
        self._lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
                return

            def _answer(self, status: int, body: Any) -> None:
                data = orjson.dumps(body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                parts = urllib.parse.urlsplit(self.path)
                name = parts.path.removeprefix("/feed/")
                cursor = int(urllib.parse.parse_qs(parts.query).get("cursor", ["0"])[0] or 0)
                page = [i for i in service.feeds.get(name, []) if i > cursor][:HTTP_PAGE]
                self._answer(200, {"items": [{"id": i} for i in page], "next": page[-1] if page else cursor})

            def do_POST(self) -> None:
                name = urllib.parse.urlsplit(self.path).path.removeprefix("/inbox/")
                body = orjson.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                with service._lock:
                    service.inboxes.setdefault(name, []).extend(body)
                self._answer(200, {"ok": True})

            do_PUT = do_POST

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="conformance-http", daemon=True)

    def __enter__(self) -> HttpService:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
