"""Real broker -> emulated event-source mapping -> sink function -> real target, end to end.

Poison records reach the DLQ with every header and nothing else is lost or duplicated; a database outage is
retried until it ends; a handler that dies after writing gets its batch again and the idempotent sinks show
no duplicates.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

import boto3
import orjson
import psycopg
import pytest
from confluent_kafka.admin import NewTopic
from moto import mock_aws
from moto.server import ThreadedMotoServer

from connectless.kafka import KafkaSettings
from connectless.lambda_sink.handler import SinkBatchHandler
from connectless.lambda_sink.target import connector_name
from connectless.standalone.esm_emulator import EventSourceMappingEmulator, MappingConfig
from connectless.storage import ConfigStore, KafkaLog

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from confluent_kafka import Message
    from confluent_kafka.admin import AdminClient

    import db_servers

pytestmark = pytest.mark.kafka


class Pipeline:
    """A topic, a connector config in a real config topic, the handler, and a mapping feeding it."""

    def __init__(self, bootstrap: str, admin: AdminClient, unique: Callable[..., str]) -> None:
        self.bootstrap = bootstrap
        self.settings = KafkaSettings(bootstrap)
        self.name = unique("conn")
        self.topic = unique("in")
        self.dlq = unique("dlq")
        self.env = {"CONNECTLESS_CONFIG_TOPIC": unique("cfg"), "CONNECTLESS_STATUS_TOPIC": unique("st")}
        admin.create_topics([NewTopic(self.topic, 1, 1)])[self.topic].result(30)
        self.handler: SinkBatchHandler | None = None
        self.esm: EventSourceMappingEmulator | None = None

    def deploy(self, **config: str) -> None:
        store = ConfigStore(KafkaLog(self.settings, self.env["CONNECTLESS_CONFIG_TOPIC"]))
        store.start()
        store.put_connector_config(self.name, {
            "name": self.name, "topics": self.topic,
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "false",
            "errors.tolerance": "all", "errors.deadletterqueue.topic.name": self.dlq,
            "errors.deadletterqueue.context.headers.enable": "true", **config,
        })  # fmt: skip
        store.log.stop()
        self.handler = SinkBatchHandler.from_env(self.settings, self.env)

    def invoke(self, event: dict[str, Any], context: Any) -> Any:
        assert self.handler is not None
        remaining = context.get_remaining_time_in_millis
        return self.handler.handle(event, connector_name(context.invoked_function_arn),
                                   remaining_s=lambda: remaining() / 1000).response()  # fmt: skip

    def run(self, invoke: Callable[[dict[str, Any], Any], Any] | None = None, **settings: Any) -> None:
        config = MappingConfig(self.name, [self.topic], retry_delay_s=0.2, maximum_batching_window_s=0.1,
                               function_timeout_s=11.0, **settings)  # fmt: skip
        self.esm = EventSourceMappingEmulator(self.settings, config, invoke or self.invoke)
        self.esm.start()
        try:
            self.esm.run_until_idle(idle_timeout=1.0)
        finally:
            self.esm.stop()

    def produce(self, items: list[tuple[str, bytes]]) -> None:
        producer = self.settings.producer()
        for key, value in items:
            producer.produce(self.topic, value, key.encode())
        assert producer.flush(30) == 0

    def dead_letters(self, count: int, timeout: float = 20.0) -> list[Message]:
        consumer = self.settings.consumer(f"check-{uuid.uuid4()}")
        consumer.subscribe([self.dlq])
        found: list[Message] = []
        deadline = time.monotonic() + timeout
        while len(found) < count and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                found.append(msg)
        consumer.close()
        return found

    def close(self) -> None:
        if self.handler is not None:
            self.handler.close()
            self.handler.configs.log.stop()
            if self.handler.statuses is not None:
                self.handler.statuses.log.stop()


@pytest.fixture
def pipeline(kafka_bootstrap: str, kafka_admin: AdminClient, unique_topic: Callable[..., str]) -> Iterator[Pipeline]:
    pipe = Pipeline(kafka_bootstrap, kafka_admin, unique_topic)
    yield pipe
    pipe.close()


def row(oid: int, qty: Any = 1) -> tuple[str, bytes]:
    return str(oid), orjson.dumps({"id": oid, "qty": qty})


@pytest.fixture
def pg_database(postgres_server: db_servers.PostgresServer) -> tuple[str, str]:
    name = "e" + uuid.uuid4().hex[:12]
    with psycopg.connect(postgres_server.dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    dsn = postgres_server.dsn.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE orders (id BIGINT PRIMARY KEY, qty INTEGER NOT NULL)")
    return dsn, f"jdbc:postgresql://127.0.0.1:{postgres_server.port}/{name}?user=postgres"


def rows(dsn: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return [tuple(r) for r in conn.execute("SELECT id, qty FROM orders ORDER BY id").fetchall()]


JDBC = {"connector.class": "JdbcSink", "table.name.format": "orders", "insert.mode": "upsert",
        "pk.mode": "record_value", "pk.fields": "id"}  # fmt: skip


def test_poison_records_go_to_the_dlq_and_nothing_else_is_lost_or_doubled(
    pipeline: Pipeline, pg_database: tuple[str, str]
) -> None:
    dsn, url = pg_database
    pipeline.deploy(**JDBC, **{"connection.url": url})
    pipeline.produce([row(1), ("x", b"{not json"), row(2), ("y", b'"just a string"'), row(3, "lots"), row(4)])
    pipeline.run(batch_size=100)
    assert rows(dsn) == [(1, 1), (2, 1), (4, 1)]
    dead = {m.value(): dict(m.headers() or []) for m in pipeline.dead_letters(3)}
    assert set(dead) == {b"{not json", b'"just a string"', b'{"id":3,"qty":"lots"}'}
    assert dead[b"{not json"]["__connect.errors.stage"] == b"VALUE_CONVERTER"
    assert dead[b'"just a string"']["__connect.errors.stage"] == b"TASK_PUT"  # schema mismatch
    assert dead[b'{"id":3,"qty":"lots"}']["__connect.errors.stage"] == b"TASK_PUT"  # the database refused it
    for headers in dead.values():
        assert headers["__connect.errors.topic"] == pipeline.topic.encode()
        assert "__connect.errors.exception.message" in headers


def test_a_database_outage_is_retried_and_recovers_without_loss(
    pipeline: Pipeline, pg_database: tuple[str, str], postgres_server: db_servers.PostgresServer
) -> None:
    dsn, url = pg_database
    pipeline.deploy(**JDBC, **{"connection.url": url})
    pipeline.produce([row(i) for i in range(5)])
    pipeline.run()
    postgres_server.stop()
    restart = threading.Timer(2.5, postgres_server.start)
    restart.start()
    try:
        pipeline.produce([row(i, 2) for i in range(3, 10)])
        pipeline.run()
    finally:
        restart.join()
    assert pipeline.esm is not None and pipeline.esm.stats.function_errors >= 1
    assert rows(dsn) == [(i, 1) for i in range(3)] + [(i, 2) for i in range(3, 10)]
    assert pipeline.dead_letters(1, timeout=2.0) == []


def test_a_crash_after_writing_redelivers_without_duplicates_in_s3(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="lake")
        pipeline.deploy(**{"connector.class": "S3Sink", "s3.bucket.name": "lake", "flush.size": "4"})
        pipeline.produce([row(i) for i in range(10)])
        crashes = {"left": 1}

        def dies_once(event: dict[str, Any], context: Any) -> Any:
            response = pipeline.invoke(event, context)
            if crashes["left"]:
                crashes["left"] -= 1
                raise RuntimeError("the container died before answering")
            return response

        pipeline.run(dies_once, batch_size=7)
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="lake")["Contents"]]
        lines = [
            orjson.loads(line)["id"]
            for key in keys
            for line in s3.get_object(Bucket="lake", Key=key)["Body"].read().splitlines()
        ]
    assert sorted(lines) == list(range(10))
    prefix = f"topics/{pipeline.topic}/partition=0/{pipeline.topic}+0+"
    assert sorted(keys) == sorted(f"{prefix}{o}.json" for o in (0, 4, 7, 8))


class _S3Server:
    """moto's S3 on a real port, which can go away and come back on that port with its buckets intact (moto's
    state lives in the process, not in the server thread)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.server: ThreadedMotoServer | None = None

    def start(self) -> None:
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.server.start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server._server.server_close()  # type: ignore[union-attr]  # stop() leaves the socket listening
            self.server = None


def test_an_s3_outage_is_retried_and_recovers_without_loss(pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    import db_servers

    for name, value in {
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    server = _S3Server(db_servers.free_port())
    server.start()
    url = f"http://127.0.0.1:{server.port}"
    try:
        s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=url)
        s3.create_bucket(Bucket="outage")
        pipeline.deploy(**{"connector.class": "S3Sink", "s3.bucket.name": "outage", "store.url": url,
                           "flush.size": "5"})  # fmt: skip
        pipeline.produce([row(i) for i in range(5)])
        pipeline.run()
        server.stop()  # S3 goes away: every put fails to connect
        restart = threading.Timer(3.0, server.start)
        restart.start()
        try:
            pipeline.produce([row(i) for i in range(5, 23)])
            pipeline.run()
        finally:
            restart.join()
        keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="outage")["Contents"])
        ids = [orjson.loads(line)["id"] for key in keys
               for line in s3.get_object(Bucket="outage", Key=key)["Body"].read().splitlines()]  # fmt: skip
    finally:
        server.stop()
    assert pipeline.esm is not None and pipeline.esm.stats.function_errors >= 1
    assert sorted(ids) == list(range(23))  # nothing lost, nothing twice
    prefix = f"topics/{pipeline.topic}/partition=0/{pipeline.topic}+0+"
    assert keys == sorted(f"{prefix}{o}.json" for o in (0, 5, 10, 15, 20))
    assert pipeline.dead_letters(1, timeout=2.0) == []  # an outage is not a poison record
